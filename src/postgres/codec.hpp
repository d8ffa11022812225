// Row codecs of the PostgreSQL backend: records as statement parameters and
// back from result rows. The packed identify summary is the SQLite
// backend's (one format, one codec).
#ifndef VIPCORE_SRC_POSTGRES_CODEC_HPP
#define VIPCORE_SRC_POSTGRES_CODEC_HPP

#include <optional>
#include <string>
#include <string_view>

#include "postgres/pg_util.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::postgres {

inline constexpr const char* kCallerReadColumns =
    "c.id, c.vip_level, c.status, c.handling_rules, c.preferred_agent_id, c.preferred_department_id, "
    "c.max_wait_time, c.callback_priority, c.tags, coalesce(s.total_calls, 0), s.satisfaction_score, c.valid_from, "
    "c.valid_until, c.created_at, c.updated_at, c.caller_name, c.company_name, c.email, c.account_number, "
    "c.account_value, c.notes, c.custom_greeting, c.phones, c.phone_masks, coalesce(s.rated_calls, 0), c.integrity";
inline constexpr const char* kRuleColumns =
    "id, name, level_mask, max_wait_time, max_queue_position, escalation_type, tier, notify, is_active, priority, "
    "schedule, business_hours, created_at, updated_at";
inline constexpr const char* kCallColumns =
    "call_id, caller_id, vip_level, handling_rules, wait_seconds, max_wait_time, escalation_triggered, "
    "satisfaction_rating, service_quality_score, at";

/// $1 tenant, $2 id, then the caller's columns in kInsertCaller's order ($3..$24).
Params caller_params(std::string_view tenant_id, const CallerRecord& c);
/// The same values as one tuple of a binary COPY into vip_caller, appended to `out`.
void append_caller_tuple(std::string& out, std::string_view tenant_id, const CallerRecord& c);
/// A row of kCallerReadColumns.
Result<CallerRecord> read_caller(const Rows& rows, int row);
/// $1 tenant, $2.. the rule's columns in kRuleColumns order.
Params rule_params(std::string_view tenant_id, const RuleRecord& r);
RuleRecord read_rule(const Rows& rows, int row);
TriggerRecord read_trigger(const Rows& rows, int row);
/// $1 tenant, $2.. the call's columns in kCallColumns order.
Params call_params(std::string_view tenant_id, const CallRow& c);
CallRow read_call(const Rows& rows, int row);
AuditEntry read_audit(const Rows& rows, int row, std::string_view tenant_id);

/// The packed summary of vip_phone (the SQLite backend's layout).
void encode_summary(const CallerRecord& c, std::string& out);
bool decode_summary(std::string_view blob, IdentifyRecord* out);

/// One caller by id with `sql` (kSelectCaller's shape: $1 tenant, $2 id).
Result<std::optional<CallerRecord>> select_caller(Connection& c, const char* sql, std::string_view tenant_id,
                                                  std::string_view id);
Result<std::optional<std::string>> select_meta(Connection& c, const char* sql, std::string_view scope,
                                               std::string_view key);

}  // namespace vipcore::postgres

#endif
