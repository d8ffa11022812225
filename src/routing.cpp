#include "vipcore/routing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>


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
  return ok_status();
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

Status DynamicPriorityPolicy::validate() const {
  if (!(rise_start >= 0.0 && rise_start < 1.0))
    return Status::invalid_argument("dynamic_priority.rise_start", "must lie in [0, 1)");
  if (!(exponent >= 0.25 && exponent <= 4.0))
    return Status::invalid_argument("dynamic_priority.exponent", "must lie in [0.25, 4]");
  return ok_status();
}

int dynamic_priority(int base, int waited_seconds, int max_wait_time, const DynamicPriorityPolicy& policy) noexcept {
  base = std::clamp(base, 0, 100);
  if (max_wait_time <= 0) return base;
  const double t = static_cast<double>(max_wait_time);
  const double w = static_cast<double>(std::max(waited_seconds, 0));
  const double start = policy.rise_start * t;
  if (w <= start) return base;
  if (w >= t) return 100;
  const double progress = std::pow((w - start) / (t - start), policy.exponent);
  const double p = static_cast<double>(base) + (100.0 - static_cast<double>(base)) * progress;
  return std::clamp(static_cast<int>(std::floor(p)), base, 100);
}

std::string_view to_string(RouteAction action) noexcept {
  switch (action) {
    case RouteAction::transfer: return "TRANSFER";
    case RouteAction::wait_for_agent: return "WAIT_FOR_AGENT";
    case RouteAction::queue: return "QUEUE";
    case RouteAction::after_hours: return "AFTER_HOURS";
  }
  return "UNKNOWN";
}

}  // namespace vipcore
