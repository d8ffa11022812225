// The SQLite storage backend.
//
// One database file in WAL mode, so that readers (identify on many PBX
// threads) never wait for a writer, and several processes (the PBX and
// vipctl) can share it. Within a process:
//   - reads take a connection from a pool (one connection per concurrent
//     reader, each with its own prepared statements; SQLite statements are
//     never shared across threads);
//   - writes go through one writer connection, one transaction at a time
//     (BEGIN IMMEDIATE, so that a writer in another process makes us wait up
//     to the busy timeout instead of failing half-way).
//
// Identify is one point lookup: vip_phone holds, for each number, what
// identify needs about its owner (a copy of a few vip_caller columns that is
// rewritten whenever the caller changes).
#include <fmt/format.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <cstdint>
#include <numeric>

#include "sqlite/sqlite_util.hpp"
#include "vipcore/storage.hpp"

namespace vipcore {
namespace {

using sqlite::Connection;
using sqlite::ResetGuard;
using sqlite::Statement;

constexpr std::int64_t kApplicationId = 0x56495043;  // "VIPC"

// Migrations, applied in order: kMigrations[i] takes the schema from version
// i to version i + 1. Never edit a released entry; append a new one.
constexpr const char* kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE vip_meta (
  scope TEXT NOT NULL,
  key   TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;

CREATE TABLE vip_caller (
  tenant_id               TEXT    NOT NULL,
  id                      TEXT    NOT NULL,
  vip_level               INTEGER NOT NULL,
  status                  INTEGER NOT NULL,
  handling_rules          INTEGER NOT NULL,
  preferred_agent_id      TEXT    NOT NULL,
  preferred_department_id TEXT    NOT NULL,
  max_wait_time           INTEGER,
  callback_priority       INTEGER NOT NULL,
  tags                    TEXT    NOT NULL,
  total_calls             INTEGER NOT NULL,
  satisfaction_score      REAL,
  valid_from              INTEGER,
  valid_until             INTEGER,
  created_at              INTEGER NOT NULL,
  updated_at              INTEGER NOT NULL,
  caller_name             BLOB    NOT NULL,  -- sealed
  company_name            BLOB,              -- sealed
  email                   BLOB,              -- sealed
  account_number          BLOB,              -- sealed
  account_value           BLOB,              -- sealed
  notes                   BLOB,              -- sealed
  custom_greeting         BLOB,              -- sealed
  phones                  BLOB    NOT NULL,  -- 32-byte keyed hashes, primary first
  phone_masks             TEXT    NOT NULL,  -- masked display forms, comma-separated, same order
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE vip_phone (
  tenant_id  TEXT NOT NULL,
  phone_hash BLOB NOT NULL,
  caller_id  TEXT NOT NULL,
  summary    BLOB NOT NULL,  -- what identify needs about the caller, packed (encode_summary); sealed parts stay sealed
  PRIMARY KEY (tenant_id, phone_hash)
) WITHOUT ROWID;

CREATE TABLE vip_audit (
  seq         INTEGER PRIMARY KEY,
  tenant_id   TEXT    NOT NULL,
  at          INTEGER NOT NULL,
  actor_id    TEXT    NOT NULL,
  role        INTEGER NOT NULL,
  action      TEXT    NOT NULL,
  entity_type TEXT    NOT NULL,
  entity_id   TEXT    NOT NULL,
  fields      TEXT    NOT NULL,  -- JSON array of field names
  outcome     TEXT    NOT NULL
);
CREATE INDEX vip_audit_tenant_at ON vip_audit (tenant_id, at);
)sql",
    // 1 -> 2: escalation rules and the triggers that make them fire once per call
    R"sql(
CREATE TABLE vip_rule (
  tenant_id          TEXT    NOT NULL,
  id                 TEXT    NOT NULL,
  name               TEXT    NOT NULL,
  level_mask         INTEGER NOT NULL,  -- bit n = level n; 0 = every level
  max_wait_time      INTEGER,
  max_queue_position INTEGER,
  escalation_type    TEXT    NOT NULL,
  tier               INTEGER NOT NULL,
  notify             BLOB,              -- sealed notification targets
  is_active          INTEGER NOT NULL,
  priority           INTEGER NOT NULL,
  schedule           INTEGER NOT NULL,
  business_hours     TEXT    NOT NULL,  -- '' = the tenant's
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE vip_trigger (
  tenant_id    TEXT    NOT NULL,
  call_id      TEXT    NOT NULL,
  rule_id      TEXT    NOT NULL,
  caller_id    TEXT    NOT NULL,
  triggered_at INTEGER NOT NULL,
  notified_at  INTEGER,
  PRIMARY KEY (tenant_id, call_id, rule_id)
) WITHOUT ROWID;
CREATE INDEX vip_trigger_tenant_time ON vip_trigger (tenant_id, triggered_at);
)sql",
    // 2 -> 3: call history, clustered by time so that reports over a date range read it in order
    R"sql(
ALTER TABLE vip_caller ADD COLUMN rated_calls INTEGER NOT NULL DEFAULT 0;

CREATE TABLE vip_call (
  tenant_id             TEXT    NOT NULL,
  at                    INTEGER NOT NULL,
  call_id               TEXT    NOT NULL,
  caller_id             TEXT    NOT NULL,
  vip_level             INTEGER NOT NULL,  -- the level at the call
  handling_rules        INTEGER NOT NULL,  -- the rules applied
  wait_seconds          INTEGER NOT NULL,
  max_wait_time         INTEGER NOT NULL,  -- the caller's target at the call: the SLA
  escalation_triggered  INTEGER NOT NULL,
  satisfaction_rating   INTEGER,
  service_quality_score REAL,
  PRIMARY KEY (tenant_id, at, call_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX vip_call_tenant_call ON vip_call (tenant_id, call_id);
CREATE INDEX vip_call_tenant_caller_at ON vip_call (tenant_id, caller_id, at);
)sql",
};
static_assert(std::size(kMigrations) == kSqliteSchemaVersion);

constexpr const char* kCallerColumns =
    "id, vip_level, status, handling_rules, preferred_agent_id, preferred_department_id, max_wait_time, "
    "callback_priority, tags, total_calls, satisfaction_score, valid_from, valid_until, created_at, updated_at, "
    "caller_name, company_name, email, account_number, account_value, notes, custom_greeting, phones, phone_masks, "
    "rated_calls";

constexpr const char* kSelectCaller = "SELECT {} FROM vip_caller WHERE tenant_id = ?1 AND id = ?2";
constexpr const char* kScanCallers =
    "SELECT {} FROM vip_caller WHERE tenant_id = ?1 AND (?2 IS NULL OR vip_level = ?2) "
    "AND (?3 IS NULL OR status = ?3) AND id > ?6 ORDER BY id LIMIT ?4 OFFSET ?5";
constexpr const char* kCountCallers =
    "SELECT count(*) FROM vip_caller WHERE tenant_id = ?1 AND (?2 IS NULL OR vip_level = ?2) "
    "AND (?3 IS NULL OR status = ?3)";
constexpr const char* kFindPhone =
    "SELECT caller_id, summary FROM vip_phone WHERE tenant_id = ?1 AND phone_hash = ?2";
constexpr const char* kPhoneOwner = "SELECT caller_id FROM vip_phone WHERE tenant_id = ?1 AND phone_hash = ?2";
constexpr const char* kInsertCaller =
    "INSERT INTO vip_caller (tenant_id, {}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
    "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)";
constexpr const char* kUpdateCaller =
    "UPDATE vip_caller SET vip_level = ?3, status = ?4, handling_rules = ?5, preferred_agent_id = ?6, "
    "preferred_department_id = ?7, max_wait_time = ?8, callback_priority = ?9, tags = ?10, total_calls = ?11, "
    "satisfaction_score = ?12, valid_from = ?13, valid_until = ?14, created_at = ?15, updated_at = ?16, "
    "caller_name = ?17, company_name = ?18, email = ?19, account_number = ?20, account_value = ?21, notes = ?22, "
    "custom_greeting = ?23, phones = ?24, phone_masks = ?25, rated_calls = ?26 WHERE tenant_id = ?1 AND id = ?2";
constexpr const char* kDeleteCaller = "DELETE FROM vip_caller WHERE tenant_id = ?1 AND id = ?2";
constexpr const char* kInsertPhone =
    "INSERT INTO vip_phone (tenant_id, phone_hash, caller_id, summary) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kDeletePhone = "DELETE FROM vip_phone WHERE tenant_id = ?1 AND phone_hash = ?2";
constexpr const char* kGetMeta = "SELECT value FROM vip_meta WHERE scope = ?1 AND key = ?2";
constexpr const char* kPutMeta = "INSERT OR REPLACE INTO vip_meta (scope, key, value) VALUES (?1, ?2, ?3)";
constexpr const char* kDeleteMeta = "DELETE FROM vip_meta WHERE scope = ?1 AND key = ?2";
constexpr const char* kListTenants =
    "SELECT tenant_id FROM vip_caller GROUP BY tenant_id UNION SELECT tenant_id FROM vip_rule ORDER BY 1";
constexpr const char* kRuleColumns =
    "id, name, level_mask, max_wait_time, max_queue_position, escalation_type, tier, notify, is_active, priority, "
    "schedule, business_hours, created_at, updated_at";
constexpr const char* kSelectRules = "SELECT {} FROM vip_rule WHERE tenant_id = ?1";
constexpr const char* kSelectRule = "SELECT {} FROM vip_rule WHERE tenant_id = ?1 AND id = ?2";
constexpr const char* kInsertRule =
    "INSERT INTO vip_rule (tenant_id, {}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
constexpr const char* kUpdateRule =
    "UPDATE vip_rule SET name = ?3, level_mask = ?4, max_wait_time = ?5, max_queue_position = ?6, "
    "escalation_type = ?7, tier = ?8, notify = ?9, is_active = ?10, priority = ?11, schedule = ?12, "
    "business_hours = ?13, created_at = ?14, updated_at = ?15 WHERE tenant_id = ?1 AND id = ?2";
constexpr const char* kDeleteRule = "DELETE FROM vip_rule WHERE tenant_id = ?1 AND id = ?2";
constexpr const char* kSelectTriggers =
    "SELECT call_id, rule_id, caller_id, triggered_at, notified_at FROM vip_trigger "
    "WHERE tenant_id = ?1 AND call_id = ?2";
constexpr const char* kInsertTrigger =
    "INSERT OR IGNORE INTO vip_trigger (tenant_id, call_id, rule_id, caller_id, triggered_at, notified_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kMarkNotified =
    "UPDATE vip_trigger SET notified_at = ?4 WHERE tenant_id = ?1 AND call_id = ?2 AND rule_id = ?3";
constexpr const char* kPurgeTriggers =
    "DELETE FROM vip_trigger WHERE tenant_id = ?1 AND (call_id, rule_id) IN (SELECT call_id, rule_id "
    "FROM vip_trigger WHERE tenant_id = ?1 AND triggered_at < ?2 ORDER BY triggered_at LIMIT ?3)";
constexpr const char* kCallColumns =
    "call_id, caller_id, vip_level, handling_rules, wait_seconds, max_wait_time, escalation_triggered, "
    "satisfaction_rating, service_quality_score, at";
constexpr const char* kInsertCall =
    "INSERT INTO vip_call (tenant_id, {}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
constexpr const char* kListCalls =
    "SELECT {} FROM vip_call WHERE tenant_id = ?1 AND caller_id = ?2 AND at >= ?3 AND at < ?4 "
    "ORDER BY at, call_id LIMIT ?5";
// One pass over the range, grouped by (level, wait): sums per group, and the
// groups themselves are the wait histogram.
// The calls of a range, streamed in key order and added up in C++: one pass
// over the clustered rows, no GROUP BY sort (which cost most of an overview).
constexpr const char* kAggregateCalls =
    "SELECT vip_level, wait_seconds, max_wait_time, escalation_triggered, satisfaction_rating, "
    "service_quality_score, handling_rules FROM vip_call{} WHERE tenant_id = ?1 AND at >= ?2 AND at < ?3{}";
// Calls' waits are validated to lie in 0..86400 seconds (a day).
constexpr std::int64_t kMaxStoredCallWait = 86400;
// Streamed and counted in C++, like kAggregateCalls: no GROUP BY sort.
constexpr const char* kCountByLevelStatus = "SELECT vip_level, status FROM vip_caller WHERE tenant_id = ?1";
constexpr const char* kUpdateCounters =
    "UPDATE vip_caller SET total_calls = ?3, rated_calls = ?4, satisfaction_score = ?5 WHERE tenant_id = ?1 AND id = ?2";
constexpr const char* kPurgeCalls =
    "DELETE FROM vip_call WHERE tenant_id = ?1 AND (at, call_id) IN (SELECT at, call_id FROM vip_call "
    "WHERE tenant_id = ?1 AND at < ?2 ORDER BY at LIMIT ?3)";
constexpr const char* kInsertAudit =
    "INSERT INTO vip_audit (tenant_id, at, actor_id, role, action, entity_type, entity_id, fields, outcome) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

std::optional<std::int64_t> opt_ms(const std::optional<Timestamp>& t) {
  if (!t) return std::nullopt;
  return to_unix_ms(*t);
}
std::optional<Timestamp> opt_time(const std::optional<std::int64_t>& ms) {
  if (!ms) return std::nullopt;
  return from_unix_ms(*ms);
}
std::optional<std::int64_t> opt_int(const std::optional<int>& v) {
  if (!v) return std::nullopt;
  return *v;
}

std::string encode_phones(const std::vector<StoredPhone>& phones) {
  std::string out;
  out.reserve(phones.size() * sizeof(PhoneHash));
  for (const StoredPhone& p : phones) out.append(reinterpret_cast<const char*>(p.hash.data()), p.hash.size());
  return out;
}

std::string encode_masks(const std::vector<StoredPhone>& phones) {
  std::string out;
  for (std::size_t i = 0; i < phones.size(); ++i) {
    if (i) out.push_back(',');
    out.append(phones[i].masked);
  }
  return out;
}

// Binds ?1..?25 of kInsertCaller / kUpdateCaller. `scratch` keeps the encoded
// strings alive until the statement runs.
void bind_caller(Statement& st, std::string_view tenant_id, const CallerRecord& c, std::string (&scratch)[3]) {
  scratch[0] = c.tags.empty() ? "[]" : nlohmann::json(c.tags).dump();
  scratch[1] = encode_phones(c.phones);
  scratch[2] = encode_masks(c.phones);
  st.bind_text(1, tenant_id);
  st.bind_text(2, c.id);
  st.bind_int(3, static_cast<int>(c.vip_level));
  st.bind_int(4, static_cast<int>(c.status));
  st.bind_int(5, c.handling_rules.bits());
  st.bind_text(6, c.preferred_agent_id);
  st.bind_text(7, c.preferred_department_id);
  st.bind_optional_int(8, opt_int(c.max_wait_time));
  st.bind_int(9, c.callback_priority);
  st.bind_text(10, scratch[0]);
  st.bind_int(11, c.total_calls);
  st.bind_optional_double(12, c.satisfaction_score);
  st.bind_optional_int(13, opt_ms(c.valid_from));
  st.bind_optional_int(14, opt_ms(c.valid_until));
  st.bind_int(15, to_unix_ms(c.created_at));
  st.bind_int(16, to_unix_ms(c.updated_at));
  st.bind_blob(17, c.caller_name.data(), c.caller_name.size());
  st.bind_blob_or_null(18, c.company_name);
  st.bind_blob_or_null(19, c.email);
  st.bind_blob_or_null(20, c.account_number);
  st.bind_blob_or_null(21, c.account_value);
  st.bind_blob_or_null(22, c.notes);
  st.bind_blob_or_null(23, c.custom_greeting);
  st.bind_blob(24, scratch[1].data(), scratch[1].size());
  st.bind_text(25, scratch[2]);
  st.bind_int(26, c.rated_calls);
}

// The summary column of vip_phone: what identify needs about a number's
// owner, packed into one blob so that the identify lookup reads one column
// instead of twelve (each column read costs about as much as a hash probe).
// Layout, little-endian:
//   u8 format (1) | u8 level | u8 status | u8 rules | u8 flags (1: max wait, 2: valid_from, 4: valid_until)
//   i32 max_wait_time | i32 callback_priority | i64 valid_from ms | i64 valid_until ms
//   then four length-prefixed (u16) strings: preferred agent, preferred department,
//   sealed caller_name, sealed custom_greeting.
constexpr std::uint8_t kSummaryFormat = 1;
constexpr std::size_t kSummaryFixed = 5 + 4 + 4 + 8 + 8;

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t get_le(const unsigned char* p, int bytes) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

// Into `out`, reusing its capacity (imports encode one per number).
void encode_summary(const CallerRecord& c, std::string& out) {
  out.clear();
  out.reserve(kSummaryFixed + 8 + c.preferred_agent_id.size() + c.preferred_department_id.size() +
              c.caller_name.size() + c.custom_greeting.size());
  const int flags = (c.max_wait_time ? 1 : 0) | (c.valid_from ? 2 : 0) | (c.valid_until ? 4 : 0);
  put_le(out, kSummaryFormat, 1);
  put_le(out, static_cast<std::uint8_t>(c.vip_level), 1);
  put_le(out, static_cast<std::uint8_t>(c.status), 1);
  put_le(out, c.handling_rules.bits(), 1);
  put_le(out, static_cast<std::uint64_t>(flags), 1);
  put_le(out, static_cast<std::uint32_t>(c.max_wait_time.value_or(0)), 4);
  put_le(out, static_cast<std::uint32_t>(c.callback_priority), 4);
  put_le(out, static_cast<std::uint64_t>(c.valid_from ? to_unix_ms(*c.valid_from) : 0), 8);
  put_le(out, static_cast<std::uint64_t>(c.valid_until ? to_unix_ms(*c.valid_until) : 0), 8);
  for (const std::string* s : {&c.preferred_agent_id, &c.preferred_department_id, &c.caller_name, &c.custom_greeting}) {
    put_le(out, s->size(), 2);
    out.append(*s);
  }
}

bool decode_summary(std::string_view blob, IdentifyRecord* out) {
  if (blob.size() < kSummaryFixed || static_cast<std::uint8_t>(blob[0]) != kSummaryFormat) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(blob.data());
  if (p[1] >= kLevelCount || p[2] > 2) return false;
  out->vip_level = static_cast<Level>(p[1]);
  out->status = static_cast<CallerStatus>(p[2]);
  out->handling_rules = HandlingRules::from_bits(p[3]);
  const unsigned flags = p[4];
  const auto wait = static_cast<std::int32_t>(get_le(p + 5, 4));
  out->max_wait_time = (flags & 1) ? std::optional<int>(wait) : std::nullopt;
  out->callback_priority = static_cast<std::int32_t>(get_le(p + 9, 4));
  const auto from = static_cast<std::int64_t>(get_le(p + 13, 8));
  const auto until = static_cast<std::int64_t>(get_le(p + 21, 8));
  out->valid_from = (flags & 2) ? std::optional<Timestamp>(from_unix_ms(from)) : std::nullopt;
  out->valid_until = (flags & 4) ? std::optional<Timestamp>(from_unix_ms(until)) : std::nullopt;
  std::size_t off = kSummaryFixed;
  for (std::string* s : {&out->preferred_agent_id, &out->preferred_department_id, &out->caller_name,
                         &out->custom_greeting}) {
    if (off + 2 > blob.size()) return false;
    const auto len = static_cast<std::size_t>(get_le(p + off, 2));
    off += 2;
    if (off + len > blob.size()) return false;
    s->assign(blob.data() + off, len);
    off += len;
  }
  return off == blob.size();
}

void bind_phone(Statement& st, std::string_view tenant_id, const CallerRecord& c, const PhoneHash& hash,
                const std::string& summary) {
  st.bind_text(1, tenant_id);
  st.bind_blob(2, hash.data(), hash.size());
  st.bind_text(3, c.id);
  st.bind_blob(4, summary.data(), summary.size());
}

template <typename Enum>
Enum column_enum(const Statement& st, int col, int count) {
  const std::int64_t v = st.column_int(col);
  return static_cast<Enum>(v >= 0 && v < count ? v : 0);
}

// Binds ?1..?15 of kInsertRule / kUpdateRule.
void bind_rule(Statement& st, std::string_view tenant_id, const RuleRecord& r) {
  st.bind_text(1, tenant_id);
  st.bind_text(2, r.id);
  st.bind_text(3, r.name);
  st.bind_int(4, r.level_mask);
  st.bind_optional_int(5, opt_int(r.max_wait_time));
  st.bind_optional_int(6, opt_int(r.max_queue_position));
  st.bind_text(7, r.escalation_type);
  st.bind_int(8, r.tier);
  st.bind_blob_or_null(9, r.notify);
  st.bind_int(10, r.is_active ? 1 : 0);
  st.bind_int(11, r.priority);
  st.bind_int(12, static_cast<int>(r.schedule));
  st.bind_text(13, r.business_hours);
  st.bind_int(14, to_unix_ms(r.created_at));
  st.bind_int(15, to_unix_ms(r.updated_at));
}

RuleRecord read_rule(const Statement& st) {
  RuleRecord r;
  st.column_assign(0, &r.id);
  st.column_assign(1, &r.name);
  r.level_mask = static_cast<std::uint32_t>(st.column_int(2));
  if (auto v = st.column_optional_int(3)) r.max_wait_time = static_cast<int>(*v);
  if (auto v = st.column_optional_int(4)) r.max_queue_position = static_cast<int>(*v);
  st.column_assign(5, &r.escalation_type);
  r.tier = static_cast<int>(st.column_int(6));
  st.column_assign(7, &r.notify);
  r.is_active = st.column_int(8) != 0;
  r.priority = static_cast<int>(st.column_int(9));
  r.schedule = column_enum<RuleSchedule>(st, 10, 3);
  st.column_assign(11, &r.business_hours);
  r.created_at = from_unix_ms(st.column_int(12));
  r.updated_at = from_unix_ms(st.column_int(13));
  return r;
}

Result<CallerRecord> read_caller(const Statement& st) {
  CallerRecord c;
  st.column_assign(0, &c.id);
  c.vip_level = column_enum<Level>(st, 1, kLevelCount);
  c.status = column_enum<CallerStatus>(st, 2, 3);
  c.handling_rules = HandlingRules::from_bits(static_cast<std::uint32_t>(st.column_int(3)));
  st.column_assign(4, &c.preferred_agent_id);
  st.column_assign(5, &c.preferred_department_id);
  if (auto v = st.column_optional_int(6)) c.max_wait_time = static_cast<int>(*v);
  c.callback_priority = static_cast<int>(st.column_int(7));
  const std::string_view tags = st.column_view(8);
  const auto parsed = nlohmann::json::parse(tags.begin(), tags.end(), nullptr, false);
  if (!parsed.is_array()) return Status::storage_error("vip_caller.tags is not a JSON array");
  for (const auto& t : parsed) {
    if (!t.is_string()) return Status::storage_error("vip_caller.tags holds a value that is not a string");
    c.tags.push_back(t.get<std::string>());
  }
  c.total_calls = st.column_int(9);
  c.satisfaction_score = st.column_optional_double(10);
  c.valid_from = opt_time(st.column_optional_int(11));
  c.valid_until = opt_time(st.column_optional_int(12));
  c.created_at = from_unix_ms(st.column_int(13));
  c.updated_at = from_unix_ms(st.column_int(14));
  st.column_assign(15, &c.caller_name);
  st.column_assign(16, &c.company_name);
  st.column_assign(17, &c.email);
  st.column_assign(18, &c.account_number);
  st.column_assign(19, &c.account_value);
  st.column_assign(20, &c.notes);
  st.column_assign(21, &c.custom_greeting);
  const std::string_view hashes = st.column_view(22);
  std::string_view masks = st.column_view(23);
  if (hashes.empty() || hashes.size() % sizeof(PhoneHash) != 0)
    return Status::storage_error("vip_caller.phones is malformed");
  for (std::size_t off = 0; off < hashes.size(); off += sizeof(PhoneHash)) {
    StoredPhone p;
    std::copy_n(reinterpret_cast<const std::uint8_t*>(hashes.data() + off), p.hash.size(), p.hash.begin());
    const std::size_t comma = masks.find(',');
    p.masked = std::string(masks.substr(0, comma));
    masks = comma == std::string_view::npos ? std::string_view() : masks.substr(comma + 1);
    c.phones.push_back(std::move(p));
  }
  c.rated_calls = st.column_int(24);
  return c;
}

CallRow read_call(const Statement& st) {
  CallRow c;
  st.column_assign(0, &c.call_id);
  st.column_assign(1, &c.caller_id);
  c.vip_level = column_enum<Level>(st, 2, kLevelCount);
  c.handling_rules_applied = HandlingRules::from_bits(static_cast<std::uint32_t>(st.column_int(3)));
  c.wait_seconds = static_cast<int>(st.column_int(4));
  c.max_wait_time = static_cast<int>(st.column_int(5));
  c.escalation_triggered = st.column_int(6) != 0;
  if (auto v = st.column_optional_int(7)) c.satisfaction_rating = static_cast<int>(*v);
  c.service_quality_score = st.column_optional_double(8);
  c.at = from_unix_ms(st.column_int(9));
  return c;
}

// A reader: a connection and its statements, used by one thread at a time.
struct Reader {
  Connection conn;
  Statement find_phone, get_caller, scan, count, get_meta, list_rules, get_triggers, list_calls, aggregate,
      aggregate_caller, count_by_level_status;
};

class SqliteStorage;

class SqliteTransaction final : public WriteTransaction {
 public:
  SqliteTransaction(SqliteStorage& storage, std::unique_lock<std::mutex> lock) : s_(storage), lock_(std::move(lock)) {}
  ~SqliteTransaction() override;

  Result<std::optional<CallerRecord>> get_caller(std::string_view tenant_id, std::string_view id) override;
  Result<std::optional<std::string>> find_phone_owner(std::string_view tenant_id, const PhoneHash& hash) override;
  Status insert_callers(std::string_view tenant_id, const std::vector<CallerRecord>& callers,
                        const std::function<bool(std::size_t, std::size_t)>& progress) override;
  Status replace_caller(std::string_view tenant_id, const CallerRecord& caller) override;
  Status delete_caller(std::string_view tenant_id, std::string_view id) override;
  Result<std::optional<RuleRecord>> get_rule(std::string_view tenant_id, std::string_view id) override;
  Status insert_rule(std::string_view tenant_id, const RuleRecord& rule) override;
  Status replace_rule(std::string_view tenant_id, const RuleRecord& rule) override;
  Status delete_rule(std::string_view tenant_id, std::string_view id) override;
  Status insert_trigger(std::string_view tenant_id, const TriggerRecord& trigger, bool* inserted) override;
  Status mark_notified(std::string_view tenant_id, std::string_view call_id, std::string_view rule_id,
                       Timestamp at) override;
  Result<std::uint64_t> purge_triggers(std::string_view tenant_id, Timestamp before, std::uint64_t limit) override;
  Status insert_call(std::string_view tenant_id, const CallRow& call) override;
  Status update_caller_counters(std::string_view tenant_id, std::string_view caller_id, std::int64_t total_calls,
                                std::int64_t rated_calls, std::optional<double> satisfaction_score) override;
  Result<std::uint64_t> purge_calls(std::string_view tenant_id, Timestamp before, std::uint64_t limit) override;
  Result<std::optional<std::string>> get_meta(std::string_view scope, std::string_view key) override;
  Status put_meta(std::string_view scope, std::string_view key, std::string_view value) override;
  Status delete_meta(std::string_view scope, std::string_view key) override;
  Status append_audit(const AuditEntry& entry) override;
  Status commit() override;

 private:
  // Runs `body` inside a savepoint: on failure everything it did is undone
  // and the transaction goes on.
  template <typename F>
  Status atomically(F&& body);
  Status insert_phones(std::string_view tenant_id, const CallerRecord& c);
  // Runs a purge statement (?1 tenant, ?2 before, ?3 limit); the rows deleted.
  Result<std::uint64_t> purge_older(Statement& st, std::string_view tenant_id, Timestamp before, std::uint64_t limit,
                                    std::string_view context);
  Status usable() const {
    if (state_ != State::open) return Status::internal_error("the write transaction is no longer open");
    return Status::ok();
  }

  enum class State { open, committed, failed };
  SqliteStorage& s_;
  std::unique_lock<std::mutex> lock_;
  State state_ = State::open;
};

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(std::string path, const SqliteOptions& options) : path_(std::move(path)), options_(options) {}

  Status open();

  std::string_view name() const noexcept override { return "sqlite"; }

  Status find_by_phone(std::string_view tenant_id, const PhoneHash& hash, IdentifyRecord* out,
                       bool* found) override {
    *found = false;
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.find_phone;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, kFindPhone); !s.is_ok()) return s;
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
    return Status::ok();
  }

