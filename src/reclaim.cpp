#include "reclaim.hpp"

#include <thread>

namespace vipcore::detail::reclaim {
namespace {

// Every record ever made, newest first; never shrinks.
std::atomic<Record*> g_records{nullptr};

Record* claim_record() {
  for (Record* r = g_records.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    bool expected = false;
    if (!r->taken.load(std::memory_order_relaxed) &&
        r->taken.compare_exchange_strong(expected, true, std::memory_order_acq_rel))
      return r;
  }
  auto* r = new Record;  // lives as long as the process: readers of other threads may still look at it
  r->taken.store(true, std::memory_order_relaxed);
  Record* head = g_records.load(std::memory_order_relaxed);
  do {
    r->next = head;
  } while (!g_records.compare_exchange_weak(head, r, std::memory_order_acq_rel, std::memory_order_relaxed));
  return r;
}

// The thread's claim on its record, given back when the thread exits (its
// counter is even then: no section outlives its thread).
struct Claim {
  Record* record = claim_record();
  Claim() = default;
  Claim(const Claim&) = delete;
  Claim& operator=(const Claim&) = delete;
  ~Claim() { record->taken.store(false, std::memory_order_release); }
};

}  // namespace

Record& this_thread_record() {
  thread_local Claim claim;
  return *claim.record;
}

Snapshot Snapshot::take() {
  Snapshot s;
  for (const Record* r = g_records.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    const std::uint64_t seq = r->seq.load(std::memory_order_seq_cst);
    if (seq % 2 == 1) s.inside_.emplace_back(r, seq);
  }
  return s;
}

bool Snapshot::passed() const noexcept {
  for (const auto& [record, seq] : inside_)
    if (record->seq.load(std::memory_order_acquire) == seq) return false;
  return true;
}

void wait_for_readers() noexcept {
  for (const Record* r = g_records.load(std::memory_order_acquire); r != nullptr; r = r->next) {
    const std::uint64_t seq = r->seq.load(std::memory_order_seq_cst);
    if (seq % 2 == 1)
      while (r->seq.load(std::memory_order_acquire) == seq) std::this_thread::yield();
  }
}

}  // namespace vipcore::detail::reclaim
