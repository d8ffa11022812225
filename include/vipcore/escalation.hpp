// vipcore — escalation rules, the escalation check, and notifiers.
//
// While a VIP waits, the PBX polls Tenant::check_escalation every few
// seconds with the call's wait and queue position. A rule triggers when it is
// active, matches the caller's level, its schedule matches now, and the wait
// exceeds its max_wait_time or the position exceeds its max_queue_position
// (exactly at the maximum is not exceeding it). With a call id, each
// (call, rule) pair triggers and notifies once: the trigger is stored, so
// later polls — even after a restart — report it as already triggered. A
// poll whose triggered rules this process already knows stored (and
// notified, when a notifier is configured) reads no triggers from the storage.
//
// Rules are evaluated in order of priority (1 first), then by name, then by
// id, so the order is stable and the same on every backend.
#ifndef VIPCORE_ESCALATION_HPP
#define VIPCORE_ESCALATION_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vipcore/caller.hpp"
#include "vipcore/clock.hpp"
#include "vipcore/export.h"
#include "vipcore/routing.hpp"
#include "vipcore/schedule.hpp"
#include "vipcore/status.hpp"

namespace vipcore {

/// When a rule applies.
enum class RuleSchedule : std::uint8_t {
  always = 0,
  inside_business_hours = 1,
  outside_business_hours = 2,
};
/// "ALWAYS", "INSIDE_BUSINESS_HOURS", "OUTSIDE_BUSINESS_HOURS".
VIPCORE_EXPORT std::string_view to_string(RuleSchedule schedule) noexcept;
VIPCORE_EXPORT Result<RuleSchedule> parse_rule_schedule(std::string_view text, std::string_view field = "schedule");

/// Who hears about a triggered rule. vipcore stores these sealed and hands
/// them to the Notifier; it sends nothing itself.
struct NotificationTargets {
  std::vector<std::string> emails;
  std::vector<std::string> sms_numbers;      ///< E.164 or any format phone.hpp reads
  std::vector<std::string> internal_alerts;  ///< e.g. a wallboard or chat channel name

  bool empty() const noexcept { return emails.empty() && sms_numbers.empty() && internal_alerts.empty(); }
};

/// The built-in escalation types and their tiers: agent 1, supervisor 2,
/// manager 3. Any other type is a custom one and must give its tier.
inline constexpr int kMaxTier = 10;

/// An escalation rule of a tenant.
struct EscalationRule {
  std::string id;    ///< UUIDv4, assigned by vipcore
  std::string name;  ///< required, e.g. "VIP Wait Time Rule"
  std::vector<Level> vip_levels;  ///< the levels it applies to; empty = all
  std::optional<int> max_wait_time;       ///< seconds; triggers when the wait exceeds it
  std::optional<int> max_queue_position;  ///< triggers when the position exceeds it
  /// "agent", "supervisor", "manager", or a custom name (letters, digits, _ and -).
  std::string escalation_type = "supervisor";
  /// 1..kMaxTier. 0 on input means "the built-in tier of escalation_type"
  /// (required for custom types); always set on output.
  int tier = 0;
  NotificationTargets notify;
  bool is_active = true;
  int priority = 1;  ///< 1 is evaluated first; 1..1000
  RuleSchedule schedule = RuleSchedule::always;
  /// Opening times for the schedule; unset = the tenant's business hours.
  std::optional<WeeklyHours> business_hours;
  Timestamp created_at;
  Timestamp updated_at;
};

/// A change to a rule: only the fields that hold a value change.
struct EscalationRuleUpdate {
  std::optional<std::string> name;
  std::optional<std::vector<Level>> vip_levels;
  std::optional<std::optional<int>> max_wait_time;
  std::optional<std::optional<int>> max_queue_position;
  std::optional<std::string> escalation_type;
  std::optional<int> tier;
  std::optional<NotificationTargets> notify;
  std::optional<bool> is_active;
  std::optional<int> priority;
  std::optional<RuleSchedule> schedule;
  std::optional<std::optional<WeeklyHours>> business_hours;

  /// The names of the fields that are set.
  VIPCORE_EXPORT std::vector<std::string> field_names() const;
};

/// A rule that triggered in a check.
struct TriggeredRule {
  std::string rule_id;
  std::string rule_name;
  std::string escalation_type;
  int tier = 0;
  int priority = 0;
  NotificationTargets notify;
  bool wait_exceeded = false;      ///< wait > max_wait_time
  bool position_exceeded = false;  ///< queue position > max_queue_position
  /// With a call id: an earlier check of this call already triggered this
  /// rule (and notified, unless notified is false).
  bool already_triggered = false;
  /// The notifier has been told (now or by an earlier check). False when no
  /// notifier is configured, or when it failed (a later check retries).
  bool notified = false;
};

/// A notification that failed; the check itself still succeeded.
struct NotificationFailure {
  std::string rule_id;
  Status error;
};

/// The answer of Tenant::check_escalation.
struct EscalationResult {
  bool should_escalate = false;               ///< some rule triggered
  std::vector<TriggeredRule> triggered_rules; ///< in evaluation order
  int highest_tier = 0;                       ///< 0 when nothing triggered
  std::string highest_escalation_type;        ///< the type of the first rule with highest_tier
  /// The caller's own target (max_wait_time) is exceeded.
  bool sla_breached = false;
  int max_wait_time = 0;  ///< the caller's target, seconds
  std::vector<NotificationFailure> notification_failures;
};

/// The rules that trigger for `caller`, waiting `wait_seconds` at
/// `queue_position`, at `now`: the evaluation Tenant::check_escalation makes,
/// as a pure function — no storage, no stored triggers, no notifier (so
/// already_triggered and notified stay false). `rules` are evaluated in the
/// order given (Tenant::list_rules returns them in evaluation order); rules
/// with a schedule but no hours of their own use `business_hours` in
/// `time_zone` (an IANA name). Useful to test a rule set without a database.
VIPCORE_EXPORT Result<EscalationResult> evaluate_escalation(const std::vector<EscalationRule>& rules,
                                                            const CallerSummary& caller, int wait_seconds,
                                                            int queue_position, Timestamp now,
                                                            const WeeklyHours& business_hours,
                                                            std::string_view time_zone);

/// What a Notifier receives. It carries no phone number.
struct EscalationNotice {
  std::string tenant_id;
  std::string call_id;  ///< "" for a check without call id
  TriggeredRule rule;
  CallerSummary caller;
  int wait_seconds = 0;
  int queue_position = 0;
  Timestamp at;
};

/// Delivers escalation notices (e-mail, SMS, a wallboard...): the
/// integrator's code. vipcore calls it after the trigger is stored, outside
/// any database transaction. Return a non-ok Status (or throw) on failure:
/// the check still succeeds, reports the failure, and a later check of the
/// same call retries.
///
/// Implementations must be safe for concurrent calls from multiple threads.
class VIPCORE_EXPORT Notifier {
 public:
  Notifier() = default;
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;
  virtual ~Notifier();

  virtual Status notify(const EscalationNotice& notice) = 0;
};

}  // namespace vipcore

#endif  // VIPCORE_ESCALATION_HPP
