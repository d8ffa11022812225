// Bulk import: Tenant::import_callers.
//
// Phases, all inside one write transaction (so that no key rotation can
// complete while rows are sealed):
//   1. mint the ids (sorted, given out in row order, so that the rows to
//      create reach the caller table in its key order) and start worker
//      threads (ImportOptions::threads) that prepare blocks of rows: validate
//      each row (the full check a single create makes; libphonenumber's
//      answers per country code and length are remembered, see
//      numbering.cpp), seal it under the id it gets if it is created, and
//      hash its numbers;
//   2. meanwhile this thread takes the blocks in row order as they become
//      ready (preparing one itself when it would otherwise wait): it looks
//      the block's numbers up in sorted order to find those that belong to
//      a VIP already, as they were before the import (a number an update of
//      this import took from its VIP still counts as that VIP's), decides
//      each row (create, update, skip or error), and hands the rows to
//      create to WriteTransaction::insert_bulk_callers, which writes the
//      callers now and may hold their numbers' index entries back;
//   3. finish_bulk_callers writes those entries in one pass sorted by hash
//      (B-tree friendly);
//   4. write one audit entry and commit — or, in all_or_nothing mode with a
//      bad row, drop the transaction so that nothing is written.
// So sealing runs on the workers while the importing thread writes, and a
// block's rows are freed once written. Rows that end up updated, skipped or
// failed were sealed for nothing; in a bulk import they are the exception.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "state.hpp"
#include "tenant_ops.hpp"
#include "validate.hpp"
#include "vipcore/tenant.hpp"

namespace vipcore {
namespace {

// Rows a worker thread prepares at a time, and the most worker threads.
constexpr std::size_t kPrepareBlock = 1024;
constexpr unsigned kMaxThreads = 64;

// Reports progress in rows over the whole import. Preparing (validating
// and sealing) a row is about a third of its cost and writing it the rest,
// so `done` blends the two; it reaches `total` once everything is written.
class Progress {
 public:
  Progress(const ImportOptions& options, std::size_t total)
      : options_(options), total_(total), next_(options.progress_every) {}

  /// `planned` rows prepared, `written` rows (possibly fractional) written.
  bool at(std::size_t planned, double written) {
    if (!options_.progress || total_ == 0) return true;
    const double rows = kPlanShare * static_cast<double>(planned) + (1.0 - kPlanShare) * written;
    const auto done = std::min(total_, static_cast<std::size_t>(rows + 0.5));  // rounded: every row makes total
    if (done < next_) return true;
    next_ = (done / options_.progress_every + 1) * options_.progress_every;
    reported_ = done;
    return options_.progress(done, total_);
  }
  void finish() {
    if (options_.progress && reported_ != total_) options_.progress(total_, total_);
  }

 private:
  static constexpr double kPlanShare = 0.3;
  const ImportOptions& options_;
  std::size_t total_;
  std::size_t next_;
  std::size_t reported_ = 0;
};

std::string phone_field(std::size_t i) {
  return i == 0 ? std::string("phone_number") : fmt::format("alternative_phone_numbers[{}]", i - 1);
}

using OwnerMap = std::unordered_map<PhoneHash, std::string, PhoneHashHasher>;     // number -> existing VIP
using ClaimMap = std::unordered_map<PhoneHash, std::size_t, PhoneHashHasher>;     // number -> first row with it

// What to do with one valid row.
struct Decision {
  enum Kind { create, update, skip, fail } kind = create;
  const std::string* owner = nullptr;  // update: the existing VIP the row's numbers belong to
  Status error;                        // fail
};

// Decides a valid row from its number hashes alone: a pure function of the
// numbers earlier rows claimed, the numbers existing VIPs own, and the
// duplicate policy.
Decision decide(const std::vector<StoredPhone>& phones, const ClaimMap& claimed, const OwnerMap& existing,
                DuplicatePolicy policy) {
  Status conflict;
  const std::string* owner = nullptr;  // the existing VIP all duplicate numbers belong to
  for (std::size_t p = 0; p < phones.size() && conflict.ok(); ++p) {
    if (const auto c = claimed.find(phones[p].hash); c != claimed.end()) {
      conflict = Status::already_exists(phone_field(p), fmt::format("repeats a number of row {}", c->second));
    } else if (const auto e = existing.find(phones[p].hash); e != existing.end()) {
      if (owner != nullptr && *owner != e->second)
        conflict = Status::already_exists(phone_field(p), "the row's numbers belong to different existing VIPs");
      owner = &e->second;
    }
  }
  if (!conflict.ok())
    return policy == DuplicatePolicy::skip ? Decision{Decision::skip, nullptr, {}}
                                           : Decision{Decision::fail, nullptr, std::move(conflict)};
  if (owner == nullptr) return Decision{Decision::create, nullptr, {}};
  switch (policy) {
    case DuplicatePolicy::fail:
      return Decision{Decision::fail, nullptr,
                      Status::already_exists("phone_number",
                                             fmt::format("the number already belongs to VIP {}", *owner))};
    case DuplicatePolicy::skip: return Decision{Decision::skip, nullptr, {}};
    case DuplicatePolicy::update: break;
  }
  return Decision{Decision::update, owner, {}};
}

// One row after preparing: sealed as it would be created, or why it is bad.
struct PreparedRow {
  std::optional<CallerRecord> record;
  Status error;
};

// One import, phase by phase (see the top of this file).
class Importer {
 public:
  Importer(const detail::TenantState& t, const std::vector<NewCaller>& rows, const ImportOptions& options,
           ImportReport* report)
      : t_(t), rows_(rows), options_(options), report_(report), numbers_(detail::number_rules(t)),
        keys_(t.ctx->keys()), tenant_id_(t.tenant_id()),
        now_(t.db->now()), progress_(options, rows.size()) {}

