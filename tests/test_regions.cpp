// Tenants outside North America and the seed's own examples, through the C++
// API: each numbering region reads its own national, exit-prefixed and
// international forms, writes are checked against libphonenumber, and the
// seed's update example is accepted as written.
#include <doctest/doctest.h>

#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;

namespace {

// An admin and a PBX of a tenant whose numbering region is `region`.
struct RegionTenant {
  Env env = MemoryBackend::open();
  Tenant admin = env.tenant("acme", Role::admin);
  Tenant pbx = env.tenant("acme", Role::system);

  explicit RegionTenant(const char* region, NumberValidation validation = NumberValidation::strict) {
    auto s = admin.settings();
    REQUIRE(s.ok());
    s->region = region;
    s->number_validation = validation;
    REQUIRE(admin.update_settings(*s).ok());  // the PBX's scope, opened before, sees it too
  }
  std::string add(const std::string& number, const std::string& name) const {
    auto created = admin.create(minimal(number, name));
    REQUIRE_MESSAGE(created.ok(), created.status().to_string());
    return created->id;
  }
  // The name of the VIP `number` identifies, or "" for none.
  std::string who(const std::string& number) const {
    auto r = pbx.identify(number);
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    return r->is_vip ? r->caller.caller_name : "";
  }
};

}  // namespace

TEST_SUITE("regions") {
  TEST_CASE("a UK tenant stores 07400 123456 and identifies it from +44 7400 123456") {
    RegionTenant uk("GB");
    uk.add("07400 123456", "Mobile Mary");
    CHECK(uk.who("+44 7400 123456") == "Mobile Mary");
    CHECK(uk.who("0044 7400 123456") == "Mobile Mary");
    CHECK(uk.who("07400 123456") == "Mobile Mary");
    CHECK(uk.admin.settings()->region == "GB");
  }

  TEST_CASE("in the UK 0113 496 0000 is Leeds, never Spain") {
    RegionTenant uk("GB", NumberValidation::e164);
    uk.add("0113 496 0000", "Leeds Lee");
    uk.add("+34 960 000", "Spanish Sam");  // what "011" + "34960000" would have been
    CHECK(uk.who("0113 496 0000") == "Leeds Lee");
    CHECK(uk.who("+44 113 496 0000") == "Leeds Lee");
    CHECK(uk.who("00 34 960 000") == "Spanish Sam");
  }

  TEST_CASE("in South Africa 011 234 5678 is Johannesburg") {
    RegionTenant za("ZA");
    za.add("011 234 5678", "Joburg Jo");
    CHECK(za.who("+27 11 234 5678") == "Joburg Jo");
    CHECK(za.who("00 27 11 234 5678") == "Joburg Jo");
  }

  TEST_CASE("Australia's 0011 and Japan's 010 exit prefixes are identified") {
    RegionTenant au("AU");
    au.add("+44 20 7946 0958", "London Liz");
    CHECK(au.who("0011 44 20 7946 0958") == "London Liz");
    RegionTenant jp("JP");
    jp.add("+44 20 7946 0958", "London Liz");
    CHECK(jp.who("010 44 20 7946 0958") == "London Liz");
    // Another region's exit code is no exit code here.
    auto other = jp.pbx.identify("0011 44 20 7946 0958");
    CHECK((!other.ok() || !other->is_vip));
  }

  TEST_CASE("strict validation refuses a mistyped number outside North America, naming the field, not the number") {
    for (const char* region : {"GB", "DE", "FR", "AU"}) {
      CAPTURE(region);
      RegionTenant t(region);
      for (const char* typo : {"+44 20 7946 09", "+33 1 23 45 67 8", "+33 6 12 34 56 789"}) {
        CAPTURE(typo);
        auto created = t.admin.create(minimal(typo, "Typo Tom"));
        REQUIRE_FALSE(created.ok());
        CHECK(created.status().is_invalid_argument());
        CHECK(created.status().field() == "phone_number");
        CHECK(created.status().message().find("number_validation") != std::string::npos);
        CHECK(created.status().message().find("7946") == std::string::npos);
        CHECK(created.status().message().find("4567") == std::string::npos);
      }
      // A well-formed number of the same country is stored.
      t.add("+44 20 7946 0958", "London Liz");
    }
  }

  TEST_CASE("the seed's placeholder +1234567890 is refused by strict tenants with the way out, and taken by e164 ones") {
    RegionTenant strict("US");
    auto refused = strict.admin.create(minimal("+1234567890", "John Doe"));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().field() == "phone_number");
    CHECK(refused.status().message().find("number_validation to e164") != std::string::npos);
    RegionTenant seed("US", NumberValidation::e164);
    seed.add("+1234567890", "John Doe");
    CHECK(seed.who("+1234567890") == "John Doe");
  }

  TEST_CASE("the seed's update example: IMMEDIATE_TRANSFER and DEDICATED_AGENT without a preferred agent") {
    RegionTenant t("US", NumberValidation::e164);
    const std::string id = t.add("+1234567890", "John Doe");
    CallerUpdate u;  // {"vip_level": "PLATINUM", "notes": ..., "handling_rules": [...]}
    u.vip_level = Level::platinum;
    u.notes = "Upgraded to Platinum level";
    u.handling_rules = HandlingRules{HandlingRule::immediate_transfer, HandlingRule::dedicated_agent};
    auto updated = t.admin.update(id, u);
    REQUIRE_MESSAGE(updated.ok(), updated.status().to_string());
    CHECK(updated->vip_level == Level::platinum);
    CHECK(updated->preferred_agent_id.empty());

    auto who = t.pbx.identify("+1234567890");
    REQUIRE(who.ok());
    PbxState st;
    st.free_agents = {"agent-1"};
    auto plan = t.pbx.routing_plan(*who, st);
    REQUIRE(plan.ok());
    CHECK(plan->action == RouteAction::transfer);
    CHECK(plan->target_agent_id == "agent-1");
    CHECK_MESSAGE(plan->reason.find("no preferred agent") != std::string::npos, plan->reason);
    st.free_agents.clear();
    plan = t.pbx.routing_plan(*who, st);
    REQUIRE(plan.ok());
    CHECK(plan->action == RouteAction::queue);
    CHECK_MESSAGE(plan->reason.find("no preferred agent") != std::string::npos, plan->reason);

    // DEDICATED_AGENT alone: nobody to wait for, so the busy agent's fallback.
    CallerUpdate only;
    only.handling_rules = HandlingRules{HandlingRule::dedicated_agent};
    REQUIRE(t.admin.update(id, only).ok());
    who = t.pbx.identify("+1234567890");
    st.free_agents = {"agent-2"};
    plan = t.pbx.routing_plan(*who, st);
    REQUIRE(plan.ok());
    CHECK(plan->action == RouteAction::transfer);
    CHECK(plan->target_agent_id == "agent-2");
    CHECK_MESSAGE(plan->reason.find("no preferred agent") != std::string::npos, plan->reason);
  }
}

