// vipcore — what identify() answers, and the routing priority.
#ifndef VIPCORE_ROUTING_HPP
#define VIPCORE_ROUTING_HPP

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

/// How the priority of a waiting caller rises with time waited.
///
/// With base priority b (routing_priority), time waited w and the caller's
/// target wait T (max_wait_time), s = rise_start and k = exponent:
///
///     p(w) = b                                          for w <= s*T
///     p(w) = b + (100 - b) * ((w - s*T) / ((1 - s)*T))^k  for s*T < w < T
///     p(w) = 100                                        for w >= T
///
/// rounded down and clamped to 0..100. p never decreases as w grows, and
/// every caller reaches 100 when their own target is reached. A queue that
/// serves the highest p first (ties: the longest wait first) therefore
/// never keeps a caller who has reached their target behind one who has
/// not — however low their level — which a fixed priority cannot promise.
struct DynamicPriorityPolicy {
  double rise_start = 0.5;  ///< 0 <= s < 1: the fraction of T before p starts rising
  double exponent = 1.0;    ///< 0.25 <= k <= 4: 1 rises linearly, >1 later and steeper

  VIPCORE_EXPORT Status validate() const;
};

/// p(w) above. A non-VIP has base 0: give it the target wait the PBX uses
/// for ordinary callers. A max_wait_time <= 0 returns `base` unchanged.
VIPCORE_EXPORT int dynamic_priority(int base, int waited_seconds, int max_wait_time,
                                    const DynamicPriorityPolicy& policy) noexcept;

/// The priority in the forms common PBXes and contact centres take it.
struct PbxPriorities {
  /// Asterisk app_queue QUEUE_PRIO: an integer, higher is answered first,
  /// fixed when the call enters the queue (Asterisk does not age it). The
  /// routing priority, 0-100.
  int asterisk_queue_prio = 0;
  /// FreeSWITCH mod_callcenter cc_base_score: seconds of head start added to
  /// the caller's time in queue; members with the highest score are
  /// offered first. Set to (longest level target - caller's target), so
  /// that every caller's score reaches the same value exactly when their own
  /// target wait is reached: the queue then serves the earliest deadline
  /// first. 0 for non-VIPs.
  int freeswitch_base_score = 0;
  /// Amazon Connect and Genesys Cloud order a queue by contact age; this is
  /// the number of seconds to add to the contact's age in queue (Connect's
  /// routing age adjustment; Genesys's priority, one point per second). The
  /// same head start as freeswitch_base_score, for the same reason.
  int queue_age_bonus_seconds = 0;
};

/// What the PBX knows at the moment it routes (or re-routes) a call.
struct PbxState {
  std::vector<std::string> free_agents;        ///< ids of the agents free now
  std::optional<bool> inside_business_hours;   ///< unset: from the tenant's business hours
  int waited_seconds = 0;                      ///< how long the caller has waited so far
};

/// The first thing the PBX should do with the call.
enum class RouteAction : std::uint8_t {
  transfer = 0,        ///< connect the caller to target_agent_id now
  wait_for_agent = 1,  ///< hold for target_agent_id (the dedicated agent) for up to wait_seconds more,
                       ///< then ask again: the plan then falls back
  queue = 2,           ///< queue the call with queue_priority (at the front when front_of_queue)
  after_hours = 3,     ///< closed: voicemail, or a callback when offer_callback
};
/// "TRANSFER", "WAIT_FOR_AGENT", "QUEUE", "AFTER_HOURS".
VIPCORE_EXPORT std::string_view to_string(RouteAction action) noexcept;

/// One plain answer a PBX can act on.
struct RoutingPlan {
  RouteAction action = RouteAction::queue;
  bool is_vip = false;
  std::string target_agent_id;    ///< for transfer and wait_for_agent
  int wait_seconds = 0;           ///< for wait_for_agent
  bool front_of_queue = false;    ///< PRIORITY_QUEUE: ahead of non-priority callers
  int queue_priority = 0;         ///< dynamic priority now (0-100)
  PbxPriorities pbx;              ///< the priority in PBX-specific forms
  std::string greeting;           ///< play this first ("" for none)
  bool offer_callback = false;    ///< CALLBACK_PRIORITY: offer a priority callback
  int callback_priority = 0;      ///< 1 is called back first; 0 when no callback is offered
  std::string reason;             ///< why, for logs, e.g. "DEDICATED_AGENT: agent-007 is busy, waiting 20 s more"
};

}  // namespace vipcore

#endif  // VIPCORE_ROUTING_HPP
