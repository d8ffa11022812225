// Business hours read at one local instant: the conversion of a time to the
// zone's local day and minute made once, then tested against any number of
// WeeklyHours (the escalation check tests every scheduled rule at the same
// instant). within_hours is these two steps. Private.
#ifndef VIPCORE_SRC_SCHEDULE_LOCAL_HPP
#define VIPCORE_SRC_SCHEDULE_LOCAL_HPP

#include <cstddef>
#include <string_view>

#include "vipcore/clock.hpp"
#include "vipcore/schedule.hpp"
#include "vipcore/status.hpp"

namespace vipcore::detail {

/// A local time of the week.
struct LocalWeekMinute {
  std::size_t day = 0;  ///< 0 = Monday .. 6 = Sunday
  int minute = 0;       ///< 0..1439 after local midnight
};

/// `at` read in `time_zone`; the errors of within_hours (a bad zone, a time
/// too far away).
Result<LocalWeekMinute> local_week_minute(std::string_view time_zone, Timestamp at);

/// Whether `hours` are open at `at`, a range running past midnight counting
/// on the next day too.
bool open_at(const WeeklyHours& hours, LocalWeekMinute at) noexcept;

}  // namespace vipcore::detail

#endif
