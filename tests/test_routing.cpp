// Routing plans, dynamic priority and PBX priority forms.
#include <doctest/doctest.h>

#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;

namespace {

struct Fixture {
  Env env = MemoryBackend::open();
  Tenant admin = env.tenant("acme", Role::admin);
  Tenant pbx = env.tenant("acme", Role::system);

  Identification vip(NewCaller c) {
    REQUIRE(admin.create(c).ok());
    auto who = pbx.identify(c.phone_number);
    REQUIRE(who.ok());
    REQUIRE(who->is_vip);
    return *who;
  }
  RoutingPlan route(const Identification& who, std::vector<std::string> free, bool open = true, int waited = 0) {
    PbxState st;
    st.free_agents = std::move(free);
    st.inside_business_hours = open;
    st.waited_seconds = waited;
    auto plan = pbx.routing_plan(who, st);
    REQUIRE_MESSAGE(plan.ok(), plan.status().to_string());
    return *plan;
  }
};

}  // namespace

TEST_SUITE("routing") {
  TEST_CASE("IMMEDIATE_TRANSFER: the preferred agent, else any free agent, else the front of the queue") {
    Fixture f;
    NewCaller c = michael_chen();
    c.preferred_agent_id = "agent-chen";
    const Identification who = f.vip(c);
    RoutingPlan p = f.route(who, {"agent-1", "agent-chen"});
    CHECK(p.action == RouteAction::transfer);
    CHECK(p.target_agent_id == "agent-chen");
    CHECK(p.greeting == "Hello Mr. Chen, transferring you immediately.");
    CHECK(p.is_vip);
    p = f.route(who, {"agent-1", "agent-2"});
    CHECK(p.action == RouteAction::transfer);
    CHECK(p.target_agent_id == "agent-1");
    p = f.route(who, {});
    CHECK(p.action == RouteAction::queue);
    CHECK(p.front_of_queue);
    CHECK(p.queue_priority == 100);
    CHECK(p.reason.find("no agent is free") != std::string::npos);
  }

  TEST_CASE("DEDICATED_AGENT: wait for the dedicated agent up to max wait, then fall back") {
    Fixture f;
    const Identification who = f.vip(sarah_johnson());  // agent-007, max wait 30 s
    RoutingPlan p = f.route(who, {"agent-007", "agent-1"});
    CHECK(p.action == RouteAction::transfer);
    CHECK(p.target_agent_id == "agent-007");
    p = f.route(who, {"agent-1"}, true, 10);
    CHECK(p.action == RouteAction::wait_for_agent);
    CHECK(p.target_agent_id == "agent-007");
    CHECK(p.wait_seconds == 20);
    p = f.route(who, {"agent-1"}, true, 30);
    CHECK(p.action == RouteAction::transfer);
    CHECK(p.target_agent_id == "agent-1");
    p = f.route(who, {}, true, 45);
    CHECK(p.action == RouteAction::queue);
    CHECK(p.greeting == "Good day Ms. Johnson, connecting you to your account manager.");
  }

  TEST_CASE("PRIORITY_QUEUE jumps the queue, and other VIPs queue with their priority") {
    Fixture f;
    const Identification gold = f.vip(john_doe());
    RoutingPlan p = f.route(gold, {"agent-1"});
    CHECK(p.action == RouteAction::queue);
    CHECK(p.front_of_queue);
    CHECK(p.queue_priority == 85);
    NewCaller silver = minimal("+1 555 300 0002", "Silver Sam");
    silver.vip_level = Level::silver;
    p = f.route(f.vip(silver), {"agent-1"});
    CHECK(p.action == RouteAction::queue);
    CHECK_FALSE(p.front_of_queue);
    CHECK(p.queue_priority == 60);
    CHECK(p.greeting.empty());
    CHECK_FALSE(p.offer_callback);
  }

  TEST_CASE("outside business hours only EXTENDED_HOURS callers are served") {
    Fixture f;
    NewCaller night_owl = minimal("+1 555 300 0003", "Night Owl");
    night_owl.vip_level = Level::platinum;
    night_owl.handling_rules = {HandlingRule::extended_hours, HandlingRule::callback_priority};
    night_owl.callback_priority = 2;
    const Identification owl = f.vip(night_owl);
    RoutingPlan p = f.route(owl, {"agent-1"}, false);
    CHECK(p.action == RouteAction::queue);
    CHECK(p.reason.find("EXTENDED_HOURS") != std::string::npos);
    CHECK(p.offer_callback);
    CHECK(p.callback_priority == 2);

    const Identification gold = f.vip(john_doe());
    p = f.route(gold, {"agent-1"}, false);
    CHECK(p.action == RouteAction::after_hours);
    CHECK(p.greeting == "Hello Mr. Doe, thank you for calling.");
    CHECK_FALSE(p.offer_callback);

    auto stranger = f.pbx.identify("+1 800 555 0199");
    CHECK(f.route(*stranger, {"agent-1"}, false).action == RouteAction::after_hours);
    p = f.route(*stranger, {"agent-1"}, true);
    CHECK(p.action == RouteAction::queue);
    CHECK_FALSE(p.is_vip);
    CHECK(p.queue_priority == 0);
    CHECK(p.pbx.asterisk_queue_prio == 0);
    CHECK(p.pbx.freeswitch_base_score == 0);
  }

  TEST_CASE("without a business-hours flag the tenant's own hours decide") {
    Fixture f;
    const Identification gold = f.vip(john_doe());
    PbxState st;
    f.env.clock->set(*parse_timestamp("2024-01-15T10:00:00Z"));  // Monday, 10:00 UTC: open
    CHECK(f.pbx.routing_plan(gold, st)->action == RouteAction::queue);
    f.env.clock->set(*parse_timestamp("2024-01-14T10:00:00Z"));  // Sunday: closed
    CHECK(f.pbx.routing_plan(gold, st)->action == RouteAction::after_hours);
    st.waited_seconds = -1;
    CHECK(f.pbx.routing_plan(gold, st).status().field() == "waited_seconds");
    CHECK(f.env.tenant("acme", Role::auditor).routing_plan(gold, PbxState{}).status().is_permission_denied());
  }

  TEST_CASE("dynamic priority rises monotonically to 100 at the caller's target, clamped") {
    const DynamicPriorityPolicy linear;
    CHECK(dynamic_priority(70, 0, 60, linear) == 70);
    CHECK(dynamic_priority(70, 30, 60, linear) == 70);   // flat for the first half
    CHECK(dynamic_priority(70, 45, 60, linear) == 85);   // halfway up
    CHECK(dynamic_priority(70, 60, 60, linear) == 100);  // at the target
    CHECK(dynamic_priority(70, 6000, 60, linear) == 100);
    CHECK(dynamic_priority(150, 0, 60, linear) == 100);
    CHECK(dynamic_priority(-5, 0, 60, linear) == 0);
    CHECK(dynamic_priority(70, 10, 0, linear) == 70);
    for (double start : {0.0, 0.5, 0.9})
      for (double k : {0.25, 1.0, 4.0}) {
        const DynamicPriorityPolicy p{start, k};
        for (int base : {0, 50, 85, 100}) {
          int previous = dynamic_priority(base, 0, 90, p);
          CHECK(previous == base);
          for (int w = 1; w <= 200; ++w) {
            const int now = dynamic_priority(base, w, 90, p);
            CHECK(now >= previous);
            CHECK(now <= 100);
            previous = now;
          }
          CHECK(previous == 100);
        }
      }
    CHECK(DynamicPriorityPolicy{1.0, 1.0}.validate().field() == "dynamic_priority.rise_start");
    CHECK(DynamicPriorityPolicy{0.5, 9.0}.validate().field() == "dynamic_priority.exponent");
  }

  TEST_CASE("a queue ordered by dynamic priority never keeps a caller past their target behind others") {
    // A STANDARD caller (base 50, target 120 s) has waited 120 s; a DIAMOND
    // caller (base 90, target 15 s) has just arrived: the STANDARD caller is first.
    const DynamicPriorityPolicy p;
    CHECK(dynamic_priority(50, 120, 120, p) >= dynamic_priority(90, 0, 15, p));
    // Any caller who has not reached their target stays below 100, and one who has is at 100.
    for (int w = 0; w < 15; ++w) CHECK(dynamic_priority(90, w, 15, p) < 100);
  }

  TEST_CASE("priorities in Asterisk, FreeSWITCH and contact-centre forms") {
    Fixture f;
    const Identification gold = f.vip(john_doe());       // priority 85, target 30 s
    const Identification diamond = f.vip(michael_chen());  // priority 100, target 15 s
    const PbxPriorities g = f.pbx.pbx_priorities(gold);
    CHECK(g.asterisk_queue_prio == 85);
    CHECK(g.freeswitch_base_score == 120 - 30);
    CHECK(g.queue_age_bonus_seconds == 90);
    const PbxPriorities d = f.pbx.pbx_priorities(diamond);
    CHECK(d.asterisk_queue_prio == 100);
    CHECK(d.freeswitch_base_score == 105);
    // Head start + wait reaches the same score at each caller's own target.
    CHECK(g.freeswitch_base_score + gold.caller.max_wait_time == d.freeswitch_base_score + diamond.caller.max_wait_time);
    CHECK(f.pbx.queue_priority(gold, 0) == 85);
    CHECK(f.pbx.queue_priority(gold, 30) == 100);
  }
}
