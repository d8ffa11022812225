// The tenant API against every storage backend: create, get, update, delete,
// list and search, validation, tenant isolation, permissions and the audit
// trail of every change.
#include <doctest/doctest.h>

#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;
using namespace std::chrono_literals;

namespace {

std::uint64_t count_all(const Env& env, std::string_view tenant = "acme") {
  return *env.storage->count_callers(tenant, CallerFilter{});
}

}  // namespace

TEST_SUITE("tenant") {
  TEST_CASE_TEMPLATE("a created caller reads back with every field", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant t = env.tenant();
    NewCaller in = john_doe();
    in.alternative_phone_numbers = {"+44 20 7946 0958"};
    in.preferred_agent_id = "agent-42";
    in.preferred_department_id = "dept-vip";
    in.valid_from = t0() - 24h;
    in.valid_until = t0() + 24h * 365;
    auto created = t.create(in);
    REQUIRE_MESSAGE(created.ok(), created.status().to_string());
    CHECK(created->id.size() == 36);
    CHECK(created->id[14] == '4');  // UUID version 4

    auto got = t.get(created->id);
    REQUIRE(got.ok());
    const VipCaller& c = *got;
    CHECK(c.id == created->id);
    CHECK(c.tenant_id == "acme");
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
    REQUIRE(c.account_value);
    CHECK(*c.account_value == 50000.0);
    CHECK(c.notes == "High-value customer");
    CHECK(c.tags == std::vector<std::string>{"premium", "enterprise"});
    CHECK(c.preferred_agent_id == "agent-42");
    CHECK(c.preferred_department_id == "dept-vip");
    CHECK(c.total_calls == 0);
    CHECK_FALSE(c.satisfaction_score);
    CHECK(c.valid_from == in.valid_from);
    CHECK(c.valid_until == in.valid_until);
    CHECK(c.created_at == t0());
    CHECK(c.updated_at == t0());
    REQUIRE(c.phones.size() == 2);
    CHECK(c.phones[0].masked == "*******8900");
    CHECK(c.phones[0].primary);
    CHECK(c.phones[1].masked == "********0958");
    CHECK_FALSE(c.phones[1].primary);
  }

  TEST_CASE_TEMPLATE("defaults: STANDARD, ACTIVE, the level's target wait, callback priority 1", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant t = env.tenant();
    auto c = t.create(minimal("+1 234 567 8900"));
    REQUIRE(c.ok());
    CHECK(c->vip_level == Level::standard);
    CHECK(c->status == CallerStatus::active);
    CHECK(c->max_wait_time == 120);
    CHECK(c->max_wait_time_is_default);
    CHECK(c->callback_priority == 1);
    CHECK(c->company_name.empty());
    CHECK_FALSE(c->account_value);

    SUBCASE("the default wait follows the level when it changes") {
      CallerUpdate u;
      u.vip_level = Level::diamond;
      auto up = t.update(c->id, u);
      REQUIRE(up.ok());
      CHECK(up->max_wait_time == 15);
    }
    SUBCASE("and follows the tenant's configured targets") {
      TenantSettings s;
      s.level_waits = {100, 80, 50, 20, 10};
      REQUIRE(t.update_settings(s).ok());
      CHECK(t.get(c->id)->max_wait_time == 100);
    }
  }

  TEST_CASE_TEMPLATE("every bad field is an error naming it, and nothing is written", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant t = env.tenant();
    struct Case {
      const char* field;
      void (*mutate)(NewCaller&);
    };
    const Case cases[] = {
        {"phone_number", [](NewCaller& c) { c.phone_number = ""; }},
        {"phone_number", [](NewCaller& c) { c.phone_number = "call me maybe"; }},
        {"alternative_phone_numbers[1]", [](NewCaller& c) { c.alternative_phone_numbers = {"+44 20 7946 0958", "12"}; }},
        {"alternative_phone_numbers[0]", [](NewCaller& c) { c.alternative_phone_numbers = {"(234) 567-8900"}; }},
        {"caller_name", [](NewCaller& c) { c.caller_name = ""; }},
        {"caller_name", [](NewCaller& c) { c.caller_name = "   "; }},
        {"caller_name", [](NewCaller& c) { c.caller_name = std::string(256, 'x'); }},
        {"caller_name", [](NewCaller& c) { c.caller_name = "John\nDoe"; }},
        {"caller_name", [](NewCaller& c) { c.caller_name = "\xff\xfe"; }},
        {"company_name", [](NewCaller& c) { c.company_name = std::string(300, 'c'); }},
        {"max_wait_time", [](NewCaller& c) { c.max_wait_time = -5; }},
        {"max_wait_time", [](NewCaller& c) { c.max_wait_time = 0; }},
        {"max_wait_time", [](NewCaller& c) { c.max_wait_time = 86400 * 30; }},
        {"callback_priority", [](NewCaller& c) { c.callback_priority = 0; }},
        {"email", [](NewCaller& c) { c.email = "john.doe"; }},
        {"email", [](NewCaller& c) { c.email = "john@localhost"; }},
        {"email", [](NewCaller& c) { c.email = "john doe@acme.com"; }},
        {"account_value", [](NewCaller& c) { c.account_value = -1.0; }},
        {"account_value", [](NewCaller& c) { c.account_value = std::numeric_limits<double>::quiet_NaN(); }},
        {"notes", [](NewCaller& c) { c.notes = std::string(5000, 'n'); }},
        {"tags[1]", [](NewCaller& c) { c.tags = {"a", ""}; }},
        {"tags[1]", [](NewCaller& c) { c.tags = {"a", "a"}; }},
        {"valid_until", [](NewCaller& c) {
           c.valid_from = t0();
           c.valid_until = t0() - 1h;
         }},
        {"custom_greeting", [](NewCaller& c) { c.custom_greeting = ""; }},  // CUSTOM_GREETING needs one
        {"preferred_agent_id", [](NewCaller& c) { c.preferred_agent_id = " agent"; }},
    };
    for (const Case& k : cases) {
      CAPTURE(k.field);
      NewCaller in = john_doe();
      k.mutate(in);
      auto r = t.create(in);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().is_invalid_argument());
      CHECK(r.status().field() == k.field);
      CHECK(r.status().message().rfind(k.field, 0) == 0);
    }
    CHECK(count_all(env) == 0);
    CHECK(t.audit({})->empty());
  }

  TEST_CASE_TEMPLATE("a number belongs to at most one VIP per tenant", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant t = env.tenant();
    auto first = t.create(john_doe());
    REQUIRE(first.ok());

    SUBCASE("as a primary number, in another format") {
      auto dup = t.create(minimal("011 1 234 567 8900", "Impostor"));
      REQUIRE_FALSE(dup.ok());
      CHECK(dup.status().is_already_exists());
      CHECK(dup.status().field() == "phone_number");
      CHECK(dup.status().message().find(first->id) != std::string::npos);
    }
    SUBCASE("as an alternative number") {
      NewCaller c = minimal("+1 345 678 9012", "Impostor");
      c.alternative_phone_numbers = {"+44 20 7946 0958", "2345678900"};
      auto dup = t.create(c);
      REQUIRE_FALSE(dup.ok());
      CHECK(dup.status().field() == "alternative_phone_numbers[1]");
    }
    SUBCASE("through an update") {
      auto other = t.create(minimal("+1 345 678 9012", "Other"));
      REQUIRE(other.ok());
      CallerUpdate u;
      u.alternative_phone_numbers = std::vector<std::string>{"+1 234 567 8900"};
      auto up = t.update(other->id, u);
      REQUIRE_FALSE(up.ok());
      CHECK(up.status().is_already_exists());
      CHECK(t.get(other->id)->phones.size() == 1);
    }
    CHECK(count_all(env) <= 2);
    CHECK(t.identify("+1 234 567 8900")->caller.id == first->id);
  }

  TEST_CASE_TEMPLATE("the same number in two tenants: isolated, neither sees the other", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant acme = env.tenant("acme");
    Tenant globex = env.tenant("globex");
    auto a = acme.create(john_doe());
    REQUIRE(a.ok());
    NewCaller g = minimal("+1 234 567 8900", "Hank Scorpio");
    g.vip_level = Level::diamond;
    auto b = globex.create(g);
    REQUIRE_MESSAGE(b.ok(), b.status().to_string());

    CHECK(acme.identify("2345678900")->caller.caller_name == "John Doe");
    CHECK(globex.identify("2345678900")->caller.caller_name == "Hank Scorpio");
    CHECK(globex.identify("2345678900")->caller.vip_level == Level::diamond);
    CHECK(acme.get(b->id).status().is_not_found());
    CHECK(globex.get(a->id).status().is_not_found());
    CallerUpdate u;
    u.notes = "taken over";
    CHECK(acme.update(b->id, u).status().is_not_found());
    CHECK(acme.remove(b->id).is_not_found());
    CHECK(globex.get(b->id).ok());
    CHECK(acme.list({})->size() == 1);
    ListQuery q;
    q.search = "Scorpio";
    CHECK(acme.list(q)->empty());
    CHECK(env.tenant("initech").identify("+12345678900")->is_vip == false);
  }

  TEST_CASE_TEMPLATE("update changes only the fields given and moves updated_at", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant t = env.tenant();
    auto c = t.create(john_doe());
    REQUIRE(c.ok());
    env.clock->advance(90s);
    CallerUpdate u;  // the seed's update example
    u.vip_level = Level::platinum;
    u.notes = "Upgraded to Platinum level";
    u.handling_rules = HandlingRules{HandlingRule::immediate_transfer, HandlingRule::dedicated_agent};
    u.preferred_agent_id = "agent-1";
    auto up = t.update(c->id, u);
    REQUIRE_MESSAGE(up.ok(), up.status().to_string());
    auto got = t.get(c->id);
    REQUIRE(got.ok());
    CHECK(got->vip_level == Level::platinum);
    CHECK(got->notes == "Upgraded to Platinum level");
    CHECK(got->handling_rules == HandlingRules{HandlingRule::immediate_transfer, HandlingRule::dedicated_agent});
    CHECK(got->caller_name == "John Doe");
    CHECK(got->company_name == "Acme Corp");
    CHECK(got->email == "john.doe@acme.com");
    CHECK(got->custom_greeting == "Hello Mr. Doe, thank you for calling.");
    CHECK(got->tags == std::vector<std::string>{"premium", "enterprise"});
    CHECK(got->created_at == t0());
    CHECK(got->updated_at == t0() + 90s);

    SUBCASE("empty text clears a field, and an empty optional clears a value") {
      CallerUpdate clear;
      clear.company_name = "";
      clear.account_value = std::optional<double>();
      clear.max_wait_time = std::optional<int>();
      auto cl = t.update(c->id, clear);
      REQUIRE(cl.ok());
      CHECK(cl->company_name.empty());
      CHECK_FALSE(cl->account_value);
      CHECK(cl->max_wait_time == 30);  // PLATINUM's default
      CHECK(cl->max_wait_time_is_default);
    }
    SUBCASE("numbers can be replaced, and the old ones stop identifying") {
      CallerUpdate p;
      p.phone_number = "+1 999 555 0100";
      p.alternative_phone_numbers = std::vector<std::string>{"+1 999 555 0101"};
      REQUIRE(t.update(c->id, p).ok());
      CHECK_FALSE(t.identify("+1 234 567 8900")->is_vip);
      CHECK(t.identify("999-555-0100")->caller.id == c->id);
      CHECK(t.identify("999 555 0101")->caller.id == c->id);
      CHECK(t.get(c->id)->phones.size() == 2);
    }
    SUBCASE("a bad field in an update changes nothing") {
      CallerUpdate bad;
      bad.notes = "should not land";
      bad.max_wait_time = std::optional<int>(-1);
      auto r = t.update(c->id, bad);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().field() == "max_wait_time");
      CHECK(t.get(c->id)->notes == "Upgraded to Platinum level");
    }
    SUBCASE("the caller's name cannot be cleared") {
      CallerUpdate bad;
      bad.caller_name = "";
      CHECK(t.update(c->id, bad).status().field() == "caller_name");
    }
    SUBCASE("an update that sets nothing is refused") {
      CHECK(t.update(c->id, CallerUpdate{}).status().field() == "update");
    }
  }

  TEST_CASE_TEMPLATE("unknown and malformed ids", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant t = env.tenant();
    const std::string unknown = "3f2b8c1e-0000-4000-8000-000000000000";
    CallerUpdate u;
    u.notes = "x";
    CHECK(t.get(unknown).status().is_not_found());
    CHECK(t.update(unknown, u).status().is_not_found());
    CHECK(t.remove(unknown).is_not_found());
    CHECK(t.get("42").status().is_invalid_argument());
    CHECK(t.get("'; DROP TABLE vip_caller; --").status().field() == "id");
    auto c = t.create(john_doe());
    REQUIRE(c.ok());
    std::string upper = c->id;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    CHECK(t.get(upper)->id == c->id);  // ids are case-insensitive, as UUIDs are
  }

  TEST_CASE_TEMPLATE("delete removes the caller and all its numbers", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant t = env.tenant();
    NewCaller in = john_doe();
    in.alternative_phone_numbers = {"+1 999 555 0101"};
    auto c = t.create(in);
    REQUIRE(c.ok());
    REQUIRE(t.remove(c->id).ok());
    CHECK(t.get(c->id).status().is_not_found());
    CHECK_FALSE(t.identify("+1 234 567 8900")->is_vip);
    CHECK_FALSE(t.identify("+1 999 555 0101")->is_vip);
    CHECK(t.remove(c->id).is_not_found());
    // The numbers are free again.
    CHECK(t.create(minimal("+1 999 555 0101")).ok());
  }

  TEST_CASE_TEMPLATE("list pages, filters and searches", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant t = env.tenant();
    REQUIRE(t.create(john_doe()).ok());
    REQUIRE(t.create(sarah_johnson()).ok());
    REQUIRE(t.create(michael_chen()).ok());
    for (int i = 0; i < 20; ++i) {
      NewCaller c = minimal(fmt_number(i), "Generated " + std::to_string(i));
      c.vip_level = i % 2 ? Level::silver : Level::standard;
      c.status = i % 5 == 0 ? CallerStatus::inactive : CallerStatus::active;
      c.company_name = i == 7 ? "O'Brien & 100% Sons" : "Filler Inc";
      REQUIRE(t.create(c).ok());
    }

    SUBCASE("paging visits every caller once, in id order") {
      std::vector<std::string> ids;
      for (std::uint64_t skip = 0;; skip += 5) {
        ListQuery q;
        q.skip = skip;
        q.limit = 5;
        auto page = t.list(q);
        REQUIRE(page.ok());
        for (const VipCaller& c : *page) ids.push_back(c.id);
        if (page->size() < 5) break;
      }
      CHECK(ids.size() == 23);
      CHECK(std::is_sorted(ids.begin(), ids.end()));
      CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
    }
    SUBCASE("for_each_caller visits every caller once, in id order, until told to stop") {
      std::vector<std::string> ids;
      REQUIRE(t.for_each_caller([&ids](const VipCaller& c) {
                 ids.push_back(c.id);
                 return true;
               }).ok());
      CHECK(ids.size() == 23);
      CHECK(std::is_sorted(ids.begin(), ids.end()));
      CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
      ListQuery everyone;
      everyone.limit = ListQuery::kMaxLimit;
      std::vector<std::string> listed;
      for (const VipCaller& c : *t.list(everyone)) listed.push_back(c.id);
      CHECK(ids == listed);
      int seen = 0;
      REQUIRE(t.for_each_caller([&seen](const VipCaller&) { return ++seen < 3; }).ok());
      CHECK(seen == 3);
      CHECK(t.for_each_caller(nullptr).field() == "visit");
    }
    SUBCASE("filters by level and status") {
      ListQuery q;
      q.vip_level = Level::silver;
      CHECK(t.list(q)->size() == 10);
      q.status = CallerStatus::inactive;
      CHECK(t.list(q)->size() == 2);  // i = 5, 15
      q = ListQuery();
      q.vip_level = Level::diamond;
      REQUIRE(t.list(q)->size() == 1);
      CHECK(t.list(q)->front().caller_name == "Michael Chen");
    }
    SUBCASE("search matches name, company and e-mail, ignoring case") {
      ListQuery q;
      q.search = "john";
      auto r = t.list(q);
      REQUIRE(r.ok());
      CHECK(r->size() == 2);  // John Doe, Sarah Johnson
      q.search = "ACME.COM";
      CHECK(t.list(q)->size() == 1);
      q.search = "filler";
      CHECK(t.list(q)->size() == 19);
      q.limit = 4;
      q.skip = 17;
      CHECK(t.list(q)->size() == 2);
    }
    SUBCASE("search by phone number in any format") {
      ListQuery q;
      q.search = "011-1-345-678-9012";
      auto r = t.list(q);
      REQUIRE(r.ok());
      REQUIRE(r->size() == 1);
      CHECK(r->front().caller_name == "Sarah Johnson");
    }
    SUBCASE("a search string is data: quotes, % and _ match literally") {
      ListQuery q;
      q.search = "O'Brien & 100%";
      auto r = t.list(q);
      REQUIRE(r.ok());
      REQUIRE(r->size() == 1);
      CHECK(r->front().caller_name == "Generated 7");
      q.search = "%";
      CHECK(t.list(q)->size() == 1);
      q.search = "_";
      CHECK(t.list(q)->empty());
      q.search = "' OR '1'='1";
      CHECK(t.list(q)->empty());
      q.search = "\"; DROP TABLE vip_caller; --";
      CHECK(t.list(q)->empty());
      CHECK(count_all(env) == 23);
    }
    SUBCASE("bad queries are refused") {
      ListQuery q;
      q.limit = 0;
      CHECK(t.list(q).status().field() == "limit");
      q.limit = 1001;
      CHECK(t.list(q).status().field() == "limit");
      q = ListQuery();
      q.search = std::string(300, 'x');
      CHECK(t.list(q).status().field() == "search");
    }
  }

  TEST_CASE_TEMPLATE("each role may do only what the permission table allows", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    auto c = env.tenant("acme", Role::admin).create(john_doe());
    REQUIRE(c.ok());
    CallerUpdate u;
    u.notes = "x";
    for (Role role : {Role::admin, Role::manager, Role::agent, Role::system, Role::auditor}) {
      CAPTURE(to_string(role));
      Tenant t = env.tenant("acme", role);
      CHECK(t.identify("+1 234 567 8900").ok() == is_allowed(role, Operation::identify));
      CHECK(t.get(c->id).ok() == is_allowed(role, Operation::read_caller));
      CHECK(t.list({}).ok() == is_allowed(role, Operation::list_callers));
      CHECK(t.update(c->id, u).ok() == is_allowed(role, Operation::update_caller));
      CHECK(t.settings().ok() == is_allowed(role, Operation::read_settings));
      CHECK(t.update_settings(TenantSettings{}).ok() == is_allowed(role, Operation::update_settings));
      CHECK(t.audit({}).ok() == is_allowed(role, Operation::read_audit));
      ImportReport report;
      CHECK(t.import_callers({}, {}, &report).ok() == is_allowed(role, Operation::import_callers));
      auto created = t.create(minimal("+1 555 010 0000"));
      CHECK(created.ok() == is_allowed(role, Operation::create_caller));
      if (created.ok()) CHECK(t.remove(created->id).ok() == is_allowed(role, Operation::delete_caller));
      if (!is_allowed(role, Operation::create_caller)) {
        CHECK(created.status().is_permission_denied());
        CHECK(created.status().message().find(std::string(to_string(role))) != std::string::npos);
      }
    }
    CHECK(env.tenant("acme", Role::agent).remove(c->id).is_permission_denied());
    CHECK(env.tenant("acme").get(c->id).ok());
  }

  TEST_CASE_TEMPLATE("every change leaves exactly one audit entry, naming fields but not values", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant t = env.tenant();
    auto c = t.create(john_doe());
    REQUIRE(c.ok());
    env.clock->advance(1s);
    CallerUpdate u;
    u.notes = "Secret note about the customer";
    u.vip_level = Level::diamond;
    REQUIRE(t.update(c->id, u).ok());
    env.clock->advance(1s);
    REQUIRE(t.remove(c->id).ok());
    REQUIRE_FALSE(t.create(minimal("bad")).ok());  // a refused change leaves nothing

    auto trail = t.audit({});
    REQUIRE(trail.ok());
    REQUIRE(trail->size() == 3);
    const AuditEntry& created = (*trail)[0];
    CHECK(created.action == "create");
    CHECK(created.entity_type == "vip_caller");
    CHECK(created.entity_id == c->id);
    CHECK(created.actor_id == "tester-ADMIN");
    CHECK(created.role == Role::admin);
    CHECK(created.at == t0());
    CHECK(created.outcome == "ok");
    CHECK(std::find(created.fields.begin(), created.fields.end(), "caller_name") != created.fields.end());
    const AuditEntry& updated = (*trail)[1];
    CHECK(updated.action == "update");
    CHECK(updated.fields == std::vector<std::string>{"vip_level", "notes"});
    CHECK(updated.at == t0() + 1s);
    CHECK((*trail)[2].action == "delete");
    CHECK((*trail)[0].sequence < (*trail)[1].sequence);
    for (const AuditEntry& e : *trail) {
      for (const std::string& f : e.fields) CHECK(f.find("Secret") == std::string::npos);
      CHECK(e.outcome.find("Secret") == std::string::npos);
    }

    SUBCASE("the trail can be filtered by time, actor and entity") {
      AuditQuery q;
      q.from = t0() + 1s;
      CHECK(t.audit(q)->size() == 2);
      q.until = t0() + 2s;
      CHECK(t.audit(q)->size() == 1);
      q = AuditQuery();
      q.actor_id = "someone-else";
      CHECK(t.audit(q)->empty());
      q = AuditQuery();
      q.entity_id = c->id;
      CHECK(t.audit(q)->size() == 3);
      q.limit = 2;
      CHECK(t.audit(q)->size() == 2);
    }
    SUBCASE("another tenant's trail is separate") {
      CHECK(env.tenant("globex").audit({})->empty());
    }
  }

  TEST_CASE_TEMPLATE("tenant scopes check their tenant and actor", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    CHECK(env.db->tenant("", {"me", Role::admin}).status().field() == "tenant_id");
    CHECK(env.db->tenant("acme corp", {"me", Role::admin}).status().field() == "tenant_id");
    CHECK(env.db->tenant(std::string(129, 'a'), {"me", Role::admin}).status().field() == "tenant_id");
    CHECK(env.db->tenant("acme", {"", Role::admin}).status().field() == "actor.id");
    CHECK(env.db->tenant("acme", {"me", static_cast<Role>(42)}).status().field() == "actor.role");
    CHECK(env.db->tenant("3f2b8c1e-0000-4000-8000-000000000000", {"pbx-1", Role::system}).ok());
  }

  TEST_CASE_TEMPLATE("settings are saved, validated and applied to every handle", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant admin = env.tenant();
    Tenant pbx = env.tenant("acme", Role::system);
    REQUIRE(admin.create(john_doe()).ok());
    CHECK(pbx.identify("+1 234 567 8900")->routing_priority == 85);
    TenantSettings s;
    s.priority.level_base[static_cast<int>(Level::gold)] = 75;
    REQUIRE(admin.update_settings(s).ok());
    CHECK(pbx.identify("+1 234 567 8900")->routing_priority == 90);
    CHECK(pbx.routing_priority(Level::gold, {}) == 75);
    CHECK(admin.settings()->priority.level_base[2] == 75);
    CHECK(env.tenant("acme", Role::system).identify("+1 234 567 8900")->routing_priority == 90);
    CHECK(env.tenant("globex", Role::system).routing_priority(Level::gold, {}) == 70);
    TenantSettings bad;
    bad.level_waits[0] = -1;
    CHECK(admin.update_settings(bad).field() == "level_waits[STANDARD]");
    CHECK(admin.settings()->priority.level_base[2] == 75);
    auto trail = admin.audit({});
    REQUIRE(trail->size() == 2);
    CHECK(trail->back().action == "update_settings");
    CHECK(trail->back().fields == std::vector<std::string>{"priority.level_base"});
  }

  TEST_CASE_TEMPLATE("stored settings: the stored form reads back, and a malformed one is refused", B,
                     VIPCORE_BACKENDS) {
    Env env = B::open();
    auto put = [&env](std::string_view json) {
      auto txn = env.storage->begin_write();
      REQUIRE(txn.ok());
      REQUIRE((*txn)->put_meta("acme", "settings", json).ok());
      REQUIRE((*txn)->commit().ok());
    };
    // Settings as vipcore stores them: a database written by this version reads back.
    const std::string stored =
        R"({"alerts":{"max_escalation_rate":[0.25,0.15,0.1,0.08,0.05],"max_failed_identification_rate":0.02,)"
        R"("max_quality_drop":5.0,"min_calls":12,"min_identifications":100,"wait_factor":1.5},)"
        R"("business_hours":"24/7","dynamic_priority":{"exponent":2.0,"rise_start":0.25},)"
        R"("level_waits":[120,90,60,45,30],"number_validation":"e164",)"
        R"("priority":{"level_base":[50,60,75,80,90],"rule_bonus":[20,0,15,0,0,0]},)"
        R"("region":"GB","time_zone":"Europe/Paris"})";
    put(stored);
    Tenant admin = env.tenant();
    auto s = admin.settings();
    REQUIRE_MESSAGE(s.ok(), s.status().to_string());
    CHECK(s->level_waits == LevelWaits{120, 90, 60, 45, 30});
    CHECK(s->priority.level_base == std::array<int, kLevelCount>{50, 60, 75, 80, 90});
    CHECK(s->priority.rule_bonus == std::array<int, kHandlingRuleCount>{20, 0, 15, 0, 0, 0});
    CHECK(s->dynamic_priority.rise_start == 0.25);
    CHECK(s->dynamic_priority.exponent == 2.0);
    CHECK(s->time_zone == "Europe/Paris");
    CHECK(format_weekly_hours(s->business_hours) == "24/7");
    CHECK(s->alerts.max_escalation_rate == std::array<double, kLevelCount>{0.25, 0.15, 0.1, 0.08, 0.05});
    CHECK(s->alerts.wait_factor == 1.5);
    CHECK(s->alerts.max_failed_identification_rate == 0.02);
    CHECK(s->alerts.min_identifications == 100);
    CHECK(s->alerts.max_quality_drop == 5.0);
    CHECK(s->alerts.min_calls == 12);
    CHECK(s->region == "GB");
    CHECK(s->number_validation == NumberValidation::e164);
    // Saving them again writes the same bytes.
    put("{}");
    REQUIRE(env.tenant().update_settings(*s).ok());
    CHECK(*env.storage->get_meta("acme", "settings") == stored);
    // A setting added later keeps its default when a stored form lacks it,
    // and no region stored means the database's default region.
    put(R"({"level_waits":[100,90,60,45,30]})");
    s = env.tenant().settings();
    REQUIRE_MESSAGE(s.ok(), s.status().to_string());
    CHECK(s->level_waits == LevelWaits{100, 90, 60, 45, 30});
    CHECK(s->priority.level_base == PriorityPolicy().level_base);
    CHECK(s->time_zone == "UTC");
    CHECK(s->region == "US");
    CHECK(s->number_validation == NumberValidation::strict);
    // Anything malformed is refused as a storage error naming the tenant.
    const std::vector<std::string> malformed = {
        R"(not json)", R"([])", R"({"level_waits":[100,90,60,45]})", R"({"level_waits":[100,90,60,45,30,20]})",
        R"({"level_waits":[true,90,60,45,30]})", R"({"level_waits":"120"})",
        R"({"priority":{"level_base":[50,60,null,80,90]}})", R"({"dynamic_priority":{"exponent":"2"}})",
        R"({"time_zone":7})", R"({"business_hours":"sometimes"})", R"({"business_hours":false})",
        R"({"alerts":{"min_calls":-1}})", R"({"alerts":{"min_identifications":1.5}})",
        R"({"alerts":{"wait_factor":true}})", R"({"region":["GB"]})", R"({"number_validation":"loose"})",
        R"({"number_validation":1})"};
    for (const std::string& bad : malformed) {
      CAPTURE(bad);
      put(bad);
      auto t = env.db->tenant("acme", Actor{"tester", Role::admin});
      REQUIRE_FALSE(t.ok());
      CHECK(t.status().is_storage_error());
      CHECK(t.status().message() == "the stored settings of tenant acme are malformed");
    }
    // A well-formed value out of range is refused naming the setting.
    put(R"({"level_waits":[0,90,60,45,30]})");
    auto t = env.db->tenant("acme", Actor{"tester", Role::admin});
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().field() == "level_waits[STANDARD]");
  }
}
