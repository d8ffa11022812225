// vipcore — what identify() answers, and the routing priority.
#ifndef VIPCORE_ROUTING_HPP
#define VIPCORE_ROUTING_HPP

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "vipcore/caller.hpp"
#include "vipcore/export.h"
#include "vipcore/status.hpp"

namespace vipcore {

/// How the routing priority (0-100) of an identified VIP is scored:
///
///     priority = clamp(level_base[level] + sum(rule_bonus[r] for r in handling_rules), 0, 100)
///
/// and 0 for a caller who is not a VIP. The defaults score GOLD 70, PLATINUM 80,
/// DIAMOND 90, SILVER 60, STANDARD 50; PRIORITY_QUEUE adds 15 and
/// IMMEDIATE_TRANSFER 20, so GOLD with PRIORITY_QUEUE scores 85.
struct PriorityPolicy {
  std::array<int, kLevelCount> level_base = {50, 60, 70, 80, 90};  ///< indexed by Level
  std::array<int, kHandlingRuleCount> rule_bonus = {20, 0, 15, 0, 0, 0};  ///< indexed by HandlingRule

  /// Each value must lie in -100..100, and a higher level may not score
  /// lower than a lower level. The error names the offending entry.
  VIPCORE_EXPORT Status validate() const;
};

/// The priority of a VIP with this level and these rules under `policy`.
VIPCORE_EXPORT int routing_priority(Level level, HandlingRules rules, const PriorityPolicy& policy) noexcept;

/// Why a number was or was not identified as a VIP.
enum class Match : std::uint8_t {
  vip = 0,            ///< an ACTIVE caller inside its validity window
  not_found = 1,      ///< no VIP has this number in the tenant
  inactive = 2,       ///< the caller's status is INACTIVE
  suspended = 3,      ///< the caller's status is SUSPENDED
  not_yet_valid = 4,  ///< now is before valid_from
  expired = 5,        ///< now is at or after valid_until
};
/// "VIP", "NOT_FOUND", "INACTIVE", "SUSPENDED", "NOT_YET_VALID", "EXPIRED".
VIPCORE_EXPORT std::string_view to_string(Match match) noexcept;

/// What a PBX needs to know about an identified VIP. No phone number.
struct CallerSummary {
  std::string id;
  std::string caller_name;
  Level vip_level = Level::standard;
  HandlingRules handling_rules;
  std::string custom_greeting;  ///< "" when none
  std::string preferred_agent_id;
  std::string preferred_department_id;
  int max_wait_time = 0;        ///< seconds: the caller's own or the level's default
  int callback_priority = 1;
};

/// The answer of Tenant::identify.
struct Identification {
  bool is_vip = false;
  Match match = Match::not_found;
  /// Filled when is_vip; otherwise only caller.id is set (and only when a
  /// caller owns the number but is not currently a VIP).
  CallerSummary caller;
  int routing_priority = 0;  ///< 0-100; 0 when not a VIP
};

}  // namespace vipcore

#endif  // VIPCORE_ROUTING_HPP
