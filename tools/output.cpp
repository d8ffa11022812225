#include "output.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "formats.hpp"

namespace vipctl {
namespace {

using nlohmann::ordered_json;

// What people read for a JSON value: "-" for none, lists joined.
std::string text_of(const ordered_json& value) {
  switch (value.type()) {
    case ordered_json::value_t::null: return "-";
    case ordered_json::value_t::string: return value.get<std::string>();
    case ordered_json::value_t::boolean: return value.get<bool>() ? "yes" : "no";
    case ordered_json::value_t::number_float: return fmt::format("{:.2f}", value.get<double>());
    case ordered_json::value_t::array: {
      if (value.empty()) return "-";
      std::string joined;
      for (const ordered_json& item : value) joined += (joined.empty() ? "" : ", ") + text_of(item);
      return joined;
    }
    case ordered_json::value_t::object: {
      std::string joined;  // {"GOLD": 3, ...} reads "GOLD 3, ..."
      for (const auto& [name, item] : value.items())
        joined += (joined.empty() ? "" : ", ") + name + " " + text_of(item);
      return joined.empty() ? "-" : joined;
    }
    default: return value.dump();
  }
}

// An object's fields as a list of names and values.
Table field_table(const ordered_json& object) {
  Table table;
  for (const auto& [name, value] : object.items()) table.add({name, text_of(value)});
  return table;
}

template <typename T>
ordered_json or_null(const std::optional<T>& value) {
  return value ? ordered_json(*value) : ordered_json();
}

std::string percent(const std::optional<double>& rate) { return rate ? fmt::format("{:.1f}%", *rate * 100) : "-"; }

std::string level_name(int level) { return std::string(vipcore::to_string(static_cast<vipcore::Level>(level))); }

// Levels from the most important down, as reports list them.
template <typename F>
void for_each_level(F&& f) {
  for (int level = vipcore::kLevelCount - 1; level >= 0; --level) f(level, static_cast<std::size_t>(level));
}

template <typename Array>
ordered_json by_level(const Array& values) {
  ordered_json out = ordered_json::object();
  for_each_level([&](int level, std::size_t i) { out[level_name(level)] = values[i]; });
  return out;
}

ordered_json summary_json(const vipcore::CallerSummary& c) {
  const auto text = [](const std::string& s) { return s.empty() ? ordered_json() : ordered_json(s); };
  return {{"id", c.id},
          {"caller_name", c.caller_name},
          {"vip_level", vipcore::to_string(c.vip_level)},
          {"handling_rules", vipcore::handling_rule_names(c.handling_rules)},
          {"custom_greeting", text(c.custom_greeting)},
          {"preferred_agent_id", text(c.preferred_agent_id)},
          {"preferred_department_id", text(c.preferred_department_id)},
          {"max_wait_time", c.max_wait_time},
          {"callback_priority", c.callback_priority}};
}

ordered_json rule_json(const vipcore::EscalationRule& r) {
  ordered_json levels = ordered_json::array();
  for (vipcore::Level l : r.vip_levels) levels.push_back(vipcore::to_string(l));
  return {{"id", r.id},
          {"name", r.name},
          {"vip_levels", levels},
          {"max_wait_time", or_null(r.max_wait_time)},
          {"max_queue_position", or_null(r.max_queue_position)},
          {"escalation_type", r.escalation_type},
          {"tier", r.tier},
          {"notification_emails", r.notify.emails},
          {"notification_sms", r.notify.sms_numbers},
          {"internal_alerts", r.notify.internal_alerts},
          {"is_active", r.is_active},
          {"priority", r.priority},
          {"schedule", vipcore::to_string(r.schedule)},
          {"business_hours",
           r.business_hours ? ordered_json(vipcore::format_weekly_hours(*r.business_hours)) : ordered_json()},
          {"created_at", vipcore::format_timestamp(r.created_at)},
          {"updated_at", vipcore::format_timestamp(r.updated_at)}};
}

// "wait > 60 s, position > 5": when a rule triggers.
std::string rule_triggers(const vipcore::EscalationRule& r) {
  std::string when;
  if (r.max_wait_time) when = fmt::format("wait > {} s", *r.max_wait_time);
  if (r.max_queue_position) when += fmt::format("{}position > {}", when.empty() ? "" : ", ", *r.max_queue_position);
  return when.empty() ? "-" : when;
}

std::string notify_targets(const vipcore::NotificationTargets& n) {
  std::vector<std::string> all = n.emails;
  all.insert(all.end(), n.sms_numbers.begin(), n.sms_numbers.end());
  for (const std::string& a : n.internal_alerts) all.push_back("#" + a);
  return text_of(all);
}

ordered_json stats_json(const vipcore::CallStats& s) {
  ordered_json rules = ordered_json::object();
  for (int r = 0; r < vipcore::kHandlingRuleCount; ++r)
    rules[std::string(vipcore::to_string(static_cast<vipcore::HandlingRule>(r)))] =
        s.handling_rules_applied[static_cast<std::size_t>(r)];
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

// The calls report: one row per level (or per caller), as the demo prints it.
Table calls_table() {
  return Table({"", "CALLS", "AVG WAIT", "P50", "P90", "MAX", "SLA MET", "ESCALATED", "RATING", "QUALITY"});
}

void add_calls_row(Table& table, std::string label, const vipcore::CallStats& s) {
  const auto average = [](const std::optional<double>& v) { return v ? fmt::format("{:.2f}", *v) : "-"; };
  // Without calls there are no waits either, rather than waits of 0 s.
  const auto wait = [&s](auto seconds) { return s.calls == 0 ? "-" : fmt::format("{} s", seconds); };
  table.add({std::move(label), std::to_string(s.calls), wait(fmt::format("{:.1f}", s.wait.average)), wait(s.wait.p50),
             wait(s.wait.p90), wait(s.wait.max), percent(s.sla_met_rate), percent(s.escalation_rate),
             average(s.average_satisfaction), average(s.average_quality)});
}

std::string range_text(const vipcore::DateRange& range) {
  return fmt::format("from {} to {}", vipcore::format_timestamp(range.start), vipcore::format_timestamp(range.end));
}

// Display width of UTF-8 text: its code points (good enough for names).
std::size_t width(const std::string& s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

void Table::print(std::FILE* out) const {
  std::vector<std::size_t> widths;
  const auto measure = [&widths](const std::vector<std::string>& row) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], width(row[c]));
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  const auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line.append(widths[c] - width(row[c]) + 2, ' ');  // no trailing blanks
    }
    fmt::print(out, "{}\n", line);
  };
  if (!header_.empty()) print_row(header_);
  for (const auto& row : rows_) print_row(row);
}

