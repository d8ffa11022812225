#include "json_mapping.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

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

// ---- Reading request bodies ----------------------------------------------------

namespace vipcore::jsonmap {
namespace {

using nlohmann::json;

Status type_error(std::string_view field, std::string_view expected) {
  return Status::invalid_argument(field, std::string("must be ") + std::string(expected));
}

Status not_object(std::string_view what) { return Status::invalid_argument(what, "must be a JSON object"); }

Status read(std::string_view field, const json& v, std::string* out) {
  if (!v.is_string()) return type_error(field, "a string");
  *out = v.get<std::string>();
  return ok_status();
}

Status read(std::string_view field, const json& v, bool* out) {
  if (!v.is_boolean()) return type_error(field, "true or false");
  *out = v.get<bool>();
  return ok_status();
}

Status read(std::string_view field, const json& v, int* out) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < INT32_MIN || v.get<std::int64_t>() > INT32_MAX)
    return type_error(field, "a whole number");
  *out = static_cast<int>(v.get<std::int64_t>());
  return ok_status();
}

Status read(std::string_view field, const json& v, std::uint64_t* out) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0) return type_error(field, "a whole number, 0 or more");
  *out = v.get<std::uint64_t>();
  return ok_status();
}

Status read(std::string_view field, const json& v, double* out) {
  if (!v.is_number()) return type_error(field, "a number");
  *out = v.get<double>();
  return ok_status();
}

Status read(std::string_view field, const json& v, std::vector<std::string>* out) {
  if (!v.is_array()) return type_error(field, "an array of strings");
  out->clear();
  for (const json& item : v) {
    if (!item.is_string()) return type_error(field, "an array of strings");
    out->push_back(item.get<std::string>());
  }
  return ok_status();
}

// A whole number, or null for none.
Status read(std::string_view field, const json& v, std::optional<int>* out) {
  if (v.is_null()) {
    *out = std::nullopt;
    return ok_status();
  }
  int n = 0;
  if (Status s = read(field, v, &n); !s.ok()) return s;
  *out = n;
  return ok_status();
}

template <typename T>
Status read_into(std::string_view field, const json& v, std::optional<T>* out) {
  T value{};
  if (Status s = read(field, v, &value); !s.ok()) return s;
  *out = std::move(value);
  return ok_status();
}

bool is_read_only(std::string_view name) { return name == "id" || name == "created_at" || name == "updated_at"; }

Status unknown_field(std::string_view name) {
  return Status::invalid_argument(name, "is not a field of this object");
}

// Applies `set(value)` to each entry of a {NAME: value} object whose names
// `parse` reads (a level, a handling rule).
template <typename Parse, typename Set>
Status each_named(const std::string& field, const json& v, Parse&& parse, Set&& set) {
  if (!v.is_object()) return not_object(field);
  for (const auto& [name, value] : v.items()) {
    const std::string entry = field + "." + name;
    auto key = parse(name, entry);
    if (!key.ok()) return key.status();
    if (Status s = set(static_cast<std::size_t>(*key), entry, value); !s.ok()) return s;
  }
  return ok_status();
}

// Applies each entry of an object through a table of named readers.
template <typename Table>
Status each_field(const std::string& field, const json& v, const Table& table) {
  if (!v.is_object()) return not_object(field);
  for (const auto& [name, value] : v.items()) {
    const std::string entry = field + "." + name;
    bool known = false;
    for (const auto& [key, apply] : table)
      if (key == name) {
        known = true;
        if (Status s = apply(entry, value); !s.ok()) return s;
      }
    if (!known) return unknown_field(entry);
  }
  return ok_status();
}

}  // namespace

