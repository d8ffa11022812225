#include "vipcore/caller.hpp"

#include <fmt/format.h>

#include "text.hpp"

namespace vipcore {
namespace {

constexpr std::string_view kLevelNames[kLevelCount] = {"STANDARD", "SILVER", "GOLD", "PLATINUM", "DIAMOND"};
constexpr std::string_view kStatusNames[] = {"ACTIVE", "INACTIVE", "SUSPENDED"};
constexpr std::string_view kRuleNames[kHandlingRuleCount] = {"IMMEDIATE_TRANSFER", "DEDICATED_AGENT",
                                                             "PRIORITY_QUEUE",     "CUSTOM_GREETING",
                                                             "EXTENDED_HOURS",     "CALLBACK_PRIORITY"};

template <typename Enum, std::size_t N>
Result<Enum> parse_name(const std::string_view (&names)[N], std::string_view text, std::string_view field,
                        std::string_view what) {
  const std::string_view t = detail::trim(text);
  for (std::size_t i = 0; i < N; ++i)
    if (detail::iequals(t, names[i])) return static_cast<Enum>(i);
  std::string allowed;
  for (std::size_t i = 0; i < N; ++i) {
    if (i) allowed += ", ";
    allowed += names[i];
  }
  // The input is echoed only when short and printable: it is a label, not a secret.
  if (t.size() <= 32 && detail::is_clean_utf8(t, false))
    return Status::invalid_argument(field, fmt::format("unknown {} '{}' (expected one of {})", what, t, allowed));
  return Status::invalid_argument(field, fmt::format("unknown {} (expected one of {})", what, allowed));
}

}  // namespace

std::string_view to_string(Level level) noexcept {
  const auto i = static_cast<std::size_t>(level);
  return i < kLevelCount ? kLevelNames[i] : "UNKNOWN";
}

Result<Level> parse_level(std::string_view text, std::string_view field) {
  return parse_name<Level>(kLevelNames, text, field, "VIP level");
}

Level suggest_level(double account_value) noexcept {
  if (account_value > 500000.0) return Level::diamond;
  if (account_value > 100000.0) return Level::platinum;
  if (account_value > 50000.0) return Level::gold;
  if (account_value > 10000.0) return Level::silver;
  return Level::standard;
}

std::string_view to_string(CallerStatus status) noexcept {
  const auto i = static_cast<std::size_t>(status);
  return i < 3 ? kStatusNames[i] : "UNKNOWN";
}

Result<CallerStatus> parse_caller_status(std::string_view text, std::string_view field) {
  return parse_name<CallerStatus>(kStatusNames, text, field, "status");
}

std::string_view to_string(HandlingRule rule) noexcept {
  const auto i = static_cast<std::size_t>(rule);
  return i < kHandlingRuleCount ? kRuleNames[i] : "UNKNOWN";
}

Result<HandlingRule> parse_handling_rule(std::string_view text, std::string_view field) {
  return parse_name<HandlingRule>(kRuleNames, text, field, "handling rule");
}

Result<HandlingRules> parse_handling_rules(const std::vector<std::string>& names, std::string_view field) {
  HandlingRules rules;
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto r = parse_handling_rule(names[i], fmt::format("{}[{}]", field, i));
    if (!r.ok()) return r.status();
    rules.add(*r);
  }
  return rules;
}

std::vector<std::string> handling_rule_names(HandlingRules rules) {
  std::vector<std::string> out;
  for (HandlingRule r : rules.to_vector()) out.emplace_back(to_string(r));
  return out;
}

bool CallerUpdate::empty() const noexcept { return field_names().empty(); }

std::vector<std::string> CallerUpdate::field_names() const {
  std::vector<std::string> out;
  auto add = [&out](bool set, const char* name) {
    if (set) out.emplace_back(name);
  };
  add(phone_number.has_value(), "phone_number");
  add(alternative_phone_numbers.has_value(), "alternative_phone_numbers");
  add(caller_name.has_value(), "caller_name");
  add(company_name.has_value(), "company_name");
  add(vip_level.has_value(), "vip_level");
  add(status.has_value(), "status");
  add(preferred_agent_id.has_value(), "preferred_agent_id");
  add(preferred_department_id.has_value(), "preferred_department_id");
  add(handling_rules.has_value(), "handling_rules");
  add(custom_greeting.has_value(), "custom_greeting");
  add(max_wait_time.has_value(), "max_wait_time");
  add(callback_priority.has_value(), "callback_priority");
  add(email.has_value(), "email");
  add(account_number.has_value(), "account_number");
  add(account_value.has_value(), "account_value");
  add(notes.has_value(), "notes");
  add(tags.has_value(), "tags");
  add(valid_from.has_value(), "valid_from");
  add(valid_until.has_value(), "valid_until");
  return out;
}

}  // namespace vipcore