void print_json(const ordered_json& value) {
  fmt::print("{}\n", value.dump(2, ' ', false, ordered_json::error_handler_t::replace));
}

void print(const vipcore::VipCaller& caller, Style style) {
  ordered_json fields = caller_to_json(caller);
  if (style == Style::json) return print_json(fields);
  if (caller.max_wait_time_is_default)
    fields["max_wait_time"] =
        fmt::format("{} (the {} default)", caller.max_wait_time, vipcore::to_string(caller.vip_level));
  field_table(fields).print();
}

void print(const std::vector<vipcore::VipCaller>& callers, Style style) {
  if (style == Style::json) {
    ordered_json all = ordered_json::array();
    for (const auto& c : callers) all.push_back(caller_to_json(c));
    return print_json(all);
  }
  if (callers.empty()) return fmt::print("no VIP callers\n");
  Table table({"ID", "NAME", "LEVEL", "STATUS", "PHONE", "COMPANY", "CALLS"});
  for (const auto& c : callers)
    table.add({c.id, c.caller_name, std::string(vipcore::to_string(c.vip_level)),
               std::string(vipcore::to_string(c.status)), c.phones.empty() ? "-" : c.phones.front().masked,
               c.company_name.empty() ? "-" : c.company_name, std::to_string(c.total_calls)});
  table.print();
}

void print(const vipcore::Identification& who, Style style) {
  const ordered_json answer = {{"is_vip", who.is_vip},
                               {"match", vipcore::to_string(who.match)},
                               {"vip_caller", who.is_vip ? summary_json(who.caller) : ordered_json()},
                               {"caller_id", who.caller.id.empty() ? ordered_json() : ordered_json(who.caller.id)},
                               {"routing_priority", who.routing_priority}};
  if (style == Style::json) return print_json(answer);
  if (!who.is_vip) {
    // A number some caller owns who is not a VIP now says why.
    if (who.caller.id.empty()) return fmt::print("not a VIP\n");
    return fmt::print("not a VIP now: caller {} is {}\n", who.caller.id, vipcore::to_string(who.match));
  }
  Table table = field_table(summary_json(who.caller));
  table.add({"routing_priority", std::to_string(who.routing_priority)});
  table.print();
}

