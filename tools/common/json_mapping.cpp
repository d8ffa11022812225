#include "json_mapping.hpp"

#include <string>

#include "formats.hpp"

namespace vipcore::jsonmap {
namespace {

ordered_json text_or_null(const std::string& s) { return s.empty() ? ordered_json() : ordered_json(s); }

ordered_json notify_json(ordered_json object, const NotificationTargets& n) {
  object["notification_emails"] = n.emails;
  object["notification_sms"] = n.sms_numbers;
  object["internal_alerts"] = n.internal_alerts;
  return object;
}

}  // namespace

ordered_json to_json(const VipCaller& caller) { return caller_to_json(caller); }

ordered_json to_json(const CallerSummary& c) {
  return {{"id", c.id},
          {"caller_name", c.caller_name},
          {"vip_level", to_string(c.vip_level)},
          {"handling_rules", handling_rule_names(c.handling_rules)},
          {"custom_greeting", text_or_null(c.custom_greeting)},
          {"preferred_agent_id", text_or_null(c.preferred_agent_id)},
          {"preferred_department_id", text_or_null(c.preferred_department_id)},
          {"max_wait_time", c.max_wait_time},
          {"callback_priority", c.callback_priority}};
}

ordered_json to_json(const Identification& who) {
  return {{"is_vip", who.is_vip},
          {"match", to_string(who.match)},
          {"vip_caller", who.is_vip ? to_json(who.caller) : ordered_json()},
          {"caller_id", text_or_null(who.caller.id)},
          {"routing_priority", who.routing_priority}};
}

ordered_json to_json(const EscalationRule& r) {
  ordered_json levels = ordered_json::array();
  for (Level l : r.vip_levels) levels.push_back(to_string(l));
  ordered_json rule = {{"id", r.id},
                       {"name", r.name},
                       {"vip_levels", levels},
                       {"max_wait_time", or_null(r.max_wait_time)},
                       {"max_queue_position", or_null(r.max_queue_position)},
                       {"escalation_type", r.escalation_type},
                       {"tier", r.tier}};
  rule = notify_json(std::move(rule), r.notify);
  rule["is_active"] = r.is_active;
  rule["priority"] = r.priority;
  rule["schedule"] = to_string(r.schedule);
  rule["business_hours"] = r.business_hours ? ordered_json(format_weekly_hours(*r.business_hours)) : ordered_json();
  rule["created_at"] = format_timestamp(r.created_at);
  rule["updated_at"] = format_timestamp(r.updated_at);
  return rule;
}

ordered_json to_json(const EscalationResult& result) {
  ordered_json triggered = ordered_json::array();
  for (const auto& t : result.triggered_rules) {
    ordered_json rule = {{"rule_id", t.rule_id},
                         {"rule_name", t.rule_name},
                         {"escalation_type", t.escalation_type},
                         {"tier", t.tier},
                         {"priority", t.priority},
                         {"wait_exceeded", t.wait_exceeded},
                         {"position_exceeded", t.position_exceeded},
                         {"already_triggered", t.already_triggered},
                         {"notified", t.notified}};
    triggered.push_back(notify_json(std::move(rule), t.notify));
  }
  return {{"should_escalate", result.should_escalate},
          {"highest_tier", result.highest_tier},
          {"highest_escalation_type", text_or_null(result.highest_escalation_type)},
          {"sla_breached", result.sla_breached},
          {"max_wait_time", result.max_wait_time},
          {"triggered_rules", triggered}};
}

ordered_json to_json(const CallHistoryEntry& call) {
  return {{"call_id", call.call_id},
          {"caller_id", call.caller_id},
          {"vip_level", to_string(call.vip_level)},
          {"handling_rules_applied", handling_rule_names(call.handling_rules_applied)},
          {"wait_time_seconds", call.wait_seconds},
          {"max_wait_time", call.max_wait_time},
          {"escalation_triggered", call.escalation_triggered},
          {"satisfaction_rating", or_null(call.satisfaction_rating)},
          {"service_quality_score", or_null(call.service_quality_score)},
          {"created_at", format_timestamp(call.at)}};
}

ordered_json to_json(const CallStats& s) {
  ordered_json rules = ordered_json::object();
  for (int r = 0; r < kHandlingRuleCount; ++r)
    rules[std::string(to_string(static_cast<HandlingRule>(r)))] = s.handling_rules_applied[static_cast<std::size_t>(r)];
  return {{"calls", s.calls},
          {"wait", {{"average", s.wait.average}, {"max", s.wait.max}, {"p50", s.wait.p50}, {"p90", s.wait.p90}}},
          {"sla_met", s.sla_met},
          {"sla_met_rate", or_null(s.sla_met_rate)},
          {"escalations", s.escalations},
          {"escalation_rate", or_null(s.escalation_rate)},
          {"rated_calls", s.rated_calls},
          {"average_satisfaction", or_null(s.average_satisfaction)},
          {"scored_calls", s.scored_calls},
          {"average_quality", or_null(s.average_quality)},
          {"handling_rules_applied", rules}};
}

ordered_json to_json(const CallerAnalytics& analytics) {
  ordered_json answer = {{"caller_id", analytics.caller_id},
                         {"from", format_timestamp(analytics.range.start)},
                         {"to", format_timestamp(analytics.range.end)}};
  answer.update(to_json(analytics.stats));
  return answer;
}

ordered_json to_json(const OverviewAnalytics& overview) {
  constexpr CallerStatus kStatuses[] = {CallerStatus::active, CallerStatus::inactive, CallerStatus::suspended};
  ordered_json callers = ordered_json::object();
  ordered_json levels = ordered_json::object();
  for_each_level([&](Level level, std::size_t l) {
    ordered_json& row = callers[std::string(to_string(level))];
    for (CallerStatus s : kStatuses) row[std::string(to_string(s))] = overview.callers[l][static_cast<std::size_t>(s)];
    levels[std::string(to_string(level))] = to_json(overview.by_level[l]);
  });
  return {{"from", format_timestamp(overview.range.start)},
          {"to", format_timestamp(overview.range.end)},
          {"total_callers", overview.total_callers},
          {"callers", callers},
          {"all", to_json(overview.all)},
          {"by_level", levels}};
}

ordered_json to_json(const Alert& a) {
  return {{"kind", to_string(a.kind)},
          {"level", a.level ? ordered_json(to_string(*a.level)) : ordered_json()},
          {"measured", a.measured},
          {"threshold", a.threshold},
          {"message", a.message}};
}

ordered_json to_json(const MetricsSnapshot& m) {
  return {{"tenant_id", m.tenant_id},
          {"identify_attempted", m.identify_attempted},
          {"identify_matched", m.identify_matched},
          {"identify_not_vip", m.identify_not_vip},
          {"identify_failed", m.identify_failed},
          {"identified_by_level", by_level(m.identified_by_level)},
          {"escalation_checks", m.escalation_checks},
          {"escalations_by_level", by_level(m.escalations_by_level)},
          {"notification_failures", m.notification_failures},
          {"calls_recorded_by_level", by_level(m.calls_recorded_by_level)},
          {"wait_seconds_sum_by_level", by_level(m.wait_seconds_sum_by_level)}};
}

ordered_json to_json(const AuditEntry& e) {
  return {{"sequence", e.sequence},
          {"at", format_timestamp(e.at)},
          {"actor_id", e.actor_id},
          {"role", to_string(e.role)},
          {"action", e.action},
          {"entity_type", e.entity_type},
          {"entity_id", text_or_null(e.entity_id)},
          {"fields", e.fields},
          {"outcome", e.outcome}};
}

ordered_json to_json(const TenantSettings& s) {
  ordered_json levels = ordered_json::object();
  for_each_level([&](Level level, std::size_t i) {
    levels[std::string(to_string(level))] = {{"target_wait", s.level_waits[i]},
                                             {"priority", s.priority.level_base[i]},
                                             {"max_escalation_rate", s.alerts.max_escalation_rate[i]}};
  });
  ordered_json bonus = ordered_json::object();
  for (int r = 0; r < kHandlingRuleCount; ++r)
    bonus[std::string(to_string(static_cast<HandlingRule>(r)))] = s.priority.rule_bonus[static_cast<std::size_t>(r)];
  return {{"region", s.region},
          {"number_validation", std::string(to_string(s.number_validation))},
          {"time_zone", s.time_zone},
          {"business_hours", format_weekly_hours(s.business_hours)},
          {"levels", levels},
          {"rule_bonus", bonus},
          {"dynamic_priority", {{"rise_start", s.dynamic_priority.rise_start}, {"exponent", s.dynamic_priority.exponent}}},
          {"alerts",
           {{"wait_factor", s.alerts.wait_factor},
            {"max_failed_identification_rate", s.alerts.max_failed_identification_rate},
            {"min_identifications", s.alerts.min_identifications},
            {"max_quality_drop", s.alerts.max_quality_drop},
            {"min_calls", s.alerts.min_calls}}}};
}

ordered_json to_json(const RoutingPlan& plan) {
  return {{"action", to_string(plan.action)},
          {"is_vip", plan.is_vip},
          {"target_agent_id", text_or_null(plan.target_agent_id)},
          {"wait_seconds", plan.wait_seconds},
          {"front_of_queue", plan.front_of_queue},
          {"queue_priority", plan.queue_priority},
          {"pbx",
           {{"asterisk_queue_prio", plan.pbx.asterisk_queue_prio},
            {"freeswitch_base_score", plan.pbx.freeswitch_base_score},
            {"queue_age_bonus_seconds", plan.pbx.queue_age_bonus_seconds}}},
          {"greeting", text_or_null(plan.greeting)},
          {"offer_callback", plan.offer_callback},
          {"callback_priority", plan.callback_priority},
          {"reason", plan.reason}};
}

}  // namespace vipcore::jsonmap
