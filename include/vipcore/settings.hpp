// vipcore — per-tenant settings, stored in the database.
#ifndef VIPCORE_SETTINGS_HPP
#define VIPCORE_SETTINGS_HPP

#include "vipcore/analytics.hpp"
#include "vipcore/caller.hpp"
#include "vipcore/export.h"
#include "vipcore/routing.hpp"
#include "vipcore/schedule.hpp"
#include "vipcore/status.hpp"

namespace vipcore {

/// Settings of one tenant. A tenant that never saved any uses the defaults.
struct TenantSettings {
  /// max_wait_time of callers who have none, by level (seconds).
  LevelWaits level_waits = kDefaultLevelWaits;
  /// How identify scores the routing priority.
  PriorityPolicy priority;
  /// How the priority of a waiting caller rises (routing plans).
  DynamicPriorityPolicy dynamic_priority;
  /// The tenant's IANA time zone, in which business hours are read.
  std::string time_zone = "UTC";
  /// When the tenant is open: escalation schedules and routing plans use it.
  WeeklyHours business_hours = WeeklyHours::office_hours();
  /// When evaluate_alerts() raises an alert.
  AlertThresholds alerts;

  /// Each wait must lie in 1..Limits::kMaxWaitSeconds; the policies, the
  /// time zone and the hours must be valid. The error names the offending
  /// entry, e.g. "level_waits[GOLD]" or "time_zone".
  VIPCORE_EXPORT Status validate() const;
};

}  // namespace vipcore

#endif  // VIPCORE_SETTINGS_HPP