void print(const vipcore::EscalationRule& rule, Style style) {
  if (style == Style::json) return print_json(rule_json(rule));
  field_table(rule_json(rule)).print();
}

void print(const std::vector<vipcore::EscalationRule>& rules, Style style) {
  if (style == Style::json) {
    ordered_json all = ordered_json::array();
    for (const auto& r : rules) all.push_back(rule_json(r));
    return print_json(all);
  }
  if (rules.empty()) return fmt::print("no escalation rules\n");
  Table table({"ID", "NAME", "LEVELS", "TRIGGERS", "TYPE", "TIER", "PRIORITY", "ACTIVE", "SCHEDULE", "NOTIFY"});
  for (const auto& r : rules) {
    const std::string levels = text_of(rule_json(r)["vip_levels"]);
    table.add({r.id, r.name, levels == "-" ? "all" : levels, rule_triggers(r), r.escalation_type,
               std::to_string(r.tier), std::to_string(r.priority), r.is_active ? "yes" : "no",
               std::string(vipcore::to_string(r.schedule)), notify_targets(r.notify)});
  }
  table.print();
}

void print(const vipcore::EscalationResult& result, Style style) {
  ordered_json triggered = ordered_json::array();
  for (const auto& t : result.triggered_rules)
    triggered.push_back({{"rule_id", t.rule_id},
                         {"rule_name", t.rule_name},
                         {"escalation_type", t.escalation_type},
                         {"tier", t.tier},
                         {"priority", t.priority},
                         {"wait_exceeded", t.wait_exceeded},
                         {"position_exceeded", t.position_exceeded},
                         {"already_triggered", t.already_triggered},
                         {"notified", t.notified},
                         {"notification_emails", t.notify.emails},
                         {"notification_sms", t.notify.sms_numbers},
                         {"internal_alerts", t.notify.internal_alerts}});
  const ordered_json summary = {
      {"should_escalate", result.should_escalate},
      {"highest_tier", result.highest_tier},
      {"highest_escalation_type",
       result.highest_escalation_type.empty() ? ordered_json() : ordered_json(result.highest_escalation_type)},
      {"sla_breached", result.sla_breached},
      {"max_wait_time", result.max_wait_time}};
  if (style == Style::json) {
    ordered_json answer = summary;
    answer["triggered_rules"] = triggered;
    return print_json(answer);
  }
  field_table(summary).print();
  if (result.triggered_rules.empty()) return;
  fmt::print("\n");
  Table table({"RULE", "TYPE", "TIER", "PRIORITY", "BECAUSE", "NOTIFY", "STATE"});
  for (const auto& t : result.triggered_rules) {
    const char* because = t.wait_exceeded && t.position_exceeded ? "wait, position"
                          : t.wait_exceeded                      ? "wait"
                                                                 : "position";
    table.add({t.rule_name, t.escalation_type, std::to_string(t.tier), std::to_string(t.priority), because,
               notify_targets(t.notify), t.already_triggered ? "already triggered" : "new"});
  }
  table.print();
}

void print(const vipcore::CallHistoryEntry& call, Style style) {
  const ordered_json entry = {{"call_id", call.call_id},
                              {"caller_id", call.caller_id},
                              {"vip_level", vipcore::to_string(call.vip_level)},
                              {"handling_rules_applied", vipcore::handling_rule_names(call.handling_rules_applied)},
                              {"wait_time_seconds", call.wait_seconds},
                              {"max_wait_time", call.max_wait_time},
                              {"escalation_triggered", call.escalation_triggered},
                              {"satisfaction_rating", or_null(call.satisfaction_rating)},
                              {"service_quality_score", or_null(call.service_quality_score)},
                              {"created_at", vipcore::format_timestamp(call.at)}};
  if (style == Style::json) return print_json(entry);
  field_table(entry).print();
}

void print(const vipcore::CallerAnalytics& analytics, Style style) {
  if (style == Style::json) {
    ordered_json answer = {{"caller_id", analytics.caller_id},
                           {"from", vipcore::format_timestamp(analytics.range.start)},
                           {"to", vipcore::format_timestamp(analytics.range.end)}};
    answer.update(stats_json(analytics.stats));
    return print_json(answer);
  }
  fmt::print("Calls of caller {} {}\n", analytics.caller_id, range_text(analytics.range));
  Table table = calls_table();
  add_calls_row(table, "all", analytics.stats);
  table.print();
}