  Result<std::optional<CallerRecord>> get_caller(std::string_view tenant_id, std::string_view id) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    if (!r.get_caller.prepared())
      if (Status s = r.get_caller.prepare(r.conn, fmt::format(kSelectCaller, kCallerColumns)); !s.is_ok()) return s;
    return select_caller(r.get_caller, tenant_id, id);
  }

  Status scan_callers(std::string_view tenant_id, const CallerFilter& filter,
                      const std::function<bool(CallerRecord&&)>& visit) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.scan;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, fmt::format(kScanCallers, kCallerColumns)); !s.is_ok()) return s;
    ResetGuard reset(st);
    bind_filter(st, tenant_id, filter);
    // SQLite takes 64-bit signed counts: larger ones are clamped, never
    // wrapped (an offset of 2^63 would otherwise read as negative, i.e. 0).
    constexpr std::uint64_t kMaxCount = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    st.bind_int(4, filter.limit == 0 ? -1 : static_cast<std::int64_t>(std::min(filter.limit, kMaxCount)));
    st.bind_int(5, static_cast<std::int64_t>(std::min(filter.offset, kMaxCount)));
    st.bind_text(6, filter.after_id);
    for (;;) {
      auto row = st.step("scanning callers");
      if (!row.ok()) return row.status();
      if (!*row) return Status::ok();
      auto c = read_caller(st);
      if (!c.ok()) return c.status();
      if (!visit(std::move(*c))) return Status::ok();
    }
  }

  Result<std::uint64_t> count_callers(std::string_view tenant_id, const CallerFilter& filter) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.count;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, kCountCallers); !s.is_ok()) return s;
    ResetGuard reset(st);
    bind_filter(st, tenant_id, filter);
    auto row = st.step("counting callers");
    if (!row.ok()) return row.status();
    return static_cast<std::uint64_t>(st.column_int(0));
  }

  Result<std::vector<std::string>> list_tenants() override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Statement st;
    if (Status s = st.prepare(lease->get()->conn, kListTenants); !s.is_ok()) return s;
    std::vector<std::string> out;
    for (;;) {
      auto row = st.step("listing tenants");
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.emplace_back(st.column_view(0));
    }
  }

  Result<std::optional<std::string>> get_meta(std::string_view scope, std::string_view key) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    if (!r.get_meta.prepared())
      if (Status s = r.get_meta.prepare(r.conn, kGetMeta); !s.is_ok()) return s;
    return select_meta(r.get_meta, scope, key);
  }

  Result<std::vector<RuleRecord>> list_rules(std::string_view tenant_id) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.list_rules;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, fmt::format(kSelectRules, kRuleColumns)); !s.is_ok()) return s;
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    std::vector<RuleRecord> out;
    for (;;) {
      auto row = st.step("reading escalation rules");
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back(read_rule(st));
    }
  }

  Result<std::vector<TriggerRecord>> get_triggers(std::string_view tenant_id, std::string_view call_id) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.get_triggers;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, kSelectTriggers); !s.is_ok()) return s;
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    st.bind_text(2, call_id);
    std::vector<TriggerRecord> out;
    for (;;) {
      auto row = st.step("reading escalation triggers");
      if (!row.ok()) return row.status();
      if (!*row) return out;
      TriggerRecord t;
      st.column_assign(0, &t.call_id);
      st.column_assign(1, &t.rule_id);
      st.column_assign(2, &t.caller_id);
      t.triggered_at = from_unix_ms(st.column_int(3));
      t.notified_at = opt_time(st.column_optional_int(4));
      out.push_back(std::move(t));
    }
  }

  Result<LevelAggregates> aggregate_calls(std::string_view tenant_id, Timestamp from, Timestamp until,
                                          std::string_view caller_id) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    const bool one_caller = !caller_id.empty();
    Statement& st = one_caller ? r.aggregate_caller : r.aggregate;
    if (!st.prepared())
      // One caller's calls: their index, not a scan of the whole range (the
      // planner has no statistics to know that the caller is the narrower key).
      if (Status s = st.prepare(r.conn, fmt::format(kAggregateCalls,
                                                    one_caller ? " INDEXED BY vip_call_tenant_caller_at" : "",
                                                    one_caller ? " AND caller_id = ?4" : ""));
          !s.is_ok())
        return s;
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    st.bind_int(2, to_unix_ms(from));
    st.bind_int(3, to_unix_ms(until));
    if (one_caller) st.bind_text(4, caller_id);
    LevelAggregates out;
    std::array<std::vector<std::uint64_t>, kLevelCount> calls_by_wait;  // [level][wait seconds]
    for (;;) {
      auto row = st.step("aggregating calls");
      if (!row.ok()) return row.status();
      if (!*row) break;
      const std::int64_t level = st.column_int(0);
      if (level < 0 || level >= kLevelCount) return Status::storage_error("vip_call.vip_level is out of range");
      const std::int64_t wait = st.column_int(1);
      if (wait < 0 || wait > kMaxStoredCallWait) return Status::storage_error("vip_call.wait_seconds is out of range");
      CallAggregate& a = out[static_cast<std::size_t>(level)];
      ++a.calls;
      if (wait <= st.column_int(2)) ++a.sla_met;
      if (st.column_int(3) != 0) ++a.escalations;
      if (const auto rating = st.column_optional_int(4)) {
        ++a.rated;
        a.rating_sum += static_cast<double>(*rating);
      }
      if (const auto quality = st.column_optional_double(5)) {
        ++a.scored;
        a.quality_sum += *quality;
      }
      const std::int64_t rules = st.column_int(6);
      for (int rule = 0; rule < kHandlingRuleCount; ++rule)
        if (rules & (std::int64_t{1} << rule)) ++a.rules[static_cast<std::size_t>(rule)];
      a.wait_sum += static_cast<double>(wait);
      a.wait_max = std::max(a.wait_max, static_cast<int>(wait));
      std::vector<std::uint64_t>& counts = calls_by_wait[static_cast<std::size_t>(level)];
      const auto w = static_cast<std::size_t>(wait);
      if (w >= counts.size()) counts.resize(std::min<std::size_t>(std::max(w + 1, counts.size() * 2), kMaxStoredCallWait + 1));
      ++counts[w];
    }
    for (std::size_t l = 0; l < out.size(); ++l) {
      const std::vector<std::uint64_t>& counts = calls_by_wait[l];
      for (std::size_t w = 0; w < counts.size(); ++w)
        if (counts[w] != 0) out[l].wait_histogram.emplace_back(static_cast<int>(w), counts[w]);
    }
    return out;
  }

  Result<std::vector<CallRow>> list_calls(std::string_view tenant_id, std::string_view caller_id, Timestamp from,
                                          Timestamp until, std::uint64_t limit) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.list_calls;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, fmt::format(kListCalls, kCallColumns)); !s.is_ok()) return s;
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    st.bind_text(2, caller_id);
    st.bind_int(3, to_unix_ms(from));
    st.bind_int(4, to_unix_ms(until));
    st.bind_int(5, limit == 0 ? -1 : static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX)));
    std::vector<CallRow> out;
    for (;;) {
      auto row = st.step("reading call history");
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back(read_call(st));
    }
  }

  Result<CallerCounts> count_callers_by_level_status(std::string_view tenant_id) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.count_by_level_status;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, kCountByLevelStatus); !s.is_ok()) return s;
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    CallerCounts out{};
    for (;;) {
      auto row = st.step("counting callers");
      if (!row.ok()) return row.status();
      if (!*row) return out;
      const std::int64_t level = st.column_int(0), status = st.column_int(1);
      if (level < 0 || level >= kLevelCount || status < 0 || status > 2)
        return Status::storage_error("vip_caller holds a level or status out of range");
      ++out[static_cast<std::size_t>(level)][static_cast<std::size_t>(status)];
    }
  }

  Result<std::vector<AuditEntry>> query_audit(std::string_view tenant_id, const AuditQuery& q) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    std::string sql =
        "SELECT seq, at, actor_id, role, action, entity_type, entity_id, fields, outcome FROM vip_audit "
        "WHERE tenant_id = ?1";
    if (q.from) sql += " AND at >= ?2";
    if (q.until) sql += " AND at < ?3";
    if (q.actor_id) sql += " AND actor_id = ?4";
    if (q.entity_id) sql += " AND entity_id = ?5";
    sql += " ORDER BY seq LIMIT ?6";
    Statement st;
    if (Status s = st.prepare(r.conn, sql); !s.is_ok()) return s;
    st.bind_text(1, tenant_id);
    if (q.from) st.bind_int(2, to_unix_ms(*q.from));
    if (q.until) st.bind_int(3, to_unix_ms(*q.until));
    if (q.actor_id) st.bind_text(4, *q.actor_id);
    if (q.entity_id) st.bind_text(5, *q.entity_id);
    st.bind_int(6, q.limit == 0 ? -1 : static_cast<std::int64_t>(q.limit));
    std::vector<AuditEntry> out;
    for (;;) {
      auto row = st.step("reading the audit trail");
      if (!row.ok()) return row.status();
      if (!*row) break;
      AuditEntry e;
      e.sequence = st.column_int(0);
      e.tenant_id = std::string(tenant_id);
      e.at = from_unix_ms(st.column_int(1));
      st.column_assign(2, &e.actor_id);
      e.role = column_enum<Role>(st, 3, kRoleCount);
      st.column_assign(4, &e.action);
      st.column_assign(5, &e.entity_type);
      st.column_assign(6, &e.entity_id);
      const std::string_view fields = st.column_view(7);
      const auto parsed = nlohmann::json::parse(fields.begin(), fields.end(), nullptr, false);
      if (parsed.is_array())
        for (const auto& f : parsed)
          if (f.is_string()) e.fields.push_back(f.get<std::string>());
      st.column_assign(8, &e.outcome);
      out.push_back(std::move(e));
    }
    return out;
  }

  Result<std::unique_ptr<WriteTransaction>> begin_write() override {
    if (options_.read_only)
      return Status::storage_error(fmt::format("{} was opened read-only: nothing can be written", path_));
    std::unique_lock<std::mutex> lock(write_mu_);
    const int rc = sqlite3_exec(writer_.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return sqlite::error(rc, writer_.get(), "starting a write transaction");
    return std::unique_ptr<WriteTransaction>(std::make_unique<SqliteTransaction>(*this, std::move(lock)));
  }

 private:
  friend class SqliteTransaction;

  // A reader leased from the pool; returned to it when the lease ends.
  class Lease {
   public:
    Lease(SqliteStorage* s, std::unique_ptr<Reader> r) noexcept : s_(s), r_(std::move(r)) {}
    Lease(Lease&& o) noexcept : s_(o.s_), r_(std::move(o.r_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (r_) s_->release(std::move(r_));
    }
    Reader* get() const noexcept { return r_.get(); }

   private:
    SqliteStorage* s_;
    std::unique_ptr<Reader> r_;
  };

  Result<Lease> acquire() {
    {
      std::lock_guard<std::mutex> g(pool_mu_);
      if (!idle_.empty()) {
        std::unique_ptr<Reader> r = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(r));
      }
    }
    auto r = std::make_unique<Reader>();
    if (Status s = configure(r->conn, /*writer=*/false); !s.is_ok()) return s;
    return Lease(this, std::move(r));
  }

  void release(std::unique_ptr<Reader> r) noexcept {
    std::lock_guard<std::mutex> g(pool_mu_);
    try {
      idle_.push_back(std::move(r));
    } catch (...) {
      // Out of memory: the reader is simply closed (r's destructor).
    }
  }

  Status configure(Connection& conn, bool writer) {
    if (Status s = conn.open(path_, mode_); !s.is_ok()) return s;
    sqlite3_busy_timeout(conn.get(), options_.busy_timeout_ms);
    // journal_size_limit: after a big import the WAL file would otherwise
    // keep its peak size (as big as the data written) for as long as the
    // database is open; truncate it to 64 MiB once checkpointed.
    const std::string pragmas = fmt::format(
        "PRAGMA cache_size = -{}; PRAGMA synchronous = {}; PRAGMA journal_size_limit = 67108864;{}",
        options_.cache_size_kib, options_.durable_commits ? "FULL" : "NORMAL", writer ? "" : " PRAGMA query_only = 1;");
    return conn.exec(pragmas.c_str());
  }

  static void bind_filter(Statement& st, std::string_view tenant_id, const CallerFilter& filter) {
    st.bind_text(1, tenant_id);
    if (filter.vip_level) st.bind_int(2, static_cast<int>(*filter.vip_level));
    else st.bind_null(2);
    if (filter.status) st.bind_int(3, static_cast<int>(*filter.status));
    else st.bind_null(3);
  }

  static Result<std::optional<CallerRecord>> select_caller(Statement& st, std::string_view tenant_id,
                                                           std::string_view id) {
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    st.bind_text(2, id);
    auto row = st.step("reading a caller");
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<CallerRecord>();
    auto c = read_caller(st);
    if (!c.ok()) return c.status();
    return std::optional<CallerRecord>(std::move(*c));
  }

  static Result<std::optional<std::string>> select_meta(Statement& st, std::string_view scope, std::string_view key) {
    ResetGuard reset(st);
    st.bind_text(1, scope);
    st.bind_text(2, key);
    auto row = st.step("reading metadata");
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>(std::string(st.column_view(0)));
  }

  Status migrate();
  Status prepare_writer();
  Status create_file();
  Status open_read_only();

  std::string path_;
  SqliteOptions options_;
  sqlite::Connection::Mode mode_ = sqlite::Connection::Mode::read_write;
  bool creating_ = false;  // building a new database (in a temporary file)
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Reader>> idle_;
  std::mutex write_mu_;  // one write transaction at a time in this process
  Connection writer_;
  Statement w_insert_call_, w_update_counters_, w_purge_calls_;
  Statement w_get_rule_, w_insert_rule_, w_update_rule_, w_delete_rule_, w_insert_trigger_, w_mark_notified_,
      w_purge_triggers_;
  Statement w_delete_meta_;
  Statement w_get_caller_, w_get_meta_, w_phone_owner_, w_insert_caller_, w_update_caller_, w_delete_caller_, w_insert_phone_,
      w_delete_phone_, w_put_meta_, w_insert_audit_;
};

