// vipctl settings: show the tenant's settings, or change those given. One
// table row per setting: its option, its help, and how its value is read
// and applied.
#include <fmt/format.h>

#include <array>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "commands.hpp"

namespace vipctl {
namespace {

using vipcore::TenantSettings;

// How a setting's value is read and applied. CLI11 reads the value as the
// setter's argument type (a number it cannot read is a usage error, exit 2);
// text and KEY=VALUE lists are read by the setter, whose error is the
// command's.
using SetText = Status (*)(TenantSettings&, const std::string&);
using SetPairs = Status (*)(TenantSettings&, const std::vector<std::string>&);
using SetNumber = void (*)(TenantSettings&, double);
using SetCount = void (*)(TenantSettings&, std::uint64_t);  // a count: a negative value is refused
using Setter = std::variant<SetText, SetPairs, SetNumber, SetCount>;

struct SettingOption {
  const char* name;
  const char* help;
  Setter set;
};

// Applies each "KEY=VALUE" of `items` (--target-wait GOLD=45, --rule-bonus
// PRIORITY_QUEUE=15): `parse_key` reads the key (a level or a handling rule,
// in any case), `set` takes its index and the value's text.
template <typename ParseKey, typename Set>
Status assign_each(const std::vector<std::string>& items, std::string_view option, std::string_view expected,
                   ParseKey&& parse_key, Set&& set) {
  for (const std::string& item : items) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) return Status::invalid_argument(option, fmt::format("expected {}", expected));
    auto key = parse_key(item.substr(0, eq), option);
    if (!key.ok()) return key.status();
    if (Status st = set(static_cast<std::size_t>(*key), item.substr(eq + 1)); !st.ok()) return st;
  }
  return vipcore::ok_status();
}

Status whole_number(std::string_view option, const std::string& v, int* out) {
  char* end = nullptr;
  const long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < INT_MIN || n > INT_MAX)
    return Status::invalid_argument(option, "expects a whole number after '='");
  *out = static_cast<int>(n);
  return vipcore::ok_status();
}

constexpr std::string_view kLevelValue = "LEVEL=VALUE, e.g. GOLD=45";

vipcore::Result<vipcore::Level> level_key(std::string_view text, std::string_view option) {
  return vipcore::parse_level(text, option);
}

// LEVEL=N items into one whole number per level.
Status set_per_level(const std::vector<std::string>& items, std::string_view option,
                     std::array<int, vipcore::kLevelCount>& values) {
  return assign_each(items, option, kLevelValue, level_key,
                     [&](std::size_t l, const std::string& v) { return whole_number(option, v, &values[l]); });
}

