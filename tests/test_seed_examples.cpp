// The examples of the VIP API vipcore was modelled on, taken as written,
// through the C++ API (tests/c_seed_examples_test.c does the same from C,
// and tests/cli/test_vipctl.cpp through vipctl).
//
// Each HTTP request becomes the library call SPEC.md maps it to: a JSON body
// becomes the struct of the same field names, a query string the call's
// arguments, and {vip_id} the id vipcore gave the caller. The examples'
// placeholder numbers ("+1234567890": nine national digits) are not possible
// North American numbers, so every tenant here is set to number validation
// e164, as an integrator taking the examples would.
#include <doctest/doctest.h>

#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;

namespace {

// A tenant that takes the examples' numbers, with its administrator and its PBX.
struct SeedTenant {
  Env env;
  Tenant admin;
  Tenant pbx;

  explicit SeedTenant(Env e) : env(std::move(e)), admin(env.tenant("acme")), pbx(env.tenant("acme", Role::system)) {
    auto s = admin.settings();
    REQUIRE(s.ok());
    s->number_validation = NumberValidation::e164;
    REQUIRE(admin.update_settings(*s).ok());
    CHECK(admin.settings()->number_validation == NumberValidation::e164);
  }

  VipCaller create(const NewCaller& in) const {
    auto c = admin.create(in);
    REQUIRE_MESSAGE(c.ok(), c.status().to_string());
    return *c;
  }
  Identification identify(std::string_view number) const {
    auto who = pbx.identify(number);
    REQUIRE_MESSAGE(who.ok(), who.status().to_string());
    return *who;
  }
};

// POST /api/v1/vip/ — the request body of "Create VIP Caller": support.hpp's
// john_doe() field for field, with the seed's own placeholder number.
NewCaller create_body() {
  NewCaller c = john_doe();
  c.phone_number = "+1234567890";
  return c;
}

// "Basic VIP Setup": the Gold VIP the identify example's response shows.
NewCaller basic_setup() {
  NewCaller c;
  c.phone_number = "+1234567890";
  c.caller_name = "John Doe";
  c.vip_level = Level::gold;
  c.handling_rules = {HandlingRule::priority_queue};
  c.max_wait_time = 60;
  return c;
}

// "Premium VIP with Dedicated Agent".
NewCaller premium_setup() {
  NewCaller c;
  c.phone_number = "+1234567890";
  c.caller_name = "Sarah Johnson";
  c.vip_level = Level::platinum;
  c.handling_rules = {HandlingRule::dedicated_agent, HandlingRule::custom_greeting};
  c.preferred_agent_id = "agent-uuid";
  c.custom_greeting = "Good day Ms. Johnson, connecting you to your account manager.";
  c.max_wait_time = 30;
  return c;
}

// "Diamond VIP with Immediate Transfer".
NewCaller diamond_setup() {
  NewCaller c;
  c.phone_number = "+1234567890";
  c.caller_name = "Michael Chen";
  c.vip_level = Level::diamond;
  c.handling_rules = {HandlingRule::immediate_transfer, HandlingRule::custom_greeting};
  c.custom_greeting = "Hello Mr. Chen, transferring you immediately.";
  c.max_wait_time = 15;
  c.account_value = 500000.0;
  return c;
}

// POST /api/v1/vip/bulk-import — the body's "vip_callers".
std::vector<NewCaller> bulk_import_body() {
  NewCaller john;
  john.phone_number = "+1234567890";
  john.caller_name = "John Doe";
  john.vip_level = Level::gold;
  NewCaller jane;
  jane.phone_number = "+1234567891";
  jane.caller_name = "Jane Smith";
  jane.vip_level = Level::platinum;
  return {john, jane};
}

}  // namespace

