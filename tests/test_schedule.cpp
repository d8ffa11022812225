#include <doctest/doctest.h>

#include "support.hpp"

using namespace vipcore;

namespace {
bool open_at(const WeeklyHours& h, const char* tz, const char* when) {
  auto r = within_hours(h, tz, *parse_timestamp(when));
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  return *r;
}
}  // namespace

TEST_SUITE("schedule") {
  TEST_CASE("weekly hours parse and format back") {
    auto h = parse_weekly_hours("mon-fri 09:00-17:00; sat 10:00-12:00,13:00-14:00");
    REQUIRE(h.ok());
    CHECK(h->days[0] == std::vector<TimeRange>{{540, 1020}});
    CHECK(h->days[4] == std::vector<TimeRange>{{540, 1020}});
    CHECK(h->days[5].size() == 2);
    CHECK(h->days[6].empty());
    CHECK(format_weekly_hours(*h) == "mon-fri 09:00-17:00; sat 10:00-12:00,13:00-14:00");
    CHECK(format_weekly_hours(WeeklyHours::office_hours()) == "mon-fri 09:00-17:00");
    CHECK(format_weekly_hours(*parse_weekly_hours("24/7")) == "24/7");
    CHECK(format_weekly_hours(*parse_weekly_hours("")) == "closed");
    CHECK(*parse_weekly_hours(format_weekly_hours(*h)) == *h);
    CHECK(parse_weekly_hours("fri-mon 22:00-06:00")->days[6].size() == 1);  // wraps over the weekend
    CHECK(parse_weekly_hours("Monday 00:00-24:00")->days[0] == std::vector<TimeRange>{{0, 1440}});
  }

  TEST_CASE("bad weekly hours are errors naming the field") {
    for (const char* bad : {"mon", "funday 09:00-17:00", "mon 9-17", "mon 09:00-25:00", "mon 09:60-10:00",
                            "mon 10:00-10:00", "mon 24:00-10:00"}) {
      CAPTURE(bad);
      auto h = parse_weekly_hours(bad, "business_hours");
      REQUIRE_FALSE(h.ok());
      CHECK(h.status().field().rfind("business_hours", 0) == 0);
    }
    WeeklyHours h;
    h.days[1] = {TimeRange{-5, 60}};
    CHECK(h.validate().field() == "business_hours.tuesday[0]");

    // At most kMaxRangesPerDay a day. The longest text form (eight ranges a
    // day, no two neighbouring days alike, so none are merged) is under 1 KiB.
    const std::string even = "00:00-01:00,02:00-03:00,04:00-05:00,06:00-07:00,08:00-09:00,10:00-11:00,"
                             "12:00-13:00,14:00-15:00";
    const std::string odd = "01:00-02:00,03:00-04:00,05:00-06:00,07:00-08:00,09:00-10:00,11:00-12:00,"
                            "13:00-14:00,15:00-16:00";
    std::string longest;
    int d = 0;
    for (const char* day : {"mon", "tue", "wed", "thu", "fri", "sat", "sun"})
      longest += std::string(day) + " " + (d++ % 2 == 0 ? even : odd) + "; ";
    auto most = parse_weekly_hours(longest);
    REQUIRE(most.ok());
    CHECK(most->days[6].size() == WeeklyHours::kMaxRangesPerDay);
    const std::string text = format_weekly_hours(*most);
    CHECK(text.size() < 1024);
    CHECK(*parse_weekly_hours(text) == *most);
    auto nine = parse_weekly_hours("tue " + even + ",20:00-21:00");
    REQUIRE_FALSE(nine.ok());
    CHECK(nine.status().field() == "business_hours.tuesday");
    CHECK(nine.status().message().find("at most 8") != std::string::npos);
  }

  TEST_CASE("time zones are IANA names") {
    CHECK(validate_time_zone("Europe/Paris").ok());
    CHECK(validate_time_zone("UTC").ok());
    auto bad = validate_time_zone("Mars/Olympus_Mons");
    CHECK(bad.is_invalid_argument());
    CHECK(bad.field() == "time_zone");
    CHECK(bad.message().find("Mars/Olympus_Mons") != std::string::npos);
    CHECK(validate_time_zone("").is_invalid_argument());
    CHECK_FALSE(within_hours(WeeklyHours::office_hours(), "Nowhere/Special", vipcore::test::t0()).ok());
  }

  TEST_CASE("hours are read in the zone's local time, across a daylight-saving change") {
    const WeeklyHours h = *parse_weekly_hours("mon-sun 08:00-09:00");
    // Paris is UTC+1 on Saturday 30 March 2024 and UTC+2 from 01:00 UTC on Sunday 31 March.
    CHECK(open_at(h, "Europe/Paris", "2024-03-30T07:30:00Z"));   // 08:30 CET
    CHECK_FALSE(open_at(h, "Europe/Paris", "2024-03-30T06:30:00Z"));
    CHECK(open_at(h, "Europe/Paris", "2024-03-31T06:30:00Z"));   // 08:30 CEST
    CHECK_FALSE(open_at(h, "Europe/Paris", "2024-03-31T07:30:00Z"));  // 09:30 CEST: the same UTC time, now closed
    // New York falls back on 3 November 2024: UTC-4 before, UTC-5 after.
    CHECK(open_at(h, "America/New_York", "2024-11-02T12:30:00Z"));
    CHECK(open_at(h, "America/New_York", "2024-11-04T13:30:00Z"));
    CHECK_FALSE(open_at(h, "America/New_York", "2024-11-04T12:30:00Z"));
  }

  TEST_CASE("a range past midnight belongs to the day it starts") {
    const WeeklyHours night = *parse_weekly_hours("fri 22:00-06:00");
    CHECK(open_at(night, "UTC", "2024-01-19T23:00:00Z"));        // Friday 23:00
    CHECK(open_at(night, "UTC", "2024-01-20T05:59:00Z"));        // Saturday 05:59
    CHECK_FALSE(open_at(night, "UTC", "2024-01-20T06:00:00Z"));  // end is exclusive
    CHECK_FALSE(open_at(night, "UTC", "2024-01-19T21:59:00Z"));
    CHECK_FALSE(open_at(night, "UTC", "2024-01-18T23:00:00Z"));  // Thursday
    CHECK(open_at(night, "UTC", "2024-01-19T22:00:00Z"));        // start is inclusive
  }
}