// Replaces SQLite's automatic checkpoint (which is itself a WAL hook) to add
// one thing: after a commit that left a big WAL (a bulk import), checkpoint
// and truncate it at once instead of keeping a file as large as the data
// written. TRUNCATE does not wait for readers: if they keep it busy, the WAL
// is simply truncated after a later commit.
int wal_hook(void* busy_timeout_ms, sqlite3* db, const char* name, int frames) {
  constexpr int kAutoCheckpointFrames = 1000;  // SQLite's default
  constexpr int kTruncateFrames = 16384;       // 64 MiB of 4 KiB pages
  if (frames >= kTruncateFrames) {
    // Without a busy handler: the caller whose commit this follows (a PBX
    // recording a call, say) must not wait for a long reader such as an
    // export. Busy now, the WAL is truncated after a later commit.
    sqlite3_busy_timeout(db, 0);
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    sqlite3_busy_timeout(db, *static_cast<const int*>(busy_timeout_ms));
  } else if (frames >= kAutoCheckpointFrames) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

std::string errno_text(int e, const std::string& path) {
  std::string plain = sqlite::describe(0, e, path);
  return plain.empty() ? std::strerror(e) : plain;
}

Status SqliteStorage::open() {
  if (options_.read_only) return open_read_only();
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return Status::storage_error(fmt::format("cannot open database {}: {}", path_, std::strerror(errno)));
    if (options_.create_if_missing) {
      if (Status s = create_file(); !s.is_ok()) return s;
    }  // else opening it fails below, naming the file
  } else if (S_ISREG(st.st_mode) && st.st_size == 0) {
    return Status::version_error(fmt::format(
        "{} is not a vipcore database: it is an empty file (only a missing file is made into a new database)", path_));
  }
  mode_ = sqlite::Connection::Mode::read_write;
  if (Status s = configure(writer_, /*writer=*/true); !s.is_ok()) return s;
  sqlite3_wal_hook(writer_.get(), &wal_hook, &options_.busy_timeout_ms);
  if (Status s = migrate(); !s.is_ok()) return s;
  return prepare_writer();
}

