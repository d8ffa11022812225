// Proofs that tenants and secrets stay apart: tenant isolation through every
// call, what the raw database file holds, ciphertexts that cannot be moved,
// the role table behind every operation, one audit entry per change, and key
// rotation.
#include <doctest/doctest.h>

#include <set>

#include "raw_file.hpp"
#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;
using namespace std::chrono_literals;

namespace {

NewCaller full_caller() {
  NewCaller c = john_doe();
  c.alternative_phone_numbers = {"+44 20 7946 0958"};
  c.notes = "Prefers Tuesday calls; spouse is Jane";
  c.account_number = "ACC-SECRET-998877";
  c.account_value = 731234.5;
  return c;
}

}  // namespace

TEST_SUITE("security") {
  TEST_CASE_TEMPLATE("a tenant cannot reach another tenant's data through any call, even with a guessed id", B,
                     VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant a = env.tenant("tenant-a");
    const VipCaller secret = *a.create(full_caller());
    EscalationRule rule;
    rule.name = "A's rule";
    rule.max_wait_time = 1;
    const EscalationRule a_rule = *a.create_rule(rule);
    CallRecord call;
    call.call_id = "a-call";
    call.caller_id = secret.id;
    call.wait_seconds = 10;
    REQUIRE(a.record_call(call).ok());

    Tenant b = env.tenant("tenant-b");  // an ADMIN of another tenant who knows (guessed) A's ids
    REQUIRE(b.create(minimal("+1 555 400 0001", "B's own")).ok());
    CallerUpdate u;
    u.notes = "stolen";
    const DateRange all{t0() - 24h, t0() + 24h};
    CHECK(b.get(secret.id).status().is_not_found());
    CHECK(b.update(secret.id, u).status().is_not_found());
    CHECK(b.remove(secret.id).is_not_found());
    CHECK(b.list({})->size() == 1);
    int b_callers = 0;
    REQUIRE(b.for_each_caller([&b_callers](const VipCaller& c) {
               CHECK(c.caller_name == "B's own");
               return ++b_callers > 0;
             }).ok());
    CHECK(b_callers == 1);
    for (const char* search : {"John", "Acme", "acme.com", "+1 234 567 8900", "2345678900"}) {
      ListQuery q;
      q.search = search;
      CHECK(b.list(q)->empty());
    }
    CHECK_FALSE(b.identify("+1 234 567 8900")->is_vip);
    CHECK(b.identify("+1 234 567 8900")->caller.id.empty());
    CHECK(b.caller_analytics(secret.id, all).status().is_not_found());
    CHECK(b.call_history(secret.id, all)->empty());
    CHECK(b.overview(all)->all.calls == 0);
    CHECK(b.overview(all)->total_callers == 1);
    CallRecord steal = call;
    steal.call_id = "b-call";
    CHECK(b.record_call(steal).status().is_not_found());
    CHECK(b.check_escalation(secret.id, 100, 10).status().is_not_found());
    CHECK(b.get_rule(a_rule.id).status().is_not_found());
    EscalationRuleUpdate ru;
    ru.name = "hijacked";
    CHECK(b.update_rule(a_rule.id, ru).status().is_not_found());
    CHECK(b.remove_rule(a_rule.id).is_not_found());
    CHECK(b.list_rules()->empty());
    for (const AuditEntry& e : *b.audit({})) CHECK(e.tenant_id == "tenant-b");
    AuditQuery q;
    q.entity_id = secret.id;
    CHECK(b.audit(q)->empty());
    CHECK(b.evaluate_alerts(all).ok());
    CHECK(b.metrics()->tenant_id == "tenant-b");
    // And A's data is untouched.
    CHECK(a.get(secret.id)->notes == "Prefers Tuesday calls; spouse is Jane");
    CHECK(a.list_rules()->size() == 1);
  }

  TEST_CASE_TEMPLATE("every operation consults the role table, and every change leaves exactly one audit entry", B,
                     VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant admin = env.tenant("acme", Role::admin);
    const VipCaller john = *admin.create(john_doe());
    EscalationRule base;
    base.name = "Base";
    base.max_wait_time = 5;
    const EscalationRule rule = *admin.create_rule(base);
    const DateRange all{t0() - 24h, t0() + 24h};
    int counter = 0;

    // One probe per operation: true when the call was allowed.
    using Probe = std::function<bool(const Tenant&)>;
    // Allowed: the call must then succeed; refused: with a permission error.
    auto allowed = [](const Status& s) {
      if (!s.is_permission_denied()) CHECK_MESSAGE(s.ok(), s.to_string());
      return !s.is_permission_denied();
    };
    const std::vector<std::pair<Operation, Probe>> probes = {
        {Operation::identify, [&](const Tenant& t) { return allowed(t.identify("+1 234 567 8900").status()); }},
        {Operation::read_caller, [&](const Tenant& t) { return allowed(t.get(john.id).status()); }},
        {Operation::list_callers, [&](const Tenant& t) { return allowed(t.list({}).status()); }},
        {Operation::list_callers,
         [&](const Tenant& t) { return allowed(t.for_each_caller([](const VipCaller&) { return true; })); }},
        {Operation::create_caller,
         [&](const Tenant& t) { return allowed(t.create(minimal(fmt_number(counter++))).status()); }},
        {Operation::update_caller,
         [&](const Tenant& t) {
           CallerUpdate u;
           u.notes = "n" + std::to_string(counter++);
           return allowed(t.update(john.id, u).status());
         }},
        {Operation::delete_caller,
         [&](const Tenant& t) {
           auto victim = admin.create(minimal(fmt_number(counter++)));
           return allowed(t.remove(victim->id));
         }},
        {Operation::import_callers,
         [&](const Tenant& t) {
           ImportReport r;
           return allowed(t.import_callers({minimal(fmt_number(counter++))}, {}, &r));
         }},
        {Operation::read_settings, [&](const Tenant& t) { return allowed(t.settings().status()); }},
        {Operation::update_settings, [&](const Tenant& t) { return allowed(t.update_settings(TenantSettings{})); }},
        {Operation::read_audit, [&](const Tenant& t) { return allowed(t.audit({}).status()); }},
        {Operation::route_call,
         [&](const Tenant& t) { return allowed(t.routing_plan(Identification{}, PbxState{}).status()); }},
        {Operation::read_rules, [&](const Tenant& t) { return allowed(t.list_rules().status()); }},
        {Operation::manage_rules, [&](const Tenant& t) { return allowed(t.create_rule(base).status()); }},
        {Operation::check_escalation,
         [&](const Tenant& t) { return allowed(t.check_escalation(john.id, 1, 1).status()); }},
        {Operation::purge, [&](const Tenant& t) { return allowed(t.purge(t0() - 48h).status()); }},
        {Operation::record_call,
         [&](const Tenant& t) {
           CallRecord c;
           c.call_id = "probe-" + std::to_string(counter++);
           c.caller_id = john.id;
           return allowed(t.record_call(c).status());
         }},
        {Operation::read_analytics, [&](const Tenant& t) { return allowed(t.overview(all).status()); }},
        {Operation::read_metrics, [&](const Tenant& t) { return allowed(t.metrics().status()); }},
        {Operation::rotate_key,
         [&](const Tenant& t) {
           return allowed(env.db->rotate_master_key(test_key(), t.actor()).status());  // the same key: a no-op rotation
         }},
        {Operation::manage_tokens, [&](const Tenant& t) { return allowed(t.list_api_tokens().status()); }},
    };
    std::set<Operation> covered;  // every operation has a probe; some have more than one
    for (const auto& probe : probes) covered.insert(probe.first);
    REQUIRE(covered.size() == static_cast<std::size_t>(Operation::kCount));
    for (int r = 0; r < kRoleCount; ++r) {
      const Role role = static_cast<Role>(r);
      const Tenant t = env.tenant("acme", role);
      for (const auto& [op, probe] : probes) {
        CAPTURE(to_string(role));
        CAPTURE(to_string(op));
        CHECK(probe(t) == is_allowed(role, op));
      }
    }

    // Each change, by a MANAGER, adds exactly one entry; a refused one adds none.
    Tenant manager = env.tenant("acme", Role::manager);
    Tenant system = env.tenant("acme", Role::system);
    auto entries = [&] { return admin.audit(AuditQuery{std::nullopt, std::nullopt, std::nullopt, std::nullopt, 0})->size(); };
    const std::vector<std::pair<const char*, std::function<Status()>>> changes = {
        {"create", [&] { return manager.create(minimal(fmt_number(counter++))).status(); }},
        {"update",
         [&] {
           CallerUpdate u;
           u.vip_level = Level::platinum;
           return manager.update(john.id, u).status();
         }},
        {"delete", [&] { return manager.remove(manager.create(minimal(fmt_number(counter++)))->id); }},
        {"import",
         [&] {
           ImportReport r;
           return manager.import_callers({minimal(fmt_number(counter++)), minimal(fmt_number(counter++))}, {}, &r);
         }},
        {"create_rule", [&] { return manager.create_rule(base).status(); }},
        {"update_rule",
         [&] {
           EscalationRuleUpdate u;
           u.priority = 3;
           return manager.update_rule(rule.id, u).status();
         }},
        {"update_settings", [&] { return admin.update_settings(TenantSettings{}); }},
    };
    for (const auto& [name, change] : changes) {
      CAPTURE(name);
      const std::size_t before = entries();
      const Status s = change();
      REQUIRE_MESSAGE(s.ok(), s.to_string());
      // "delete" creates its victim first: that creation is its own entry.
      CHECK(entries() == before + (std::string(name) == "delete" ? 2 : 1));
    }
    const std::size_t before = entries();
    CHECK(system.create(minimal(fmt_number(counter++))).status().is_permission_denied());
    CHECK(env.tenant("acme", Role::agent).remove(john.id).is_permission_denied());
    CHECK(entries() == before);
  }

  TEST_CASE("the database file holds no plaintext number, name, e-mail, note or account number") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    {
      auto db = Database::open(path, test_key(), quiet_options());
      REQUIRE(db.ok());
      Tenant t = *db->tenant("acme", {"admin", Role::admin});
      REQUIRE(t.create(full_caller()).ok());
      REQUIRE(t.create(sarah_johnson()).ok());
      EscalationRule r;
      r.name = "Escalate";
      r.max_wait_time = 30;
      r.notify.emails = {"night.manager@acme.com"};
      r.notify.sms_numbers = {"+1 415 555 0123"};
      REQUIRE(t.create_rule(r).ok());
      ListQuery q;
      q.search = "Sarah";
      REQUIRE(t.list(q)->size() == 1);  // searches leave nothing behind either
    }
    const std::string bytes = file_bytes(path) + file_bytes(path + "-wal");
    REQUIRE(bytes.size() > 4096);
    // What is stored in the clear is found, so the scan below would find the rest.
    CHECK(bytes.find("*******8900") != std::string::npos);  // a masked number
    CHECK(bytes.find("enterprise") != std::string::npos);   // a tag
    for (const char* secret : {"12345678900", "2345678900", "442079460958", "2079460958", "13456789012",
                               "14155550123", "4155550123", "John Doe", "Sarah Johnson", "Acme Corp",
                               "john.doe@acme.com", "night.manager", "Prefers Tuesday", "ACC-SECRET-998877",
                               "ACC123456", "731234.5", "Hello Mr. Doe", "account manager", "Sarah"}) {
      CAPTURE(secret);
      CHECK(bytes.find(secret) == std::string::npos);
    }
  }

  TEST_CASE("moving a ciphertext to another row, field or tenant makes reads fail with an integrity error") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    auto db = Database::open(path, test_key(), quiet_options());
    REQUIRE(db.ok());
    Tenant a = *db->tenant("acme", {"admin", Role::admin});
    Tenant g = *db->tenant("globex", {"admin", Role::admin});
    const VipCaller john = *a.create(john_doe());
    const VipCaller sarah = *a.create(sarah_johnson());
    const VipCaller hank = *g.create(minimal("+1 555 600 0001", "Hank Scorpio"));
    RawFile raw(path);
    auto expect_integrity = [](const Result<VipCaller>& r) {
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().is_integrity_error());
      CHECK(r.status().message().find("John") == std::string::npos);
      CHECK(r.status().message().find("Sarah") == std::string::npos);
    };

    SUBCASE("two rows swap their names") {
      raw.exec("CREATE TEMP TABLE names AS SELECT id, caller_name FROM vip_caller WHERE tenant_id = 'acme'; "
               "UPDATE vip_caller SET caller_name = (SELECT caller_name FROM names WHERE names.id != vip_caller.id) "
               "WHERE tenant_id = 'acme'");
      expect_integrity(a.get(john.id));
      expect_integrity(a.get(sarah.id));
    }
    SUBCASE("a field moves to another field of the same row") {
      raw.exec("UPDATE vip_caller SET email = company_name WHERE id = '" + john.id + "'");
      expect_integrity(a.get(john.id));
    }
    SUBCASE("a field moves to another tenant's row") {
      raw.exec("UPDATE vip_caller SET caller_name = (SELECT caller_name FROM vip_caller WHERE id = '" + john.id +
               "') WHERE id = '" + hank.id + "'");
      expect_integrity(g.get(hank.id));
    }
    SUBCASE("the identify index of one number gets another caller's summary") {
      raw.exec("UPDATE vip_phone SET summary = (SELECT summary FROM vip_phone AS o WHERE o.caller_id = '" + sarah.id +
               "') WHERE caller_id = '" + john.id + "'");
      auto who = (*db->tenant("acme", {"pbx", Role::system})).identify("+1 234 567 8900");
      REQUIRE_FALSE(who.ok());
      CHECK(who.status().is_integrity_error());
    }
    SUBCASE("a flipped byte") {
      raw.exec("UPDATE vip_caller SET caller_name = substr(caller_name, 1, 40) || CASE WHEN substr(caller_name, 41, "
               "1) = X'00' THEN X'01' ELSE X'00' END || substr(caller_name, 42) WHERE id = '" + john.id + "'");
      expect_integrity(a.get(john.id));
    }
  }

  TEST_CASE("the same number in two tenants is stored under different hashes") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    {
      auto db = Database::open(path, test_key(), quiet_options());
      REQUIRE(db.ok());
      REQUIRE(db->tenant("acme", {"admin", Role::admin})->create(minimal("+1 234 567 8900")).ok());
      REQUIRE(db->tenant("globex", {"admin", Role::admin})->create(minimal("+1 234 567 8900")).ok());
    }
    RawFile raw(path);
    const auto hashes = raw.column("SELECT phone_hash FROM vip_phone ORDER BY tenant_id");
    REQUIRE(hashes.size() == 2);
    CHECK(hashes[0].size() == 32);
    CHECK(hashes[0] != hashes[1]);
  }

  TEST_CASE_TEMPLATE("reads of callers by people are logged as access entries; the PBX's lookups are counted", B,
                     VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant admin = env.tenant("acme", Role::admin);
    Tenant agent = env.tenant("acme", Role::agent);
    Tenant pbx = env.tenant("acme", Role::system);
    const VipCaller john = *admin.create(john_doe());
    const std::size_t start = admin.audit({})->size();
    REQUIRE(agent.get(john.id).ok());
    ListQuery q;
    q.search = "John";
    q.vip_level = Level::gold;
    REQUIRE(agent.list(q).ok());
    REQUIRE(agent.identify("+1 234 567 8900").ok());
    for (int i = 0; i < 5; ++i) REQUIRE(pbx.identify("+1 234 567 8900").ok());
    auto trail = *admin.audit({});
    REQUIRE(trail.size() == start + 3);
    const AuditEntry& read = trail[start];
    CHECK(read.action == "read");
    CHECK(read.actor_id == "tester-AGENT");
    CHECK(read.entity_id == john.id);
    CHECK(std::find(read.fields.begin(), read.fields.end(), "email") != read.fields.end());
    const AuditEntry& list = trail[start + 1];
    CHECK(list.action == "list");
    CHECK(list.fields == std::vector<std::string>{"vip_level", "search"});  // names, never "John"
    CHECK(list.outcome == "returned 1 callers");
    CHECK(trail[start + 2].action == "identify");
    CHECK(trail[start + 2].outcome == "VIP");
    CHECK(pbx.metrics()->identify_attempted == 6);
    for (const AuditEntry& e : trail)
      for (const std::string& f : e.fields) CHECK(f.find("John") == std::string::npos);
  }

  TEST_CASE("key rotation re-encrypts every field; the old key no longer opens the database") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    const MasterKey old_key = test_key("old");
    const MasterKey new_key = test_key("new");
    const Actor admin_actor{"alice", Role::admin};
    std::vector<std::string> ids;
    {
      auto db = Database::open(path, old_key, quiet_options());
      REQUIRE(db.ok());
      Tenant a = *db->tenant("acme", admin_actor);
      Tenant g = *db->tenant("globex", admin_actor);
      ids.push_back(a.create(full_caller())->id);
      ids.push_back(a.create(sarah_johnson())->id);
      ids.push_back(g.create(michael_chen())->id);
      EscalationRule r;
      r.name = "Escalate";
      r.max_wait_time = 30;
      r.notify.emails = {"boss@acme.com"};
      REQUIRE(a.create_rule(r).ok());
      RawFile raw(path);
      const auto before = raw.column("SELECT caller_name FROM vip_caller ORDER BY id");

      CHECK(db->rotate_master_key(new_key, {"bob", Role::manager}).status().is_permission_denied());
      auto report = db->rotate_master_key(new_key, admin_actor, 1);  // one caller per batch
      REQUIRE_MESSAGE(report.ok(), report.status().to_string());
      CHECK(report->key_version == 2);
      CHECK(report->tenants == 2);
      CHECK(report->callers_reencrypted == 3);
      CHECK(report->rules_reencrypted == 1);
      CHECK_FALSE(report->resumed);
      const auto after = raw.column("SELECT caller_name FROM vip_caller ORDER BY id");
      REQUIRE(after.size() == before.size());
      for (std::size_t i = 0; i < after.size(); ++i) {
        CHECK(after[i] != before[i]);
        CHECK(static_cast<unsigned char>(after[i][1]) == 2);  // the key version travels with the ciphertext
      }
      // The same handle goes on working, reads and writes.
      CHECK(a.get(ids[0])->notes == "Prefers Tuesday calls; spouse is Jane");
      CHECK(a.identify("+1 345 678 9012")->caller.caller_name == "Sarah Johnson");
      CHECK(a.list_rules()->front().notify.emails == std::vector<std::string>{"boss@acme.com"});
      CHECK(a.create(minimal("+1 555 700 0001", "After rotation")).ok());
      bool audited = false;
      for (const AuditEntry& e : *a.audit({})) audited = audited || e.action == "rotate_key";
      CHECK(audited);
      auto db_trail = db->database_audit({});
      REQUIRE(db_trail->size() == 2);
      CHECK(db_trail->front().action == "rotate_key_start");
      CHECK(db_trail->back().action == "rotate_key_finish");
    }
    auto with_old = Database::open(path, old_key, quiet_options());
    REQUIRE_FALSE(with_old.ok());
    CHECK(with_old.status().is_key_error());
    auto with_new = Database::open(path, new_key, quiet_options());
    REQUIRE(with_new.ok());
    CHECK((*with_new->tenant("globex", admin_actor)).get(ids[2])->caller_name == "Michael Chen");
  }

  TEST_CASE("an interrupted rotation: both keys open the database, a running process keeps reading, a rerun finishes") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    const MasterKey old_key = test_key("old");
    const MasterKey new_key = test_key("new");
    const Actor admin_actor{"alice", Role::admin};
    auto admin_db = Database::open(path, old_key, quiet_options());
    REQUIRE(admin_db.ok());
    Tenant admin = *admin_db->tenant("acme", admin_actor);
    const VipCaller john = *admin.create(full_caller());
    const VipCaller victim = *admin.create(minimal("+1 555 800 0001", "Tampered Tom"));
    auto pbx_db = Database::open(path, old_key, quiet_options());  // the PBX, opened with the old key
    REQUIRE(pbx_db.ok());
    Tenant pbx = *pbx_db->tenant("acme", {"pbx", Role::system});
    CHECK(pbx.identify("+1 234 567 8900")->is_vip);

    // A tampered row stops the rotation half-way, as a crash would.
    RawFile(path).exec("UPDATE vip_caller SET caller_name = (SELECT caller_name FROM vip_caller WHERE id = '" +
                       john.id + "') WHERE id = '" + victim.id + "'");
    auto stopped = admin_db->rotate_master_key(new_key, admin_actor, 1);
    REQUIRE_FALSE(stopped.ok());
    CHECK(stopped.status().is_integrity_error());

    // Mid-rotation: new fields are sealed under key version 2; the PBX, which
    // never saw version 2, loads it from the copy of the ring kept for the old key.
    REQUIRE(admin.create(minimal("+1 555 800 0002", "Newcomer Nina")).ok());
    auto nina = pbx.identify("+1 555 800 0002");
    REQUIRE_MESSAGE(nina.ok(), nina.status().to_string());
    CHECK(nina->caller.caller_name == "Newcomer Nina");
    CHECK(Database::open(path, old_key, quiet_options()).ok());
    CHECK(Database::open(path, new_key, quiet_options()).ok());
    CHECK(admin_db->rotate_master_key(test_key("another"), admin_actor).status().is_key_error());

    // Repair the damage and run the rotation again: it resumes.
    REQUIRE(admin.remove(victim.id).ok());
    auto resumed = admin_db->rotate_master_key(new_key, admin_actor, 1);
    REQUIRE_MESSAGE(resumed.ok(), resumed.status().to_string());
    CHECK(resumed->resumed);
    CHECK(resumed->key_version == 2);
    CHECK(Database::open(path, old_key, quiet_options()).status().is_key_error());
    auto reopened = Database::open(path, new_key, quiet_options());
    REQUIRE(reopened.ok());
    CHECK(reopened->tenant("acme", admin_actor)->get(john.id)->account_number == "ACC-SECRET-998877");
    // The PBX already holds version 2: it goes on identifying until it is restarted with the new key.
    CHECK(pbx.identify("+1 234 567 8900")->caller.caller_name == "John Doe");
  }

  TEST_CASE("a process that slept through a whole rotation is told to reopen with the new key") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    const MasterKey old_key = test_key("old");
    const Actor admin_actor{"alice", Role::admin};
    auto pbx_db = Database::open(path, old_key, quiet_options());
    REQUIRE(pbx_db.ok());
    Tenant pbx = *pbx_db->tenant("acme", {"pbx", Role::system});
    auto admin_db = Database::open(path, old_key, quiet_options());
    REQUIRE(admin_db.ok());
    REQUIRE(admin_db->tenant("acme", admin_actor)->create(john_doe()).ok());
    REQUIRE(admin_db->rotate_master_key(test_key("new"), admin_actor).ok());
    // The PBX never saw key version 2 and the old-key copy of the ring is gone:
    // a key error that says what to do, never another caller's data.
    auto who = pbx.identify("+1 234 567 8900");
    REQUIRE_FALSE(who.ok());
    CHECK(who.status().is_key_error());
    CHECK(who.status().message().find("reopen the database with the new key") != std::string::npos);
  }
}

