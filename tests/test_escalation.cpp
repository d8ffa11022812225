// Escalation rules and checks against every storage backend.
#include <doctest/doctest.h>

#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;
using namespace std::chrono_literals;

namespace {

// The seed's rule: escalate to a manager when a VIP has waited too long.
EscalationRule wait_rule(int max_wait = 60) {
  EscalationRule r;
  r.name = "VIP Wait Time Rule";
  r.max_wait_time = max_wait;
  r.escalation_type = "manager";
  r.notify.emails = {"manager@company.com"};
  return r;
}

EscalationRule position_rule(int max_position, const char* name = "Queue Position Rule") {
  EscalationRule r;
  r.name = name;
  r.max_queue_position = max_position;
  r.escalation_type = "supervisor";
  return r;
}

std::vector<std::string> triggered_names(const EscalationResult& r) {
  std::vector<std::string> out;
  for (const auto& t : r.triggered_rules) out.push_back(t.rule_name);
  return out;
}

template <typename B>
struct Fixture {
  std::shared_ptr<RecordingNotifier> notifier = std::make_shared<RecordingNotifier>();
  Env env = B::open(notifier);
  Tenant admin = env.tenant("acme", Role::admin);
  Tenant pbx = env.tenant("acme", Role::system);
  VipCaller john = *admin.create(john_doe());  // GOLD, max wait 30 s

  EscalationRule add(const EscalationRule& r) {
    auto created = admin.create_rule(r);
    REQUIRE_MESSAGE(created.ok(), created.status().to_string());
    return *created;
  }
  EscalationResult check(int wait, int position, std::string_view call_id = {}) {
    auto r = pbx.check_escalation(john.id, wait, position, call_id);
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    return *r;
  }
};

}  // namespace

