// Bulk import: Tenant::import_callers.
//
// Phases, all inside one write transaction (so that no key rotation can
// complete while rows are sealed):
//   1. prepare every row on worker threads (ImportOptions::threads): validate
//      it, seal it under the id it gets if it is created, and hash its
//      numbers. Ids are minted sorted and given out in row order, so the
//      rows to create reach the caller table in its key order;
//   2. look the hashes up in sorted order (B-tree friendly) to find the
//      numbers that already belong to a VIP;
//   3. in row order, decide each row (create, update, skip or error) and
//      write the rows to create in chunks;
//   4. write one audit entry and commit — or, in all_or_nothing mode with a
//      bad row, drop the transaction so that nothing is written.
// Rows that end up updated, skipped or failed were sealed for nothing; in a
// bulk import they are the exception.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <thread>
#include <unordered_map>

#include "state.hpp"
#include "tenant_ops.hpp"
#include "validate.hpp"
#include "vipcore/tenant.hpp"

namespace vipcore {
namespace {

// Rows sealed and written per storage call. The backend sorts each batch by
// key, and inserting in key order touches each B-tree page about once; a big
// batch matters far more than the memory it holds (~0.5 KiB per row).
constexpr std::size_t kChunk = 1u << 20;

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
    const auto done = std::min(total_, static_cast<std::size_t>(rows));
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

// One row after phase 1: sealed as it would be created, or why it is bad.
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

  Status run() {
    auto txn = t_.storage().begin_write();
    if (!txn.ok()) return txn.status();
    if (Status s = prepare_rows(); !s.ok()) return s;
    if (Status s = find_owners(**txn); !s.ok()) return s;
    if (Status s = write_rows(**txn); !s.ok()) return s;
    return commit(**txn);
  }

 private:
  // 1. Validate, seal and hash every row, on worker threads; this thread
  // works too and reports progress.
  Status prepare_rows() {
    const std::size_t n = rows_.size();
    ids_ = detail::new_sorted_uuids(n);
    prepared_.resize(n);
    const std::size_t blocks = (n + kPrepareBlock - 1) / kPrepareBlock;
    unsigned threads = options_.threads != 0 ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(blocks, 1)));
    std::vector<std::thread> workers;
    for (unsigned i = 1; i < threads; ++i) {
      try {
        workers.emplace_back([this] { prepare_blocks(); });
      } catch (const std::system_error&) {
        break;  // no more threads: the ones running do the work
      }
    }
    prepare_blocks(true);
    for (std::thread& w : workers) w.join();
    ids_.clear();
    if (failed_.load()) return Status::internal_error("out of memory while sealing the rows");
    if (cancelled_.load()) return cancelled();
    return ok_status();
  }

  void prepare_blocks(bool reports = false) {
    try {
      for (;;) {
        const std::size_t begin = next_block_.fetch_add(1) * kPrepareBlock;
        if (begin >= rows_.size() || cancelled_.load(std::memory_order_relaxed) || failed_.load()) return;
        const std::size_t end = std::min(rows_.size(), begin + kPrepareBlock);
        for (std::size_t i = begin; i < end; ++i) prepare_row(i);
        const std::size_t done = prepared_count_.fetch_add(end - begin) + (end - begin);
        if (reports && !progress_.at(done, 0)) cancelled_ = true;
      }
    } catch (const std::exception&) {
      failed_ = true;  // bad_alloc from a worker: the import fails whole
    }
  }

  void prepare_row(std::size_t i) {
    auto v = detail::validate_new_caller(rows_[i], numbers_);
    if (!v.ok()) {
      prepared_[i].error = v.status();
      return;
    }
    prepared_[i].record = detail::seal_new_caller(*v, keys_, tenant_id_, std::move(ids_[i]), now_);
  }

  // 2. Which numbers are taken already? Looked up in sorted order (B-tree friendly).
  Status find_owners(WriteTransaction& txn) {
    std::vector<std::pair<PhoneHash, std::size_t>> lookups;
    lookups.reserve(rows_.size());
    for (std::size_t i = 0; i < prepared_.size(); ++i)
      if (prepared_[i].record)
        for (const StoredPhone& p : prepared_[i].record->phones) lookups.emplace_back(p.hash, i);
    std::sort(lookups.begin(), lookups.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    claimed_.reserve(lookups.size());
    for (std::size_t i = 0; i < lookups.size(); ++i) {
      if (i > 0 && lookups[i].first == lookups[i - 1].first) continue;
      auto owner = txn.find_phone_owner(tenant_id_, lookups[i].first);
      if (!owner.ok()) return owner.status();
      if (*owner) existing_.emplace(lookups[i].first, std::move(**owner));
    }
    return ok_status();
  }

  // 3. In row order: decide, then create (written in chunks), update, skip or fail.
  Status write_rows(WriteTransaction& txn) {
    chunk_.reserve(std::min(rows_.size(), kChunk));
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (Status s = write_row(txn, i); !s.ok()) return s;
      prepared_[i].record.reset();
      if (!progress_.at(rows_.size(), static_cast<double>(written_))) return cancelled();
    }
    return flush(txn);
  }

  Status write_row(WriteTransaction& txn, std::size_t i) {
    PreparedRow& row = prepared_[i];
    if (!row.record) {
      fail_row(i, std::move(row.error));
      return ok_status();
    }
    Decision d = decide(row.record->phones, claimed_, existing_, options_.on_duplicate);
    switch (d.kind) {
      case Decision::fail: fail_row(i, std::move(d.error)); return ok_status();
      case Decision::skip: ++report_->skipped; return ok_status();
      case Decision::update: return update_row(txn, i, *d.owner);
      case Decision::create: break;
    }
    claim(row.record->phones, i);
    chunk_.push_back(std::move(*row.record));
    ++report_->created;
    return chunk_.size() == kChunk ? flush(txn) : ok_status();
  }

  Status update_row(WriteTransaction& txn, std::size_t i, const std::string& owner) {
    auto record = txn.get_caller(tenant_id_, owner);
    if (!record.ok()) return record.status();
    if (!*record) return Status::internal_error("a phone number points to a missing caller");
    CallerRecord r = std::move(**record);
    Status s = detail::apply_update(detail::update_from_new(rows_[i]), numbers_, keys_, tenant_id_, now_, &r);
    if (s.ok()) s = detail::check_phones_free(txn, tenant_id_, r, &r.id);
    if (s.ok()) s = txn.replace_caller(tenant_id_, r);
    if (s.ok()) {
      ++report_->updated;
      claim(prepared_[i].record->phones, i);
      return ok_status();
    }
    if (!s.is_invalid_argument() && !s.is_already_exists()) return s;
    fail_row(i, std::move(s));
    return ok_status();
  }

  Status flush(WriteTransaction& txn) {
    if (chunk_.empty()) return ok_status();
    Status s = txn.insert_callers(tenant_id_, chunk_, [&](std::size_t done, std::size_t total) {
      const double in_chunk = static_cast<double>(chunk_.size()) * static_cast<double>(done) / static_cast<double>(total);
      return progress_.at(rows_.size(), static_cast<double>(written_) + in_chunk);
    });
    written_ += chunk_.size();
    chunk_.clear();
    return s;
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
  std::vector<PreparedRow> prepared_;
  std::atomic<std::size_t> next_block_{0};
  std::atomic<std::size_t> prepared_count_{0};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> failed_{false};
  OwnerMap existing_;
  ClaimMap claimed_;
  std::vector<CallerRecord> chunk_;
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