// Builds a new database in a temporary file next to path_ and moves it into
// place only when complete, without replacing a file another process made
// meanwhile.
Status SqliteStorage::create_file() {
  std::string tmp = path_ + ".new-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    return Status::storage_error(fmt::format("cannot create database {}: {}", path_, errno_text(errno, path_)));
  const bool moded = ::fchmod(fd, static_cast<mode_t>(options_.file_mode & 07777)) == 0;
  const int mode_errno = errno;
  ::close(fd);
  auto fail = [&](Status s) {
    ::unlink(tmp.c_str());
    return s;
  };
  if (!moded)
    return fail(Status::storage_error(fmt::format("cannot create database {}: {}", path_, std::strerror(mode_errno))));
  {
    SqliteStorage fresh(tmp, options_);
    fresh.creating_ = true;
    Status s = fresh.configure(fresh.writer_, /*writer=*/true);
    if (s.is_ok()) s = fresh.migrate();
    if (!s.is_ok()) return fail(s.with_context(fmt::format("creating database {}", path_)));
  }  // closed: the WAL is checkpointed into the file and removed
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE) == 0) return Status::ok();
  if (errno == EEXIST) return fail(Status::ok());  // another process made it first: use theirs
  if (errno != EINVAL && errno != ENOSYS)
    return fail(Status::storage_error(fmt::format("cannot create database {}: {}", path_, errno_text(errno, path_))));
  // A file system without renameat2: a hard link is just as exclusive.
  if (::link(tmp.c_str(), path_.c_str()) != 0 && errno != EEXIST)
    return fail(Status::storage_error(fmt::format("cannot create database {}: {}", path_, errno_text(errno, path_))));
  return fail(Status::ok());
}

