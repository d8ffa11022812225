// The PostgreSQL backend's write transaction (see storage_impl.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <nlohmann/json.hpp>

#include "postgres/codec.hpp"
#include "postgres/storage_impl.hpp"

namespace vipcore::postgres {
namespace {

constexpr const char* kNoSuchCaller = "no such caller";
constexpr const char* kNoSuchRule = "no such escalation rule";

const std::string kSelectCaller = fmt::format(
    "SELECT {} FROM vip_caller AS c LEFT JOIN vip_caller_stats AS s ON s.tenant_id = c.tenant_id "
    "AND s.caller_id = c.id WHERE c.tenant_id = $1 AND c.id = $2",
    kCallerReadColumns);
constexpr const char* kPhoneOwner = "SELECT caller_id FROM vip_phone WHERE tenant_id = $1 AND phone_hash = $2";
constexpr const char* kAnyNumber = "SELECT EXISTS (SELECT 1 FROM vip_phone WHERE tenant_id = $1)";
constexpr const char* kPhoneOwners =
    "SELECT phone_hash, caller_id FROM vip_phone WHERE tenant_id = $1 AND phone_hash = ANY($2::bytea[])";
// Hashes per kPhoneOwners statement.
constexpr std::size_t kOwnersPerQuery = 4096;
constexpr const char* kUpdateCaller =
    "UPDATE vip_caller SET vip_level = $3, status = $4, handling_rules = $5, preferred_agent_id = $6, "
    "preferred_department_id = $7, max_wait_time = $8, callback_priority = $9, tags = $10, valid_from = $11, "
    "valid_until = $12, created_at = $13, updated_at = $14, caller_name = $15, company_name = $16, email = $17, "
    "account_number = $18, account_value = $19, notes = $20, custom_greeting = $21, phones = $22, "
    "phone_masks = $23, integrity = $24 WHERE tenant_id = $1 AND id = $2";
constexpr const char* kDeleteCaller = "DELETE FROM vip_caller WHERE tenant_id = $1 AND id = $2";
constexpr const char* kInsertPhone =
    "INSERT INTO vip_phone (tenant_id, phone_hash, caller_id, summary) VALUES ($1, $2, $3, $4)";
// The bulk forms: COPY in binary format, every value as Params encodes it.
constexpr const char* kCopyCallers =
    "COPY vip_caller (tenant_id, id, vip_level, status, handling_rules, preferred_agent_id, "
    "preferred_department_id, max_wait_time, callback_priority, tags, valid_from, valid_until, created_at, "
    "updated_at, caller_name, company_name, email, account_number, account_value, notes, custom_greeting, phones, "
    "phone_masks, integrity) FROM STDIN (FORMAT binary)";
constexpr const char* kCopyPhones =
    "COPY vip_phone (tenant_id, phone_hash, caller_id, summary) FROM STDIN (FORMAT binary)";
constexpr const char* kCallerTaken = "a caller with this id already exists";
constexpr const char* kNumberTaken = "the number already belongs to another VIP of the tenant";
constexpr const char* kDeletePhone = "DELETE FROM vip_phone WHERE tenant_id = $1 AND phone_hash = $2";
constexpr const char* kGetMeta = "SELECT value FROM vip_meta WHERE scope = $1 AND key = $2";
constexpr const char* kPutMeta =
    "INSERT INTO vip_meta (scope, key, value) VALUES ($1, $2, $3) ON CONFLICT (scope, key) DO UPDATE SET value = "
    "excluded.value";
constexpr const char* kDeleteMeta = "DELETE FROM vip_meta WHERE scope = $1 AND key = $2";
const std::string kSelectRule = fmt::format("SELECT {} FROM vip_rule WHERE tenant_id = $1 AND id = $2", kRuleColumns);
const std::string kInsertRule = fmt::format(
    "INSERT INTO vip_rule (tenant_id, {}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    kRuleColumns);
constexpr const char* kUpdateRule =
    "UPDATE vip_rule SET name = $3, level_mask = $4, max_wait_time = $5, max_queue_position = $6, "
    "escalation_type = $7, tier = $8, notify = $9, is_active = $10, priority = $11, schedule = $12, "
    "business_hours = $13, created_at = $14, updated_at = $15 WHERE tenant_id = $1 AND id = $2";
constexpr const char* kDeleteRule = "DELETE FROM vip_rule WHERE tenant_id = $1 AND id = $2";
constexpr const char* kInsertTrigger =
    "INSERT INTO vip_trigger (tenant_id, call_id, rule_id, caller_id, triggered_at, notified_at) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
constexpr const char* kMarkNotified =
    "UPDATE vip_trigger SET notified_at = $4 WHERE tenant_id = $1 AND call_id = $2 AND rule_id = $3";
constexpr const char* kPurgeTriggers =
    "DELETE FROM vip_trigger WHERE tenant_id = $1 AND (call_id, rule_id) IN (SELECT call_id, rule_id "
    "FROM vip_trigger WHERE tenant_id = $1 AND triggered_at < $2 ORDER BY triggered_at LIMIT $3)";
const std::string kInsertCall =
    fmt::format("INSERT INTO vip_call (tenant_id, {}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                kCallColumns);
// One more call in a caller's counters; $3 is the rating or NULL.
constexpr const char* kCountCall =
    "INSERT INTO vip_caller_stats AS s (tenant_id, caller_id, total_calls, rated_calls, satisfaction_score) "
    "VALUES ($1, $2, 1, CASE WHEN $3::float8 IS NULL THEN 0 ELSE 1 END, $3::float8) "
    "ON CONFLICT (tenant_id, caller_id) DO UPDATE SET total_calls = s.total_calls + 1, "
    "satisfaction_score = CASE WHEN $3::float8 IS NULL THEN s.satisfaction_score "
    "ELSE (coalesce(s.satisfaction_score, 0.0) * s.rated_calls + $3::float8) / (s.rated_calls + 1) END, "
    "rated_calls = s.rated_calls + CASE WHEN $3::float8 IS NULL THEN 0 ELSE 1 END";
constexpr const char* kPurgeCalls =
    "DELETE FROM vip_call WHERE tenant_id = $1 AND call_id IN (SELECT call_id FROM vip_call "
    "WHERE tenant_id = $1 AND at < $2 ORDER BY at LIMIT $3)";
constexpr const char* kInsertAudit =
    "INSERT INTO vip_audit (tenant_id, at, actor_id, role, action, entity_type, entity_id, fields, outcome) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
constexpr const char* kBumpGenerations =
    "UPDATE vip_generation SET gen = gen + 1 WHERE slot = ANY($1::bigint[]) RETURNING slot, gen";
constexpr const char* kNotify = "SELECT pg_notify($1, $2)";

// PostgreSQL counts are 64-bit signed: larger ones are clamped.
std::int64_t sql_count(std::uint64_t n) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(n, static_cast<std::uint64_t>(INT64_MAX)));
}

}  // namespace

PostgresTransaction::~PostgresTransaction() {
  stream_.reset();  // a COPY still open is abandoned before the rollback
  if (state_ != State::committed && c_.connected()) (void)c_.exec("ROLLBACK", "rolling back a write transaction");
}

Status PostgresTransaction::usable() {
  if (state_ != State::open) return Status::internal_error("the write transaction is no longer open");
  return end_stream();
}

Status PostgresTransaction::end_stream() {
  if (stream_ == nullptr) return ok_status();
  const std::unique_ptr<CopyIn> copy = std::move(stream_);
  Status s = end_callers_copy(*copy);
  if (s.ok()) s = bound_statements(true);
  if (!s.ok()) state_ = State::failed;  // the callers streamed since the last call are not all there
  return s;
}

Status PostgresTransaction::bound_statements(bool bounded) {
  const int ms = s_.settings_.statement_timeout_ms;
  if (ms <= 0) return ok_status();
  return c_.exec(fmt::format("SET LOCAL statement_timeout = {}", bounded ? ms : 0).c_str(),
                 "setting the statement timeout");
}

Status PostgresTransaction::usable_main() {
  if (Status s = usable(); !s.ok()) return s;
  if (activity_)
    return Status::internal_error("an activity write transaction may only record calls and escalation triggers");
  return ok_status();
}

template <typename F>
Status PostgresTransaction::atomically(F&& body) {
  if (Status s = usable(); !s.ok()) return s;
  if (Status s = c_.exec("SAVEPOINT vipcore_step", "starting a savepoint"); !s.ok()) {
    state_ = State::failed;
    return s;
  }
  Status s = body();
  if (s.ok()) {
    if (Status r = c_.exec("RELEASE SAVEPOINT vipcore_step", "releasing a savepoint"); !r.ok()) {
      state_ = State::failed;
      return r;
    }
    return s;
  }
  if (Status r = c_.exec("ROLLBACK TO SAVEPOINT vipcore_step; RELEASE SAVEPOINT vipcore_step",
                         "rolling back a savepoint");
      !r.ok() || !(s.is_already_exists() || s.is_not_found()))
    state_ = State::failed;
  return s;
}

template <typename F>
Status PostgresTransaction::changing(std::string_view scope, F&& body) {
  if (Status s = usable_main(); !s.ok()) return s;
  if (scope == numberless_tenant_) numberless_tenant_.clear();  // it may have numbers now
  Status s = atomically(std::forward<F>(body));
  if (s.ok()) moves(scope);
  return s;
}

void PostgresTransaction::moves(std::string_view scope) {
  const auto slot = static_cast<std::int64_t>(detail::GenerationTable::slot_of(scope));
  if (std::find(slots_.begin(), slots_.end(), slot) == slots_.end()) slots_.push_back(slot);
}

Result<std::optional<CallerRecord>> PostgresTransaction::get_caller(std::string_view tenant_id,
                                                                    std::string_view id) {
  if (Status s = usable_main(); !s.ok()) return s;
  auto out = select_caller(c_, kSelectCaller.c_str(), tenant_id, id);
  if (!out.ok()) state_ = State::failed;
  return out;
}

Result<std::optional<std::string>> PostgresTransaction::find_phone_owner(std::string_view tenant_id,
                                                                         const PhoneHash& hash) {
  if (Status s = usable_main(); !s.ok()) return s;
  auto rows = c_.run(kPhoneOwner, Params().text(tenant_id).bytes(hash.data(), hash.size()), "looking up a phone number");
  if (!rows.ok()) {
    state_ = State::failed;
    return rows.status();
  }
  if (rows->size() == 0) return std::optional<std::string>();
  return std::optional<std::string>(rows->str(0, 0));
}

Status PostgresTransaction::find_phone_owners(std::string_view tenant_id, const std::vector<PhoneHash>& hashes,
                                             std::vector<std::optional<std::string>>* owners) {
  // Answered without the connection when there is nothing to look up: an
  // import's stream of callers stays open.
  const bool none = hashes.empty() || (!numberless_tenant_.empty() && numberless_tenant_ == tenant_id);
  if (none && state_ == State::open && !activity_) {
    owners->assign(hashes.size(), std::nullopt);
    return ok_status();
  }
  if (Status s = usable_main(); !s.ok()) return s;
  owners->assign(hashes.size(), std::nullopt);
  if (checked_tenant_ != tenant_id) {  // once per tenant: has it any numbers at all?
    auto any = c_.run(kAnyNumber, Params().text(tenant_id), "looking up phone numbers");
    if (!any.ok()) {
      state_ = State::failed;
      return any.status();
    }
    checked_tenant_ = std::string(tenant_id);
    if (!any->boolean(0, 0)) {
      numberless_tenant_ = std::string(tenant_id);
      return ok_status();
    }
  }
  std::unordered_map<PhoneHash, std::size_t, PhoneHashHasher> where;
  for (std::size_t begin = 0; begin < hashes.size(); begin += kOwnersPerQuery) {
    const std::size_t end = std::min(hashes.size(), begin + kOwnersPerQuery);
    // A one-dimensional bytea[] in binary format: dimensions, no NULLs,
    // element type bytea (OID 17), length and lower bound, then the elements.
    std::string array;
    const auto be32 = [&array](std::uint32_t v) {
      for (int shift = 24; shift >= 0; shift -= 8) array.push_back(static_cast<char>((v >> shift) & 0xff));
    };
    be32(1);
    be32(0);
    be32(17);
    be32(static_cast<std::uint32_t>(end - begin));
    be32(1);
    where.clear();
    for (std::size_t i = begin; i < end; ++i) {
      be32(static_cast<std::uint32_t>(hashes[i].size()));
      array.append(reinterpret_cast<const char*>(hashes[i].data()), hashes[i].size());
      where.emplace(hashes[i], i);
    }
    auto rows = c_.run(kPhoneOwners, Params().text(tenant_id).bytes(array.data(), array.size()),
                       "looking up phone numbers");
    if (!rows.ok()) {
      state_ = State::failed;
      return rows.status();
    }
    for (int r = 0; r < rows->size(); ++r) {
      const std::string_view h = rows->view(r, 0);
      PhoneHash hash{};
      if (h.size() != hash.size()) return Status::storage_error("vip_phone.phone_hash is malformed");
      std::copy(h.begin(), h.end(), hash.begin());
      if (const auto it = where.find(hash); it != where.end()) (*owners)[it->second] = rows->str(r, 1);
    }
    for (std::size_t i = begin; i < end; ++i)  // a hash asked about twice
      if (const std::size_t first = where.at(hashes[i]); first != i) (*owners)[i] = (*owners)[first];
  }
  return ok_status();
}

Status PostgresTransaction::insert_phones(std::string_view tenant_id, const CallerRecord& c) {
  std::string summary;
  encode_summary(c, summary);
  for (const StoredPhone& p : c.phones) {
    auto r = c_.run(kInsertPhone,
                    Params().text(tenant_id).bytes(p.hash.data(), p.hash.size()).text(c.id).bytes(summary.data(),
                                                                                                 summary.size()),
                    "storing a phone number");
    if (r.status().is_already_exists()) return Status::already_exists("phone_number", kNumberTaken);
    if (!r.ok()) return r.status();
  }
  return ok_status();
}

Status PostgresTransaction::delete_phones(std::string_view tenant_id, std::string_view id) {
  auto old = select_caller(c_, kSelectCaller.c_str(), tenant_id, id);
  if (!old.ok()) return old.status();
  if (!*old) return Status::not_found(kNoSuchCaller);
  for (const StoredPhone& p : (*old)->phones) {
    auto r = c_.run(kDeletePhone, Params().text(tenant_id).bytes(p.hash.data(), p.hash.size()),
                    "removing a phone number");
    if (!r.ok()) return r.status();
  }
  return ok_status();
}

void PostgresTransaction::HeldNumbers::add(const PhoneHash& hash, std::string_view tuple) {
  if (chunks_.empty() || chunks_.back().size() + tuple.size() > chunks_.back().capacity()) {
    chunks_.emplace_back();
    chunks_.back().reserve(std::max(kChunkBytes, tuple.size()));
  }
  std::string& chunk = chunks_.back();
  index_.push_back(Entry{hash, static_cast<std::uint32_t>(chunks_.size() - 1), static_cast<std::uint32_t>(chunk.size()),
                         static_cast<std::uint32_t>(tuple.size())});
  chunk.append(tuple);
}

void PostgresTransaction::HeldNumbers::clear() noexcept {
  index_.clear();
  chunks_.clear();
}

void PostgresTransaction::HeldNumbers::sort_by_hash() {
  std::sort(index_.begin(), index_.end(), [](const Entry& a, const Entry& b) { return a.hash < b.hash; });
}

template <typename Visit>
Status PostgresTransaction::HeldNumbers::each(Visit&& visit) {
  for (const Entry& e : index_)
    if (Status s = visit(std::string_view(chunks_[e.chunk]).substr(e.offset, e.size)); !s.ok()) return s;
  return ok_status();
}

template <typename Step>
Status PostgresTransaction::copy_callers(CopyIn& copy, std::string_view tenant_id,
                                         const std::vector<const CallerRecord*>& callers, HeldNumbers* held,
                                         Step&& step) {
  std::string summary, tuple;
  for (const CallerRecord* c : callers) {
    append_caller_tuple(copy.buffer(), tenant_id, *c);
    if (Status s = copy.flush_if_full(); !s.ok()) return s;
    encode_summary(*c, summary);
    for (const StoredPhone& p : c->phones) {
      tuple.clear();
      CopyTuple(tuple, 4).text(tenant_id).bytes(p.hash.data(), p.hash.size()).text(c->id).bytes(summary.data(),
                                                                                              summary.size());
      held->add(p.hash, tuple);
    }
    if (!step()) return Status::invalid_argument("import", "cancelled by the progress callback; nothing was written");
  }
  return ok_status();
}

Status PostgresTransaction::end_callers_copy(CopyIn& copy) {
  Status s = copy.finish();
  if (s.is_already_exists()) return Status::already_exists("id", kCallerTaken);
  return s;
}

template <typename Step>
Status PostgresTransaction::copy_phones(HeldNumbers& held, Step&& step) {
  if (held.empty()) return ok_status();
  // B-tree inserts in key order touch each index page once, not at random.
  held.sort_by_hash();
  if (Status s = bound_statements(false); !s.ok()) return s;
  CopyIn copy(c_);
  if (Status s = copy.begin(kCopyPhones, "storing phone numbers"); !s.ok()) return s;
  if (Status s = held.each([&](std::string_view tuple) -> Status {
        copy.buffer().append(tuple);
        if (Status f = copy.flush_if_full(); !f.ok()) return f;
        if (!step())
          return Status::invalid_argument("import", "cancelled by the progress callback; nothing was written");
        return ok_status();
      });
      !s.ok())
    return s;
  Status s = copy.finish();
  if (s.is_already_exists()) return Status::already_exists("phone_number", kNumberTaken);
  if (!s.ok()) return s;
  return bound_statements(true);
}

Status PostgresTransaction::insert_callers(std::string_view tenant_id, const std::vector<CallerRecord>& callers,
                                           const std::function<bool(std::size_t, std::size_t)>& progress) {
  return changing(tenant_id, [&]() -> Status {
    std::size_t total = callers.size(), done = 0;
    for (const CallerRecord& c : callers) total += c.phones.size();
    const auto step = [&]() {
      ++done;
      return !progress || (done % 1024 != 0 && done != total) || progress(done, total);
    };
    std::vector<const CallerRecord*> all;
    all.reserve(callers.size());
    for (const CallerRecord& c : callers) all.push_back(&c);
    HeldNumbers held;
    if (!all.empty()) {
      if (Status s = bound_statements(false); !s.ok()) return s;
      CopyIn copy(c_);
      if (Status s = copy.begin(kCopyCallers, "storing callers"); !s.ok()) return s;
      if (Status s = copy_callers(copy, tenant_id, all, &held, step); !s.ok()) return s;
      if (Status s = end_callers_copy(copy); !s.ok()) return s;
      if (Status s = bound_statements(true); !s.ok()) return s;
    }
    return copy_phones(held, step);
  });
}

Status PostgresTransaction::insert_bulk_callers(std::string_view tenant_id,
                                                const std::vector<const CallerRecord*>& callers) {
  // One COPY for every call in a row on the tenant: started by the first,
  // ended by whatever call comes next (usable()), or commit().
  if (stream_ == nullptr || held_tenant_ != tenant_id) {
    if (Status s = usable_main(); !s.ok()) return s;
    if (callers.empty()) return ok_status();
    if (!held_.empty() && held_tenant_ != tenant_id)
      if (Status s = finish_bulk_callers(held_tenant_, {}); !s.ok()) return s;
    auto copy = std::make_unique<CopyIn>(c_);
    Status s = bound_statements(false);
    if (s.ok()) s = copy->begin(kCopyCallers, "storing callers");
    if (!s.ok()) {
      state_ = State::failed;
      return s;
    }
    stream_ = std::move(copy);
    held_tenant_ = std::string(tenant_id);
    moves(tenant_id);
  }
  Status s = copy_callers(*stream_, tenant_id, callers, &held_, [] { return true; });
  if (!s.ok()) {
    stream_.reset();
    state_ = State::failed;
  }
  return s;
}

Status PostgresTransaction::finish_bulk_callers(std::string_view tenant_id,
                                                const std::function<bool(std::size_t, std::size_t)>& progress) {
  if (stream_ == nullptr && (held_.empty() || held_tenant_ != tenant_id)) return ok_status();
  if (Status s = usable_main(); !s.ok()) return s;  // ends the stream of callers
  if (held_.empty() || held_tenant_ != tenant_id) return ok_status();  // nothing held for this tenant
  HeldNumbers held = std::move(held_);
  const std::string tenant = std::move(held_tenant_);
  held_.clear();
  held_tenant_.clear();
  const std::size_t total = held.size();
  std::size_t done = 0;
  if (tenant == numberless_tenant_) numberless_tenant_.clear();
  Status s = atomically([&]() -> Status {
    return copy_phones(held, [&]() {
      ++done;
      return !progress || (done % 1024 != 0 && done != total) || progress(done, total);
    });
  });
  // The callers inserted without their numbers stay in the transaction:
  // after a failure here it is fit only to be dropped.
  if (!s.ok()) state_ = State::failed;
  return s;
}

Status PostgresTransaction::replace_caller(std::string_view tenant_id, const CallerRecord& caller) {
  return changing(tenant_id, [&]() -> Status {
    if (Status s = delete_phones(tenant_id, caller.id); !s.ok()) return s;
    auto r = c_.run(kUpdateCaller, caller_params(tenant_id, caller), "updating a caller");
    if (!r.ok()) return r.status();
    return insert_phones(tenant_id, caller);
  });
}

Status PostgresTransaction::delete_caller(std::string_view tenant_id, std::string_view id) {
  return changing(tenant_id, [&]() -> Status {
    if (Status s = delete_phones(tenant_id, id); !s.ok()) return s;
    auto r = c_.run(kDeleteCaller, Params().text(tenant_id).text(id), "deleting a caller");
    return r.ok() ? ok_status() : r.status();
  });
}

Result<std::optional<RuleRecord>> PostgresTransaction::get_rule(std::string_view tenant_id, std::string_view id) {
  if (Status s = usable_main(); !s.ok()) return s;
  auto rows = c_.run(kSelectRule.c_str(), Params().text(tenant_id).text(id), "reading an escalation rule");
  if (!rows.ok()) {
    state_ = State::failed;
    return rows.status();
  }
  if (rows->size() == 0) return std::optional<RuleRecord>();
  return std::optional<RuleRecord>(read_rule(*rows, 0));
}

Status PostgresTransaction::insert_rule(std::string_view tenant_id, const RuleRecord& rule) {
  return changing(tenant_id, [&]() -> Status {
    auto r = c_.run(kInsertRule.c_str(), rule_params(tenant_id, rule), "storing an escalation rule");
    if (r.status().is_already_exists()) return Status::already_exists("id", "a rule with this id already exists");
    return r.ok() ? ok_status() : r.status();
  });
}

Status PostgresTransaction::replace_rule(std::string_view tenant_id, const RuleRecord& rule) {
  return changing(tenant_id, [&]() -> Status {
    auto r = c_.run(kUpdateRule, rule_params(tenant_id, rule), "updating an escalation rule");
    if (!r.ok()) return r.status();
    return r->affected() == 0 ? Status::not_found(kNoSuchRule) : ok_status();
  });
}

Status PostgresTransaction::delete_rule(std::string_view tenant_id, std::string_view id) {
  return changing(tenant_id, [&]() -> Status {
    auto r = c_.run(kDeleteRule, Params().text(tenant_id).text(id), "deleting an escalation rule");
    if (!r.ok()) return r.status();
    return r->affected() == 0 ? Status::not_found(kNoSuchRule) : ok_status();
  });
}

Status PostgresTransaction::insert_trigger(std::string_view tenant_id, const TriggerRecord& t, bool* inserted) {
  return atomically([&]() -> Status {
    Params p;
    p.text(tenant_id).text(t.call_id).text(t.rule_id).text(t.caller_id).i64(to_unix_ms(t.triggered_at));
    if (t.notified_at) p.i64(to_unix_ms(*t.notified_at));
    else p.null();
    auto r = c_.run(kInsertTrigger, p, "storing an escalation trigger");
    if (!r.ok()) return r.status();
    *inserted = r->affected() > 0;
    return ok_status();
  });
}

Status PostgresTransaction::mark_notified(std::string_view tenant_id, std::string_view call_id,
                                          std::string_view rule_id, Timestamp at) {
  return atomically([&]() -> Status {
    auto r = c_.run(kMarkNotified, Params().text(tenant_id).text(call_id).text(rule_id).i64(to_unix_ms(at)),
                    "recording a notification");
    if (!r.ok()) return r.status();
    return r->affected() == 0 ? Status::not_found("no such escalation trigger") : ok_status();
  });
}

Result<std::uint64_t> PostgresTransaction::purge_triggers(std::string_view tenant_id, Timestamp before,
                                                          std::uint64_t limit) {
  std::uint64_t purged = 0;
  Status s = atomically([&]() -> Status {
    auto r = c_.run(kPurgeTriggers, Params().text(tenant_id).i64(to_unix_ms(before)).i64(sql_count(limit)),
                    "purging escalation triggers");
    if (!r.ok()) return r.status();
    purged = r->affected();
    return ok_status();
  });
  if (!s.ok()) return s;
  return purged;
}

Status PostgresTransaction::insert_call(std::string_view tenant_id, const CallRow& call) {
  return atomically([&]() -> Status {
    auto r = c_.run(kInsertCall.c_str(), call_params(tenant_id, call), "recording a call");
    if (r.status().is_already_exists())
      return Status::already_exists("call_id", "this call has already been recorded");
    return r.ok() ? ok_status() : r.status();
  });
}

Status PostgresTransaction::count_call(std::string_view tenant_id, std::string_view caller_id,
                                       std::optional<int> satisfaction_rating) {
  return atomically([&]() -> Status {
    Params p;
    p.text(tenant_id).text(caller_id);
    if (satisfaction_rating) p.f64(*satisfaction_rating);
    else p.null();
    auto r = c_.run(kCountCall, p, "counting a caller's call");
    return r.ok() ? ok_status() : r.status();
  });
}

Result<std::uint64_t> PostgresTransaction::purge_calls(std::string_view tenant_id, Timestamp before,
                                                       std::uint64_t limit) {
  std::uint64_t purged = 0;
  Status s = atomically([&]() -> Status {
    auto r = c_.run(kPurgeCalls, Params().text(tenant_id).i64(to_unix_ms(before)).i64(sql_count(limit)),
                    "purging call history");
    if (!r.ok()) return r.status();
    purged = r->affected();
    return ok_status();
  });
  if (!s.ok()) return s;
  return purged;
}

Result<std::optional<std::string>> PostgresTransaction::get_meta(std::string_view scope, std::string_view key) {
  if (Status s = usable_main(); !s.ok()) return s;
  auto out = select_meta(c_, kGetMeta, scope, key);
  if (!out.ok()) state_ = State::failed;
  return out;
}

Status PostgresTransaction::put_meta(std::string_view scope, std::string_view key, std::string_view value) {
  return changing(scope, [&]() -> Status {
    auto r = c_.run(kPutMeta, Params().text(scope).text(key).bytes(value.data(), value.size()), "writing metadata");
    return r.ok() ? ok_status() : r.status();
  });
}

Status PostgresTransaction::delete_meta(std::string_view scope, std::string_view key) {
  return changing(scope, [&]() -> Status {
    auto r = c_.run(kDeleteMeta, Params().text(scope).text(key), "removing metadata");
    return r.ok() ? ok_status() : r.status();
  });
}

Status PostgresTransaction::append_audit(const AuditEntry& e) {
  if (Status s = usable_main(); !s.ok()) return s;
  auto r = c_.run(kInsertAudit,
                  Params()
                      .text(e.tenant_id)
                      .i64(to_unix_ms(e.at))
                      .text(e.actor_id)
                      .i64(static_cast<int>(e.role))
                      .text(e.action)
                      .text(e.entity_type)
                      .text(e.entity_id)
                      .text(nlohmann::json(e.fields).dump())
                      .text(e.outcome),
                  "writing an audit entry");
  if (!r.ok()) {
    state_ = State::failed;
    return r.status();
  }
  return ok_status();
}

Status PostgresTransaction::commit() {
  if (Status s = usable(); !s.ok()) return s;
  if (!held_.empty())
    if (Status s = finish_bulk_callers(held_tenant_, {}); !s.ok()) return s;
  state_ = State::failed;  // until it has committed
  // The generations move in the transaction, and their notification goes
  // out at commit, only if it commits.
  std::vector<std::pair<std::int64_t, std::int64_t>> moved;
  if (!slots_.empty()) {
    std::string array = "{";
    for (std::size_t i = 0; i < slots_.size(); ++i) array += (i ? "," : "") + std::to_string(slots_[i]);
    array += "}";
    auto rows = c_.run(kBumpGenerations, Params().literal(array), "moving the change generations");
    if (!rows.ok()) return rows.status();
    std::string payload;
    for (int i = 0; i < rows->size(); ++i) {
      moved.emplace_back(rows->i64(i, 0), rows->i64(i, 1));
      payload += fmt::format("{}{}:{}", i ? "," : "", moved.back().first, moved.back().second);
    }
    // A notification carries at most 8000 bytes: "*" asks listeners to re-read every counter.
    if (payload.size() > 7900) payload = "*";
    auto note = c_.run(kNotify, Params().text(s_.channel_).text(payload), "announcing a change");
    if (!note.ok()) return note.status();
  }
  if (Status s = c_.exec("COMMIT", "committing"); !s.ok()) return s;
  state_ = State::committed;
  // This process sees its own change at once, before commit() returns.
  for (const auto& [slot, gen] : moved) s_.apply_generation(slot, gen);
  return ok_status();
}

}  // namespace vipcore::postgres
