#include "vipcore/clock.hpp"

#include <date/date.h>

#include <cstddef>

namespace vipcore {
namespace {

// Reads exactly `n` ASCII digits at `*at` into *out.
bool digits(std::string_view s, std::size_t* at, std::size_t n, int* out) noexcept {
  if (*at + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[*at + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *at += n;
  *out = v;
  return true;
}

bool take(std::string_view s, std::size_t* at, char c) noexcept {
  if (*at >= s.size() || s[*at] != c) return false;
  ++*at;
  return true;
}

// Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar
// (H. Hinnant's days_from_civil); y-m-d must be a valid date.
std::int64_t days_from_civil(int y, int m, int d) noexcept {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return std::int64_t{era} * 146097 + doe - 719468;
}

bool leap(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) noexcept {
  constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// The grammar, read strictly left to right in bounded time:
//   date      = YYYY "-" MM "-" DD
//   time      = date ("T" | " ") hh ":" mm ":" ss ["." 1*3DIGIT] [zone]
//   zone      = "Z" | ("+" | "-") hh [[":"] mm]
// Returns milliseconds since the epoch, not yet range-checked.
bool parse_iso(std::string_view s, std::int64_t* ms) noexcept {
  std::size_t at = 0;
  int year = 0, month = 0, day = 0;
  if (!digits(s, &at, 4, &year) || !take(s, &at, '-') || !digits(s, &at, 2, &month) || !take(s, &at, '-') ||
      !digits(s, &at, 2, &day))
    return false;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return false;
  std::int64_t total = days_from_civil(year, month, day) * 86400000;
  if (at == s.size()) {
    *ms = total;
    return true;
  }
  if (s[at] != 'T' && s[at] != ' ') return false;
  ++at;
  int hour = 0, minute = 0, second = 0;
  if (!digits(s, &at, 2, &hour) || !take(s, &at, ':') || !digits(s, &at, 2, &minute) || !take(s, &at, ':') ||
      !digits(s, &at, 2, &second))
    return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  total += (hour * 3600 + minute * 60 + second) * std::int64_t{1000};
  if (take(s, &at, '.')) {
    int fraction = 0, scale = 100, n = 0;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      if (++n > 3) return false;
      fraction += (s[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (n == 0) return false;
    total += fraction;
  }
  if (at == s.size()) {
    *ms = total;
    return true;
  }
  if (s[at] == 'Z') {
    ++at;
  } else if (s[at] == '+' || s[at] == '-') {
    const int sign = s[at] == '+' ? 1 : -1;
    ++at;
    int oh = 0, om = 0;
    if (!digits(s, &at, 2, &oh)) return false;
    if (at < s.size()) {
      take(s, &at, ':');
      if (!digits(s, &at, 2, &om)) return false;
    }
    if (om > 59 || oh * 60 + om > kMaxUtcOffsetMinutes) return false;
    total -= sign * (oh * 60 + om) * std::int64_t{60000};  // local = UTC + offset
  } else {
    return false;
  }
  if (at != s.size()) return false;
  *ms = total;
  return true;
}

}  // namespace

Clock::~Clock() = default;

Timestamp SystemClock::now() const noexcept {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

Status check_timestamp(Timestamp t, std::string_view field) {
  const std::int64_t ms = to_unix_ms(t);
  if (ms < kMinTimestampMs || ms > kMaxTimestampMs)
    return Status::invalid_argument(field, "is out of range (times must lie from 1970-01-01 to 9999-12-31, UTC)");
  return ok_status();
}

Result<Timestamp> parse_timestamp(std::string_view text, std::string_view field) {
  std::int64_t ms = 0;
  // The longest valid form is 29 characters; anything longer is not a time.
  if (text.size() > 64 || !parse_iso(text, &ms))
    return Status::invalid_argument(field, "is not a date (YYYY-MM-DD) or an ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ, "
                                           "or with an offset of at most 18:00 such as +01:00)");
  const Timestamp t = from_unix_ms(ms);
  if (Status s = check_timestamp(t, field); !s.ok()) return s;
  return t;
}

std::string format_timestamp(Timestamp t) { return date::format("%Y-%m-%dT%H:%M:%SZ", t); }

}  // namespace vipcore