Status SqliteStorage::open_read_only() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0)
    return Status::storage_error(fmt::format("cannot open database {} read-only: {}", path_, std::strerror(errno)));
  if (S_ISREG(st.st_mode) && st.st_size == 0)
    return Status::version_error(fmt::format("{} is not a vipcore database: it is an empty file", path_));
  mode_ = sqlite::Connection::Mode::read_only;
  Status s = configure(writer_, /*writer=*/false);
  if (s.is_ok()) s = migrate();
  if (!s.is_ok() && !s.is_version_error()) {
    // SQLite reads a WAL database through its -shm file, which it could not
    // open or create (a directory nobody may write, a full disk). Without a
    // WAL file there is nothing the -shm file would add: read the file as
    // immutable. With one, its commits would be missed: refuse.
    struct stat wal {};
    const std::string wal_path = path_ + "-wal";
    if (::stat(wal_path.c_str(), &wal) == 0 && S_ISREG(wal.st_mode) && wal.st_size > 0)
      return s.with_context(fmt::format("{} has a write-ahead log that cannot be read without writing {}-shm", path_,
                                        path_));
    writer_ = sqlite::Connection();
    mode_ = sqlite::Connection::Mode::immutable;
    s = configure(writer_, /*writer=*/false);
    if (s.is_ok()) s = migrate();
  }
  if (!s.is_ok()) return s;
  return prepare_writer();
}