TEST_SUITE("escalation") {
  TEST_CASE_TEMPLATE("the seed's example: wait 120 s at position 3 escalates to a manager", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    const EscalationRule rule = f.add(wait_rule());
    CHECK(rule.id.size() == 36);
    CHECK(rule.tier == 3);
    const EscalationResult r = f.check(120, 3);
    CHECK(r.should_escalate);
    REQUIRE(r.triggered_rules.size() == 1);
    const TriggeredRule& t = r.triggered_rules[0];
    CHECK(t.rule_id == rule.id);
    CHECK(t.rule_name == "VIP Wait Time Rule");
    CHECK(t.escalation_type == "manager");
    CHECK(t.notify.emails == std::vector<std::string>{"manager@company.com"});
    CHECK(t.wait_exceeded);
    CHECK_FALSE(t.position_exceeded);
    CHECK(r.highest_tier == 3);
    CHECK(r.highest_escalation_type == "manager");
    CHECK(r.sla_breached);  // John's own target is 30 s
    CHECK(r.max_wait_time == 30);
  }

  TEST_CASE_TEMPLATE("exactly at the maximum is not exceeding it", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    f.add(wait_rule(60));
    f.add(position_rule(5));
    CHECK_FALSE(f.check(60, 5).should_escalate);
    CHECK(triggered_names(f.check(61, 5)) == std::vector<std::string>{"VIP Wait Time Rule"});
    CHECK(triggered_names(f.check(60, 6)) == std::vector<std::string>{"Queue Position Rule"});
    CHECK(f.check(61, 6).triggered_rules.size() == 2);
    CHECK_FALSE(f.check(30, 1).sla_breached);
    CHECK(f.check(31, 1).sla_breached);
  }

  TEST_CASE_TEMPLATE("a rule with both conditions triggers on either", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    EscalationRule r = wait_rule(60);
    r.max_queue_position = 5;
    f.add(r);
    const auto by_position = f.check(10, 9);
    REQUIRE(by_position.should_escalate);
    CHECK(by_position.triggered_rules[0].position_exceeded);
    CHECK_FALSE(by_position.triggered_rules[0].wait_exceeded);
    CHECK(f.check(90, 1).triggered_rules[0].wait_exceeded);
  }

  TEST_CASE_TEMPLATE("level filters, inactive rules, priority order and the highest tier", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    EscalationRule diamond_only = wait_rule(10);
    diamond_only.name = "Diamond only";
    diamond_only.vip_levels = {Level::diamond};
    f.add(diamond_only);
    EscalationRule gold_and_platinum = position_rule(0, "Gold and platinum");
    gold_and_platinum.vip_levels = {Level::gold, Level::platinum};
    gold_and_platinum.priority = 5;
    f.add(gold_and_platinum);
    EscalationRule inactive = wait_rule(10);
    inactive.name = "Switched off";
    inactive.is_active = false;
    f.add(inactive);
    EscalationRule first = position_rule(0, "Zulu first");
    first.priority = 1;
    first.escalation_type = "agent";
    f.add(first);
    EscalationRule tie = position_rule(0, "Alpha tie");
    tie.priority = 5;
    tie.escalation_type = "war_room";
    tie.tier = 7;
    f.add(tie);

    const EscalationResult r = f.check(100, 2);
    CHECK(triggered_names(r) == std::vector<std::string>{"Zulu first", "Alpha tie", "Gold and platinum"});
    CHECK(r.highest_tier == 7);
    CHECK(r.highest_escalation_type == "war_room");

    SUBCASE("a rule can be switched on and re-leveled") {
      auto rules = f.admin.list_rules();
      REQUIRE(rules.ok());
      REQUIRE(rules->size() == 5);
      CHECK(rules->front().name == "Diamond only");  // evaluation order: priority 1, then by name
      CHECK(rules->at(1).name == "Switched off");
      EscalationRuleUpdate on;
      on.is_active = true;
      const auto off = std::find_if(rules->begin(), rules->end(), [](auto& x) { return x.name == "Switched off"; });
      REQUIRE(f.admin.update_rule(off->id, on).ok());
      CHECK(f.check(100, 2).triggered_rules.size() == 4);
      EscalationRuleUpdate level;
      level.vip_levels = std::vector<Level>{Level::gold};
      const auto d = std::find_if(rules->begin(), rules->end(), [](auto& x) { return x.name == "Diamond only"; });
      REQUIRE(f.admin.update_rule(d->id, level).ok());
      CHECK(f.check(100, 2).triggered_rules.size() == 5);
      REQUIRE(f.admin.remove_rule(d->id).ok());
      CHECK(f.check(100, 2).triggered_rules.size() == 4);
      CHECK(f.admin.get_rule(d->id).status().is_not_found());
      CHECK(f.admin.remove_rule(d->id).is_not_found());
    }
  }

  TEST_CASE_TEMPLATE("bad rules are refused with the field named", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    struct Case {
      const char* field;
      void (*mutate)(EscalationRule&);
    };
    const Case cases[] = {
        {"name", [](EscalationRule& r) { r.name = " "; }},
        {"max_wait_time", [](EscalationRule& r) { r.max_wait_time.reset(); }},  // no condition at all
        {"max_wait_time", [](EscalationRule& r) { r.max_wait_time = -1; }},
        {"max_queue_position", [](EscalationRule& r) { r.max_queue_position = -3; }},
        {"vip_levels[1]", [](EscalationRule& r) { r.vip_levels = {Level::gold, static_cast<Level>(9)}; }},
        {"escalation_type", [](EscalationRule& r) { r.escalation_type = "the boss!"; }},
        {"tier", [](EscalationRule& r) { r.escalation_type = "war_room"; }},  // custom types need a tier
        {"tier", [](EscalationRule& r) { r.tier = 11; }},
        {"notify.emails[1]", [](EscalationRule& r) { r.notify.emails = {"a@b.com", "not-an-email"}; }},
        {"notify.sms_numbers[0]", [](EscalationRule& r) { r.notify.sms_numbers = {"call me"}; }},
        {"notify.internal_alerts[0]", [](EscalationRule& r) { r.notify.internal_alerts = {""}; }},
        {"priority", [](EscalationRule& r) { r.priority = 0; }},
        {"business_hours.monday[0]", [](EscalationRule& r) {
           WeeklyHours h;
           h.days[0] = {TimeRange{600, 600}};
           r.business_hours = h;
         }},
    };
    for (const Case& c : cases) {
      CAPTURE(c.field);
      EscalationRule r = wait_rule();
      c.mutate(r);
      auto created = f.admin.create_rule(r);
      REQUIRE_FALSE(created.ok());
      CHECK(created.status().is_invalid_argument());
      CHECK(created.status().field() == c.field);
    }
    CHECK(f.admin.list_rules()->empty());
    CHECK(parse_rule_schedule("sometimes").status().field() == "schedule");
    CHECK(parse_level("BRONZE").status().is_invalid_argument());  // how an unknown level arrives from text

    EscalationRule ok = wait_rule();
    ok.notify.sms_numbers = {"(234) 567-8900"};
    auto created = f.admin.create_rule(ok);
    REQUIRE(created.ok());
    CHECK(created->notify.sms_numbers == std::vector<std::string>{"+12345678900"});  // normalized
    EscalationRuleUpdate bad;
    bad.max_wait_time = std::optional<int>();
    CHECK(f.admin.update_rule(created->id, bad).status().field() == "max_wait_time");
    CHECK(f.admin.get_rule(created->id)->max_wait_time == 60);
  }

  TEST_CASE_TEMPLATE("schedules: inside and outside the tenant's business hours", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    TenantSettings s;
    s.time_zone = "America/New_York";
    s.business_hours = *parse_weekly_hours("mon-fri 09:00-17:00");
    REQUIRE(f.admin.update_settings(s).ok());
    EscalationRule day = wait_rule(10);
    day.name = "Office hours rule";
    day.schedule = RuleSchedule::inside_business_hours;
    f.add(day);
    EscalationRule night = wait_rule(10);
    night.name = "After hours rule";
    night.schedule = RuleSchedule::outside_business_hours;
    f.add(night);
    EscalationRule weekend = wait_rule(10);
    weekend.name = "Weekend desk";
    weekend.schedule = RuleSchedule::inside_business_hours;
    weekend.business_hours = *parse_weekly_hours("sat-sun 10:00-16:00");
    f.add(weekend);

    f.env.clock->set(*parse_timestamp("2024-01-15T15:00:00Z"));  // Monday 10:00 in New York
    CHECK(triggered_names(f.check(20, 1)) == std::vector<std::string>{"Office hours rule"});
    f.env.clock->set(*parse_timestamp("2024-01-15T23:00:00Z"));  // Monday 18:00
    CHECK(triggered_names(f.check(20, 1)) == std::vector<std::string>{"After hours rule"});
    f.env.clock->set(*parse_timestamp("2024-01-20T16:00:00Z"));  // Saturday 11:00
    CHECK(triggered_names(f.check(20, 1)) == std::vector<std::string>{"After hours rule", "Weekend desk"});
    CHECK(*f.pbx.inside_business_hours() == false);

    SUBCASE("across a daylight-saving change the hours stay local") {
      // New York moves from UTC-5 to UTC-4 on Sunday 10 March 2024: 13:30 UTC is
      // 08:30 (closed) on Friday the 8th and 09:30 (open) on Monday the 11th.
      f.env.clock->set(*parse_timestamp("2024-03-08T13:30:00Z"));
      CHECK(triggered_names(f.check(20, 1)) == std::vector<std::string>{"After hours rule"});
      f.env.clock->set(*parse_timestamp("2024-03-11T13:30:00Z"));
      CHECK(triggered_names(f.check(20, 1)) == std::vector<std::string>{"Office hours rule"});
    }
    SUBCASE("a rule's own hours may run past midnight") {
      EscalationRule late = wait_rule(10);
      late.name = "Night shift";
      late.schedule = RuleSchedule::inside_business_hours;
      late.business_hours = *parse_weekly_hours("fri 22:00-06:00");
      f.add(late);
      f.env.clock->set(*parse_timestamp("2024-01-20T09:30:00Z"));  // Saturday 04:30 in New York
      CHECK(triggered_names(f.check(20, 1)) == std::vector<std::string>{"After hours rule", "Night shift"});
      f.env.clock->set(*parse_timestamp("2024-01-20T11:30:00Z"));  // Saturday 06:30: the shift is over
      CHECK(triggered_names(f.check(20, 1)) == std::vector<std::string>{"After hours rule"});
    }
  }

  TEST_CASE_TEMPLATE("with a call id, each rule triggers and notifies once per call", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    const EscalationRule rule = f.add(wait_rule(60));
    EscalationResult first = f.check(61, 1, "call-1");
    REQUIRE(first.triggered_rules.size() == 1);
    CHECK_FALSE(first.triggered_rules[0].already_triggered);
    CHECK(first.triggered_rules[0].notified);
    REQUIRE(f.notifier->notices().size() == 1);
    const EscalationNotice n = f.notifier->notices()[0];
    CHECK(n.tenant_id == "acme");
    CHECK(n.call_id == "call-1");
    CHECK(n.rule.rule_id == rule.id);
    CHECK(n.caller.id == f.john.id);
    CHECK(n.caller.caller_name == "John Doe");
    CHECK(n.wait_seconds == 61);
    CHECK(n.queue_position == 1);
    CHECK(n.at == t0());

    for (int wait : {65, 70, 300}) {
      EscalationResult again = f.check(wait, 1, "call-1");
      REQUIRE(again.triggered_rules.size() == 1);
      CHECK(again.triggered_rules[0].already_triggered);
      CHECK(again.triggered_rules[0].notified);
    }
    CHECK(f.notifier->notices().size() == 1);
    f.check(61, 1, "call-2");  // another call of the same caller
    CHECK(f.notifier->notices().size() == 2);
    f.check(61, 1);  // no call id: evaluated, not stored, nobody told
    CHECK(f.notifier->notices().size() == 2);
  }

  TEST_CASE_TEMPLATE("a failing or throwing notifier does not break the check, and is retried", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    f.add(wait_rule(60));
    for (auto mode : {RecordingNotifier::Mode::fail, RecordingNotifier::Mode::throw_exception}) {
      CAPTURE(static_cast<int>(mode));
      const std::string call = "call-" + std::to_string(static_cast<int>(mode));
      f.notifier->set_mode(mode);
      EscalationResult r = f.check(90, 1, call);
      CHECK(r.should_escalate);
      REQUIRE(r.notification_failures.size() == 1);
      CHECK(r.notification_failures[0].error.code() == Code::notifier);
      CHECK_FALSE(r.triggered_rules[0].notified);
      f.notifier->set_mode(RecordingNotifier::Mode::succeed);
      EscalationResult retry = f.check(95, 1, call);
      CHECK(retry.triggered_rules[0].already_triggered);
      CHECK(retry.triggered_rules[0].notified);
      CHECK(retry.notification_failures.empty());
      const int delivered = static_cast<int>(f.notifier->notices().size());
      f.check(99, 1, call);
      CHECK(static_cast<int>(f.notifier->notices().size()) == delivered);  // not again
    }
    CHECK(f.notifier->notices().size() == 2);
  }

  TEST_CASE_TEMPLATE("the check takes the summary from identify, with no lookup by id", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    f.add(wait_rule(60));
    auto who = f.pbx.identify("+1 234 567 8900");
    REQUIRE(who.ok());
    auto r = f.pbx.check_escalation(who->caller, 120, 3, "call-9");
    REQUIRE(r.ok());
    CHECK(r->should_escalate);
    CHECK(f.notifier->notices().at(0).caller.caller_name == "John Doe");
  }

  TEST_CASE_TEMPLATE("bad checks are refused", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    CHECK(f.pbx.check_escalation(f.john.id, -1, 0).status().field() == "wait_seconds");
    CHECK(f.pbx.check_escalation(f.john.id, 0, -1).status().field() == "queue_position");
    CHECK(f.pbx.check_escalation("not-an-id", 0, 0).status().field() == "caller_id");
    CHECK(f.pbx.check_escalation("3f2b8c1e-0000-4000-8000-000000000000", 0, 0).status().is_not_found());
    CHECK(f.pbx.check_escalation(f.john.id, 1, 1, std::string(200, 'c')).status().field() == "call_id");
    CHECK(f.env.tenant("acme", Role::auditor).check_escalation(f.john.id, 1, 1).status().is_permission_denied());
    CHECK(f.pbx.create_rule(wait_rule()).status().is_permission_denied());
    CHECK(f.pbx.list_rules().status().is_permission_denied());
  }

  TEST_CASE_TEMPLATE("rules and triggers belong to their tenant", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    const EscalationRule rule = f.add(wait_rule(10));
    Tenant globex = f.env.tenant("globex", Role::admin);
    CHECK(globex.list_rules()->empty());
    CHECK(globex.get_rule(rule.id).status().is_not_found());
    CHECK(globex.remove_rule(rule.id).is_not_found());
    EscalationRuleUpdate u;
    u.name = "hijacked";
    CHECK(globex.update_rule(rule.id, u).status().is_not_found());
    auto other = globex.create(john_doe());
    REQUIRE(other.ok());
    CHECK_FALSE(globex.check_escalation(other->id, 100, 10).value().should_escalate);
    CHECK(globex.check_escalation(f.john.id, 100, 10).status().is_not_found());
  }

  TEST_CASE_TEMPLATE("old triggers are purged by age, and every rule change is audited", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    const EscalationRule rule = f.add(wait_rule(10));
    f.check(20, 1, "old-call");
    f.env.clock->advance(48h);
    f.check(20, 1, "new-call");
    auto purged = f.admin.purge_escalation_triggers(t0() + 24h, 1);
    REQUIRE(purged.ok());
    CHECK(*purged == 1);
    const int before = static_cast<int>(f.notifier->notices().size());
    f.check(25, 1, "old-call");  // forgotten: it triggers again
    CHECK(static_cast<int>(f.notifier->notices().size()) == before + 1);
    f.check(25, 1, "new-call");  // kept
    CHECK(static_cast<int>(f.notifier->notices().size()) == before + 1);
    CHECK(f.pbx.purge_escalation_triggers(t0()).status().is_permission_denied());
    CHECK(f.admin.purge_escalation_triggers(t0(), 0).status().field() == "batch_size");

    AuditQuery q;
    q.entity_id = rule.id;
    auto trail = f.admin.audit(q);
    REQUIRE(trail->size() == 1);
    CHECK(trail->front().action == "create_rule");
  }
}

