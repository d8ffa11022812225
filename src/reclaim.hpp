// Lock-free reading, and freeing only what no reader can still be reading:
// quiescent-state reclamation for the identify cache (caller_cache.hpp).
//
// A reader marks the span in which it follows shared pointers with a
// ReadSection: one atomic exchange on a counter of its own thread (its own
// cache line), odd while inside. A writer that has unlinked memory (stored
// a new pointer where readers find the old one) takes a Snapshot of the
// threads inside a section at that moment; once each of them has left its
// section since (its counter moved), no reader can hold the old pointer and
// the memory may be freed. Readers never wait and never write anything
// shared; writers never wait either: they free what has passed when they
// next come by.
//
// Why it holds: the reader's exchange and the writer's pointer store and
// counter loads are sequentially consistent. If the writer's load saw a
// reader's counter even (outside) or at a value the reader left since, the
// reader's next loads of the pointer come after the writer's store in that
// single order, and see the new pointer.
//
// Every thread that ever read keeps a record (64 bytes) for the process's
// life; a thread that exits gives it back to the next new one.
#ifndef VIPCORE_SRC_RECLAIM_HPP
#define VIPCORE_SRC_RECLAIM_HPP

#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

namespace vipcore::detail::reclaim {

/// One thread's reading state.
struct alignas(64) Record {
  std::atomic<std::uint64_t> seq{0};  ///< odd while its thread is inside a ReadSection
  std::atomic<bool> taken{false};     ///< by a live thread
  Record* next = nullptr;             ///< the registry's list; set before the record is published
};

/// The calling thread's record (registered on its first use).
Record& this_thread_record();

/// Marks the calling thread as reading shared pointers for its lifetime.
/// Not reentrant: one section per thread at a time.
class ReadSection {
 public:
  ReadSection() noexcept : record_(this_thread_record()), seq_(record_.seq.load(std::memory_order_relaxed)) {
    record_.seq.exchange(seq_ + 1, std::memory_order_seq_cst);
  }
  ~ReadSection() { record_.seq.store(seq_ + 2, std::memory_order_release); }
  ReadSection(const ReadSection&) = delete;
  ReadSection& operator=(const ReadSection&) = delete;

 private:
  Record& record_;
  std::uint64_t seq_;
};

/// The threads inside a ReadSection when it was taken.
class Snapshot {
 public:
  /// Takes one. Call it after unlinking what is to be freed.
  static Snapshot take();
  /// Whether every thread inside then has left its section since: memory
  /// unlinked before the snapshot is no longer read by anyone.
  bool passed() const noexcept;

 private:
  std::vector<std::pair<const Record*, std::uint64_t>> inside_;
};

/// Waits until every thread now inside a ReadSection has left it: what the
/// caller unlinked before may then be freed. For when a Snapshot cannot be
/// kept (out of memory); never call it inside a ReadSection.
void wait_for_readers() noexcept;

}  // namespace vipcore::detail::reclaim

#endif