Status SqliteStorage::migrate() {
  auto pragma_int = [this](const char* sql) -> Result<std::int64_t> {
    Statement st;
    if (Status s = st.prepare(writer_, sql); !s.is_ok()) return s;
    auto row = st.step("reading the database header");
    if (!row.ok()) return row.status();
    return *row ? st.column_int(0) : 0;
  };
  auto check_header = [&]() -> Result<std::int64_t> {
    auto app = pragma_int("PRAGMA application_id");
    if (!app.ok()) return app.status();
    auto version = pragma_int("PRAGMA user_version");
    if (!version.ok()) return version.status();
    auto tables = pragma_int("SELECT count(*) FROM sqlite_master");
    if (!tables.ok()) return tables.status();
    // Only a database being built starts out blank.
    if (*app != kApplicationId && !(creating_ && *app == 0 && *tables == 0))
      return Status::version_error(fmt::format("{} is not a vipcore database", path_));
    if (*version > kSqliteSchemaVersion)
      return Status::version_error(fmt::format(
          "{} has schema version {}, newer than this vipcore ({}) knows; upgrade vipcore to open it", path_,
          *version, kSqliteSchemaVersion));
    return *version;
  };
  auto version = check_header();
  if (!version.ok()) return version.status();
  if (options_.read_only) {
    if (*version == kSqliteSchemaVersion) return Status::ok();
    return Status::version_error(fmt::format(
        "{} has schema version {}, older than this vipcore's ({}); open it once read-write to upgrade it", path_,
        *version, kSqliteSchemaVersion));
  }
  // WAL lets readers run while a writer commits; the setting is stored in the file.
  if (Status s = writer_.exec("PRAGMA journal_mode = WAL"); !s.is_ok()) return s;
  if (*version == kSqliteSchemaVersion) return Status::ok();

  // Another process may be migrating too: take the write lock, then look again.
  if (Status s = writer_.exec("BEGIN IMMEDIATE"); !s.is_ok()) return s;
  version = check_header();
  Status s = version.ok() ? Status::ok() : version.status();
  for (std::int64_t v = version.ok() ? *version : kSqliteSchemaVersion; s.is_ok() && v < kSqliteSchemaVersion; ++v) {
    s = writer_.exec(kMigrations[v]);
    if (!s.is_ok()) s = s.with_context(fmt::format("migrating the schema to version {}", v + 1));
  }
  if (s.is_ok()) {
    const std::string stamp = fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {}; COMMIT",
                                          kApplicationId, kSqliteSchemaVersion);
    s = writer_.exec(stamp.c_str());
  }
  if (!s.is_ok()) sqlite3_exec(writer_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  return s;
}