void print(const vipcore::OverviewAnalytics& overview, Style style) {
  constexpr vipcore::CallerStatus kStatuses[] = {vipcore::CallerStatus::active, vipcore::CallerStatus::inactive,
                                                 vipcore::CallerStatus::suspended};
  if (style == Style::json) {
    ordered_json callers = ordered_json::object();
    for_each_level([&](int level, std::size_t l) {
      ordered_json& row = callers[level_name(level)];
      for (vipcore::CallerStatus s : kStatuses)
        row[std::string(vipcore::to_string(s))] = overview.callers[l][static_cast<std::size_t>(s)];
    });
    ordered_json levels = ordered_json::object();
    for_each_level([&](int level, std::size_t l) { levels[level_name(level)] = stats_json(overview.by_level[l]); });
    return print_json({{"from", vipcore::format_timestamp(overview.range.start)},
                       {"to", vipcore::format_timestamp(overview.range.end)},
                       {"total_callers", overview.total_callers},
                       {"callers", callers},
                       {"all", stats_json(overview.all)},
                       {"by_level", levels}});
  }
  fmt::print("VIP callers now: {}\n", overview.total_callers);
  Table callers({"", "ACTIVE", "INACTIVE", "SUSPENDED"});
  for_each_level([&](int level, std::size_t l) {
    std::vector<std::string> row{level_name(level)};
    for (vipcore::CallerStatus s : kStatuses)
      row.push_back(std::to_string(overview.callers[l][static_cast<std::size_t>(s)]));
    callers.add(std::move(row));
  });
  callers.print();
  fmt::print("\nVIP calls {}\n", range_text(overview.range));
  Table calls = calls_table();
  for_each_level([&](int level, std::size_t l) { add_calls_row(calls, level_name(level), overview.by_level[l]); });
  add_calls_row(calls, "all", overview.all);
  calls.print();
}

void print(const std::vector<vipcore::Alert>& alerts, Style style) {
  ordered_json all = ordered_json::array();
  for (const auto& a : alerts)
    all.push_back({{"kind", vipcore::to_string(a.kind)},
                   {"level", a.level ? ordered_json(vipcore::to_string(*a.level)) : ordered_json()},
                   {"measured", a.measured},
                   {"threshold", a.threshold},
                   {"message", a.message}});
  if (style == Style::json) return print_json(all);
  if (alerts.empty()) return fmt::print("no alerts\n");
  Table table({"KIND", "LEVEL", "MESSAGE"});
  for (const auto& a : all) table.add({text_of(a["kind"]), text_of(a["level"]), text_of(a["message"])});
  table.print();
}

