// Bulk import: Tenant::import_callers.
//
// Phases, all inside one write transaction:
//   1. validate every row and hash its numbers;
//   2. look the hashes up in sorted order (B-tree friendly) to find the
//      numbers that already belong to a VIP;
//   3. in row order, decide each row (create, update, skip or error), seal
//      the rows to create and write them in chunks sorted by key;
//   4. write one audit entry and commit — or, in all_or_nothing mode with a
//      bad row, drop the transaction so that nothing is written.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
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

// Reports progress in rows over the whole import. Deciding and sealing a
// row is about a third of its cost and writing it the rest, so `done`
// blends the two; it reaches `total` once everything is written.
class Progress {
 public:
  Progress(const ImportOptions& options, std::size_t total)
      : options_(options), total_(total), next_(options.progress_every) {}

  /// `planned` rows decided and sealed, `written` rows (possibly fractional) written.
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
Decision decide(const PhoneHash* hs, std::size_t count, const ClaimMap& claimed, const OwnerMap& existing,
                DuplicatePolicy policy) {
  Status conflict;
  const std::string* owner = nullptr;  // the existing VIP all duplicate numbers belong to
  for (std::size_t p = 0; p < count && conflict.ok(); ++p) {
    if (const auto c = claimed.find(hs[p]); c != claimed.end()) {
      conflict = Status::already_exists(phone_field(p), fmt::format("repeats a number of row {}", c->second));
    } else if (const auto e = existing.find(hs[p]); e != existing.end()) {
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

// One import, phase by phase (see the top of this file).
class Importer {
 public:
  Importer(const detail::TenantState& t, const std::vector<NewCaller>& rows, const ImportOptions& options,
           ImportReport* report)
      : t_(t), rows_(rows), options_(options), report_(report), numbers_(detail::number_rules(t)),
        keys_(t.ctx->keys()), tenant_id_(t.tenant_id()),
        now_(t.db->now()), progress_(options, rows.size()) {}

  Status run() {
    validate_and_hash();
    auto txn = t_.storage().begin_write();
    if (!txn.ok()) return txn.status();
    if (Status s = find_owners(**txn); !s.ok()) return s;
    if (Status s = write_rows(**txn); !s.ok()) return s;
    return commit(**txn);
  }

 private:
  // 1. Validate and hash.
  void validate_and_hash() {
    const std::size_t n = rows_.size();
    valid_.resize(n);
    first_hash_.assign(n + 1, 0);
    row_errors_.resize(n);
    hashes_.reserve(n);
    lookups_.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      first_hash_[i] = hashes_.size();
      auto v = detail::validate_new_caller(rows_[i], numbers_);
      if (!v.ok()) {
        row_errors_[i] = v.status();
        continue;
      }
      for (const PhoneNumber& num : v->phones) {
        PhoneHash& h = hashes_.emplace_back();
        detail::hash_phone(keys_, num.e164(), &h);
        lookups_.emplace_back(h, i);
      }
      valid_[i] = std::move(*v);
    }
    first_hash_[n] = hashes_.size();
  }

  // 2. Which numbers are taken already? Looked up in sorted order (B-tree friendly).
  Status find_owners(WriteTransaction& txn) {
    std::sort(lookups_.begin(), lookups_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    claimed_.reserve(lookups_.size());
    for (std::size_t i = 0; i < lookups_.size(); ++i) {
      if (i > 0 && lookups_[i].first == lookups_[i - 1].first) continue;
      auto owner = txn.find_phone_owner(tenant_id_, lookups_[i].first);
      if (!owner.ok()) return owner.status();
      if (*owner) existing_.emplace(lookups_[i].first, std::move(**owner));
    }
    lookups_.clear();
    lookups_.shrink_to_fit();
    return ok_status();
  }

  // 3. In row order: decide, then create (sealed, written in chunks), update, skip or fail.
  Status write_rows(WriteTransaction& txn) {
    chunk_.reserve(std::min(rows_.size(), kChunk));
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      planned_ = i + 1;
      if (Status s = write_row(txn, i); !s.ok()) return s;
      valid_[i].reset();
      if (!progress_.at(planned_, static_cast<double>(written_))) return cancelled();
    }
    return flush(txn);
  }

  Status write_row(WriteTransaction& txn, std::size_t i) {
    if (!row_errors_[i].ok()) {
      fail_row(i, std::move(row_errors_[i]));
      return ok_status();
    }
    const PhoneHash* const hs = hashes_.data() + first_hash_[i];
    const std::size_t count = first_hash_[i + 1] - first_hash_[i];
    Decision d = decide(hs, count, claimed_, existing_, options_.on_duplicate);
    switch (d.kind) {
      case Decision::fail: fail_row(i, std::move(d.error)); return ok_status();
      case Decision::skip: ++report_->skipped; return ok_status();
      case Decision::update: return update_row(txn, i, *d.owner);
      case Decision::create: break;
    }
    claim(hs, count, i);
    chunk_.push_back(detail::seal_new_caller(*valid_[i], keys_, tenant_id_, detail::new_uuid(), now_));
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
      claim(hashes_.data() + first_hash_[i], first_hash_[i + 1] - first_hash_[i], i);
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
      return progress_.at(planned_, static_cast<double>(written_) + in_chunk);
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

  void claim(const PhoneHash* hs, std::size_t count, std::size_t row) {
    for (std::size_t p = 0; p < count; ++p) claimed_.emplace(hs[p], row);
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
  std::vector<std::optional<detail::ValidCaller>> valid_;
  std::vector<PhoneHash> hashes_;      // row i's are hashes_[first_hash_[i] .. first_hash_[i + 1])
  std::vector<std::size_t> first_hash_;
  std::vector<Status> row_errors_;
  std::vector<std::pair<PhoneHash, std::size_t>> lookups_;
  OwnerMap existing_;
  ClaimMap claimed_;
  std::vector<CallerRecord> chunk_;
  std::size_t planned_ = 0;
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
  return Importer(t, rows, options, report).run();
}

}  // namespace vipcore