Result<DateRange> report_range(const Tenant& tenant, const std::string* start, const std::string* end,
                               std::string_view start_field, std::string_view end_field) {
  const std::string until = end != nullptr ? *end : format_timestamp(SystemClock().now());
  if (start != nullptr) return tenant.date_range(*start, until, start_field, end_field);
  auto r = tenant.date_range(format_timestamp(from_unix_ms(kMinTimestampMs)), until, start_field, end_field);
  if (!r.ok()) return r.status();
  r->start = std::max(r->end - std::chrono::hours(24 * 30), from_unix_ms(kMinTimestampMs));
  return r;
}

Result<EscalationRuleUpdate> rule_fields(const json& object, const NotificationTargets& current) {
  if (!object.is_object()) return not_object("body");
  EscalationRuleUpdate u;
  std::optional<std::vector<std::string>> emails, sms, alerts;
  for (const auto& [name, v] : object.items()) {
    Status s;
    if (is_read_only(name)) continue;
    if (name == "name") {
      s = read_into(name, v, &u.name);
    } else if (name == "vip_levels") {
      std::vector<std::string> names;
      s = read(name, v, &names);
      std::vector<Level> levels;
      for (const std::string& l : names) {
        if (!s.ok()) break;
        auto level = parse_level(l, name);
        s = level.status();
        if (level.ok()) levels.push_back(*level);
      }
      if (s.ok()) u.vip_levels = levels;
    } else if (name == "max_wait_time" || name == "max_queue_position") {
      std::optional<int> n;
      s = read(name, v, &n);
      (name == "max_wait_time" ? u.max_wait_time : u.max_queue_position) = n;
    } else if (name == "escalation_type") {
      s = read_into(name, v, &u.escalation_type);
    } else if (name == "tier") {
      s = read_into(name, v, &u.tier);
    } else if (name == "notification_emails") {
      s = read_into(name, v, &emails);
    } else if (name == "notification_sms") {
      s = read_into(name, v, &sms);
    } else if (name == "internal_alerts") {
      s = read_into(name, v, &alerts);
    } else if (name == "is_active") {
      s = read_into(name, v, &u.is_active);
    } else if (name == "priority") {
      s = read_into(name, v, &u.priority);
    } else if (name == "schedule") {
      std::string text;
      s = read(name, v, &text);
      if (s.ok()) {
        auto schedule = parse_rule_schedule(text);
        s = schedule.status();
        if (schedule.ok()) u.schedule = *schedule;
      }
    } else if (name == "business_hours") {
      u.business_hours = std::optional<WeeklyHours>();
      if (!v.is_null()) {
        std::string text;
        s = read(name, v, &text);
        if (s.ok()) {
          auto hours = parse_weekly_hours(text, name);
          s = hours.status();
          if (hours.ok()) u.business_hours = std::optional<WeeklyHours>(*hours);
        }
      }
    } else {
      s = unknown_field(name);
    }
    if (!s.ok()) return s;
  }
  if (emails || sms || alerts)
    u.notify = NotificationTargets{emails.value_or(current.emails), sms.value_or(current.sms_numbers),
                                   alerts.value_or(current.internal_alerts)};
  return u;
}

EscalationRule new_rule(const EscalationRuleUpdate& u) {
  EscalationRule r;
  r.name = u.name.value_or("");
  r.vip_levels = u.vip_levels.value_or(std::vector<Level>());
  r.max_wait_time = u.max_wait_time.value_or(std::nullopt);
  r.max_queue_position = u.max_queue_position.value_or(std::nullopt);
  r.escalation_type = u.escalation_type.value_or(r.escalation_type);
  r.tier = u.tier.value_or(r.tier);
  r.notify = u.notify.value_or(NotificationTargets());
  r.is_active = u.is_active.value_or(r.is_active);
  r.priority = u.priority.value_or(r.priority);
  r.schedule = u.schedule.value_or(r.schedule);
  r.business_hours = u.business_hours.value_or(std::nullopt);
  return r;
}