TEST_SUITE("seed examples") {
  TEST_CASE_TEMPLATE("seed example: create (POST /api/v1/vip/) through the C++ API", B, VIPCORE_BACKENDS) {
    SeedTenant t(B::open());
    const VipCaller created = t.create(create_body());
    auto got = t.admin.get(created.id);
    REQUIRE(got.ok());
    const VipCaller& c = *got;
    CHECK(c.id.size() == 36);
    CHECK(c.caller_name == "John Doe");
    CHECK(c.company_name == "Acme Corp");
    CHECK(c.vip_level == Level::gold);
    CHECK(c.status == CallerStatus::active);
    CHECK(c.handling_rules == HandlingRules{HandlingRule::priority_queue, HandlingRule::custom_greeting});
    CHECK(c.custom_greeting == "Hello Mr. Doe, thank you for calling.");
    CHECK(c.max_wait_time == 30);
    CHECK_FALSE(c.max_wait_time_is_default);
    CHECK(c.callback_priority == 1);
    CHECK(c.email == "john.doe@acme.com");
    CHECK(c.account_number == "ACC123456");
    CHECK(c.account_value == 50000.0);
    CHECK(c.notes == "High-value customer");
    CHECK(c.tags == std::vector<std::string>{"premium", "enterprise"});
    REQUIRE(c.phones.size() == 1);
    CHECK(c.phones[0].masked == "******7890");  // the number itself is not stored
    const Identification who = t.identify("+1234567890");
    CHECK(who.is_vip);
    CHECK(who.caller.id == c.id);
    CHECK(who.routing_priority == 85);  // GOLD with PRIORITY_QUEUE

    // The same number again belongs to John already.
    auto again = t.admin.create(create_body());
    REQUIRE_FALSE(again.ok());
    CHECK(again.status().code() == Code::already_exists);
  }

  TEST_CASE_TEMPLATE("seed example: the three VIP setups of the configuration examples through the C++ API", B,
                     VIPCORE_BACKENDS) {
    struct Setup {
      NewCaller body;
      int routing_priority;
    };
    // Each in a tenant of its own: the examples share one number.
    const Setup setups[] = {{basic_setup(), 85}, {premium_setup(), 80}, {diamond_setup(), 100}};
    for (const Setup& s : setups) {
      CAPTURE(s.body.caller_name);
      SeedTenant t(B::open());
      const VipCaller c = t.create(s.body);
      CHECK(c.vip_level == *s.body.vip_level);
      CHECK(c.handling_rules == s.body.handling_rules);
      CHECK(c.max_wait_time == *s.body.max_wait_time);
      CHECK(c.preferred_agent_id == s.body.preferred_agent_id);
      CHECK(c.custom_greeting == s.body.custom_greeting);
      CHECK(c.account_value == s.body.account_value);
      const Identification who = t.identify("+1234567890");
      CHECK(who.is_vip);
      CHECK(who.caller.caller_name == s.body.caller_name);
      CHECK(who.caller.preferred_agent_id == s.body.preferred_agent_id);
      CHECK(who.routing_priority == s.routing_priority);
    }
  }

  TEST_CASE_TEMPLATE("seed example: the special routing rules of the configuration examples through the C++ API", B,
                     VIPCORE_BACKENDS) {
    SeedTenant premium(B::open());
    premium.create(premium_setup());
    const Identification sarah = premium.identify("+1234567890");
    PbxState st;
    st.inside_business_hours = true;
    // DEDICATED_AGENT: "Wait for preferred agent even if others are available".
    st.free_agents = {"agent-1"};
    auto plan = premium.pbx.routing_plan(sarah, st);
    REQUIRE(plan.ok());
    CHECK(plan->action == RouteAction::wait_for_agent);
    CHECK(plan->target_agent_id == "agent-uuid");
    CHECK(plan->greeting == "Good day Ms. Johnson, connecting you to your account manager.");
    st.free_agents = {"agent-1", "agent-uuid"};
    plan = premium.pbx.routing_plan(sarah, st);
    REQUIRE(plan.ok());
    CHECK(plan->action == RouteAction::transfer);
    CHECK(plan->target_agent_id == "agent-uuid");

    // IMMEDIATE_TRANSFER: "Direct routing to available agents".
    SeedTenant diamond(B::open());
    diamond.create(diamond_setup());
    st.free_agents = {"agent-1"};
    plan = diamond.pbx.routing_plan(diamond.identify("+1234567890"), st);
    REQUIRE(plan.ok());
    CHECK(plan->action == RouteAction::transfer);
    CHECK(plan->target_agent_id == "agent-1");
    CHECK(plan->greeting == "Hello Mr. Chen, transferring you immediately.");

    // PRIORITY_QUEUE: "Jump to front of call queues".
    SeedTenant basic(B::open());
    basic.create(basic_setup());
    plan = basic.pbx.routing_plan(basic.identify("+1234567890"), st);
    REQUIRE(plan.ok());
    CHECK(plan->action == RouteAction::queue);
    CHECK(plan->front_of_queue);
  }

  TEST_CASE_TEMPLATE("seed example: update (PUT /api/v1/vip/{id}) through the C++ API", B, VIPCORE_BACKENDS) {
    SeedTenant t(B::open());
    const VipCaller john = t.create(create_body());
    CallerUpdate put;  // {"vip_level": "PLATINUM", "notes": ..., "handling_rules": [...]}
    put.vip_level = Level::platinum;
    put.notes = "Upgraded to Platinum level";
    put.handling_rules = HandlingRules{HandlingRule::immediate_transfer, HandlingRule::dedicated_agent};
    auto updated = t.admin.update(john.id, put);
    REQUIRE_MESSAGE(updated.ok(), updated.status().to_string());
    CHECK(updated->vip_level == Level::platinum);
    CHECK(updated->notes == "Upgraded to Platinum level");
    CHECK(updated->handling_rules == HandlingRules{HandlingRule::immediate_transfer, HandlingRule::dedicated_agent});
    // Fields the body does not name stay as they were.
    CHECK(updated->company_name == "Acme Corp");
    CHECK(updated->custom_greeting == "Hello Mr. Doe, thank you for calling.");
    CHECK(updated->max_wait_time == 30);
    CHECK(updated->tags == std::vector<std::string>{"premium", "enterprise"});
    CHECK(updated->preferred_agent_id.empty());

    const Identification who = t.identify("+1234567890");
    CHECK(who.caller.vip_level == Level::platinum);
    CHECK(who.routing_priority == 100);  // PLATINUM 80 + IMMEDIATE_TRANSFER 20
    // DEDICATED_AGENT with nobody named: the plan says so and transfers to a free agent.
    PbxState st;
    st.free_agents = {"agent-1"};
    auto plan = t.pbx.routing_plan(who, st);
    REQUIRE(plan.ok());
    CHECK(plan->action == RouteAction::transfer);
    CHECK(plan->target_agent_id == "agent-1");
    CHECK_MESSAGE(plan->reason.find("no preferred agent") != std::string::npos, plan->reason);
  }

  TEST_CASE_TEMPLATE("seed example: identify (POST /api/v1/vip/identify?phone_number=+1234567890) through the C++ API",
                     B, VIPCORE_BACKENDS) {
    SeedTenant t(B::open());
    const VipCaller john = t.create(basic_setup());
    // The query string's phone_number is the number asked about (a form
    // decoder would read its '+' as a space; the number meant is +1234567890).
    const Identification who = t.identify("+1234567890");
    CHECK(who.is_vip);
    CHECK(who.caller.id == john.id);
    CHECK(who.caller.caller_name == "John Doe");
    CHECK(who.caller.vip_level == Level::gold);
    CHECK(who.caller.handling_rules == HandlingRules{HandlingRule::priority_queue});
    CHECK(who.routing_priority == 85);
    // A number no VIP owns is not a VIP.
    const Identification nobody = t.identify("+1234567899");
    CHECK_FALSE(nobody.is_vip);
    CHECK(nobody.routing_priority == 0);
  }

  TEST_CASE_TEMPLATE(
      "seed example: escalation check (POST /api/v1/vip/{id}/escalation-check?wait_time=120&queue_position=3) "
      "through the C++ API",
      B, VIPCORE_BACKENDS) {
    SeedTenant t(B::open());
    const VipCaller john = t.create(create_body());
    // The response's rule: "VIP Wait Time Rule", type manager, notifying
    // manager@company.com. The example does not give its limit; 60 s (a GOLD
    // caller's default target) is one that a 120 s wait exceeds.
    EscalationRule rule;
    rule.name = "VIP Wait Time Rule";
    rule.max_wait_time = 60;
    rule.escalation_type = "manager";
    rule.notify.emails = {"manager@company.com"};
    auto created = t.admin.create_rule(rule);
    REQUIRE(created.ok());
    auto r = t.pbx.check_escalation(john.id, 120, 3);
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    CHECK(r->should_escalate);
    REQUIRE(r->triggered_rules.size() == 1);
    const TriggeredRule& tr = r->triggered_rules[0];
    CHECK(tr.rule_id == created->id);
    CHECK(tr.rule_name == "VIP Wait Time Rule");
    CHECK(tr.escalation_type == "manager");
    CHECK(tr.notify.emails == std::vector<std::string>{"manager@company.com"});
    // Under the rule's limit nothing escalates.
    auto calm = t.pbx.check_escalation(john.id, 60, 3);
    REQUIRE(calm.ok());
    CHECK_FALSE(calm->should_escalate);
  }

  TEST_CASE_TEMPLATE(
      "seed example: list (GET /api/v1/vip/?skip=0&limit=100&vip_level=GOLD&status=ACTIVE&search=John) through the "
      "C++ API",
      B, VIPCORE_BACKENDS) {
    SeedTenant t(B::open());
    const VipCaller john = t.create(create_body());
    NewCaller sarah = premium_setup();  // "Johnson" holds "John", but PLATINUM
    sarah.phone_number = "+1234567891";
    t.create(sarah);
    NewCaller suspended = basic_setup();  // GOLD and "John", but SUSPENDED
    suspended.phone_number = "+1234567892";
    suspended.caller_name = "Johnny Walker";
    suspended.status = CallerStatus::suspended;
    t.create(suspended);
    NewCaller other = basic_setup();  // GOLD and ACTIVE, not "John"
    other.phone_number = "+1234567893";
    other.caller_name = "Jane Smith";
    t.create(other);

    ListQuery q;
    q.skip = 0;
    q.limit = 100;
    q.vip_level = Level::gold;
    q.status = CallerStatus::active;
    q.search = "John";
    auto listed = t.admin.list(q);
    REQUIRE(listed.ok());
    REQUIRE(listed->size() == 1);
    CHECK((*listed)[0].id == john.id);
    CHECK((*listed)[0].caller_name == "John Doe");
  }

  TEST_CASE_TEMPLATE("seed example: bulk import (POST /api/v1/vip/bulk-import) through the C++ API", B,
                     VIPCORE_BACKENDS) {
    SeedTenant t(B::open());
    ImportReport report;
    const Status imported = t.admin.import_callers(bulk_import_body(), ImportOptions{}, &report);
    REQUIRE_MESSAGE(imported.ok(), imported.to_string());
    CHECK(report.total == 2);
    CHECK(report.created == 2);
    CHECK(report.failed == 0);
    CHECK(report.committed);
    const Identification john = t.identify("+1234567890");
    CHECK(john.is_vip);
    CHECK(john.caller.caller_name == "John Doe");
    CHECK(john.caller.vip_level == Level::gold);
    const Identification jane = t.identify("+1234567891");
    CHECK(jane.is_vip);
    CHECK(jane.caller.caller_name == "Jane Smith");
    CHECK(jane.caller.vip_level == Level::platinum);
  }

  TEST_CASE_TEMPLATE(
      "seed example: analytics (GET .../analytics?start_date=2024-01-01&end_date=2024-01-31, per VIP and overview) "
      "through the C++ API",
      B, VIPCORE_BACKENDS) {
    SeedTenant t(B::open());
    const VipCaller john = t.create(create_body());
    NewCaller jane = bulk_import_body()[1];
    const VipCaller platinum = t.create(jane);
    const auto record = [&](const std::string& caller, const char* call_id, const char* at, int wait) {
      CallRecord call;
      call.caller_id = caller;
      call.call_id = call_id;
      call.wait_seconds = wait;
      call.at = *parse_timestamp(at);
      auto r = t.pbx.record_call(call);
      REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    };
    // The tenant's time zone is UTC: January is [2024-01-01T00:00Z, 2024-02-01T00:00Z).
    record(john.id, "first", "2024-01-01T00:00:00Z", 10);
    record(john.id, "last", "2024-01-31T23:59:59Z", 50);  // 31 January is in the range
    record(platinum.id, "jane", "2024-01-15T12:00:00Z", 20);
    record(john.id, "december", "2023-12-31T23:59:59Z", 5);
    record(john.id, "february", "2024-02-01T00:00:00Z", 5);

    auto range = t.admin.date_range("2024-01-01", "2024-01-31", "start_date", "end_date");
    REQUIRE_MESSAGE(range.ok(), range.status().to_string());
    auto one = t.admin.caller_analytics(john.id, *range);
    REQUIRE(one.ok());
    CHECK(one->caller_id == john.id);
    CHECK(one->stats.calls == 2);
    CHECK(one->stats.wait.max == 50);
    CHECK(one->stats.wait.average == doctest::Approx(30.0));
    CHECK(one->stats.sla_met == 1);  // 50 s against John's 30 s target

    auto all = t.admin.overview(*range);
    REQUIRE(all.ok());
    CHECK(all->all.calls == 3);
    CHECK(all->by_level[static_cast<int>(Level::gold)].calls == 2);
    CHECK(all->by_level[static_cast<int>(Level::platinum)].calls == 1);
    CHECK(all->total_callers == 2);
  }
}
