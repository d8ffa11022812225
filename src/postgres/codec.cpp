// Row codecs of the PostgreSQL backend (see codec.hpp).
#include "postgres/codec.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "phone_columns.hpp"
#include "sqlite/codec.hpp"

namespace vipcore::postgres {
namespace {

template <typename Enum>
Enum read_enum(const Rows& rows, int row, int col, int count) {
  const std::int64_t v = rows.i64(row, col);
  return static_cast<Enum>(v >= 0 && v < count ? v : 0);
}

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

}  // namespace

void encode_summary(const CallerRecord& c, std::string& out) { sqlite::encode_summary(c, out); }
bool decode_summary(std::string_view blob, IdentifyRecord* out) { return sqlite::decode_summary(blob, out); }

namespace {

constexpr int kCallerValues = 24;

// The caller's values, in caller_params' order, into a Params or a CopyTuple.
template <typename Values>
void caller_values(Values& p, std::string_view tenant_id, const CallerRecord& c) {
  const std::string phones = detail::encode_phone_hashes(c.phones);
  const std::string masks = detail::encode_phone_masks(c.phones);
  p.text(tenant_id)
      .text(c.id)
      .i64(static_cast<int>(c.vip_level))
      .i64(static_cast<int>(c.status))
      .i64(c.handling_rules.bits())
      .text(c.preferred_agent_id)
      .text(c.preferred_department_id)
      .opt_i64(opt_int(c.max_wait_time))
      .i64(c.callback_priority)
      .text(c.tags.empty() ? std::string("[]") : nlohmann::json(c.tags).dump())
      .opt_i64(opt_ms(c.valid_from))
      .opt_i64(opt_ms(c.valid_until))
      .i64(to_unix_ms(c.created_at))
      .i64(to_unix_ms(c.updated_at))
      .bytes(c.caller_name.data(), c.caller_name.size())
      .bytes_or_null(c.company_name)
      .bytes_or_null(c.email)
      .bytes_or_null(c.account_number)
      .bytes_or_null(c.account_value)
      .bytes_or_null(c.notes)
      .bytes_or_null(c.custom_greeting)
      .bytes(phones.data(), phones.size())
      .text(masks)
      .bytes(c.integrity.data(), c.integrity.size());
}

}  // namespace

Params caller_params(std::string_view tenant_id, const CallerRecord& c) {
  Params p;
  caller_values(p, tenant_id, c);
  return p;
}

void append_caller_tuple(std::string& out, std::string_view tenant_id, const CallerRecord& c) {
  CopyTuple t(out, kCallerValues);
  caller_values(t, tenant_id, c);
}

Result<CallerRecord> read_caller(const Rows& r, int row) {
  CallerRecord c;
  c.id = r.str(row, 0);
  c.vip_level = read_enum<Level>(r, row, 1, kLevelCount);
  c.status = read_enum<CallerStatus>(r, row, 2, 3);
  c.handling_rules = HandlingRules::from_bits(static_cast<std::uint32_t>(r.i64(row, 3)));
  c.preferred_agent_id = r.str(row, 4);
  c.preferred_department_id = r.str(row, 5);
  if (auto v = r.opt_i64(row, 6)) c.max_wait_time = static_cast<int>(*v);
  c.callback_priority = static_cast<int>(r.i64(row, 7));
  const std::string_view tags = r.view(row, 8);
  const auto parsed = nlohmann::json::parse(tags.begin(), tags.end(), nullptr, false);
  if (!parsed.is_array()) return Status::storage_error("vip_caller.tags is not a JSON array");
  for (const auto& t : parsed) {
    if (!t.is_string()) return Status::storage_error("vip_caller.tags holds a value that is not a string");
    c.tags.push_back(t.get<std::string>());
  }
  c.total_calls = r.i64(row, 9);
  c.satisfaction_score = r.opt_f64(row, 10);
  c.valid_from = opt_time(r.opt_i64(row, 11));
  c.valid_until = opt_time(r.opt_i64(row, 12));
  c.created_at = from_unix_ms(r.i64(row, 13));
  c.updated_at = from_unix_ms(r.i64(row, 14));
  Sealed* sealed[] = {&c.caller_name, &c.company_name, &c.email, &c.account_number,
                      &c.account_value, &c.notes, &c.custom_greeting};
  for (int i = 0; i < 7; ++i) sealed[i]->assign(r.view(row, 15 + i));
  if (Status s = detail::decode_phones(r.view(row, 22), r.view(row, 23), &c.phones); !s.ok()) return s;
  c.rated_calls = r.i64(row, 24);
  if (const std::string_view tag = r.view(row, 25); tag.size() == c.integrity.size())
    std::copy_n(reinterpret_cast<const std::uint8_t*>(tag.data()), tag.size(), c.integrity.begin());
  return c;
}

Params rule_params(std::string_view tenant_id, const RuleRecord& r) {
  Params p;
  p.text(tenant_id)
      .text(r.id)
      .text(r.name)
      .i64(r.level_mask)
      .opt_i64(opt_int(r.max_wait_time))
      .opt_i64(opt_int(r.max_queue_position))
      .text(r.escalation_type)
      .i64(r.tier)
      .bytes_or_null(r.notify)
      .i64(r.is_active ? 1 : 0)
      .i64(r.priority)
      .i64(static_cast<int>(r.schedule))
      .text(r.business_hours)
      .i64(to_unix_ms(r.created_at))
      .i64(to_unix_ms(r.updated_at));
  return p;
}

RuleRecord read_rule(const Rows& r, int row) {
  RuleRecord out;
  out.id = r.str(row, 0);
  out.name = r.str(row, 1);
  out.level_mask = static_cast<std::uint32_t>(r.i64(row, 2));
  if (auto v = r.opt_i64(row, 3)) out.max_wait_time = static_cast<int>(*v);
  if (auto v = r.opt_i64(row, 4)) out.max_queue_position = static_cast<int>(*v);
  out.escalation_type = r.str(row, 5);
  out.tier = static_cast<int>(r.i64(row, 6));
  out.notify = r.str(row, 7);
  out.is_active = r.i64(row, 8) != 0;
  out.priority = static_cast<int>(r.i64(row, 9));
  out.schedule = read_enum<RuleSchedule>(r, row, 10, 3);
  out.business_hours = r.str(row, 11);
  out.created_at = from_unix_ms(r.i64(row, 12));
  out.updated_at = from_unix_ms(r.i64(row, 13));
  return out;
}

TriggerRecord read_trigger(const Rows& r, int row) {
  TriggerRecord t;
  t.call_id = r.str(row, 0);
  t.rule_id = r.str(row, 1);
  t.caller_id = r.str(row, 2);
  t.triggered_at = from_unix_ms(r.i64(row, 3));
  t.notified_at = opt_time(r.opt_i64(row, 4));
  return t;
}

Params call_params(std::string_view tenant_id, const CallRow& c) {
  Params p;
  p.text(tenant_id)
      .text(c.call_id)
      .text(c.caller_id)
      .i64(static_cast<int>(c.vip_level))
      .i64(c.handling_rules_applied.bits())
      .i64(c.wait_seconds)
      .i64(c.max_wait_time)
      .i64(c.escalation_triggered ? 1 : 0)
      .opt_i64(opt_int(c.satisfaction_rating))
      .opt_f64(c.service_quality_score)
      .i64(to_unix_ms(c.at));
  return p;
}

CallRow read_call(const Rows& r, int row) {
  CallRow c;
  c.call_id = r.str(row, 0);
  c.caller_id = r.str(row, 1);
  c.vip_level = read_enum<Level>(r, row, 2, kLevelCount);
  c.handling_rules_applied = HandlingRules::from_bits(static_cast<std::uint32_t>(r.i64(row, 3)));
  c.wait_seconds = static_cast<int>(r.i64(row, 4));
  c.max_wait_time = static_cast<int>(r.i64(row, 5));
  c.escalation_triggered = r.i64(row, 6) != 0;
  if (auto v = r.opt_i64(row, 7)) c.satisfaction_rating = static_cast<int>(*v);
  c.service_quality_score = r.opt_f64(row, 8);
  c.at = from_unix_ms(r.i64(row, 9));
  return c;
}

AuditEntry read_audit(const Rows& r, int row, std::string_view tenant_id) {
  AuditEntry e;
  e.sequence = r.i64(row, 0);
  e.tenant_id = std::string(tenant_id);
  e.at = from_unix_ms(r.i64(row, 1));
  e.actor_id = r.str(row, 2);
  e.role = read_enum<Role>(r, row, 3, kRoleCount);
  e.action = r.str(row, 4);
  e.entity_type = r.str(row, 5);
  e.entity_id = r.str(row, 6);
  const std::string_view fields = r.view(row, 7);
  const auto parsed = nlohmann::json::parse(fields.begin(), fields.end(), nullptr, false);
  if (parsed.is_array())
    for (const auto& f : parsed)
      if (f.is_string()) e.fields.push_back(f.get<std::string>());
  e.outcome = r.str(row, 8);
  return e;
}

Result<std::optional<CallerRecord>> select_caller(Connection& c, const char* sql, std::string_view tenant_id,
                                                  std::string_view id) {
  auto rows = c.run(sql, Params().text(tenant_id).text(id), "reading a caller");
  if (!rows.ok()) return rows.status();
  if (rows->size() == 0) return std::optional<CallerRecord>();
  auto rec = read_caller(*rows, 0);
  if (!rec.ok()) return rec.status();
  return std::optional<CallerRecord>(std::move(*rec));
}

Result<std::optional<std::string>> select_meta(Connection& c, const char* sql, std::string_view scope,
                                               std::string_view key) {
  auto rows = c.run(sql, Params().text(scope).text(key), "reading metadata");
  if (!rows.ok()) return rows.status();
  if (rows->size() == 0) return std::optional<std::string>();
  return std::optional<std::string>(rows->str(0, 0));
}

}  // namespace vipcore::postgres