Status apply_settings(const json& object, TenantSettings* s) {
  using Apply = std::function<Status(const std::string&, const json&)>;
  const auto level = [](const std::string& name, const std::string& field) { return parse_level(name, field); };
  const auto rule = [](const std::string& name, const std::string& field) { return parse_handling_rule(name, field); };
  const std::pair<std::string_view, Apply> top[] = {
      {"region",
       [&](const std::string& f, const json& v) -> Status {
         std::string text;
         if (Status st = read(f, v, &text); !st.ok()) return st;
         auto plan = PhoneNormalizer::for_region(text);
         if (!plan.ok()) return Status::invalid_argument(f, plan.status().message());
         s->region = plan->region();
         return ok_status();
       }},
      {"number_validation",
       [&](const std::string& f, const json& v) -> Status {
         std::string text;
         if (Status st = read(f, v, &text); !st.ok()) return st;
         auto parsed = parse_number_validation(text, f);
         if (!parsed.ok()) return parsed.status();
         s->number_validation = *parsed;
         return ok_status();
       }},
      {"time_zone", [&](const std::string& f, const json& v) { return read(f, v, &s->time_zone); }},
      {"business_hours",
       [&](const std::string& f, const json& v) -> Status {
         std::string text;
         if (Status st = read(f, v, &text); !st.ok()) return st;
         auto hours = parse_weekly_hours(text, f);
         if (!hours.ok()) return hours.status();
         s->business_hours = *hours;
         return ok_status();
       }},
      {"levels",
       [&](const std::string& f, const json& v) {
         return each_named(f, v, level, [&](std::size_t l, const std::string& entry, const json& fields) {
           const std::pair<std::string_view, Apply> per_level[] = {
               {"target_wait", [&](const std::string& g, const json& x) { return read(g, x, &s->level_waits[l]); }},
               {"priority", [&](const std::string& g, const json& x) { return read(g, x, &s->priority.level_base[l]); }},
               {"max_escalation_rate",
                [&](const std::string& g, const json& x) { return read(g, x, &s->alerts.max_escalation_rate[l]); }}};
           return each_field(entry, fields, per_level);
         });
       }},
      {"rule_bonus",
       [&](const std::string& f, const json& v) {
         return each_named(f, v, rule, [&](std::size_t r, const std::string& entry, const json& x) {
           return read(entry, x, &s->priority.rule_bonus[r]);
         });
       }},
      {"dynamic_priority",
       [&](const std::string& f, const json& v) {
         const std::pair<std::string_view, Apply> fields[] = {
             {"rise_start", [&](const std::string& g, const json& x) { return read(g, x, &s->dynamic_priority.rise_start); }},
             {"exponent", [&](const std::string& g, const json& x) { return read(g, x, &s->dynamic_priority.exponent); }}};
         return each_field(f, v, fields);
       }},
      {"alerts",
       [&](const std::string& f, const json& v) {
         AlertThresholds& a = s->alerts;
         const std::pair<std::string_view, Apply> fields[] = {
             {"wait_factor", [&](const std::string& g, const json& x) { return read(g, x, &a.wait_factor); }},
             {"max_failed_identification_rate",
              [&](const std::string& g, const json& x) { return read(g, x, &a.max_failed_identification_rate); }},
             {"min_identifications", [&](const std::string& g, const json& x) { return read(g, x, &a.min_identifications); }},
             {"max_quality_drop", [&](const std::string& g, const json& x) { return read(g, x, &a.max_quality_drop); }},
             {"min_calls", [&](const std::string& g, const json& x) { return read(g, x, &a.min_calls); }}};
         return each_field(f, v, fields);
       }},
  };
  if (!object.is_object()) return not_object("body");
  for (const auto& [name, value] : object.items()) {
    bool known = false;
    for (const auto& [key, apply] : top)
      if (key == name) {
        known = true;
        if (Status st = apply(name, value); !st.ok()) return st;
      }
    if (!known) return unknown_field(name);
  }
  return ok_status();
}

}  // namespace vipcore::jsonmap
