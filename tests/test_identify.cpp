// identify() against every storage backend: formats, alternative numbers,
// status and validity window, routing priority, and the allocation-free
// overload.
#include <doctest/doctest.h>

#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;
using namespace std::chrono_literals;

TEST_SUITE("identify") {
  TEST_CASE_TEMPLATE("the seed's example: GOLD with PRIORITY_QUEUE is a VIP with priority 85", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    env.accept_seed_numbers();
    NewCaller in = minimal("+1234567890", "John Doe");
    in.vip_level = Level::gold;
    in.handling_rules = {HandlingRule::priority_queue};
    auto c = env.tenant().create(in);
    REQUIRE(c.ok());
    Tenant pbx = env.tenant("acme", Role::system);
    auto who = pbx.identify("+1234567890");
    REQUIRE(who.ok());
    CHECK(who->is_vip);
    CHECK(who->match == Match::vip);
    CHECK(who->caller.id == c->id);
    CHECK(who->caller.caller_name == "John Doe");
    CHECK(who->caller.vip_level == Level::gold);
    CHECK(who->caller.handling_rules == HandlingRules{HandlingRule::priority_queue});
    CHECK(who->routing_priority == 85);
    CHECK(who->caller.max_wait_time == 60);
  }

  TEST_CASE_TEMPLATE("any format and any of the caller's numbers identify them", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    NewCaller in = sarah_johnson();
    in.alternative_phone_numbers = {"+44 20 7946 0958", "+1 999 555 0101"};
    in.preferred_department_id = "accounts";
    auto c = env.tenant().create(in);
    REQUIRE(c.ok());
    Tenant pbx = env.tenant("acme", Role::system);
    for (const char* number : {"+1 345 678 9012", "13456789012", "(345) 678-9012", "011 1 345 678 9012",
                               "011 1 345 678 9012", "+44 20 7946 0958", "011 44 20 7946 0958", "999.555.0101"}) {
      CAPTURE(number);
      auto who = pbx.identify(number);
      REQUIRE(who.ok());
      CHECK(who->is_vip);
      CHECK(who->caller.id == c->id);
      CHECK(who->caller.caller_name == "Sarah Johnson");
      CHECK(who->caller.custom_greeting == "Good day Ms. Johnson, connecting you to your account manager.");
      CHECK(who->caller.preferred_agent_id == "agent-007");
      CHECK(who->caller.preferred_department_id == "accounts");
      CHECK(who->caller.max_wait_time == 30);
      CHECK(who->routing_priority == 80);
    }
  }

  TEST_CASE_TEMPLATE("a number no VIP owns is not a VIP, with priority 0", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    REQUIRE(env.tenant().create(john_doe()).ok());
    auto who = env.tenant("acme", Role::system).identify("+1 800 555 0199");
    REQUIRE(who.ok());
    CHECK_FALSE(who->is_vip);
    CHECK(who->match == Match::not_found);
    CHECK(who->routing_priority == 0);
    CHECK(who->caller.id.empty());
    CHECK(who->caller.caller_name.empty());
  }

  TEST_CASE_TEMPLATE("malformed numbers are errors naming phone_number, never echoing it", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant pbx = env.tenant("acme", Role::system);
    for (const char* bad : {"", "anonymous", "+", "12", "+1 234 567 8900 ext 5"}) {
      CAPTURE(bad);
      Identification out;
      out.is_vip = true;  // must be reset on error
      Status s = pbx.identify(bad, &out);
      REQUIRE_FALSE(s.ok());
      CHECK(s.is_invalid_argument());
      CHECK(s.field() == "phone_number");
      CHECK_FALSE(out.is_vip);
      if (std::string_view(bad).size() > 3) CHECK(s.message().find(bad) == std::string::npos);
    }
  }

  TEST_CASE_TEMPLATE("only an ACTIVE caller inside its validity window is a VIP", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant admin = env.tenant();
    Tenant pbx = env.tenant("acme", Role::system);
    NewCaller in = john_doe();
    in.valid_from = t0() + 1h;
    in.valid_until = t0() + 2h;
    auto c = admin.create(in);
    REQUIRE(c.ok());
    auto check = [&](Match expected) {
      auto who = pbx.identify("+1 234 567 8900");
      REQUIRE(who.ok());
      CHECK(who->match == expected);
      CHECK(who->is_vip == (expected == Match::vip));
      CHECK(who->caller.id == c->id);
      CHECK((who->routing_priority > 0) == (expected == Match::vip));
      if (expected != Match::vip) CHECK(who->caller.caller_name.empty());
    };
    check(Match::not_yet_valid);
    env.clock->set(t0() + 1h);  // valid_from is inclusive
    check(Match::vip);
    env.clock->set(t0() + 2h - 1ms);
    check(Match::vip);
    env.clock->set(t0() + 2h);  // valid_until is exclusive
    check(Match::expired);

    env.clock->set(t0() + 90min);
    CallerUpdate u;
    u.status = CallerStatus::inactive;
    REQUIRE(admin.update(c->id, u).ok());
    check(Match::inactive);
    u.status = CallerStatus::suspended;
    REQUIRE(admin.update(c->id, u).ok());
    check(Match::suspended);
    u.status = CallerStatus::active;
    REQUIRE(admin.update(c->id, u).ok());
    check(Match::vip);
  }

  TEST_CASE_TEMPLATE("updates and deletes are seen by the next identify", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant admin = env.tenant();
    Tenant pbx = env.tenant("acme", Role::system);
    auto c = admin.create(john_doe());
    REQUIRE(c.ok());
    CHECK(pbx.identify("+1 234 567 8900")->caller.vip_level == Level::gold);
    CallerUpdate u;
    u.vip_level = Level::diamond;
    u.caller_name = "John Q. Doe";
    u.custom_greeting = "Welcome back, Mr. Doe.";
    REQUIRE(admin.update(c->id, u).ok());
    auto who = pbx.identify("+1 234 567 8900");
    CHECK(who->caller.vip_level == Level::diamond);
    CHECK(who->caller.caller_name == "John Q. Doe");
    CHECK(who->caller.custom_greeting == "Welcome back, Mr. Doe.");
    CHECK(who->routing_priority == 100);
    REQUIRE(admin.remove(c->id).ok());
    CHECK_FALSE(pbx.identify("+1 234 567 8900")->is_vip);
  }

  TEST_CASE_TEMPLATE("the out-parameter overload reuses the caller's buffers", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    REQUIRE(env.tenant().create(michael_chen()).ok());
    Tenant pbx = env.tenant("acme", Role::system);
    Identification out;
    REQUIRE(pbx.identify("+1 456 789 0123", &out).ok());
    CHECK(out.is_vip);
    CHECK(out.caller.caller_name == "Michael Chen");
    CHECK(out.routing_priority == 100);
    // Longer than any small-string buffer, so it lives on the heap.
    CHECK(out.caller.custom_greeting == "Hello Mr. Chen, transferring you immediately.");
    const char* greeting_buffer = out.caller.custom_greeting.data();
    REQUIRE(pbx.identify("+1 800 555 0199", &out).ok());
    CHECK_FALSE(out.is_vip);
    CHECK(out.caller.caller_name.empty());
    REQUIRE(pbx.identify("+1 456 789 0123", &out).ok());
    CHECK(out.caller.custom_greeting.data() == greeting_buffer);  // same storage: no new allocation
    CHECK(pbx.identify("+1 456 789 0123", nullptr).field() == "out");
  }
}