  ~Importer() { stop_workers(); }

  Status run() {
    auto txn = t_.storage().begin_write();
    if (!txn.ok()) return txn.status();
    if (Status s = start_workers(); !s.ok()) return s;
    if (Status s = write_rows(**txn); !s.ok()) return s;
    if (Status s = finish(**txn); !s.ok()) return s;
    return commit(**txn);
  }

 private:
  // 1. Mint the ids and start the threads that prepare blocks of rows
  // while this thread writes the blocks already prepared.
  Status start_workers() {
    const std::size_t n = rows_.size();
    ids_ = detail::new_sorted_uuids(n);
    claimed_.reserve(n);
    blocks_ = (n + kPrepareBlock - 1) / kPrepareBlock;
    prepared_.resize(blocks_);
    ready_ = std::make_unique<std::atomic<bool>[]>(blocks_);
    for (std::size_t b = 0; b < blocks_; ++b) ready_[b].store(false, std::memory_order_relaxed);
    unsigned threads = options_.threads != 0 ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(blocks_, 1)));
    for (unsigned i = 1; i < threads; ++i) {
      try {
        workers_.emplace_back([this] { prepare_blocks(); });
      } catch (const std::system_error&) {
        break;  // no more threads: the ones running do the work
      }
    }
    return ok_status();
  }

  void stop_workers() {
    stop_ = true;
    for (std::thread& w : workers_) w.join();
    workers_.clear();
  }

  // Worker threads: prepare the next unclaimed block until none is left.
  void prepare_blocks() {
    while (!stop_.load(std::memory_order_relaxed)) {
      const std::size_t b = next_block_.fetch_add(1);
      if (b >= blocks_) return;
      prepare_block(b);  // even when stopping: the writer may wait for it
    }
  }

  // Validates, seals and hashes the rows of block `b`, then marks it ready.
  void prepare_block(std::size_t b) noexcept {
    try {
      const std::size_t begin = b * kPrepareBlock;
      const std::size_t end = std::min(rows_.size(), begin + kPrepareBlock);
      std::vector<PreparedRow> rows(end - begin);
      for (std::size_t i = begin; i < end && !stop_.load(std::memory_order_relaxed); ++i) prepare_row(i, rows[i - begin]);
      prepared_[b] = std::move(rows);
      prepared_count_.fetch_add(end - begin, std::memory_order_relaxed);
    } catch (const std::exception&) {
      failed_ = true;  // bad_alloc: the import fails whole
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready_[b].store(true, std::memory_order_release);
    }
    cv_.notify_all();
  }

  void prepare_row(std::size_t i, PreparedRow& out) {
    auto v = detail::validate_new_caller(rows_[i], numbers_);
    if (!v.ok()) {
      out.error = v.status();
      return;
    }
    out.record = detail::seal_new_caller(*v, keys_, tenant_id_, std::move(ids_[i]), now_);
  }

