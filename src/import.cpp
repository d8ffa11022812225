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

}  // namespace

Status Tenant::import_callers(const std::vector<NewCaller>& rows, const ImportOptions& options,
                             ImportReport* report) const {
  if (report == nullptr) return Status::invalid_argument("report", "is null");
  *report = ImportReport();
  report->total = rows.size();
  const detail::TenantState& t = *state_;
  if (Status s = t.authorize(Operation::import_callers); !s.is_ok()) return s;
  if (options.progress_every == 0) return Status::invalid_argument("progress_every", "must be at least 1");
  const detail::NumberRules numbers = detail::number_rules(t);
  const detail::TenantKeys& keys = t.ctx->keys();
  const std::string& tenant_id = t.tenant_id();
  const Timestamp now = t.db->now();

  auto fail_row = [report](std::size_t index, Status error) {
    report->errors.push_back(ImportRowError{index, std::move(error)});
    ++report->failed;
  };
  Progress progress(options, rows.size());
  const Status cancelled = Status::invalid_argument("import", "cancelled by the progress callback; nothing was written");

  // 1. Validate and hash.
  std::vector<std::optional<detail::ValidCaller>> valid(rows.size());
  // Row i's number hashes are hashes[first_hash[i] .. first_hash[i + 1]).
  std::vector<PhoneHash> hashes;
  hashes.reserve(rows.size());
  std::vector<std::size_t> first_hash(rows.size() + 1, 0);
  std::vector<Status> row_errors(rows.size());
  std::vector<std::pair<PhoneHash, std::size_t>> lookups;
  lookups.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    first_hash[i] = hashes.size();
    auto v = detail::validate_new_caller(rows[i], numbers);
    if (!v.ok()) {
      row_errors[i] = v.status();
      continue;
    }
    for (const PhoneNumber& n : v->phones) {
      PhoneHash& h = hashes.emplace_back();
      detail::hash_phone(keys, n.e164(), &h);
      lookups.emplace_back(h, i);
    }
    valid[i] = std::move(*v);
  }
  first_hash[rows.size()] = hashes.size();

  auto txn_result = t.storage().begin_write();
  if (!txn_result.ok()) return txn_result.status();
  WriteTransaction& txn = **txn_result;

  // 2. Which numbers are taken already?
  std::sort(lookups.begin(), lookups.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::unordered_map<PhoneHash, std::string, PhoneHashHasher> existing;
  std::unordered_map<PhoneHash, std::size_t, PhoneHashHasher> claimed;  // number -> first row that has it
  claimed.reserve(lookups.size());
  for (std::size_t i = 0; i < lookups.size(); ++i) {
    if (i > 0 && lookups[i].first == lookups[i - 1].first) continue;
    auto owner = txn.find_phone_owner(tenant_id, lookups[i].first);
    if (!owner.ok()) return owner.status();
    if (*owner) existing.emplace(lookups[i].first, std::move(**owner));
  }
  lookups.clear();
  lookups.shrink_to_fit();

  // 3. Decide, seal and write.
  std::vector<CallerRecord> chunk;
  chunk.reserve(std::min(rows.size(), kChunk));
  std::size_t planned = 0, written = 0;
  auto flush = [&]() -> Status {
    if (chunk.empty()) return Status::ok();
    Status s = txn.insert_callers(tenant_id, chunk, [&](std::size_t done, std::size_t total) {
      const double in_chunk = static_cast<double>(chunk.size()) * static_cast<double>(done) / static_cast<double>(total);
      return progress.at(planned, static_cast<double>(written) + in_chunk);
    });
    written += chunk.size();
    chunk.clear();
    return s;
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    planned = i + 1;
    if (!row_errors[i].is_ok()) {
      fail_row(i, std::move(row_errors[i]));
      if (!progress.at(planned, static_cast<double>(written))) return cancelled;
      continue;
    }
    const PhoneHash* const hs = hashes.data() + first_hash[i];
    const std::size_t hs_count = first_hash[i + 1] - first_hash[i];
    Status conflict;
    const std::string* owner = nullptr;  // the existing VIP all duplicate numbers belong to
    for (std::size_t p = 0; p < hs_count && conflict.is_ok(); ++p) {
      if (const auto c = claimed.find(hs[p]); c != claimed.end()) {
        conflict = Status::already_exists(phone_field(p), fmt::format("repeats a number of row {}", c->second));
      } else if (const auto e = existing.find(hs[p]); e != existing.end()) {
        if (owner != nullptr && *owner != e->second)
          conflict = Status::already_exists(phone_field(p), "the row's numbers belong to different existing VIPs");
        owner = &e->second;
      }
    }
    if (!conflict.is_ok()) {
      if (options.on_duplicate == DuplicatePolicy::skip) ++report->skipped;
      else fail_row(i, std::move(conflict));
    } else if (owner != nullptr && options.on_duplicate == DuplicatePolicy::fail) {
      fail_row(i, Status::already_exists("phone_number", fmt::format("the number already belongs to VIP {}", *owner)));
    } else if (owner != nullptr && options.on_duplicate == DuplicatePolicy::skip) {
      ++report->skipped;
    } else if (owner != nullptr) {  // DuplicatePolicy::update
      auto record = txn.get_caller(tenant_id, *owner);
      if (!record.ok()) return record.status();
      if (!*record) return Status::internal_error("a phone number points to a missing caller");
      CallerRecord r = std::move(**record);
      Status s = detail::apply_update(detail::update_from_new(rows[i]), numbers, keys, tenant_id, now, &r);
      if (s.is_ok()) s = detail::check_phones_free(txn, tenant_id, r, &r.id);
      if (s.is_ok()) s = txn.replace_caller(tenant_id, r);
      if (s.is_ok()) {
        ++report->updated;
        for (std::size_t p = 0; p < hs_count; ++p) claimed.emplace(hs[p], i);
      } else if (s.is_invalid_argument() || s.is_already_exists()) {
        fail_row(i, std::move(s));
      } else {
        return s;
      }
    } else {
      for (std::size_t p = 0; p < hs_count; ++p) claimed.emplace(hs[p], i);
      chunk.push_back(detail::seal_new_caller(*valid[i], keys, tenant_id, detail::new_uuid(), now));
      ++report->created;
      if (chunk.size() == kChunk)
        if (Status s = flush(); !s.is_ok()) return s;
    }
    valid[i].reset();
    if (!progress.at(planned, static_cast<double>(written))) return cancelled;
  }
  if (Status s = flush(); !s.is_ok()) return s;

  // 4. Commit, unless all_or_nothing found a bad row.
  if (report->failed > 0 && options.mode == ImportMode::all_or_nothing) {
    const Status first = report->errors.front().error;
    report->created = report->updated = report->skipped = 0;
    return Status::invalid_argument(
        "import", fmt::format("{} of {} rows failed (first: row {}: {}); nothing was written", report->failed,
                              rows.size(), report->errors.front().index, first.message()));
  }
  const std::string outcome = fmt::format("created {}, updated {}, skipped {}, failed {}", report->created,
                                          report->updated, report->skipped, report->failed);
  const auto entry = detail::audit_entry(t, now, "import", "vip_caller", "", {}, outcome);
  if (Status s = detail::commit_with_audit(txn, entry); !s.is_ok()) return s;
  report->committed = true;
  progress.finish();
  return Status::ok();
}

}  // namespace vipcore
