#include "vipcore/routing.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "vipcore/settings.hpp"

namespace vipcore {

Status PriorityPolicy::validate() const {
  for (int i = 0; i < kLevelCount; ++i) {
    const int v = level_base[static_cast<std::size_t>(i)];
    if (v < -100 || v > 100)
      return Status::invalid_argument(fmt::format("priority.level_base[{}]", to_string(static_cast<Level>(i))),
                                      "must lie in -100..100");
    if (i > 0 && v < level_base[static_cast<std::size_t>(i - 1)])
      return Status::invalid_argument(fmt::format("priority.level_base[{}]", to_string(static_cast<Level>(i))),
                                      "must not be lower than the level below it");
  }
  for (int i = 0; i < kHandlingRuleCount; ++i) {
    const int v = rule_bonus[static_cast<std::size_t>(i)];
    if (v < -100 || v > 100)
      return Status::invalid_argument(
          fmt::format("priority.rule_bonus[{}]", to_string(static_cast<HandlingRule>(i))), "must lie in -100..100");
  }
  return Status::ok();
}

int routing_priority(Level level, HandlingRules rules, const PriorityPolicy& policy) noexcept {
  int score = policy.level_base[static_cast<std::size_t>(level)];
  for (int i = 0; i < kHandlingRuleCount; ++i)
    if (rules.has(static_cast<HandlingRule>(i))) score += policy.rule_bonus[static_cast<std::size_t>(i)];
  return std::clamp(score, 0, 100);
}

std::string_view to_string(Match match) noexcept {
  switch (match) {
    case Match::vip: return "VIP";
    case Match::not_found: return "NOT_FOUND";
    case Match::inactive: return "INACTIVE";
    case Match::suspended: return "SUSPENDED";
    case Match::not_yet_valid: return "NOT_YET_VALID";
    case Match::expired: return "EXPIRED";
  }
  return "UNKNOWN";
}

Status TenantSettings::validate() const {
  for (int i = 0; i < kLevelCount; ++i) {
    const int w = level_waits[static_cast<std::size_t>(i)];
    if (w < 1 || w > Limits::kMaxWaitSeconds)
      return Status::invalid_argument(fmt::format("level_waits[{}]", to_string(static_cast<Level>(i))),
                                      fmt::format("must lie in 1..{} seconds", Limits::kMaxWaitSeconds));
  }
  return priority.validate();
}

}  // namespace vipcore
