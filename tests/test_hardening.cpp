// Hostile and unlucky input: parsers that must stay bounded, times that must
// stay in range, names that must not disguise themselves, pages past the end,
// damaged rows that must not hide the rest, and audit entries of settings.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "raw_file.hpp"
#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;

namespace {

bool mentions(const Status& s, std::string_view text) { return s.message().find(text) != std::string::npos; }

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();

}  // namespace

TEST_SUITE("hardening") {
  TEST_CASE("a megabyte of business hours fails at once with the length limit, naming the field") {
    std::string many_ranges = "mon-sun ";
    while (many_ranges.size() < (1u << 20)) many_ranges += "09:00-10:00,";
    many_ranges += "09:00-10:00";
    std::string many_segments;
    while (many_segments.size() < (1u << 20)) many_segments += "mon-sun 09:00-10:00; ";
    for (const std::string* text : {&many_ranges, &many_segments}) {
      auto h = parse_weekly_hours(*text, "business_hours");
      REQUIRE_FALSE(h.ok());
      CHECK(h.status().is_invalid_argument());
      CHECK(h.status().field() == "business_hours");
      CHECK(mentions(h.status(), "longer than"));
    }
  }

  TEST_CASE("business hours over the ranges-per-day limit fail as they are read, naming the day") {
    // Within the length limit, but nine ranges on Monday from repeated segments.
    std::string text;
    for (int i = 0; i < 9; ++i) text += "mon,tue 0" + std::to_string(i) + ":00-0" + std::to_string(i) + ":30; ";
    auto h = parse_weekly_hours(text, "business_hours");
    REQUIRE_FALSE(h.ok());
    CHECK(h.status().field() == "business_hours.monday");
    CHECK(mentions(h.status(), "at most 8"));
    // Exactly eight is still fine.
    CHECK(parse_weekly_hours("mon 01:00-02:00,02:00-03:00,03:00-04:00,04:00-05:00,05:00-06:00,06:00-07:00,"
                             "07:00-08:00,08:00-09:00")
              .ok());
  }

  TEST_CASE("malformed and out-of-range times are errors naming the field") {
    for (const char* bad :
         {"2024-01-31T10:15:", "--------+-01:00", "2024-01-31T10:15:00+99:99", "2024-01-31T10:15:00+18:01",
          "2024-01-31T10:15:00-18:30", "1969-12-31T23:59:59Z", "10000-01-01", "0000-01-01", "-2024-01-31",
          "2024-02-30", "2023-02-29T00:00:00Z", "2024-01-31T10:15:60Z", "2024-01-31T10:15:00.Z",
          "2024-01-31T10:15:00.1234Z", "2024-01-31T10:15:00+01:00Z", "2024-01-31T10:15:00ZZ", "2024-1-31",
          "2024-01-31T10:15Z", " 2024-01-31", "+2024-01-31", "2024-01-31T10:15:00+1:00"}) {
      CAPTURE(bad);
      auto r = parse_timestamp(bad, "when");
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().field() == "when");
    }
    CHECK(*parse_timestamp("2024-01-31T10:15:00+18:00") == *parse_timestamp("2024-01-30T16:15:00Z"));
    CHECK(*parse_timestamp("2024-01-31T10:15:00-18:00") == *parse_timestamp("2024-02-01T04:15:00Z"));
    CHECK(*parse_timestamp("2024-01-31T10:15:00+0100") == *parse_timestamp("2024-01-31T09:15:00Z"));
    CHECK(*parse_timestamp("2024-02-29T00:00:00.5Z") == from_unix_ms(1709164800500));
    CHECK(to_unix_ms(*parse_timestamp("1970-01-01T00:00:00Z")) == 0);
    // The last instant of year 9999 parses and formats back.
    const auto last = parse_timestamp("9999-12-31T23:59:59.999Z");
    REQUIRE(last.ok());
    CHECK(to_unix_ms(*last) == 253402300799999);
    CHECK(format_timestamp(*last) == "9999-12-31T23:59:59.999Z");
    CHECK(*parse_timestamp(format_timestamp(*last)) == *last);
    // An offset that carries a time past the range is out of range too.
    CHECK_FALSE(parse_timestamp("9999-12-31T23:00:00-02:00").ok());
    CHECK_FALSE(parse_timestamp("1970-01-01T01:00:00+02:00").ok());
  }

  TEST_CASE("times are range-checked wherever they enter: callers, calls, ranges, business hours") {
    Env env = SqliteBackend::open();
    Tenant admin = env.tenant();
    for (const std::int64_t ms : {kInt64Min, kInt64Max, std::int64_t{-1}, std::int64_t{253402300800000}}) {
      CAPTURE(ms);
      NewCaller c = minimal(fmt_number(1));
      c.valid_until = from_unix_ms(ms);
      auto created = admin.create(c);
      REQUIRE_FALSE(created.ok());
      CHECK(created.status().field() == "valid_until");
      c.valid_until.reset();
      c.valid_from = from_unix_ms(ms);
      created = admin.create(c);
      REQUIRE_FALSE(created.ok());
      CHECK(created.status().field() == "valid_from");

      const VipCaller ok = *admin.create(minimal(fmt_number(2)));
      CallerUpdate u;
      u.valid_until = from_unix_ms(ms);
      auto updated = admin.update(ok.id, u);
      REQUIRE_FALSE(updated.ok());
      CHECK(updated.status().field() == "valid_until");
      REQUIRE(admin.remove(ok.id).ok());

      const VipCaller someone = *admin.create(minimal(fmt_number(3)));
      CallRecord call;
      call.call_id = "call-1";
      call.caller_id = someone.id;
      call.at = from_unix_ms(ms);
      auto recorded = admin.record_call(call);
      REQUIRE_FALSE(recorded.ok());
      CHECK(recorded.status().field() == "at");
      REQUIRE(admin.remove(someone.id).ok());

      for (const DateRange& range :
           {DateRange{t0(), from_unix_ms(ms)}, DateRange{from_unix_ms(ms), t0()}}) {
        if (!(range.start < range.end)) continue;
        auto o = admin.overview(range);
        REQUIRE_FALSE(o.ok());
        CHECK(o.status().field().rfind("range", 0) == 0);
        CHECK_FALSE(admin.evaluate_alerts(range).ok());
      }
      auto open = within_hours(WeeklyHours::office_hours(), "UTC", from_unix_ms(ms));
      REQUIRE_FALSE(open.ok());
      CHECK(open.status().is_invalid_argument());
    }
  }

  TEST_CASE("a skip past 2^63 returns an empty page, not the first one") {
    Env env = SqliteBackend::open();
    Tenant admin = env.tenant();
    for (int i = 0; i < 3; ++i) REQUIRE(admin.create(minimal(fmt_number(i))).ok());
    for (const std::uint64_t skip : {std::uint64_t{1} << 63, std::numeric_limits<std::uint64_t>::max(),
                                     (std::uint64_t{1} << 63) + 1, std::uint64_t{3}}) {
      CAPTURE(skip);
      ListQuery q;
      q.skip = skip;
      auto page = admin.list(q);
      REQUIRE(page.ok());
      CHECK(page->empty());
    }
    ListQuery q;
    q.skip = 2;
    CHECK(admin.list(q)->size() == 1);
  }

  TEST_CASE_TEMPLATE("names, companies, greetings and rule names refuse bidirectional and control characters", B,
                     VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant admin = env.tenant();
    const char* const kHostile[] = {
        "Bob \xE2\x80\xAE" "ecnailpmoc",  // U+202E RIGHT-TO-LEFT OVERRIDE
        "Bob \xE2\x80\xAA" "x",           // U+202A
        "Bob \xE2\x81\xA6" "x",           // U+2066 LEFT-TO-RIGHT ISOLATE
        "Bob \xE2\x81\xA9" "x",           // U+2069 POP DIRECTIONAL ISOLATE
        "Bob \xE2\x80\x8E" "x",           // U+200E LEFT-TO-RIGHT MARK
        "Bob \xE2\x80\x8F" "x",           // U+200F RIGHT-TO-LEFT MARK
        "Bob \xC2\x85" "x",               // U+0085, a C1 control
        "Bob \xD8\x9C" "x",               // U+061C ARABIC LETTER MARK
    };
    for (const char* bad : kHostile) {
      CAPTURE(bad);
      NewCaller c = minimal(fmt_number(1), bad);
      auto r = admin.create(c);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().field() == "caller_name");
      CHECK(mentions(r.status(), "bidirectional"));

      c = minimal(fmt_number(1));
      c.company_name = bad;
      r = admin.create(c);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().field() == "company_name");

      c = minimal(fmt_number(1));
      c.custom_greeting = bad;
      c.handling_rules = {HandlingRule::custom_greeting};
      r = admin.create(c);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().field() == "custom_greeting");

      const VipCaller ok = *admin.create(minimal(fmt_number(2)));
      CallerUpdate u;
      u.caller_name = bad;
      auto updated = admin.update(ok.id, u);
      REQUIRE_FALSE(updated.ok());
      CHECK(updated.status().field() == "caller_name");
      u = CallerUpdate();
      u.company_name = bad;
      updated = admin.update(ok.id, u);
      REQUIRE_FALSE(updated.ok());
      CHECK(updated.status().field() == "company_name");
      REQUIRE(admin.remove(ok.id).ok());

      EscalationRule rule;
      rule.name = bad;
      rule.max_wait_time = 60;
      auto created_rule = admin.create_rule(rule);
      REQUIRE_FALSE(created_rule.ok());
      CHECK(created_rule.status().field() == "name");
    }
    // Right-to-left text itself is fine; so are newlines in a greeting.
    NewCaller arabic = minimal(fmt_number(5), "\xD9\x85\xD8\xAD\xD9\x85\xD8\xAF");
    arabic.custom_greeting = "Hello,\nwelcome back";
    CHECK(admin.create(arabic).ok());
  }

  TEST_CASE_TEMPLATE("a settings change is audited with the names of the settings that changed", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant admin = env.tenant();
    TenantSettings s = *admin.settings();
    s.time_zone = "Europe/Paris";
    s.business_hours = *parse_weekly_hours("mon-sat 08:00-20:00");
    s.alerts.max_escalation_rate[0] = 0.5;
    s.dynamic_priority.rise_start = 0.25;
    REQUIRE(admin.update_settings(s).ok());
    AuditQuery q;
    auto entries = admin.audit(q);
    REQUIRE(entries.ok());
    REQUIRE_FALSE(entries->empty());
    const AuditEntry& e = entries->back();
    CHECK(e.action == "update_settings");
    CHECK(e.fields == std::vector<std::string>{"dynamic_priority", "time_zone", "business_hours", "alerts"});
    for (const std::string& f : e.fields) CHECK(f.find("Paris") == std::string::npos);
    CHECK(e.outcome.find("Paris") == std::string::npos);
  }
}