void print(const vipcore::MetricsSnapshot& m, Style style) {
  const ordered_json metrics = {{"tenant_id", m.tenant_id},
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
  if (style == Style::json) return print_json(metrics);
  field_table(metrics).print();
}

void print(const std::vector<vipcore::AuditEntry>& entries, Style style) {
  ordered_json all = ordered_json::array();
  for (const auto& e : entries)
    all.push_back({{"sequence", e.sequence},
                   {"at", vipcore::format_timestamp(e.at)},
                   {"actor_id", e.actor_id},
                   {"role", vipcore::to_string(e.role)},
                   {"action", e.action},
                   {"entity_type", e.entity_type},
                   {"entity_id", e.entity_id.empty() ? ordered_json() : ordered_json(e.entity_id)},
                   {"fields", e.fields},
                   {"outcome", e.outcome}});
  if (style == Style::json) return print_json(all);
  if (entries.empty()) return fmt::print("no audit entries\n");
  Table table({"SEQ", "AT", "ACTOR", "ROLE", "ACTION", "ENTITY", "FIELDS", "OUTCOME"});
  for (const auto& e : all)
    table.add({text_of(e["sequence"]), text_of(e["at"]), text_of(e["actor_id"]), text_of(e["role"]),
               text_of(e["action"]), text_of(e["entity_type"]) + " " + text_of(e["entity_id"]), text_of(e["fields"]),
               text_of(e["outcome"])});
  table.print();
}

void print(const vipcore::TenantSettings& s, Style style) {
  ordered_json by_level = ordered_json::object();
  for (int l = vipcore::kLevelCount - 1; l >= 0; --l) {
    const auto i = static_cast<std::size_t>(l);
    by_level[std::string(vipcore::to_string(static_cast<vipcore::Level>(l)))] = {
        {"target_wait", s.level_waits[i]},
        {"priority", s.priority.level_base[i]},
        {"max_escalation_rate", s.alerts.max_escalation_rate[i]}};
  }
  ordered_json bonus = ordered_json::object();
  for (int r = 0; r < vipcore::kHandlingRuleCount; ++r)
    bonus[std::string(vipcore::to_string(static_cast<vipcore::HandlingRule>(r)))] =
        s.priority.rule_bonus[static_cast<std::size_t>(r)];
  const ordered_json all = {{"region", s.region},
                            {"number_validation", std::string(vipcore::to_string(s.number_validation))},
                            {"time_zone", s.time_zone},
                            {"business_hours", vipcore::format_weekly_hours(s.business_hours)},
                            {"levels", by_level},
                            {"rule_bonus", bonus},
                            {"dynamic_priority", {{"rise_start", s.dynamic_priority.rise_start},
                                                  {"exponent", s.dynamic_priority.exponent}}},
                            {"alerts", {{"wait_factor", s.alerts.wait_factor},
                                        {"max_failed_identification_rate", s.alerts.max_failed_identification_rate},
                                        {"min_identifications", s.alerts.min_identifications},
                                        {"max_quality_drop", s.alerts.max_quality_drop},
                                        {"min_calls", s.alerts.min_calls}}}};
  if (style == Style::json) return print_json(all);
  Table facts;
  facts.add({"region", s.region});
  facts.add({"number_validation", std::string(vipcore::to_string(s.number_validation))});
  facts.add({"time_zone", s.time_zone});
  facts.add({"business_hours", vipcore::format_weekly_hours(s.business_hours)});
  std::string bonuses;  // the rules that change the priority: "IMMEDIATE_TRANSFER +20, ..."
  for (const auto& [rule, points] : bonus.items())
    if (points.get<int>() != 0) bonuses += fmt::format("{}{} {:+d}", bonuses.empty() ? "" : ", ", rule, points.get<int>());
  facts.add({"rule_bonus", bonuses.empty() ? "-" : bonuses});
  facts.add({"dynamic_priority", fmt::format("rises from {:g}% of the target wait, exponent {:g}",
                                             s.dynamic_priority.rise_start * 100, s.dynamic_priority.exponent)});
  facts.add({"alert_wait", fmt::format("average wait above {:g} x the level's target wait", s.alerts.wait_factor)});
  facts.add({"alert_failed_identifications",
             fmt::format("above {:g}% of at least {} identifications", s.alerts.max_failed_identification_rate * 100,
                         s.alerts.min_identifications)});
  facts.add({"alert_quality_drop", fmt::format("more than {:g} points", s.alerts.max_quality_drop)});
  facts.add({"alert_min_calls", fmt::format("levels with fewer than {} calls are not judged", s.alerts.min_calls)});
  facts.print();
  Table levels({"LEVEL", "TARGET WAIT", "PRIORITY", "ALERT ABOVE ESCALATION RATE"});
  for (const auto& [name, v] : by_level.items())
    levels.add({name, text_of(v["target_wait"]) + " s", text_of(v["priority"]),
                fmt::format("{:.1f}%", v["max_escalation_rate"].get<double>() * 100)});
  levels.print();
}

ImportProgress::ImportProgress(std::size_t rows) : rows_(rows), terminal_(::isatty(STDERR_FILENO) == 1) {}

std::size_t ImportProgress::every() const noexcept { return std::max<std::size_t>(1, rows_ / (terminal_ ? 100 : 4)); }

bool ImportProgress::update(std::size_t done, std::size_t total) {
  const std::size_t percent = total == 0 ? 100 : done * 100 / total;
  if (terminal_) {
    constexpr std::size_t kBarWidth = 30;
    const std::string bar(total == 0 ? kBarWidth : done * kBarWidth / total, '#');
    fmt::print(stderr, "\rimporting [{:<{}}] {:3}%  {}/{} rows", bar, kBarWidth, percent, done, total);
    bar_shown_ = true;
  } else {
    fmt::print(stderr, "import: {}/{} rows ({}%)\n", done, total, percent);
  }
  return true;
}

void ImportProgress::finish() {
  if (bar_shown_) std::fputc('\n', stderr);
  bar_shown_ = false;
}

}  // namespace vipctl
