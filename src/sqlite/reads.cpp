// The SQLite backend's reads and its pool of reader connections.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "sqlite/codec.hpp"
#include "sqlite/sql.hpp"
#include "sqlite/storage_impl.hpp"

namespace vipcore::sqlite {
namespace {

// Steps `st` through its rows, calling visit() on each, which may return a
// Status: the first error ends the walk.
template <typename Visit>
Status each_row(Statement& st, std::string_view context, Visit&& visit) {
  for (;;) {
    auto row = st.step(context);
    if (!row.ok()) return row.status();
    if (!*row) return ok_status();
    if constexpr (std::is_same_v<decltype(visit()), Status>) {
      if (Status s = visit(); !s.ok()) return s;
    } else {
      visit();
    }
  }
}

// SQLite takes 64-bit signed counts: larger ones are clamped, never wrapped
// (an offset of 2^63 would otherwise read as negative, i.e. 0). 0 is "no
// limit" (-1) where `zero_is_unlimited`.
std::int64_t sql_count(std::uint64_t n, bool zero_is_unlimited) {
  constexpr std::uint64_t kMaxCount = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (zero_is_unlimited && n == 0) return -1;
  return static_cast<std::int64_t>(std::min(n, kMaxCount));
}

void bind_filter(Statement& st, std::string_view tenant_id, const CallerFilter& filter) {
  st.bind_text(1, tenant_id);
  if (filter.vip_level) st.bind_int(2, static_cast<int>(*filter.vip_level));
  else st.bind_null(2);
  if (filter.status) st.bind_int(3, static_cast<int>(*filter.status));
  else st.bind_null(3);
}

}  // namespace

Result<SqliteStorage::Lease> SqliteStorage::acquire() {
  {
    std::lock_guard<std::mutex> g(pool_mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Reader> r = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(r));
    }
  }
  auto r = std::make_unique<Reader>();
  if (Status s = configure(r->conn, /*writer=*/false); !s.ok()) return s;
  return Lease(this, std::move(r));
}

void SqliteStorage::release(std::unique_ptr<Reader> r) noexcept {
  std::lock_guard<std::mutex> g(pool_mu_);
  try {
    idle_.push_back(std::move(r));
  } catch (...) {
    // Out of memory: the reader is simply closed (r's destructor).
  }
}

template <typename MakeSql>
Result<SqliteStorage::Query> SqliteStorage::query(Statement Reader::*which, MakeSql&& make_sql) {
  auto lease = acquire();
  if (!lease.ok()) return lease.status();
  Reader& r = *lease->get();
  Statement& st = r.*which;
  if (!st.prepared())
    if (Status s = st.prepare(r.conn, make_sql()); !s.ok()) return s;
  return Query{std::move(*lease), &st};
}

Result<SqliteStorage::Query> SqliteStorage::query(Statement Reader::*which, const char* sql) {
  return query(which, [sql] { return std::string_view(sql); });
}

Status SqliteStorage::find_by_phone(std::string_view tenant_id, const PhoneHash& hash, IdentifyRecord* out,
                                    bool* found) {
  *found = false;
  auto q = query(&Reader::find_phone, kFindPhone);
  if (!q.ok()) return q.status();
  Statement& st = *q->st;
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  st.bind_blob(2, hash.data(), hash.size());
  auto row = st.step("looking up a phone number");
  if (!row.ok()) return row.status();
  if (*row) {
    st.column_assign(0, &out->caller_id);
    if (!decode_summary(st.column_view(1), out)) return Status::storage_error("vip_phone.summary is malformed");
    *found = true;
  }
  return ok_status();
}

Result<std::optional<CallerRecord>> SqliteStorage::get_caller(std::string_view tenant_id, std::string_view id) {
  auto q = query(&Reader::get_caller, [] { return fmt::format(kSelectCallerRead, kCallerReadColumns); });
  if (!q.ok()) return q.status();
  return select_caller(*q->st, tenant_id, id);
}

Status SqliteStorage::scan_callers(std::string_view tenant_id, const CallerFilter& filter,
                                   const std::function<bool(CallerRecord&&)>& visit) {
  auto q = query(&Reader::scan, [] { return fmt::format(kScanCallers, kCallerReadColumns); });
  if (!q.ok()) return q.status();
  Statement& st = *q->st;
  ResetGuard reset(st);
  bind_filter(st, tenant_id, filter);
  st.bind_int(4, sql_count(filter.limit, /*zero_is_unlimited=*/true));
  st.bind_int(5, sql_count(filter.offset, /*zero_is_unlimited=*/false));
  st.bind_text(6, filter.after_id);
  for (;;) {
    auto row = st.step("scanning callers");
    if (!row.ok()) return row.status();
    if (!*row) return ok_status();
    auto c = read_caller(st);
    if (!c.ok()) return c.status();
    if (!visit(std::move(*c))) return ok_status();
  }
}

