#include "vipcore/schedule.hpp"

#include "vipcore/analytics.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "schedule_local.hpp"
#include "text.hpp"

namespace vipcore {
namespace {

constexpr std::string_view kDayNames[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::string_view kDayFields[7] = {"monday", "tuesday", "wednesday", "thursday",
                                            "friday", "saturday", "sunday"};
constexpr TimeRange kAllDay{0, 1440};

bool contains_today(const TimeRange& r, int minute) noexcept {
  if (r.start_minute < r.end_minute) return r.start_minute <= minute && minute < r.end_minute;
  return minute >= r.start_minute;  // runs past midnight: today's part
}

bool contains_from_yesterday(const TimeRange& r, int minute) noexcept {
  return r.end_minute <= r.start_minute && minute < r.end_minute;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const std::size_t p = s.find(sep);
    out.push_back(detail::trim(s.substr(0, p)));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

int day_index(std::string_view name) {
  for (int i = 0; i < 7; ++i)
    if (detail::iequals(name, kDayNames[i]) || detail::iequals(name, kDayFields[i])) return i;
  return -1;
}

// "HH:MM" -> minutes; "24:00" is allowed as an end.
int parse_clock(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return -1;
  for (std::size_t i : {0u, 1u, 3u, 4u})
    if (s[i] < '0' || s[i] > '9') return -1;
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
  return h * 60 + m;
}

std::string format_clock(int minute) { return fmt::format("{:02}:{:02}", minute / 60, minute % 60); }

std::string format_ranges(const std::vector<TimeRange>& ranges) {
  std::string out;
  for (const TimeRange& r : ranges) {
    if (!out.empty()) out += ",";
    out += format_clock(r.start_minute) + "-" + format_clock(r.end_minute);
  }
  return out;
}

}  // namespace

WeeklyHours WeeklyHours::office_hours() {
  WeeklyHours h;
  for (int d = 0; d < 5; ++d) h.days[static_cast<std::size_t>(d)] = {TimeRange{9 * 60, 17 * 60}};
  return h;
}

Status WeeklyHours::validate(std::string_view field) const {
  for (std::size_t d = 0; d < 7; ++d) {
    if (days[d].size() > kMaxRangesPerDay)
      return Status::invalid_argument(fmt::format("{}.{}", field, kDayFields[d]),
                                      fmt::format("has {} time ranges; at most {} are allowed", days[d].size(),
                                                  kMaxRangesPerDay));
    for (std::size_t i = 0; i < days[d].size(); ++i) {
      const TimeRange& r = days[d][i];
      if (r.start_minute < 0 || r.start_minute > 1439 || r.end_minute < 1 || r.end_minute > 1440 ||
          r.start_minute == r.end_minute)
        return Status::invalid_argument(fmt::format("{}.{}[{}]", field, kDayFields[d], i),
                                        "must run from 00:00-23:59 to a different time up to 24:00");
    }
  }
  return ok_status();
}

Result<WeeklyHours> parse_weekly_hours(std::string_view text, std::string_view field) {
  WeeklyHours h;
  // The longest useful text (every day with its own kMaxRangesPerDay ranges,
  // full day names, generous spacing) is well under this: anything longer is
  // refused before it is read, so parsing is bounded for any input.
  if (text.size() > WeeklyHours::kMaxTextBytes)
    return Status::invalid_argument(field, fmt::format("is longer than {} bytes", WeeklyHours::kMaxTextBytes));
  text = detail::trim(text);
  if (text.empty() || detail::iequals(text, "closed")) return h;
  if (text == "24/7") {
    for (auto& day : h.days) day = {kAllDay};
    return h;
  }
  for (std::string_view segment : split(text, ';')) {
    if (segment.empty()) continue;
    const std::size_t space = segment.find(' ');
    if (space == std::string_view::npos)
      return Status::invalid_argument(field, "expected '<days> <HH:MM-HH:MM>', e.g. 'mon-fri 09:00-17:00'");
    const std::string_view days = segment.substr(0, space);
    const std::string_view ranges = detail::trim(segment.substr(space + 1));
    std::vector<int> which;
    for (std::string_view part : split(days, ',')) {
      const std::size_t dash = part.find('-');
      const int from = day_index(part.substr(0, dash));
      const int to = dash == std::string_view::npos ? from : day_index(part.substr(dash + 1));
      if (from < 0 || to < 0)
        return Status::invalid_argument(field, "unknown day (expected mon, tue, wed, thu, fri, sat or sun)");
      for (int d = from;; d = (d + 1) % 7) {  // "fri-mon" wraps over the weekend
        if (std::find(which.begin(), which.end(), d) == which.end()) which.push_back(d);
        if (d == to) break;
      }
    }
    std::vector<TimeRange> parsed;
    for (std::string_view r : split(ranges, ',')) {
      const std::size_t dash = r.find('-');
      const int start = dash == std::string_view::npos ? -1 : parse_clock(detail::trim(r.substr(0, dash)));
      const int end = dash == std::string_view::npos ? -1 : parse_clock(detail::trim(r.substr(dash + 1)));
      if (start < 0 || end < 0 || start == 1440)
        return Status::invalid_argument(field, "a time range must read HH:MM-HH:MM, e.g. 09:00-17:00");
      parsed.push_back(TimeRange{start, end});
      if (parsed.size() > WeeklyHours::kMaxRangesPerDay)
        return Status::invalid_argument(fmt::format("{}.{}", field, kDayFields[static_cast<std::size_t>(which.front())]),
                                        fmt::format("has more than {} time ranges; at most {} are allowed",
                                                    WeeklyHours::kMaxRangesPerDay, WeeklyHours::kMaxRangesPerDay));
    }
    for (int d : which) {
      auto& day = h.days[static_cast<std::size_t>(d)];
      if (day.size() + parsed.size() > WeeklyHours::kMaxRangesPerDay)
        return Status::invalid_argument(fmt::format("{}.{}", field, kDayFields[static_cast<std::size_t>(d)]),
                                        fmt::format("has more than {} time ranges; at most {} are allowed",
                                                    WeeklyHours::kMaxRangesPerDay, WeeklyHours::kMaxRangesPerDay));
      day.insert(day.end(), parsed.begin(), parsed.end());
    }
  }
  if (Status s = h.validate(field); !s.ok()) return s;
  return h;
}

std::string format_weekly_hours(const WeeklyHours& hours) {
  bool always = true, never = true;
  for (const auto& day : hours.days) {
    always = always && day.size() == 1 && day[0] == kAllDay;
    never = never && day.empty();
  }
  if (always) return "24/7";
  if (never) return "closed";
  std::string out;
  for (std::size_t d = 0; d < 7;) {
    std::size_t e = d;
    while (e + 1 < 7 && hours.days[e + 1] == hours.days[d]) ++e;
    if (!hours.days[d].empty()) {
      if (!out.empty()) out += "; ";
      out += std::string(kDayNames[d]);
      if (e > d) out += "-" + std::string(kDayNames[e]);
      out += " " + format_ranges(hours.days[d]);
    }
    d = e + 1;
  }
  return out;
}

namespace {

Result<const date::time_zone*> find_zone(std::string_view time_zone, std::string_view field) {
  if (time_zone.empty()) return Status::invalid_argument(field, "is empty (expected an IANA zone such as Europe/Paris)");
  try {
    return date::locate_zone(time_zone);
  } catch (const std::exception&) {
    if (time_zone.size() <= 64 && detail::is_clean_utf8(time_zone, false))
      return Status::invalid_argument(field, fmt::format("unknown time zone '{}' (expected an IANA zone such as "
                                                         "Europe/Paris or America/New_York)", time_zone));
    return Status::invalid_argument(field, "unknown time zone");
  }
}

}  // namespace

Status validate_time_zone(std::string_view time_zone, std::string_view field) {
  auto zone = find_zone(time_zone, field);
  return zone.ok() ? ok_status() : zone.status();
}

Result<detail::LocalWeekMinute> detail::local_week_minute(std::string_view time_zone, Timestamp at) {
  // Far-away instants would overflow the conversion to local time.
  if (Status s = check_timestamp(at, "at"); !s.ok()) return s;
  auto zone = find_zone(time_zone, "time_zone");
  if (!zone.ok()) return zone.status();
  const auto local = (*zone)->to_local(at);
  const auto day = date::floor<date::days>(local);
  LocalWeekMinute out;
  out.minute = static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
  out.day = static_cast<std::size_t>(date::weekday(day).iso_encoding() - 1);  // Monday = 0
  return out;
}

bool detail::open_at(const WeeklyHours& hours, LocalWeekMinute at) noexcept {
  const std::size_t yesterday = (at.day + 6) % 7;
  for (const TimeRange& r : hours.days[at.day])
    if (contains_today(r, at.minute)) return true;
  for (const TimeRange& r : hours.days[yesterday])
    if (contains_from_yesterday(r, at.minute)) return true;
  return false;
}

Result<bool> within_hours(const WeeklyHours& hours, std::string_view time_zone, Timestamp at) {
  auto local = detail::local_week_minute(time_zone, at);
  if (!local.ok()) return local.status();
  return detail::open_at(hours, *local);
}

namespace {

// One bound of a report's range: a date is a local day's first instant (the
// next day's, for an end); a time is exact.
Result<Timestamp> range_bound(std::string_view text, const date::time_zone& zone, bool is_end,
                              std::string_view field) {
  auto at = parse_timestamp(text, field);
  if (!at.ok()) return at.status();
  const bool date_only = text.size() == 10 && text.find('T') == std::string_view::npos;
  if (!date_only) return *at;
  // parse_timestamp read the date as UTC midnight: the same calendar day, locally.
  date::local_days day{date::floor<date::days>(*at).time_since_epoch()};
  if (is_end) day += date::days(1);
  Timestamp out;
  try {
    out = date::floor<std::chrono::milliseconds>(zone.to_sys(date::local_seconds(day), date::choose::earliest));
  } catch (const std::exception&) {
    return Status::invalid_argument(field, "has no local midnight in the tenant's time zone");
  }
  if (Status s = check_timestamp(out, field); !s.ok()) return s;
  return out;
}

}  // namespace

Result<DateRange> parse_date_range(std::string_view start, std::string_view end, std::string_view time_zone,
                                   std::string_view start_field, std::string_view end_field) {
  auto zone = find_zone(time_zone, "time_zone");
  if (!zone.ok()) return zone.status();
  auto from = range_bound(start, **zone, false, start_field);
  if (!from.ok()) return from.status();
  auto to = range_bound(end, **zone, true, end_field);
  if (!to.ok()) return to.status();
  if (*to <= *from) return Status::invalid_argument(end_field, "must be after the start");
  return DateRange{*from, *to};
}

}  // namespace vipcore
