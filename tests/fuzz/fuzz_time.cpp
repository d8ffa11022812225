// Fuzz harness: the time and business-hours parsers and what reads their
// results. Properties: never crashes, bounded work; a parsed time lies in
// vipcore's range and formats back to the same time; parsed hours validate,
// format and parse back to the same hours; within_hours answers for any
// parsed time.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vipcore/clock.hpp"
#include "vipcore/schedule.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = vipcore::parse_timestamp(text, "t");
  if (t.ok()) {
    const std::int64_t ms = vipcore::to_unix_ms(*t);
    if (ms < vipcore::kMinTimestampMs || ms > vipcore::kMaxTimestampMs) std::abort();
    auto back = vipcore::parse_timestamp(vipcore::format_timestamp(*t), "t");
    if (!back.ok() || *back != *t) std::abort();
  } else if (t.status().field() != "t") {
    std::abort();
  }
  auto hours = vipcore::parse_weekly_hours(text, "hours");
  if (hours.ok()) {
    if (!hours->validate().ok()) std::abort();
    auto back = vipcore::parse_weekly_hours(vipcore::format_weekly_hours(*hours));
    if (!back.ok() || *back != *hours) std::abort();
    const vipcore::Timestamp at = t.ok() ? *t : vipcore::from_unix_ms(1705320000000);
    if (!vipcore::within_hours(*hours, "America/New_York", at).ok()) std::abort();
  } else if (hours.status().field().rfind("hours", 0) != 0) {
    std::abort();
  }
  return 0;
}