Status SqliteStorage::prepare_writer() {
  const std::pair<Statement*, std::string> stmts[] = {
      {&w_get_caller_, fmt::format(kSelectCaller, kCallerColumns)},
      {&w_get_meta_, kGetMeta},
      {&w_delete_meta_, kDeleteMeta},
      {&w_get_rule_, fmt::format(kSelectRule, kRuleColumns)},
      {&w_insert_rule_, fmt::format(kInsertRule, kRuleColumns)},
      {&w_update_rule_, kUpdateRule},
      {&w_delete_rule_, kDeleteRule},
      {&w_insert_trigger_, kInsertTrigger},
      {&w_mark_notified_, kMarkNotified},
      {&w_purge_triggers_, kPurgeTriggers},
      {&w_insert_call_, fmt::format(kInsertCall, kCallColumns)},
      {&w_update_counters_, kUpdateCounters},
      {&w_purge_calls_, kPurgeCalls},
      {&w_phone_owner_, kPhoneOwner},
      {&w_insert_caller_, fmt::format(kInsertCaller, kCallerColumns)},
      {&w_update_caller_, kUpdateCaller},
      {&w_delete_caller_, kDeleteCaller},
      {&w_insert_phone_, kInsertPhone},
      {&w_delete_phone_, kDeletePhone},
      {&w_put_meta_, kPutMeta},
      {&w_insert_audit_, kInsertAudit},
  };
  for (const auto& [st, sql] : stmts)
    if (Status s = st->prepare(writer_, sql); !s.is_ok()) return s;
  return Status::ok();
}

