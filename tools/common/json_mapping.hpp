// vipcore JSON — vipcore's types as the JSON of the VIP API, written once for
// every tool that speaks it: `vipctl --json` prints it and vipd serves it.
//
// Field names are the seed API's (caller_name, vip_level, handling_rules,
// routing_priority, should_escalate, triggered_rules...) and vipcore's own
// for what the seed does not have. Times are ISO 8601 UTC
// (format_timestamp), levels and rules their names ("GOLD",
// "PRIORITY_QUEUE"), and a value that is not set is null. Objects keep
// their fields in the order written here, so that output is stable.
//
// Callers as request bodies and files (create, update, import) are read by
// formats.hpp; escalation rules and settings by the readers below.
#ifndef VIPCORE_JSON_MAPPING_HPP
#define VIPCORE_JSON_MAPPING_HPP

#include <nlohmann/json.hpp>

#include <string_view>
#include <vector>

#include "vipcore/vipcore.hpp"

namespace vipcore::jsonmap {

using nlohmann::ordered_json;

/// A stored caller, as export, show and list write it (formats.hpp:
/// caller_to_json).
ordered_json to_json(const VipCaller& caller);

/// A caller's identify answer: is_vip, match, vip_caller (null when not a
/// VIP), caller_id (the owner of the number, also when not a VIP now) and
/// routing_priority.
ordered_json to_json(const Identification& who);
/// What identify returns of a VIP: id, caller_name, vip_level,
/// handling_rules, custom_greeting, preferred agent and department,
/// max_wait_time, callback_priority.
ordered_json to_json(const CallerSummary& caller);
ordered_json to_json(const EscalationRule& rule);
/// should_escalate, highest_tier, highest_escalation_type, sla_breached,
/// max_wait_time and triggered_rules (rule_id, rule_name, escalation_type,
/// notification_emails...).
ordered_json to_json(const EscalationResult& result);
ordered_json to_json(const CallHistoryEntry& call);
/// calls, wait {average, max, p50, p90}, sla_met(_rate), escalations,
/// escalation_rate, satisfaction and quality, handling_rules_applied.
ordered_json to_json(const CallStats& stats);
ordered_json to_json(const CallerAnalytics& analytics);
/// from, to, total_callers, callers {level: {status: n}}, all, by_level
/// {level: stats}; levels from DIAMOND down.
ordered_json to_json(const OverviewAnalytics& overview);
ordered_json to_json(const Alert& alert);
ordered_json to_json(const MetricsSnapshot& metrics);
ordered_json to_json(const AuditEntry& entry);
ordered_json to_json(const TenantSettings& settings);
ordered_json to_json(const RoutingPlan& plan);

// ---- Reading request bodies ------------------------------------------------
// Each reader takes a JSON object with the field names to_json writes; a
// field that is absent stays as it is, an unknown field or a bad value is
// Code::invalid_argument naming it, and read-only fields (id, created_at,
// updated_at) are ignored, so that what GET returned can be PUT back.

/// The rule fields an object sets. Notification lists that are given
/// replace those of `current`; the others are kept.
Result<EscalationRuleUpdate> rule_fields(const nlohmann::json& object, const NotificationTargets& current = {});
/// A new rule with the fields of `update`, the others at their defaults.
EscalationRule new_rule(const EscalationRuleUpdate& update);
/// Applies the settings an object gives (the shape to_json(TenantSettings)
/// writes; levels, rule_bonus, dynamic_priority and alerts may give only
/// some of their entries) to `settings`.
Status apply_settings(const nlohmann::json& object, TenantSettings* settings);

/// The range of a report as both tools take it (vipctl's --from/--to,
/// vipd's start_date/end_date, named by the two field names): a date is a
/// whole day in the tenant's time zone (the end's day included), an ISO 8601
/// time is exact (the end excluded); no end is now, and no start is 30 days
/// before the end.
Result<DateRange> report_range(const Tenant& tenant, const std::string* start, const std::string* end,
                               std::string_view start_field, std::string_view end_field);

/// A JSON array of to_json(item) for each item.
template <typename T>
ordered_json to_json_array(const std::vector<T>& items) {
  ordered_json all = ordered_json::array();
  for (const T& item : items) all.push_back(to_json(item));
  return all;
}

/// `value` or null.
template <typename T>
ordered_json or_null(const std::optional<T>& value) {
  return value ? ordered_json(*value) : ordered_json();
}

/// Levels from the most important down, as reports list them: f(level, index).
template <typename F>
void for_each_level(F&& f) {
  for (int level = kLevelCount - 1; level >= 0; --level) f(static_cast<Level>(level), static_cast<std::size_t>(level));
}

/// {"DIAMOND": values[4], ..., "STANDARD": values[0]}.
template <typename Array>
ordered_json by_level(const Array& values) {
  ordered_json out = ordered_json::object();
  for_each_level([&](Level level, std::size_t i) { out[std::string(to_string(level))] = values[i]; });
  return out;
}

}  // namespace vipcore::jsonmap

#endif  // VIPCORE_JSON_MAPPING_HPP
