#include "output.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "formats.hpp"
#include "json_mapping.hpp"

namespace vipctl {

namespace jsonmap = vipcore::jsonmap;

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

std::string percent(const std::optional<double>& rate) { return rate ? fmt::format("{:.1f}%", *rate * 100) : "-"; }

std::string level_name(vipcore::Level level) { return std::string(vipcore::to_string(level)); }

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
  ordered_json fields = jsonmap::caller_to_json(caller);
  if (style == Style::json) return print_json(fields);
  if (caller.max_wait_time_is_default)
    fields["max_wait_time"] =
        fmt::format("{} (the {} default)", caller.max_wait_time, vipcore::to_string(caller.vip_level));
  field_table(fields).print();
}

void print(const std::vector<vipcore::VipCaller>& callers, Style style) {
  if (style == Style::json) {
    return print_json(jsonmap::to_json_array(callers));
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
  const ordered_json answer = jsonmap::to_json(who);
  if (style == Style::json) return print_json(answer);
  if (!who.is_vip) {
    // A number some caller owns who is not a VIP now says why.
    if (who.caller.id.empty()) return fmt::print("not a VIP\n");
    return fmt::print("not a VIP now: caller {} is {}\n", who.caller.id, vipcore::to_string(who.match));
  }
  Table table = field_table(jsonmap::to_json(who.caller));
  table.add({"routing_priority", std::to_string(who.routing_priority)});
  table.print();
}

void print(const vipcore::EscalationRule& rule, Style style) {
  if (style == Style::json) return print_json(jsonmap::to_json(rule));
  field_table(jsonmap::to_json(rule)).print();
}

void print(const std::vector<vipcore::EscalationRule>& rules, Style style) {
  if (style == Style::json) {
    return print_json(jsonmap::to_json_array(rules));
  }
  if (rules.empty()) return fmt::print("no escalation rules\n");
  Table table({"ID", "NAME", "LEVELS", "TRIGGERS", "TYPE", "TIER", "PRIORITY", "ACTIVE", "SCHEDULE", "NOTIFY"});
  for (const auto& r : rules) {
    const std::string levels = text_of(jsonmap::to_json(r)["vip_levels"]);
    table.add({r.id, r.name, levels == "-" ? "all" : levels, rule_triggers(r), r.escalation_type,
               std::to_string(r.tier), std::to_string(r.priority), r.is_active ? "yes" : "no",
               std::string(vipcore::to_string(r.schedule)), notify_targets(r.notify)});
  }
  table.print();
}

void print(const vipcore::EscalationResult& result, Style style) {
  ordered_json summary = jsonmap::to_json(result);
  if (style == Style::json) return print_json(summary);
  summary.erase("triggered_rules");
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
  const ordered_json entry = jsonmap::to_json(call);
  if (style == Style::json) return print_json(entry);
  field_table(entry).print();
}

void print(const vipcore::CallerAnalytics& analytics, Style style) {
  if (style == Style::json) return print_json(jsonmap::to_json(analytics));
  fmt::print("Calls of caller {} {}\n", analytics.caller_id, range_text(analytics.range));
  Table table = calls_table();
  add_calls_row(table, "all", analytics.stats);
  table.print();
}

void print(const vipcore::OverviewAnalytics& overview, Style style) {
  constexpr vipcore::CallerStatus kStatuses[] = {vipcore::CallerStatus::active, vipcore::CallerStatus::inactive,
                                                 vipcore::CallerStatus::suspended};
  if (style == Style::json) return print_json(jsonmap::to_json(overview));
  fmt::print("VIP callers now: {}\n", overview.total_callers);
  Table callers({"", "ACTIVE", "INACTIVE", "SUSPENDED"});
  jsonmap::for_each_level([&](vipcore::Level level, std::size_t l) {
    std::vector<std::string> row{level_name(level)};
    for (vipcore::CallerStatus s : kStatuses)
      row.push_back(std::to_string(overview.callers[l][static_cast<std::size_t>(s)]));
    callers.add(std::move(row));
  });
  callers.print();
  fmt::print("\nVIP calls {}\n", range_text(overview.range));
  Table calls = calls_table();
  jsonmap::for_each_level([&](vipcore::Level level, std::size_t l) { add_calls_row(calls, level_name(level), overview.by_level[l]); });
  add_calls_row(calls, "all", overview.all);
  calls.print();
}

void print(const std::vector<vipcore::Alert>& alerts, Style style) {
  const ordered_json all = jsonmap::to_json_array(alerts);
  if (style == Style::json) return print_json(all);
  if (alerts.empty()) return fmt::print("no alerts\n");
  Table table({"KIND", "LEVEL", "MESSAGE"});
  for (const auto& a : all) table.add({text_of(a["kind"]), text_of(a["level"]), text_of(a["message"])});
  table.print();
}

void print(const vipcore::MetricsSnapshot& m, Style style) {
  const ordered_json metrics = jsonmap::to_json(m);
  if (style == Style::json) return print_json(metrics);
  field_table(metrics).print();
}

void print(const std::vector<vipcore::AuditEntry>& entries, Style style) {
  const ordered_json all = jsonmap::to_json_array(entries);
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
  const ordered_json all = jsonmap::to_json(s);
  if (style == Style::json) return print_json(all);
  Table facts;
  facts.add({"region", s.region});
  facts.add({"number_validation", std::string(vipcore::to_string(s.number_validation))});
  facts.add({"time_zone", s.time_zone});
  facts.add({"business_hours", vipcore::format_weekly_hours(s.business_hours)});
  std::string bonuses;  // the rules that change the priority: "IMMEDIATE_TRANSFER +20, ..."
  for (const auto& [rule, points] : all["rule_bonus"].items())
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
  for (const auto& [name, v] : all["levels"].items())
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