  // Waits for block `b`, preparing unclaimed blocks meanwhile (all of them
  // when there are no worker threads).
  Status await_block(std::size_t b) {
    while (!ready_[b].load(std::memory_order_acquire)) {
      std::size_t c = next_block_.load();
      if (c < blocks_ && next_block_.compare_exchange_strong(c, c + 1)) {
        prepare_block(c);
        continue;
      }
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return ready_[b].load(std::memory_order_acquire); });
    }
    if (failed_.load()) return Status::internal_error("out of memory while sealing the rows");
    return ok_status();
  }

  // 2. Block by block, in row order: look up which of the block's numbers
  // are taken already, decide each row, and create, update, skip or fail it.
  Status write_rows(WriteTransaction& txn) {
    std::vector<const CallerRecord*> create;
    create.reserve(kPrepareBlock);
    for (std::size_t b = 0; b < blocks_; ++b) {
      if (Status s = await_block(b); !s.ok()) return s;
      std::vector<PreparedRow> rows = std::move(prepared_[b]);
      prepared_[b] = std::vector<PreparedRow>();
      if (Status s = find_owners(txn, rows); !s.ok()) return s;
      create.clear();
      const std::size_t begin = b * kPrepareBlock;
      for (std::size_t k = 0; k < rows.size(); ++k)
        if (Status s = write_row(txn, begin + k, rows[k], &create); !s.ok()) return s;
      if (!create.empty())
        if (Status s = txn.insert_bulk_callers(tenant_id_, create); !s.ok()) return s;
      written_ += rows.size();
      if (!progress_.at(prepared_rows(), 0.5 * static_cast<double>(written_))) return cancelled();
    }
    return ok_status();
  }

  std::size_t prepared_rows() const { return prepared_count_.load(std::memory_order_relaxed); }

  // Which of the block's numbers belong to a VIP already? Looked up in
  // sorted order (B-tree friendly), as they were before the import: a
  // number an update of this import took from its VIP still counts as that
  // VIP's (released_).
  Status find_owners(WriteTransaction& txn, const std::vector<PreparedRow>& rows) {
    lookups_.clear();
    for (const PreparedRow& r : rows)
      if (r.record)
        for (const StoredPhone& p : r.record->phones)
          if (claimed_.find(p.hash) == claimed_.end() && existing_.find(p.hash) == existing_.end())
            lookups_.push_back(p.hash);
    std::sort(lookups_.begin(), lookups_.end());
    lookups_.erase(std::unique(lookups_.begin(), lookups_.end()), lookups_.end());
    asked_.clear();
    for (const PhoneHash& h : lookups_) {
      if (const auto r = released_.find(h); r != released_.end()) existing_.emplace(h, r->second);
      else asked_.push_back(h);
    }
    if (Status s = txn.find_phone_owners(tenant_id_, asked_, &owners_); !s.ok()) return s;
    for (std::size_t i = 0; i < asked_.size(); ++i)
      if (owners_[i]) existing_.emplace(asked_[i], std::move(*owners_[i]));
    return ok_status();
  }

  Status write_row(WriteTransaction& txn, std::size_t i, PreparedRow& row, std::vector<const CallerRecord*>* create) {
    if (!row.record) {
      fail_row(i, std::move(row.error));
      return ok_status();
    }
    Decision d = decide(row.record->phones, claimed_, existing_, options_.on_duplicate);
    switch (d.kind) {
      case Decision::fail: fail_row(i, std::move(d.error)); return ok_status();
      case Decision::skip: ++report_->skipped; return ok_status();
      case Decision::update: return update_row(txn, i, row, *d.owner);
      case Decision::create: break;
    }
    claim(row.record->phones, i);
    create->push_back(&*row.record);
    ++report_->created;
    return ok_status();
  }

  Status update_row(WriteTransaction& txn, std::size_t i, const PreparedRow& row, const std::string& owner) {
    auto record = txn.get_caller(tenant_id_, owner);
    if (!record.ok()) return record.status();
    if (!*record) return Status::internal_error("a phone number points to a missing caller");
    CallerRecord r = std::move(**record);
    std::vector<StoredPhone> before = r.phones;
    Status s = detail::apply_update(detail::update_from_new(rows_[i]), numbers_, keys_, tenant_id_, now_, &r);
    if (s.ok()) s = detail::check_phones_free(txn, tenant_id_, r, &r.id);
    if (s.ok()) s = txn.replace_caller(tenant_id_, r);
    if (s.ok()) {
      ++report_->updated;
      for (const StoredPhone& p : before) released_.emplace(p.hash, r.id);
      claim(row.record->phones, i);
      return ok_status();
    }
    if (!s.is_invalid_argument() && !s.is_already_exists()) return s;
    fail_row(i, std::move(s));
    return ok_status();
  }

  // 3. Write the numbers' index entries the backend held back.
  Status finish(WriteTransaction& txn) {
    stop_workers();  // all blocks are written: the workers are done
    return txn.finish_bulk_callers(tenant_id_, [&](std::size_t done, std::size_t total) {
      const double share = static_cast<double>(done) / static_cast<double>(total);
      return progress_.at(rows_.size(), 0.5 * static_cast<double>(rows_.size()) * (1.0 + share));
    });
  }

  // 4. Commit, unless all_or_nothing found a bad row.
  Status commit(WriteTransaction& txn) {
    if (report_->failed > 0 && options_.mode == ImportMode::all_or_nothing) {
      const ImportRowError& first = report_->errors.front();
      report_->created = report_->updated = report_->skipped = 0;
      return Status::invalid_argument(
          "import", fmt::format("{} of {} rows failed (first: row {}: {}); nothing was written", report_->failed,
                                rows_.size(), first.index, first.error.message()));
    }
    const std::string outcome = fmt::format("created {}, updated {}, skipped {}, failed {}", report_->created,
                                            report_->updated, report_->skipped, report_->failed);
    const auto entry = detail::audit_entry(t_, now_, "import", "vip_caller", "", {}, outcome);
    if (Status s = detail::commit_with_audit(txn, entry); !s.ok()) return s;
    report_->committed = true;
    progress_.finish();
    return ok_status();
  }

  void claim(const std::vector<StoredPhone>& phones, std::size_t row) {
    for (const StoredPhone& p : phones) claimed_.emplace(p.hash, row);
  }
  void fail_row(std::size_t index, Status error) {
    report_->errors.push_back(ImportRowError{index, std::move(error)});
    ++report_->failed;
  }
  static Status cancelled() {
    return Status::invalid_argument("import", "cancelled by the progress callback; nothing was written");
  }

  const detail::TenantState& t_;
  const std::vector<NewCaller>& rows_;
  const ImportOptions& options_;
  ImportReport* report_;
  const detail::NumberRules numbers_;
  const detail::TenantKeys& keys_;
  const std::string& tenant_id_;
  const Timestamp now_;
  Progress progress_;
  std::vector<std::string> ids_;  // row i's id if it is created; sorted
  std::size_t blocks_ = 0;
  std::vector<std::vector<PreparedRow>> prepared_;  // block b's rows once ready_[b]
  std::unique_ptr<std::atomic<bool>[]> ready_;
  std::atomic<std::size_t> next_block_{0};          // the first block no thread has claimed
  std::atomic<std::size_t> prepared_count_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  std::vector<PhoneHash> lookups_;
  std::vector<PhoneHash> asked_;                    // those of lookups_ the storage is asked about
  std::vector<std::optional<std::string>> owners_;  // its answers
  OwnerMap existing_;
  OwnerMap released_;  // numbers updates of this import took from their VIPs
  ClaimMap claimed_;
  std::size_t written_ = 0;
};

}  // namespace

Status Tenant::import_callers(const std::vector<NewCaller>& rows, const ImportOptions& options,
                             ImportReport* report) const {
  if (report == nullptr) return Status::invalid_argument("report", "is null");
  *report = ImportReport();
  report->total = rows.size();
  const detail::TenantState& t = *state_;
  if (Status s = t.authorize(Operation::import_callers); !s.ok()) return s;
  if (options.progress_every == 0) return Status::invalid_argument("progress_every", "must be at least 1");
  if (options.threads > kMaxThreads)
    return Status::invalid_argument("threads", fmt::format("must be at most {} (0: one per core)", kMaxThreads));
  return Importer(t, rows, options, report).run();
}

}  // namespace vipcore