TEST_SUITE("date ranges") {
  TEST_CASE("a range ending 2024-01-31 counts calls at 23:30 local on 31 January, in a tenant east of UTC") {
    Env env = MemoryBackend::open();
    Tenant admin = env.tenant("acme", Role::admin);
    Tenant pbx = env.tenant("acme", Role::system);
    auto s = admin.settings();
    REQUIRE(s.ok());
    s->time_zone = "Asia/Tokyo";  // UTC+9, no summer time
    REQUIRE(admin.update_settings(*s).ok());
    auto vip = admin.create(john_doe());
    REQUIRE(vip.ok());
    const auto call = [&](const char* id, const char* at) {
      CallRecord c;
      c.call_id = id;
      c.caller_id = vip->id;
      c.wait_seconds = 10;
      c.at = *parse_timestamp(at);
      REQUIRE(pbx.record_call(c).ok());
    };
    call("first-local-minute", "2024-01-01T00:00:00+09:00");
    call("last-evening", "2024-01-31T23:30:00+09:00");
    call("december", "2023-12-31T23:59:00+09:00");  // 14:59 UTC on 31 December
    call("february", "2024-02-01T00:00:00+09:00");

    // The seed's analytics example: start_date=2024-01-01&end_date=2024-01-31, all of January.
    auto january = admin.date_range("2024-01-01", "2024-01-31");
    REQUIRE_MESSAGE(january.ok(), january.status().to_string());
    CHECK(january->start == *parse_timestamp("2024-01-01T00:00:00+09:00"));
    CHECK(january->end == *parse_timestamp("2024-02-01T00:00:00+09:00"));
    auto overview = admin.overview(*january);
    REQUIRE(overview.ok());
    CHECK(overview->all.calls == 2);
    auto history = admin.call_history(vip->id, *january);
    REQUIRE(history.ok());
    REQUIRE(history->size() == 2);
    CHECK(history->back().call_id == "last-evening");
    CHECK(admin.caller_analytics(vip->id, *january)->stats.calls == 2);

    // An explicit time stays exact and half-open.
    auto exact = admin.date_range("2024-01-01T00:00:00+09:00", "2024-01-31T23:30:00+09:00");
    REQUIRE(exact.ok());
    CHECK(admin.overview(*exact)->all.calls == 1);
    // A single day, both bounds the same date.
    auto one_day = admin.date_range("2024-01-31", "2024-01-31");
    REQUIRE(one_day.ok());
    CHECK(admin.overview(*one_day)->all.calls == 1);
    // The PBX may ask too; errors name the bound.
    CHECK(pbx.date_range("2024-01-01", "2024-01-31").ok());
    CHECK(admin.date_range("2024-01-32", "2024-01-31").status().field() == "start");
    CHECK(admin.date_range("2024-02-01", "2024-01-31").status().field() == "end");
    CHECK(parse_date_range("2024-01-01", "2024-01-31", "Mars/Olympus").status().field() == "time_zone");
  }

  TEST_CASE("date bounds follow the zone's summer time") {
    // New York: EST (UTC-5) in January, EDT (UTC-4) in July.
    auto winter = parse_date_range("2024-01-31", "2024-01-31", "America/New_York");
    REQUIRE(winter.ok());
    CHECK(winter->start == *parse_timestamp("2024-01-31T05:00:00Z"));
    CHECK(winter->end == *parse_timestamp("2024-02-01T05:00:00Z"));
    auto summer = parse_date_range("2024-07-01", "2024-07-01", "America/New_York");
    REQUIRE(summer.ok());
    CHECK(summer->start == *parse_timestamp("2024-07-01T04:00:00Z"));
    CHECK(summer->end - summer->start == std::chrono::hours(24));
  }
}