Result<std::uint64_t> SqliteStorage::count_callers(std::string_view tenant_id, const CallerFilter& filter) {
  auto q = query(&Reader::count, kCountCallers);
  if (!q.ok()) return q.status();
  Statement& st = *q->st;
  ResetGuard reset(st);
  bind_filter(st, tenant_id, filter);
  auto row = st.step("counting callers");
  if (!row.ok()) return row.status();
  return static_cast<std::uint64_t>(st.column_int(0));
}

Result<std::vector<std::string>> SqliteStorage::list_tenants() {
  auto lease = acquire();
  if (!lease.ok()) return lease.status();
  Statement st;
  if (Status s = st.prepare(lease->get()->conn, kListTenants); !s.ok()) return s;
  std::vector<std::string> out;
  if (Status s = each_row(st, "listing tenants", [&] { out.emplace_back(st.column_view(0)); }); !s.ok()) return s;
  return out;
}

Result<std::optional<std::string>> SqliteStorage::get_meta(std::string_view scope, std::string_view key) {
  auto q = query(&Reader::get_meta, kGetMeta);
  if (!q.ok()) return q.status();
  return select_meta(*q->st, scope, key);
}

Result<std::vector<RuleRecord>> SqliteStorage::list_rules(std::string_view tenant_id) {
  auto q = query(&Reader::list_rules, [] { return fmt::format(kSelectRules, kRuleColumns); });
  if (!q.ok()) return q.status();
  Statement& st = *q->st;
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  std::vector<RuleRecord> out;
  if (Status s = each_row(st, "reading escalation rules", [&] { out.push_back(read_rule(st)); }); !s.ok())
    return s;
  return out;
}

Result<std::vector<TriggerRecord>> SqliteStorage::get_triggers(std::string_view tenant_id, std::string_view call_id) {
  auto q = query(&Reader::get_triggers, kSelectTriggers);
  if (!q.ok()) return q.status();
  Statement& st = *q->st;
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  st.bind_text(2, call_id);
  std::vector<TriggerRecord> out;
  if (Status s = each_row(st, "reading escalation triggers", [&] { out.push_back(read_trigger(st)); }); !s.ok())
    return s;
  return out;
}

template <typename Row>
Status SqliteStorage::stream_calls(Statement Reader::*which, const char* columns, std::string_view tenant_id,
                                   Timestamp from, Timestamp until, std::string_view caller_id, Row&& row) {
  const bool one_caller = !caller_id.empty();
  // One caller's calls: their index, not a scan of the whole range (the
  // planner has no statistics to know that the caller is the narrower key).
  auto q = query(which, [&] {
    return fmt::format(kScanCalls, columns, one_caller ? " INDEXED BY vip_call_tenant_caller_at" : "",
                       one_caller ? " AND caller_id = ?4" : "");
  });
  if (!q.ok()) return q.status();
  Statement& st = *q->st;
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  st.bind_int(2, to_unix_ms(from));
  st.bind_int(3, to_unix_ms(until));
  if (one_caller) st.bind_text(4, caller_id);
  for (;;) {
    auto stepped = st.step("reading calls");
    if (!stepped.ok()) return stepped.status();
    if (!*stepped) return ok_status();
    auto more = row(st);
    if (!more.ok()) return more.status();
    if (!*more) return ok_status();
  }
}

Status SqliteStorage::scan_calls(std::string_view tenant_id, Timestamp from, Timestamp until,
                                 std::string_view caller_id, const std::function<bool(const CallRow&)>& visit) {
  const bool one_caller = !caller_id.empty();
  return stream_calls(one_caller ? &Reader::scan_calls_caller : &Reader::scan_calls, kCallColumns, tenant_id, from,
                      until, caller_id, [&](const Statement& st) -> Result<bool> { return visit(read_call(st)); });
}

Result<LevelAggregates> SqliteStorage::aggregate_calls(std::string_view tenant_id, Timestamp from, Timestamp until,
                                                       std::string_view caller_id) {
  const bool one_caller = !caller_id.empty();
  CallAggregator sum;
  CallRow c;  // no ids: the aggregate does not need them
  Status s = stream_calls(one_caller ? &Reader::aggregate_caller : &Reader::aggregate, kAggregateColumns, tenant_id,
                          from, until, caller_id, [&](const Statement& st) -> Result<bool> {
                            const std::int64_t level = st.column_int(0);
                            if (level < 0 || level >= kLevelCount)
                              return Status::storage_error("vip_call.vip_level is out of range");
                            c.vip_level = static_cast<Level>(level);
                            const std::int64_t wait = st.column_int(1);
                            if (wait < 0 || wait > kMaxStoredCallWait)
                              return Status::storage_error("vip_call.wait_seconds is out of range");
                            c.wait_seconds = static_cast<int>(wait);
                            c.max_wait_time = static_cast<int>(st.column_int(2));
                            c.escalation_triggered = st.column_int(3) != 0;
                            const auto rating = st.column_optional_int(4);
                            c.satisfaction_rating =
                                rating ? std::optional<int>(static_cast<int>(*rating)) : std::nullopt;
                            c.service_quality_score = st.column_optional_double(5);
                            c.handling_rules_applied = HandlingRules::from_bits(static_cast<std::uint32_t>(st.column_int(6)));
                            if (Status added = sum.add(c); !added.ok()) return added;
                            return true;
                          });
  if (!s.ok()) return s;
  return sum.result();
}

