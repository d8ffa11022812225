// vipcore — per-tenant settings, stored in the database.
#ifndef VIPCORE_SETTINGS_HPP
#define VIPCORE_SETTINGS_HPP

#include "vipcore/caller.hpp"
#include "vipcore/export.h"
#include "vipcore/routing.hpp"
#include "vipcore/status.hpp"

namespace vipcore {

/// Settings of one tenant. A tenant that never saved any uses the defaults.
struct TenantSettings {
  /// max_wait_time of callers who have none, by level (seconds).
  LevelWaits level_waits = kDefaultLevelWaits;
  /// How identify scores the routing priority.
  PriorityPolicy priority;

  /// Each wait must lie in 1..Limits::kMaxWaitSeconds; the policy must be
  /// valid. The error names the offending entry, e.g. "level_waits[GOLD]".
  VIPCORE_EXPORT Status validate() const;
};

}  // namespace vipcore

#endif  // VIPCORE_SETTINGS_HPP
