// vipcore — call history, analytics and alerts.
//
// The PBX records each VIP call once it ends (Tenant::record_call). Reports
// over a date range [start, end) are computed by the storage in one pass over
// the range (for SQLite, the call table clustered by tenant + time), adding
// the calls up as they stream by, never by loading every call into memory.
#ifndef VIPCORE_ANALYTICS_HPP
#define VIPCORE_ANALYTICS_HPP

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vipcore/caller.hpp"
#include "vipcore/clock.hpp"
#include "vipcore/export.h"
#include "vipcore/status.hpp"

namespace vipcore {

/// One VIP call, as the PBX reports it when the call ends.
struct CallRecord {
  std::string call_id;    ///< required; unique in the tenant (recording it twice is Code::already_exists)
  std::string caller_id;  ///< the VIP's id
  /// The caller's level when the call happened; unset = the caller's level now.
  std::optional<Level> vip_level_at_call;
  HandlingRules handling_rules_applied;
  int wait_seconds = 0;  ///< 0..86400
  bool escalation_triggered = false;
  std::optional<int> satisfaction_rating;       ///< 1..5
  std::optional<double> service_quality_score;  ///< 0..100
  std::optional<Timestamp> at;                  ///< unset = now
};

/// A recorded call, as read back.
struct CallHistoryEntry {
  std::string call_id;
  std::string caller_id;
  Level vip_level = Level::standard;
  HandlingRules handling_rules_applied;
  int wait_seconds = 0;
  int max_wait_time = 0;  ///< the caller's target at the time: the SLA
  bool escalation_triggered = false;
  std::optional<int> satisfaction_rating;
  std::optional<double> service_quality_score;
  Timestamp at;
};

/// A half-open range of time: start <= t < end.
struct DateRange {
  Timestamp start;
  Timestamp end;
};

/// A range from the text of a report's bounds, each a date (YYYY-MM-DD) or
/// an ISO 8601 time. A date is a whole local day in `time_zone`: as `start`
/// it means that day's first instant, as `end` the next day's first instant,
/// so "2024-01-01" to "2024-01-31" is all of January. A time is exact (the
/// range stays half-open: start <= t < end). Errors name `start_field` or
/// `end_field`; an end not after the start is an error too.
/// Tenant::date_range reads the bounds in the tenant's time zone.
VIPCORE_EXPORT Result<DateRange> parse_date_range(std::string_view start, std::string_view end,
                                                  std::string_view time_zone, std::string_view start_field = "start",
                                                  std::string_view end_field = "end");

/// Wait times of a set of calls, in seconds. Percentiles are nearest-rank:
/// the smallest wait that at least p% of the calls did not exceed.
struct WaitStats {
  double average = 0;
  int max = 0;
  int p50 = 0;
  int p90 = 0;
};

/// What a set of calls adds up to. With calls == 0 every figure is 0 and
/// every optional is empty: "no data", not a division by zero.
struct CallStats {
  std::uint64_t calls = 0;
  WaitStats wait;
  std::uint64_t sla_met = 0;  ///< calls whose wait was within the caller's target
  std::optional<double> sla_met_rate;  ///< sla_met / calls
  std::uint64_t escalations = 0;
  std::optional<double> escalation_rate;  ///< escalations / calls
  std::uint64_t rated_calls = 0;
  std::optional<double> average_satisfaction;  ///< over rated calls, 1..5
  std::uint64_t scored_calls = 0;
  std::optional<double> average_quality;  ///< over scored calls
  /// How many calls applied each handling rule, indexed by HandlingRule.
  std::array<std::uint64_t, kHandlingRuleCount> handling_rules_applied{};
};

/// Per-VIP analytics over a range.
struct CallerAnalytics {
  std::string caller_id;
  DateRange range;
  CallStats stats;
};

/// A tenant's analytics over a range.
struct OverviewAnalytics {
  DateRange range;
  /// Callers now, by level and status: callers[level][status].
  std::array<std::array<std::uint64_t, 3>, kLevelCount> callers{};
  std::uint64_t total_callers = 0;
  CallStats all;                                ///< every call in the range
  std::array<CallStats, kLevelCount> by_level;  ///< indexed by Level (the level at the call)
};

/// When an alert fires. Defaults follow the monitoring advice of the VIP
/// system vipcore was modelled on (escalations above 5% for DIAMOND).
struct AlertThresholds {
  /// Escalation rate above which a level alerts, indexed by Level.
  std::array<double, kLevelCount> max_escalation_rate = {0.20, 0.15, 0.10, 0.08, 0.05};
  /// A level alerts when its average wait exceeds its target wait
  /// (TenantSettings::level_waits) times this factor.
  double wait_factor = 1.0;
  /// Failed identifications (errors) above this share of attempts alert...
  double max_failed_identification_rate = 0.01;
  /// ...once at least this many identifications were attempted.
  std::uint64_t min_identifications = 100;
  /// Average service quality falling by more than this many points
  /// compared with the previous period of equal length alerts (per level).
  double max_quality_drop = 5.0;
  /// Levels with fewer calls than this in the range are not judged.
  std::uint64_t min_calls = 10;

  VIPCORE_EXPORT Status validate() const;
};

enum class AlertKind : std::uint8_t {
  escalation_rate = 0,         ///< a level's escalation rate is above its threshold
  wait_time = 1,               ///< a level's average wait is above its target
  failed_identifications = 2,  ///< identify errors above their threshold (this process's metrics)
  quality_drop = 3,            ///< a level's service quality fell against the previous period
};
/// "ESCALATION_RATE", "WAIT_TIME", "FAILED_IDENTIFICATIONS", "QUALITY_DROP".
VIPCORE_EXPORT std::string_view to_string(AlertKind kind) noexcept;

struct Alert {
  AlertKind kind = AlertKind::escalation_rate;
  std::optional<Level> level;  ///< unset for failed_identifications
  double measured = 0;         ///< the rate, the seconds, or the points dropped
  double threshold = 0;
  std::string message;         ///< e.g. "DIAMOND escalation rate 7.5% is above 5.0%"
};

/// What a purge removed.
struct PurgeReport {
  std::uint64_t calls = 0;
  std::uint64_t triggers = 0;
};

}  // namespace vipcore

#endif  // VIPCORE_ANALYTICS_HPP