Result<std::vector<CallRow>> SqliteStorage::list_calls(std::string_view tenant_id, std::string_view caller_id,
                                                       Timestamp from, Timestamp until, std::uint64_t limit) {
  auto q = query(&Reader::list_calls, [] { return fmt::format(kListCalls, kCallColumns); });
  if (!q.ok()) return q.status();
  Statement& st = *q->st;
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  st.bind_text(2, caller_id);
  st.bind_int(3, to_unix_ms(from));
  st.bind_int(4, to_unix_ms(until));
  st.bind_int(5, sql_count(limit, /*zero_is_unlimited=*/true));
  std::vector<CallRow> out;
  if (Status s = each_row(st, "reading call history", [&] { out.push_back(read_call(st)); }); !s.ok()) return s;
  return out;
}

Result<CallerCounts> SqliteStorage::count_callers_by_level_status(std::string_view tenant_id) {
  auto q = query(&Reader::count_by_level_status, kCountByLevelStatus);
  if (!q.ok()) return q.status();
  Statement& st = *q->st;
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  CallerCounts out{};
  Status s = each_row(st, "counting callers", [&]() -> Status {
    const std::int64_t level = st.column_int(0), status = st.column_int(1);
    if (level < 0 || level >= kLevelCount || status < 0 || status > 2)
      return Status::storage_error("vip_caller holds a level or status out of range");
    ++out[static_cast<std::size_t>(level)][static_cast<std::size_t>(status)];
    return ok_status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<AuditEntry>> SqliteStorage::query_audit(std::string_view tenant_id, const AuditQuery& q) {
  auto lease = acquire();
  if (!lease.ok()) return lease.status();
  std::string sql = kSelectAudit;
  if (q.from) sql += " AND at >= ?2";
  if (q.until) sql += " AND at < ?3";
  if (q.actor_id) sql += " AND actor_id = ?4";
  if (q.entity_id) sql += " AND entity_id = ?5";
  sql += " ORDER BY seq LIMIT ?6";
  Statement st;
  if (Status s = st.prepare(lease->get()->conn, sql); !s.ok()) return s;
  st.bind_text(1, tenant_id);
  if (q.from) st.bind_int(2, to_unix_ms(*q.from));
  if (q.until) st.bind_int(3, to_unix_ms(*q.until));
  if (q.actor_id) st.bind_text(4, *q.actor_id);
  if (q.entity_id) st.bind_text(5, *q.entity_id);
  st.bind_int(6, q.limit == 0 ? -1 : static_cast<std::int64_t>(q.limit));
  std::vector<AuditEntry> out;
  if (Status s = each_row(st, "reading the audit trail", [&] { out.push_back(read_audit(st, tenant_id)); });
      !s.ok())
    return s;
  return out;
}

Result<std::unique_ptr<WriteTransaction>> SqliteStorage::begin_write() {
  if (options_.read_only)
    return Status::storage_error(fmt::format("{} was opened read-only: nothing can be written", path_));
  std::unique_lock<std::mutex> lock(write_mu_);
  const int rc = sqlite3_exec(writer_.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(rc, writer_.get(), "starting a write transaction");
  // Holding the write lock, no commit is half-way: generations a writer
  // killed mid-commit left odd can be settled.
  generations_.settle();
  return std::unique_ptr<WriteTransaction>(std::make_unique<SqliteTransaction>(*this, std::move(lock)));
}

Result<std::unique_ptr<WriteTransaction>> SqliteStorage::begin_activity_write() {
  if (options_.read_only)
    return Status::storage_error(fmt::format("{} was opened read-only: nothing can be written", path_));
  return std::unique_ptr<WriteTransaction>(std::make_unique<SqliteTransaction>(*this, std::unique_lock<std::mutex>()));
}

Status SqliteStorage::read_counters(std::string_view tenant_id, CallerRecord* c) {
  auto q = query(&Reader::counters, kSelectCounters);
  if (!q.ok()) return q.status();
  Statement& st = *q->st;
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  st.bind_text(2, c->id);
  auto row = st.step("reading a caller's call counters");
  if (!row.ok()) return row.status();
  c->total_calls = *row ? st.column_int(0) : 0;
  c->rated_calls = *row ? st.column_int(1) : 0;
  c->satisfaction_score = *row ? st.column_optional_double(2) : std::nullopt;
  return ok_status();
}

Result<std::optional<CallerRecord>> SqliteStorage::select_caller(Statement& st, std::string_view tenant_id,
                                                                 std::string_view id) {
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  st.bind_text(2, id);
  return read_one<CallerRecord>(st, "reading a caller", read_caller);
}

Result<std::optional<std::string>> SqliteStorage::select_meta(Statement& st, std::string_view scope,
                                                              std::string_view key) {
  ResetGuard reset(st);
  st.bind_text(1, scope);
  st.bind_text(2, key);
  return read_one<std::string>(st, "reading metadata", read_text);
}

}  // namespace vipcore::sqlite