// The table: the order of the help, and the order in which changes apply.
const SettingOption kSettings[] = {
    {"--time-zone", "IANA time zone of the business hours, e.g. Europe/Paris",
     SetText([](TenantSettings& s, const std::string& v) {
       if (!v.empty()) s.time_zone = v;
       return vipcore::ok_status();
     })},
    {"--business-hours", "e.g. 'mon-fri 09:00-17:00; sat 10:00-14:00', '24/7'",
     SetText([](TenantSettings& s, const std::string& v) -> Status {
       if (v.empty()) return vipcore::ok_status();
       auto hours = vipcore::parse_weekly_hours(v, "business-hours");
       if (!hours.ok()) return hours.status();
       s.business_hours = *hours;
       return vipcore::ok_status();
     })},
    {"--region", "numbering region (ISO 3166-1 alpha-2, e.g. GB): how national numbers are read and checked",
     SetText([](TenantSettings& s, const std::string& v) -> Status {
       auto plan = vipcore::PhoneNormalizer::for_region(v);
       if (!plan.ok()) return plan.status();
       s.region = plan->region();
       return vipcore::ok_status();
     })},
    {"--number-validation", "strict (libphonenumber's possible-number check) or e164 (any E.164-shaped number)",
     SetText([](TenantSettings& s, const std::string& v) -> Status {
       auto parsed = vipcore::parse_number_validation(v, "number-validation");
       if (!parsed.ok()) return parsed.status();
       s.number_validation = *parsed;
       return vipcore::ok_status();
     })},
    {"--target-wait", "LEVEL=SECONDS: max_wait_time of callers who have none",
     SetPairs([](TenantSettings& s, const std::vector<std::string>& items) {
       return set_per_level(items, "target-wait", s.level_waits);
     })},
    {"--priority", "LEVEL=N: the level's base routing priority",
     SetPairs([](TenantSettings& s, const std::vector<std::string>& items) {
       return set_per_level(items, "priority", s.priority.level_base);
     })},
    {"--alert-escalation-rate", "LEVEL=RATE: alert above this rate, e.g. DIAMOND=0.05",
     SetPairs([](TenantSettings& s, const std::vector<std::string>& items) {
       return assign_each(items, "alert-escalation-rate", kLevelValue, level_key,
                          [&](std::size_t l, const std::string& v) {
                            char* end = nullptr;
                            s.alerts.max_escalation_rate[l] = std::strtod(v.c_str(), &end);
                            if (v.empty() || *end != '\0')
                              return Status::invalid_argument("alert-escalation-rate",
                                                              "expects a number after '=', e.g. 0.05");
                            return vipcore::ok_status();
                          });
     })},
    {"--rule-bonus", "RULE=N: priority added by a handling rule, e.g. PRIORITY_QUEUE=15",
     SetPairs([](TenantSettings& s, const std::vector<std::string>& items) {
       return assign_each(
           items, "rule-bonus", "RULE=N, e.g. PRIORITY_QUEUE=15",
           [](std::string_view text, std::string_view option) { return vipcore::parse_handling_rule(text, option); },
           [&](std::size_t r, const std::string& v) { return whole_number("rule-bonus", v, &s.priority.rule_bonus[r]); });
     })},
    {"--rise-start", "dynamic priority: the fraction (0 to <1) of the target wait before it rises",
     SetNumber([](TenantSettings& s, double v) { s.dynamic_priority.rise_start = v; })},
    {"--exponent", "dynamic priority: the curve's exponent, 0.25 to 4 (1: linear)",
     SetNumber([](TenantSettings& s, double v) { s.dynamic_priority.exponent = v; })},
    {"--alert-wait-factor", "alert when a level's average wait exceeds target x this",
     SetNumber([](TenantSettings& s, double v) { s.alerts.wait_factor = v; })},
    {"--alert-failed-identifications", "alert when this share (0-1) of identifications fails...",
     SetNumber([](TenantSettings& s, double v) { s.alerts.max_failed_identification_rate = v; })},
    {"--alert-min-identifications", "...once this many were attempted",
     SetCount([](TenantSettings& s, std::uint64_t v) { s.alerts.min_identifications = v; })},
    {"--alert-quality-drop", "alert when a level's quality falls by more than these points",
     SetNumber([](TenantSettings& s, double v) { s.alerts.max_quality_drop = v; })},
    {"--alert-min-calls", "levels with fewer calls than this are not judged",
     SetCount([](TenantSettings& s, std::uint64_t v) { s.alerts.min_calls = v; })},
};

using Change = std::function<Status(TenantSettings&)>;

// Adds the row's option to `cmd`; once parsed, *change applies its value.
void add_setting_option(CLI::App& cmd, const SettingOption& row, Change* change) {
  const auto add = [&](auto set, auto value_type) {
    using T = decltype(value_type);
    return cmd.add_option_function<T>(
        row.name, [set, change](const T& value) { *change = [set, value](TenantSettings& s) { return set(s, value); }; },
        row.help);
  };
  const auto ok = [](auto set) {
    return [set](TenantSettings& s, const auto& value) {
      set(s, value);
      return vipcore::ok_status();
    };
  };
  if (const auto* text = std::get_if<SetText>(&row.set)) add(*text, std::string());
  else if (const auto* pairs = std::get_if<SetPairs>(&row.set)) add(*pairs, std::vector<std::string>());
  else if (const auto* number = std::get_if<SetNumber>(&row.set)) add(ok(*number), double());
  else add(ok(std::get<SetCount>(row.set)), std::uint64_t())->check(CLI::NonNegativeNumber);
}

}  // namespace

Command settings_command(CLI::App& app) {
  struct Options {
    std::vector<Change> changes = std::vector<Change>(std::size(kSettings));  // one per row: set when given
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "settings", "Show the tenant's settings, or change those given (time zone, hours, waits, priorities, alerts)");
  for (std::size_t i = 0; i < std::size(kSettings); ++i) add_setting_option(*cmd, kSettings[i], &o->changes[i]);
  add_json_flag(*cmd, o->json);
  return {cmd, [o, cmd](const vipcore::Tenant& tenant) -> Status {
            auto settings = tenant.settings();
            if (!settings.ok()) return settings.status();
            // No setting given (at most --json): show them.
            const auto given = cmd->get_options(
                [](const CLI::Option* opt) { return opt->count() > 0 && opt->get_name() != "--json"; });
            if (given.empty()) return print_result(settings, style(o->json));
            vipcore::TenantSettings& s = *settings;
            for (const Change& change : o->changes)
              if (change)
                if (Status st = change(s); !st.ok()) return st;
            if (Status st = tenant.update_settings(s); !st.ok()) return st;
            return print_result(vipcore::Result<vipcore::TenantSettings>(s), style(o->json));
          }};
}

}  // namespace vipctl
