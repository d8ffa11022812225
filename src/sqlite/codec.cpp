// Row codecs of the SQLite backend (see codec.hpp).
#include "sqlite/codec.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>
#include <vector>

#include "phone_columns.hpp"

namespace vipcore::sqlite {
namespace {

// The summary column of vip_phone: what identify needs about a number's
// owner, packed into one blob so that the identify lookup reads one column
// instead of twelve (each column read costs about as much as a hash probe).
// Layout, little-endian:
//   u8 format (2) | u8 level | u8 status | u8 rules | u8 flags (1: max wait, 2: valid_from, 4: valid_until)
//   i32 max_wait_time | i32 callback_priority | i64 valid_from ms | i64 valid_until ms
//   | 16-byte integrity tag (format 2 only; format 1, before schema version 4, has none)
//   then four length-prefixed (u16) strings: preferred agent, preferred department,
//   sealed caller_name, sealed custom_greeting.
constexpr std::uint8_t kSummaryFormat = 2;
constexpr std::size_t kSummaryFixed1 = 5 + 4 + 4 + 8 + 8;
constexpr std::size_t kSummaryFixed = kSummaryFixed1 + std::tuple_size_v<IntegrityTag>;

void put_le(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t get_le(const unsigned char* p, int bytes) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

}  // namespace

void bind_caller(Statement& st, std::string_view tenant_id, const CallerRecord& c, std::string (&scratch)[3]) {
  scratch[0] = c.tags.empty() ? "[]" : nlohmann::json(c.tags).dump();
  scratch[1] = detail::encode_phone_hashes(c.phones);
  scratch[2] = detail::encode_phone_masks(c.phones);
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
  st.bind_blob(27, c.integrity.data(), c.integrity.size());
}

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
  out.append(reinterpret_cast<const char*>(c.integrity.data()), c.integrity.size());
  for (const std::string* s : {&c.preferred_agent_id, &c.preferred_department_id, &c.caller_name, &c.custom_greeting}) {
    put_le(out, s->size(), 2);
    out.append(*s);
  }
}

bool decode_summary(std::string_view blob, IdentifyRecord* out) {
  const auto format = blob.empty() ? 0 : static_cast<std::uint8_t>(blob[0]);
  if ((format != 1 && format != kSummaryFormat) || blob.size() < (format == 1 ? kSummaryFixed1 : kSummaryFixed))
    return false;
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
  out->integrity = IntegrityTag{};
  std::size_t off = kSummaryFixed1;
  if (format == kSummaryFormat) {
    std::copy_n(p + off, out->integrity.size(), out->integrity.begin());
    off = kSummaryFixed;
  }
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
  if (Status s = detail::decode_phones(st.column_view(22), st.column_view(23), &c.phones); !s.ok()) return s;
  c.rated_calls = st.column_int(24);
  if (const std::string_view tag = st.column_view(25); tag.size() == c.integrity.size())
    std::copy_n(reinterpret_cast<const std::uint8_t*>(tag.data()), tag.size(), c.integrity.begin());
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

void bind_trigger(Statement& st, std::string_view tenant_id, const TriggerRecord& t) {
  st.bind_text(1, tenant_id);
  st.bind_text(2, t.call_id);
  st.bind_text(3, t.rule_id);
  st.bind_text(4, t.caller_id);
  st.bind_int(5, to_unix_ms(t.triggered_at));
  st.bind_optional_int(6, opt_ms(t.notified_at));
}

TriggerRecord read_trigger(const Statement& st) {
  TriggerRecord t;
  st.column_assign(0, &t.call_id);
  st.column_assign(1, &t.rule_id);
  st.column_assign(2, &t.caller_id);
  t.triggered_at = from_unix_ms(st.column_int(3));
  t.notified_at = opt_time(st.column_optional_int(4));
  return t;
}

void bind_call(Statement& st, std::string_view tenant_id, const CallRow& c) {
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
}

void bind_audit(Statement& st, const AuditEntry& e, std::string& fields) {
  fields = nlohmann::json(e.fields).dump();
  st.bind_text(1, e.tenant_id);
  st.bind_int(2, to_unix_ms(e.at));
  st.bind_text(3, e.actor_id);
  st.bind_int(4, static_cast<int>(e.role));
  st.bind_text(5, e.action);
  st.bind_text(6, e.entity_type);
  st.bind_text(7, e.entity_id);
  st.bind_text(8, fields);
  st.bind_text(9, e.outcome);
}

AuditEntry read_audit(const Statement& st, std::string_view tenant_id) {
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
  return e;
}

}  // namespace vipcore::sqlite