TEST_SUITE("security") {
  // The clear columns identify and routing trust, edited in the file the way
  // someone with write access to it would: in vip_caller (what get and list
  // read) and in the identify index's summary (what identify reads; byte
  // offsets as in src/sqlite/codec.cpp's encode_summary).
  TEST_CASE("editing a clear column in the file makes identify, get and list fail with an integrity error") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    auto db = Database::open(path, test_key(), quiet_options());
    REQUIRE(db.ok());
    Tenant admin = *db->tenant("acme", {"admin", Role::admin});
    Tenant pbx = *db->tenant("acme", {"pbx", Role::system});
    NewCaller suspended = john_doe();
    suspended.status = CallerStatus::suspended;
    suspended.valid_until = *parse_timestamp("2020-01-01T00:00:00Z");  // expired, too
    const VipCaller john = *admin.create(suspended);
    const VipCaller sarah = *admin.create(sarah_johnson());
    RawFile raw(path);
    const std::string where = " WHERE id = '" + john.id + "'";
    auto summary_byte = [&](int offset, const char* hex) {
      raw.exec("UPDATE vip_phone SET summary = substr(summary, 1, " + std::to_string(offset) + ") || X'" + hex +
               "' || substr(summary, " + std::to_string(offset + 2) + ") WHERE caller_id = '" + john.id + "'");
    };
    auto expect_tampered = [&]() {
      auto who = pbx.identify("+1 234 567 8900");
      REQUIRE_FALSE(who.ok());
      CHECK(who.status().is_integrity_error());
      CHECK(who.status().message().find(john.id) != std::string::npos);
      auto got = admin.get(john.id);
      REQUIRE_FALSE(got.ok());
      CHECK(got.status().is_integrity_error());
      ListQuery all;
      CHECK(admin.list(all).status().is_integrity_error());
      // Untampered rows still identify.
      auto other = pbx.identify("+1 345 678 9012");
      REQUIRE_MESSAGE(other.ok(), other.status().to_string());
      CHECK(other->is_vip);
      CHECK(other->caller.vip_level == Level::platinum);
    };

    SUBCASE("nothing edited: both read") {
      REQUIRE(admin.get(john.id).ok());
      CHECK(pbx.identify("+1 234 567 8900")->match == Match::suspended);
      CHECK(pbx.identify("+1 345 678 9012")->is_vip);
    }
    SUBCASE("the level") {
      raw.exec("UPDATE vip_caller SET vip_level = 4" + where);  // GOLD -> DIAMOND
      summary_byte(1, "04");
      expect_tampered();
    }
    SUBCASE("the level in vip_caller only: get fails, identify is not fooled") {
      raw.exec("UPDATE vip_caller SET vip_level = 4" + where);
      CHECK(admin.get(john.id).status().is_integrity_error());
      CHECK(pbx.identify("+1 234 567 8900")->match == Match::suspended);  // from the tagged summary
    }
    SUBCASE("the status") {
      raw.exec("UPDATE vip_caller SET status = 0" + where);  // SUSPENDED -> ACTIVE
      summary_byte(2, "00");
      expect_tampered();
    }
    SUBCASE("the handling rules") {
      raw.exec("UPDATE vip_caller SET handling_rules = 1" + where);
      summary_byte(3, "01");
      expect_tampered();
    }
    SUBCASE("the validity window") {
      raw.exec("UPDATE vip_caller SET valid_until = NULL" + where);
      summary_byte(4, "01");  // flags: max wait only, no valid_until
      expect_tampered();
    }
    SUBCASE("the max wait time") {
      raw.exec("UPDATE vip_caller SET max_wait_time = 1" + where);
      summary_byte(5, "01");
      expect_tampered();
    }
    SUBCASE("the preferred agent") {
      raw.exec("UPDATE vip_caller SET preferred_agent_id = 'agent-666'" + where);
      CHECK(admin.get(john.id).status().is_integrity_error());
    }
    SUBCASE("a whole row's clear fields copied from another caller") {
      raw.exec("UPDATE vip_caller SET (vip_level, status, handling_rules, max_wait_time, valid_until, integrity) = "
               "(SELECT vip_level, status, handling_rules, max_wait_time, valid_until, integrity FROM vip_caller "
               "WHERE id = '" + sarah.id + "')" + where);
      CHECK(admin.get(john.id).status().is_integrity_error());
    }
    SUBCASE("an update through vipcore does not launder a tampered row") {
      raw.exec("UPDATE vip_caller SET vip_level = 4" + where);
      CallerUpdate u;
      u.notes = std::string("note");
      CHECK(admin.update(john.id, u).status().is_integrity_error());
      CHECK(admin.get(john.id).status().is_integrity_error());
    }
  }

  TEST_CASE("integrity tags survive a key rotation") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    auto db = Database::open(path, test_key(), quiet_options());
    REQUIRE(db.ok());
    Tenant admin = *db->tenant("acme", {"admin", Role::admin});
    const VipCaller john = *admin.create(john_doe());
    REQUIRE(db->rotate_master_key(test_key("next"), {"admin", Role::admin}).ok());
    auto reopened = Database::open(path, test_key("next"), quiet_options());
    REQUIRE_MESSAGE(reopened.ok(), reopened.status().to_string());
    Tenant again = *reopened->tenant("acme", {"admin", Role::admin});
    REQUIRE(again.get(john.id).ok());
    CHECK(again.identify("+1 234 567 8900")->caller.vip_level == Level::gold);
    RawFile(path).exec("UPDATE vip_caller SET vip_level = 4 WHERE id = '" + john.id + "'");
    CHECK(again.get(john.id).status().is_integrity_error());
  }
}