TEST_SUITE("hardening") {
  TEST_CASE("a tampered row is named and skipped by list and export; the rest are still listed") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    auto db = Database::open(path, test_key(), quiet_options());
    REQUIRE(db.ok());
    Tenant admin = *db->tenant("acme", {"admin", Role::admin});
    const VipCaller john = *admin.create(john_doe());
    const VipCaller sarah = *admin.create(sarah_johnson());
    const VipCaller michael = *admin.create(michael_chen());
    // A flipped byte in John's sealed name, as a bad disk or an attacker would leave it.
    RawFile(path).exec("UPDATE vip_caller SET caller_name = substr(caller_name, 1, 40) || CASE WHEN "
                       "substr(caller_name, 41, 1) = X'00' THEN X'01' ELSE X'00' END || substr(caller_name, 42) "
                       "WHERE id = '" + john.id + "'");

    // Without a place to report them, a damaged caller fails the call, naming the caller.
    auto failed = admin.list(ListQuery{});
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.status().is_integrity_error());
    CHECK(mentions(failed.status(), john.id));
    Status walked = admin.for_each_caller([](const VipCaller&) { return true; });
    CHECK(walked.is_integrity_error());
    CHECK(mentions(walked, john.id));

    std::vector<std::string> damaged{"stale"};
    auto page = admin.list(ListQuery{}, &damaged);
    REQUIRE_MESSAGE(page.ok(), page.status().to_string());
    CHECK(page->size() == 2);
    CHECK(damaged == std::vector<std::string>{john.id});
    for (const VipCaller& c : *page) CHECK(c.id != john.id);

    ListQuery search;
    search.search = "o";  // John Doe (damaged), Sarah Johnson
    page = admin.list(search, &damaged);
    REQUIRE(page.ok());
    REQUIRE(page->size() == 1);
    CHECK(page->front().id == sarah.id);
    CHECK(damaged == std::vector<std::string>{john.id});

    std::vector<std::string> seen;
    damaged.clear();
    REQUIRE(admin.for_each_caller([&](const VipCaller& c) {
                   seen.push_back(c.id);
                   return true;
                 },
                 &damaged)
                .ok());
    CHECK(seen.size() == 2);
    CHECK(std::find(seen.begin(), seen.end(), michael.id) != seen.end());
    CHECK(damaged == std::vector<std::string>{john.id});

    // The damaged caller itself keeps failing as before: get, and identify
    // once the identify index's copy of the name is damaged too.
    CHECK(admin.get(john.id).status().is_integrity_error());
    RawFile(path).exec("UPDATE vip_phone SET summary = (SELECT summary FROM vip_phone AS o WHERE o.caller_id = '" +
                       sarah.id + "') WHERE caller_id = '" + john.id + "'");
    auto who = (*db->tenant("acme", {"pbx", Role::system})).identify("+1 (234) 567-8900");
    REQUIRE_FALSE(who.ok());
    CHECK(who.status().is_integrity_error());

    // The access entries say how many were skipped.
    auto trail = admin.audit(AuditQuery{});
    REQUIRE(trail.ok());
    CHECK(mentions(Status::invalid_argument("x", trail->back().outcome), "skipped 1 damaged"));
  }
}
