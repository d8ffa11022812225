// vipcore — time: the Timestamp type and an injectable Clock.
//
// Everything in vipcore that depends on "now" (validity windows, updated_at,
// escalation schedules, analytics ranges) reads it from the Clock given in
// Options, so tests can fix time with a ManualClock.
#ifndef VIPCORE_CLOCK_HPP
#define VIPCORE_CLOCK_HPP

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "vipcore/export.h"
#include "vipcore/status.hpp"

namespace vipcore {

/// A point in time in UTC, with millisecond resolution.
using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

/// Milliseconds since 1970-01-01T00:00:00Z.
inline std::int64_t to_unix_ms(Timestamp t) noexcept { return t.time_since_epoch().count(); }
inline Timestamp from_unix_ms(std::int64_t ms) noexcept { return Timestamp(std::chrono::milliseconds(ms)); }

/// The times vipcore accepts, everywhere one enters (parsed text, the C
/// API's milliseconds, validity windows, call records, query ranges):
/// 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z.
inline constexpr std::int64_t kMinTimestampMs = 0;
inline constexpr std::int64_t kMaxTimestampMs = 253402300799999;
/// The largest UTC offset parse_timestamp accepts: 18:00, either way.
inline constexpr int kMaxUtcOffsetMinutes = 18 * 60;

/// Code::invalid_argument naming `field` when `t` lies outside
/// [kMinTimestampMs, kMaxTimestampMs].
VIPCORE_EXPORT Status check_timestamp(Timestamp t, std::string_view field = "timestamp");

/// Parses "2024-01-31", "2024-01-31T10:15:00Z", "2024-01-31T10:15:00.250Z" or
/// "2024-01-31T10:15:00+01:00" ("T" or a space between date and time; the
/// offset as +01:00, +0100 or +01, at most 18:00; without one, UTC). A date
/// alone is midnight UTC. The result is range-checked (check_timestamp).
/// `field` names the input in the error, which never repeats the input.
VIPCORE_EXPORT Result<Timestamp> parse_timestamp(std::string_view text, std::string_view field = "timestamp");
/// Formats as ISO 8601 in UTC with milliseconds: "2024-01-31T10:15:00.250Z".
VIPCORE_EXPORT std::string format_timestamp(Timestamp t);

/// A source of the current time.
///
/// Implementations must be safe for concurrent access from multiple threads.
class VIPCORE_EXPORT Clock {
 public:
  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;
  virtual ~Clock();

  virtual Timestamp now() const noexcept = 0;
};

/// The wall clock (std::chrono::system_clock).
class VIPCORE_EXPORT SystemClock final : public Clock {
 public:
  Timestamp now() const noexcept override;
};

/// A clock that stands still until told to move: for tests.
///
/// Safe for concurrent access from multiple threads.
class VIPCORE_EXPORT ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) noexcept : ms_(to_unix_ms(start)) {}

  Timestamp now() const noexcept override { return from_unix_ms(ms_.load(std::memory_order_acquire)); }
  void set(Timestamp t) noexcept { ms_.store(to_unix_ms(t), std::memory_order_release); }
  void advance(std::chrono::milliseconds d) noexcept { ms_.fetch_add(d.count(), std::memory_order_acq_rel); }

 private:
  std::atomic<std::int64_t> ms_;
};

}  // namespace vipcore

#endif  // VIPCORE_CLOCK_HPP
