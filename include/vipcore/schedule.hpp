// vipcore — business hours: weekly opening times in an IANA time zone.
//
// Escalation rules can apply only inside or only outside business hours, and
// the routing plan serves callers outside them only with EXTENDED_HOURS.
// Times are local to the tenant's time zone (Options are per tenant, in
// TenantSettings); conversions use the IANA database through date-tz, so
// daylight-saving changes are handled the way the zone defines them.
#ifndef VIPCORE_SCHEDULE_HPP
#define VIPCORE_SCHEDULE_HPP

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "vipcore/clock.hpp"
#include "vipcore/export.h"
#include "vipcore/status.hpp"

namespace vipcore {

/// Opening time on one day, in local minutes after midnight: [start, end).
/// An `end` not after `start` runs past midnight into the next day, so
/// {22*60, 6*60} is 22:00 to 06:00 the next morning; {0, 1440} is all day.
struct TimeRange {
  int start_minute = 0;  ///< 0..1439
  int end_minute = 0;    ///< 1..1440

  friend bool operator==(const TimeRange& a, const TimeRange& b) noexcept {
    return a.start_minute == b.start_minute && a.end_minute == b.end_minute;
  }
};

/// Opening times for each day of the week; days[0] is Monday, days[6] Sunday.
/// A day without ranges is closed.
struct WeeklyHours {
  /// The most ranges one day may have (so that the text form stays short:
  /// under 1 KiB, as the C API's vipcore_settings holds it).
  static constexpr std::size_t kMaxRangesPerDay = 8;
  /// The longest text parse_weekly_hours reads; longer text is refused
  /// before it is parsed, so that hostile input costs bounded time and memory.
  static constexpr std::size_t kMaxTextBytes = 4096;

  std::array<std::vector<TimeRange>, 7> days;

  /// Monday to Friday, 09:00 to 17:00.
  VIPCORE_EXPORT static WeeklyHours office_hours();
  /// Every range must lie in 0..1440 and not be empty, and no day may have
  /// more than kMaxRangesPerDay; the error names the range or the day, e.g.
  /// "business_hours.tuesday[1]".
  VIPCORE_EXPORT Status validate(std::string_view field = "business_hours") const;

  friend bool operator==(const WeeklyHours& a, const WeeklyHours& b) noexcept { return a.days == b.days; }
  friend bool operator!=(const WeeklyHours& a, const WeeklyHours& b) noexcept { return !(a == b); }
};

/// Parses "mon-fri 09:00-17:00; sat 10:00-14:00" (days: mon tue wed thu fri
/// sat sun, single or as a range; several ranges per day separated by ",";
/// "24/7" for always open; "closed" or "" for never). Limits are checked as
/// the text is read: at most kMaxTextBytes of text and kMaxRangesPerDay
/// ranges on any day, the error naming the field (or the day).
VIPCORE_EXPORT Result<WeeklyHours> parse_weekly_hours(std::string_view text, std::string_view field = "business_hours");
/// The text form parse_weekly_hours reads.
VIPCORE_EXPORT std::string format_weekly_hours(const WeeklyHours& hours);

/// Checks that `time_zone` names an IANA zone ("Europe/Paris", "UTC").
VIPCORE_EXPORT Status validate_time_zone(std::string_view time_zone, std::string_view field = "time_zone");
/// Whether `at` falls inside `hours`, read in `time_zone`.
VIPCORE_EXPORT Result<bool> within_hours(const WeeklyHours& hours, std::string_view time_zone, Timestamp at);

}  // namespace vipcore

#endif  // VIPCORE_SCHEDULE_HPP
