#include <doctest/doctest.h>

#include "vipcore/clock.hpp"

using namespace vipcore;
using namespace std::chrono_literals;

TEST_SUITE("clock") {
  TEST_CASE("timestamps parse from dates and ISO 8601 times") {
    const auto midnight = parse_timestamp("2024-01-31");
    REQUIRE(midnight.ok());
    CHECK(to_unix_ms(*midnight) == 1706659200000);
    CHECK(to_unix_ms(*parse_timestamp("2024-01-31T10:15:00Z")) == 1706659200000 + (10 * 3600 + 15 * 60) * 1000);
    CHECK(to_unix_ms(*parse_timestamp("2024-01-31T10:15:00.250Z")) ==
          1706659200000 + (10 * 3600 + 15 * 60) * 1000 + 250);
    CHECK(*parse_timestamp("2024-01-31T11:15:00+01:00") == *parse_timestamp("2024-01-31T10:15:00Z"));
    CHECK(*parse_timestamp("2024-01-31 10:15:00") == *parse_timestamp("2024-01-31T10:15:00Z"));
  }

  TEST_CASE("bad timestamps are errors that name the field") {
    for (const char* bad : {"", "yesterday", "2024-13-01", "2024-01-31T25:00:00Z", "2024-01-31T10:15:00Zjunk"}) {
      CAPTURE(bad);
      auto r = parse_timestamp(bad, "start_date");
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().field() == "start_date");
    }
  }

  TEST_CASE("timestamps format as UTC ISO 8601 and parse back") {
    const Timestamp t = from_unix_ms(1706696100250);
    CHECK(format_timestamp(t) == "2024-01-31T10:15:00.250Z");
    CHECK(*parse_timestamp(format_timestamp(t)) == t);
  }

  TEST_CASE("a manual clock moves only when told") {
    ManualClock clock(from_unix_ms(1000));
    CHECK(to_unix_ms(clock.now()) == 1000);
    clock.advance(1500ms);
    CHECK(to_unix_ms(clock.now()) == 2500);
    clock.set(from_unix_ms(42));
    CHECK(to_unix_ms(clock.now()) == 42);
  }

  TEST_CASE("the system clock is close to std::chrono::system_clock") {
    SystemClock clock;
    const auto ours = clock.now();
    const auto theirs = std::chrono::system_clock::now();
    CHECK(std::chrono::abs(theirs - ours) < 5s);
  }
}