SqliteTransaction::~SqliteTransaction() {
  if (state_ != State::committed) sqlite3_exec(s_.writer_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

template <typename F>
Status SqliteTransaction::atomically(F&& body) {
  if (Status s = usable(); !s.is_ok()) return s;
  sqlite3* db = s_.writer_.get();
  if (int rc = sqlite3_exec(db, "SAVEPOINT op", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    state_ = State::failed;
    return sqlite::error(rc, db, "starting a savepoint");
  }
  Status s = body();
  if (!s.is_ok()) {
    const int rc = sqlite3_exec(db, "ROLLBACK TO op; RELEASE op", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK || !(s.is_already_exists() || s.is_not_found())) state_ = State::failed;
    return s;
  }
  if (int rc = sqlite3_exec(db, "RELEASE op", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    state_ = State::failed;
    return sqlite::error(rc, db, "releasing a savepoint");
  }
  return Status::ok();
}

Result<std::optional<CallerRecord>> SqliteTransaction::get_caller(std::string_view tenant_id, std::string_view id) {
  if (Status s = usable(); !s.is_ok()) return s;
  return SqliteStorage::select_caller(s_.w_get_caller_, tenant_id, id);
}

Result<std::optional<std::string>> SqliteTransaction::find_phone_owner(std::string_view tenant_id,
                                                                       const PhoneHash& hash) {
  if (Status s = usable(); !s.is_ok()) return s;
  Statement& st = s_.w_phone_owner_;
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  st.bind_blob(2, hash.data(), hash.size());
  auto row = st.step("looking up a phone number");
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(std::string(st.column_view(0)));
}

Status SqliteTransaction::insert_phones(std::string_view tenant_id, const CallerRecord& c) {
  std::string summary;
  encode_summary(c, summary);
  for (const StoredPhone& p : c.phones) {
    bind_phone(s_.w_insert_phone_, tenant_id, c, p.hash, summary);
    Status s = s_.w_insert_phone_.run("storing a phone number");
    if (s.is_already_exists())
      return Status::already_exists("phone_number", "the number already belongs to another VIP of the tenant");
    if (!s.is_ok()) return s;
  }
  return Status::ok();
}

Status SqliteTransaction::insert_callers(std::string_view tenant_id, const std::vector<CallerRecord>& callers,
                                         const std::function<bool(std::size_t, std::size_t)>& progress) {
  return atomically([&]() -> Status {
    // Progress in rows written: callers first, then phone numbers.
    std::size_t total = callers.size(), done = 0;
    for (const CallerRecord& c : callers) total += c.phones.size();
    const auto step = [&]() {
      ++done;
      return !progress || (done % 1024 != 0 && done != total) || progress(done, total);
    };
    const Status cancelled = Status::invalid_argument("import", "cancelled by the progress callback; nothing was written");
    // B-tree inserts in key order touch each page once instead of at random:
    // for big imports this is several times faster than input order.
    std::vector<std::size_t> order(callers.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return callers[a].id < callers[b].id; });
    std::string scratch[3];
    for (std::size_t i : order) {
      bind_caller(s_.w_insert_caller_, tenant_id, callers[i], scratch);
      Status s = s_.w_insert_caller_.run("storing a caller");
      if (s.is_already_exists()) return Status::already_exists("id", "a caller with this id already exists");
      if (!s.is_ok()) return s;
      if (!step()) return cancelled;
    }
    std::vector<std::pair<const PhoneHash*, const CallerRecord*>> phones;
    phones.reserve(callers.size());
    for (const CallerRecord& c : callers)
      for (const StoredPhone& p : c.phones) phones.emplace_back(&p.hash, &c);
    std::sort(phones.begin(), phones.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
    std::string summary;
    for (const auto& [hash, c] : phones) {
      encode_summary(*c, summary);
      bind_phone(s_.w_insert_phone_, tenant_id, *c, *hash, summary);
      Status s = s_.w_insert_phone_.run("storing a phone number");
      if (s.is_already_exists())
        return Status::already_exists("phone_number", "the number already belongs to another VIP of the tenant");
      if (!s.is_ok()) return s;
      if (!step()) return cancelled;
    }
    return Status::ok();
  });
}

Status SqliteTransaction::replace_caller(std::string_view tenant_id, const CallerRecord& caller) {
  return atomically([&]() -> Status {
    auto old = SqliteStorage::select_caller(s_.w_get_caller_, tenant_id, caller.id);
    if (!old.ok()) return old.status();
    if (!*old) return Status::not_found("no VIP caller with this id in the tenant");
    for (const StoredPhone& p : (*old)->phones) {
      s_.w_delete_phone_.bind_text(1, tenant_id);
      s_.w_delete_phone_.bind_blob(2, p.hash.data(), p.hash.size());
      if (Status s = s_.w_delete_phone_.run("removing a phone number"); !s.is_ok()) return s;
    }
    std::string scratch[3];
    bind_caller(s_.w_update_caller_, tenant_id, caller, scratch);
    if (Status s = s_.w_update_caller_.run("updating a caller"); !s.is_ok()) return s;
    return insert_phones(tenant_id, caller);
  });
}

Status SqliteTransaction::delete_caller(std::string_view tenant_id, std::string_view id) {
  return atomically([&]() -> Status {
    auto old = SqliteStorage::select_caller(s_.w_get_caller_, tenant_id, id);
    if (!old.ok()) return old.status();
    if (!*old) return Status::not_found("no VIP caller with this id in the tenant");
    for (const StoredPhone& p : (*old)->phones) {
      s_.w_delete_phone_.bind_text(1, tenant_id);
      s_.w_delete_phone_.bind_blob(2, p.hash.data(), p.hash.size());
      if (Status s = s_.w_delete_phone_.run("removing a phone number"); !s.is_ok()) return s;
    }
    s_.w_delete_caller_.bind_text(1, tenant_id);
    s_.w_delete_caller_.bind_text(2, id);
    return s_.w_delete_caller_.run("deleting a caller");
  });
}

Result<std::optional<RuleRecord>> SqliteTransaction::get_rule(std::string_view tenant_id, std::string_view id) {
  if (Status s = usable(); !s.is_ok()) return s;
  Statement& st = s_.w_get_rule_;
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  st.bind_text(2, id);
  auto row = st.step("reading an escalation rule");
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<RuleRecord>();
  return std::optional<RuleRecord>(read_rule(st));
}

Status SqliteTransaction::insert_rule(std::string_view tenant_id, const RuleRecord& rule) {
  return atomically([&]() -> Status {
    bind_rule(s_.w_insert_rule_, tenant_id, rule);
    Status s = s_.w_insert_rule_.run("storing an escalation rule");
    if (s.is_already_exists()) return Status::already_exists("id", "a rule with this id already exists");
    return s;
  });
}

Status SqliteTransaction::replace_rule(std::string_view tenant_id, const RuleRecord& rule) {
  return atomically([&]() -> Status {
    bind_rule(s_.w_update_rule_, tenant_id, rule);
    if (Status s = s_.w_update_rule_.run("updating an escalation rule"); !s.is_ok()) return s;
    if (sqlite3_changes(s_.writer_.get()) == 0) return Status::not_found("no escalation rule with this id in the tenant");
    return Status::ok();
  });
}

Status SqliteTransaction::delete_rule(std::string_view tenant_id, std::string_view id) {
  return atomically([&]() -> Status {
    s_.w_delete_rule_.bind_text(1, tenant_id);
    s_.w_delete_rule_.bind_text(2, id);
    if (Status s = s_.w_delete_rule_.run("deleting an escalation rule"); !s.is_ok()) return s;
    if (sqlite3_changes(s_.writer_.get()) == 0) return Status::not_found("no escalation rule with this id in the tenant");
    return Status::ok();
  });
}

Status SqliteTransaction::insert_trigger(std::string_view tenant_id, const TriggerRecord& t, bool* inserted) {
  return atomically([&]() -> Status {
    Statement& st = s_.w_insert_trigger_;
    st.bind_text(1, tenant_id);
    st.bind_text(2, t.call_id);
    st.bind_text(3, t.rule_id);
    st.bind_text(4, t.caller_id);
    st.bind_int(5, to_unix_ms(t.triggered_at));
    st.bind_optional_int(6, opt_ms(t.notified_at));
    if (Status s = st.run("storing an escalation trigger"); !s.is_ok()) return s;
    *inserted = sqlite3_changes(s_.writer_.get()) > 0;
    return Status::ok();
  });
}

Status SqliteTransaction::mark_notified(std::string_view tenant_id, std::string_view call_id,
                                        std::string_view rule_id, Timestamp at) {
  return atomically([&]() -> Status {
    Statement& st = s_.w_mark_notified_;
    st.bind_text(1, tenant_id);
    st.bind_text(2, call_id);
    st.bind_text(3, rule_id);
    st.bind_int(4, to_unix_ms(at));
    if (Status s = st.run("recording a notification"); !s.is_ok()) return s;
    if (sqlite3_changes(s_.writer_.get()) == 0) return Status::not_found("no such escalation trigger");
    return Status::ok();
  });
}

Result<std::uint64_t> SqliteTransaction::purge_triggers(std::string_view tenant_id, Timestamp before,
                                                        std::uint64_t limit) {
  return purge_older(s_.w_purge_triggers_, tenant_id, before, limit, "purging escalation triggers");
}

Status SqliteTransaction::insert_call(std::string_view tenant_id, const CallRow& c) {
  return atomically([&]() -> Status {
    Statement& st = s_.w_insert_call_;
    st.bind_text(1, tenant_id);
    st.bind_text(2, c.call_id);
    st.bind_text(3, c.caller_id);
    st.bind_int(4, static_cast<int>(c.vip_level));
    st.bind_int(5, c.handling_rules_applied.bits());
    st.bind_int(6, c.wait_seconds);
    st.bind_int(7, c.max_wait_time);
    st.bind_int(8, c.escalation_triggered ? 1 : 0);
    st.bind_optional_int(9, opt_int(c.satisfaction_rating));
    st.bind_optional_double(10, c.service_quality_score);
    st.bind_int(11, to_unix_ms(c.at));
    Status s = st.run("recording a call");
    if (s.is_already_exists()) return Status::already_exists("call_id", "this call has already been recorded");
    return s;
  });
}

Status SqliteTransaction::update_caller_counters(std::string_view tenant_id, std::string_view caller_id,
                                                 std::int64_t total_calls, std::int64_t rated_calls,
                                                 std::optional<double> satisfaction_score) {
  return atomically([&]() -> Status {
    Statement& st = s_.w_update_counters_;
    st.bind_text(1, tenant_id);
    st.bind_text(2, caller_id);
    st.bind_int(3, total_calls);
    st.bind_int(4, rated_calls);
    st.bind_optional_double(5, satisfaction_score);
    if (Status s = st.run("updating a caller's counters"); !s.is_ok()) return s;
    if (sqlite3_changes(s_.writer_.get()) == 0) return Status::not_found("no VIP caller with this id in the tenant");
    return Status::ok();
  });
}

Result<std::uint64_t> SqliteTransaction::purge_calls(std::string_view tenant_id, Timestamp before,
                                                     std::uint64_t limit) {
  return purge_older(s_.w_purge_calls_, tenant_id, before, limit, "purging call history");
}

Result<std::uint64_t> SqliteTransaction::purge_older(Statement& st, std::string_view tenant_id, Timestamp before,
                                                     std::uint64_t limit, std::string_view context) {
  std::uint64_t purged = 0;
  Status s = atomically([&]() -> Status {
    st.bind_text(1, tenant_id);
    st.bind_int(2, to_unix_ms(before));
    st.bind_int(3, static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX)));
    if (Status r = st.run(context); !r.is_ok()) return r;
    purged = static_cast<std::uint64_t>(sqlite3_changes64(s_.writer_.get()));
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return purged;
}

Result<std::optional<std::string>> SqliteTransaction::get_meta(std::string_view scope, std::string_view key) {
  if (Status s = usable(); !s.is_ok()) return s;
  return SqliteStorage::select_meta(s_.w_get_meta_, scope, key);
}

Status SqliteTransaction::put_meta(std::string_view scope, std::string_view key, std::string_view value) {
  return atomically([&]() -> Status {
    Statement& st = s_.w_put_meta_;
    st.bind_text(1, scope);
    st.bind_text(2, key);
    st.bind_blob(3, value.data(), value.size());
    return st.run("writing metadata");
  });
}

Status SqliteTransaction::delete_meta(std::string_view scope, std::string_view key) {
  return atomically([&]() -> Status {
    Statement& st = s_.w_delete_meta_;
    st.bind_text(1, scope);
    st.bind_text(2, key);
    return st.run("removing metadata");
  });
}

Status SqliteTransaction::append_audit(const AuditEntry& e) {
  return atomically([&]() -> Status {
    Statement& st = s_.w_insert_audit_;
    const std::string fields = nlohmann::json(e.fields).dump();
    st.bind_text(1, e.tenant_id);
    st.bind_int(2, to_unix_ms(e.at));
    st.bind_text(3, e.actor_id);
    st.bind_int(4, static_cast<int>(e.role));
    st.bind_text(5, e.action);
    st.bind_text(6, e.entity_type);
    st.bind_text(7, e.entity_id);
    st.bind_text(8, fields);
    st.bind_text(9, e.outcome);
    return st.run("writing an audit entry");
  });
}

Status SqliteTransaction::commit() {
  if (Status s = usable(); !s.is_ok()) return s;
  sqlite3* db = s_.writer_.get();
  const int rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    state_ = State::failed;  // the destructor rolls back
    return sqlite::error(rc, db, "committing");
  }
  state_ = State::committed;
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Storage>> open_sqlite_storage(const std::string& path, const SqliteOptions& options) {
  if (path.empty()) return Status::invalid_argument("path", "is empty");
  if (options.busy_timeout_ms < 0) return Status::invalid_argument("busy_timeout_ms", "must not be negative");
  if (options.cache_size_kib < 64) return Status::invalid_argument("cache_size_kib", "must be at least 64");
  if ((options.file_mode & ~0777u) != 0 || (options.file_mode & 0600u) != 0600u)
    return Status::invalid_argument("file_mode", "must be permission bits (at most 0777) that let the owner read and write");
  auto storage = std::make_unique<SqliteStorage>(path, options);
  if (Status s = storage->open(); !s.is_ok()) return s;
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace vipcore
