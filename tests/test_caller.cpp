#include <doctest/doctest.h>

#include "vipcore/caller.hpp"
#include "vipcore/roles.hpp"
#include "vipcore/routing.hpp"
#include "vipcore/settings.hpp"

using namespace vipcore;

TEST_SUITE("caller") {
  TEST_CASE("levels parse ignoring case and print in capitals") {
    CHECK(*parse_level("gold") == Level::gold);
    CHECK(*parse_level(" DIAMOND ") == Level::diamond);
    CHECK(to_string(Level::platinum) == "PLATINUM");
    auto bad = parse_level("BRONZE");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().field() == "vip_level");
    CHECK(bad.status().message().find("BRONZE") != std::string::npos);
    CHECK(bad.status().message().find("DIAMOND") != std::string::npos);
  }

  TEST_CASE("levels are ordered: DIAMOND > PLATINUM > GOLD > SILVER > STANDARD") {
    CHECK(Level::diamond > Level::platinum);
    CHECK(Level::platinum > Level::gold);
    CHECK(Level::gold > Level::silver);
    CHECK(Level::silver > Level::standard);
  }

  TEST_CASE("statuses and handling rules parse and print") {
    CHECK(*parse_caller_status("suspended") == CallerStatus::suspended);
    CHECK(to_string(CallerStatus::inactive) == "INACTIVE");
    CHECK_FALSE(parse_caller_status("DELETED").ok());
    auto rules = parse_handling_rules({"PRIORITY_QUEUE", "custom_greeting", "PRIORITY_QUEUE"});
    REQUIRE(rules.ok());
    CHECK(rules->has(HandlingRule::priority_queue));
    CHECK(rules->has(HandlingRule::custom_greeting));
    CHECK_FALSE(rules->has(HandlingRule::immediate_transfer));
    CHECK(handling_rule_names(*rules) == std::vector<std::string>{"PRIORITY_QUEUE", "CUSTOM_GREETING"});
    auto bad = parse_handling_rules({"PRIORITY_QUEUE", "VALET_PARKING"});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().field() == "handling_rules[1]");
  }

  TEST_CASE("a handling rule set behaves as a set") {
    HandlingRules r;
    CHECK(r.empty());
    r.add(HandlingRule::extended_hours);
    r.add(HandlingRule::extended_hours);
    CHECK(r.bits() == (1u << 4));
    r.remove(HandlingRule::extended_hours);
    CHECK(r.empty());
    CHECK(HandlingRules::from_bits(0xff).bits() == 0x3f);
  }

  TEST_CASE("level suggestion follows the account value thresholds, exclusive") {
    CHECK(suggest_level(500000.01) == Level::diamond);
    CHECK(suggest_level(500000.0) == Level::platinum);
    CHECK(suggest_level(100000.01) == Level::platinum);
    CHECK(suggest_level(100000.0) == Level::gold);
    CHECK(suggest_level(50000.01) == Level::gold);
    CHECK(suggest_level(50000.0) == Level::silver);
    CHECK(suggest_level(10000.01) == Level::silver);
    CHECK(suggest_level(10000.0) == Level::standard);
    CHECK(suggest_level(0) == Level::standard);
  }

  TEST_CASE("an update lists exactly the fields it sets") {
    CallerUpdate u;
    CHECK(u.empty());
    u.vip_level = Level::platinum;
    u.notes = "Upgraded to Platinum level";
    u.account_value = std::optional<double>();  // clearing counts as setting
    CHECK_FALSE(u.empty());
    CHECK(u.field_names() == std::vector<std::string>{"vip_level", "account_value", "notes"});
  }

  TEST_CASE("the default priority policy scores GOLD with PRIORITY_QUEUE at 85") {
    const PriorityPolicy p;
    CHECK(routing_priority(Level::gold, {HandlingRule::priority_queue}, p) == 85);
    CHECK(routing_priority(Level::gold, {}, p) == 70);
    CHECK(routing_priority(Level::diamond, {HandlingRule::immediate_transfer}, p) == 100);  // clamped
    CHECK(routing_priority(Level::standard, {}, p) == 50);
    for (int l = 1; l < kLevelCount; ++l)
      CHECK(routing_priority(static_cast<Level>(l), {}, p) > routing_priority(static_cast<Level>(l - 1), {}, p));
  }

  TEST_CASE("a priority policy is clamped to 0-100 and validated") {
    PriorityPolicy p;
    p.level_base = {-50, -40, -30, -20, -10};
    CHECK(routing_priority(Level::standard, {}, p) == 0);
    CHECK(p.validate().ok());
    p.level_base = {50, 60, 90, 80, 95};
    CHECK(p.validate().field() == "priority.level_base[PLATINUM]");
    p = PriorityPolicy();
    p.rule_bonus[2] = 500;
    CHECK(p.validate().field() == "priority.rule_bonus[PRIORITY_QUEUE]");
  }

  TEST_CASE("tenant settings validate their waits") {
    TenantSettings s;
    CHECK(s.validate().ok());
    CHECK(s.level_waits == LevelWaits{120, 90, 60, 30, 15});
    s.level_waits[static_cast<int>(Level::gold)] = 0;
    CHECK(s.validate().field() == "level_waits[GOLD]");
    s.level_waits[static_cast<int>(Level::gold)] = 7200;
    CHECK(s.validate().field() == "level_waits[GOLD]");
  }

  TEST_CASE("roles parse, and the permission table gates operations") {
    CHECK(*parse_role("auditor") == Role::auditor);
    CHECK_FALSE(parse_role("root").ok());
    CHECK(is_allowed(Role::system, Operation::identify));
    CHECK_FALSE(is_allowed(Role::system, Operation::read_caller));
    CHECK_FALSE(is_allowed(Role::agent, Operation::create_caller));
    CHECK(is_allowed(Role::manager, Operation::import_callers));
    CHECK_FALSE(is_allowed(Role::auditor, Operation::identify));
    CHECK(is_allowed(Role::auditor, Operation::read_audit));
    CHECK_FALSE(is_allowed(Role::manager, Operation::update_settings));
    for (int o = 0; o < static_cast<int>(Operation::kCount); ++o) CHECK(is_allowed(Role::admin, static_cast<Operation>(o)));
  }
}
