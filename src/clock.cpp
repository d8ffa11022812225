#include "vipcore/clock.hpp"

// date.h's parser leaves a long double uninitialized on paths that never
// read it; GCC 12 cannot see that when inlining and warns inside our code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <date/date.h>

#include <sstream>

namespace vipcore {

Clock::~Clock() = default;

Timestamp SystemClock::now() const noexcept {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

Result<Timestamp> parse_timestamp(std::string_view text, std::string_view field) {
  const std::string input(text);
  // Formats tried in order; date::parse consumes the whole pattern or fails.
  static const char* const kWithOffset[] = {"%Y-%m-%dT%H:%M:%S%Ez", "%Y-%m-%d %H:%M:%S%Ez"};
  static const char* const kUtc[] = {"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%SZ", "%Y-%m-%dT%H:%M:%S",
                                     "%Y-%m-%d %H:%M:%S"};
  auto whole = [](std::istringstream& in) { return !in.fail() && in.peek() == std::char_traits<char>::eof(); };
  for (const char* fmt : kWithOffset) {
    std::istringstream in(input);
    date::sys_time<std::chrono::milliseconds> tp;
    std::chrono::minutes offset{0};
    in >> date::parse(fmt, tp, offset);
    if (whole(in)) return Timestamp(tp);  // date::parse has already applied the offset: tp is UTC
  }
  for (const char* fmt : kUtc) {
    std::istringstream in(input);
    date::sys_time<std::chrono::milliseconds> tp;
    in >> date::parse(fmt, tp);
    if (whole(in)) return Timestamp(tp);
  }
  {
    std::istringstream in(input);
    date::sys_days day;
    in >> date::parse("%Y-%m-%d", day);
    if (whole(in)) return Timestamp(std::chrono::duration_cast<std::chrono::milliseconds>(day.time_since_epoch()));
  }
  return Status::invalid_argument(field, "is not a date (YYYY-MM-DD) or an ISO 8601 time (YYYY-MM-DDTHH:MM:SSZ)");
}

#pragma GCC diagnostic pop

std::string format_timestamp(Timestamp t) { return date::format("%Y-%m-%dT%H:%M:%SZ", t); }

}  // namespace vipcore