TEST_SUITE("escalation evaluation, without storage") {
  // evaluate_escalation is what check_escalation decides, as a pure
  // function: an integrator can test a rule set with no database at all.
  TEST_CASE("levels, thresholds, schedules and the highest tier, from the rules alone") {
    EscalationRule gold_wait = wait_rule(60);
    gold_wait.id = "r1";
    gold_wait.tier = 3;
    gold_wait.vip_levels = {Level::gold, Level::platinum};
    EscalationRule position = position_rule(2);
    position.id = "r2";
    position.tier = 2;
    EscalationRule silver_only = wait_rule(10);
    silver_only.id = "r3";
    silver_only.name = "Silver only";
    silver_only.tier = 1;
    silver_only.vip_levels = {Level::silver};
    EscalationRule off = wait_rule(1);
    off.id = "r4";
    off.name = "Inactive";
    off.is_active = false;
    EscalationRule office = wait_rule(5);
    office.id = "r5";
    office.name = "Office hours rule";
    office.tier = 1;
    office.schedule = RuleSchedule::inside_business_hours;
    const std::vector<EscalationRule> rules{gold_wait, position, silver_only, off, office};

    CallerSummary gold;
    gold.id = "c1";
    gold.vip_level = Level::gold;
    gold.max_wait_time = 30;
    const WeeklyHours hours = *parse_weekly_hours("mon-fri 09:00-17:00");
    const Timestamp monday_10am = *parse_timestamp("2024-01-15T15:00:00Z");  // in New York
    const Timestamp monday_6pm = *parse_timestamp("2024-01-15T23:00:00Z");

    auto r = evaluate_escalation(rules, gold, 120, 3, monday_10am, hours, "America/New_York");
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    CHECK(r->should_escalate);
    CHECK(triggered_names(*r) == std::vector<std::string>{"VIP Wait Time Rule", "Queue Position Rule",
                                                          "Office hours rule"});
    CHECK(r->highest_tier == 3);
    CHECK(r->highest_escalation_type == "manager");
    CHECK(r->sla_breached);
    CHECK(r->max_wait_time == 30);
    CHECK(r->triggered_rules[0].wait_exceeded);
    CHECK_FALSE(r->triggered_rules[1].wait_exceeded);
    CHECK(r->triggered_rules[1].position_exceeded);
    CHECK_FALSE(r->triggered_rules[0].already_triggered);
    CHECK_FALSE(r->triggered_rules[0].notified);

    // After hours the office rule is quiet; at the maximum nothing is exceeded.
    r = evaluate_escalation(rules, gold, 120, 3, monday_6pm, hours, "America/New_York");
    REQUIRE(r.ok());
    CHECK(triggered_names(*r) == std::vector<std::string>{"VIP Wait Time Rule", "Queue Position Rule"});
    r = evaluate_escalation(rules, gold, 5, 2, monday_10am, hours, "America/New_York");
    REQUIRE(r.ok());
    CHECK_FALSE(r->should_escalate);
    CHECK(r->highest_tier == 0);
    CHECK_FALSE(r->sla_breached);

    // A SILVER caller meets only the rules for every level and for silver.
    CallerSummary silver = gold;
    silver.vip_level = Level::silver;
    r = evaluate_escalation(rules, silver, 20, 1, monday_6pm, hours, "America/New_York");
    REQUIRE(r.ok());
    CHECK(triggered_names(*r) == std::vector<std::string>{"Silver only"});
  }

  TEST_CASE("bad evaluations name what is wrong") {
    const std::vector<EscalationRule> rules{wait_rule(60)};
    CallerSummary c;
    c.vip_level = Level::gold;
    const Timestamp now = *parse_timestamp("2024-01-15T15:00:00Z");
    const WeeklyHours hours = WeeklyHours::office_hours();
    CHECK(evaluate_escalation(rules, c, -1, 0, now, hours, "UTC").status().field() == "wait_seconds");
    CHECK(evaluate_escalation(rules, c, 0, -1, now, hours, "UTC").status().field() == "queue_position");
    c.vip_level = static_cast<Level>(kLevelCount);
    CHECK(evaluate_escalation(rules, c, 0, 0, now, hours, "UTC").status().field() == "vip_level");
    c.vip_level = Level::gold;
    EscalationRule scheduled = wait_rule(1);
    scheduled.schedule = RuleSchedule::inside_business_hours;
    CHECK_FALSE(evaluate_escalation({scheduled}, c, 10, 0, now, hours, "Not/AZone").ok());
  }
}
