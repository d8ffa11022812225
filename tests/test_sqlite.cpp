// What only the SQLite backend does: files, keys, schema versions, WAL,
// and sharing one file between connections.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>


#include "raw_file.hpp"
#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;

namespace {

void raw_exec(const std::string& path, const char* sql) { RawFile(path).exec(sql); }

// A PBX and an administrator, each with its own connection to one file,
// as two processes would have.
struct TwoConnections {
  TempDir dir;
  std::string path = dir.file("vip.db");
  Database pbx_db = open();
  Database admin_db = open();
  Tenant pbx = *pbx_db.tenant("acme", {"pbx", Role::system});
  Tenant admin = *admin_db.tenant("acme", {"admin", Role::admin});

  Database open() const {
    auto db = Database::open(path, test_key(), quiet_options());
    REQUIRE(db.ok());
    return std::move(*db);
  }
};

}  // namespace

TEST_SUITE("sqlite") {
  TEST_CASE("data survives closing and reopening the file") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    std::string id;
    {
      auto db = Database::open(path, test_key(), quiet_options());
      REQUIRE(db.ok());
      auto c = db->tenant("acme", {"admin", Role::admin})->create(john_doe());
      REQUIRE(c.ok());
      id = c->id;
    }
    auto db = Database::open(path, test_key(), quiet_options());
    REQUIRE(db.ok());
    auto t = db->tenant("acme", {"pbx", Role::system});
    auto who = t->identify("+1 234 567 8900");
    REQUIRE(who.ok());
    CHECK(who->caller.id == id);
    CHECK(who->caller.caller_name == "John Doe");
  }

  TEST_CASE("a wrong master key fails at open with a key error") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    REQUIRE(Database::open(path, test_key("right"), quiet_options()).ok());
    auto wrong = Database::open(path, test_key("wrong"), quiet_options());
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.status().is_key_error());
    CHECK(wrong.status().message().find("master key") != std::string::npos);
    CHECK(Database::open(path, test_key("right"), quiet_options()).ok());
  }

  TEST_CASE("a database from a newer vipcore is refused clearly") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    REQUIRE(Database::open(path, test_key(), quiet_options()).ok());
    raw_exec(path, "PRAGMA user_version = 99");
    auto db = Database::open(path, test_key(), quiet_options());
    REQUIRE_FALSE(db.ok());
    CHECK(db.status().is_version_error());
    CHECK(db.status().message().find("schema version 99") != std::string::npos);
    CHECK(db.status().message().find("upgrade vipcore") != std::string::npos);
  }

  TEST_CASE("a SQLite file that is not a vipcore database is refused and left alone") {
    TempDir dir;
    const std::string path = dir.file("other.db");
    raw_exec(path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY); INSERT INTO invoices VALUES (1)");
    auto db = Database::open(path, test_key(), quiet_options());
    REQUIRE_FALSE(db.ok());
    CHECK(db.status().is_version_error());
    CHECK(db.status().message().find("not a vipcore database") != std::string::npos);
    raw_exec(path, "SELECT * FROM invoices");  // still intact
  }

  TEST_CASE("a file that is not SQLite at all is a storage error") {
    TempDir dir;
    const std::string path = dir.file("garbage.db");
    {
      std::ofstream out(path, std::ios::binary);
      out << std::string(8192, 'G');
    }
    auto db = Database::open(path, test_key(), quiet_options());
    REQUIRE_FALSE(db.ok());
    CHECK(db.status().is_storage_error());
  }

  TEST_CASE("create_if_missing = false refuses a missing file") {
    TempDir dir;
    Options o = quiet_options();
    o.sqlite.create_if_missing = false;
    auto db = Database::open(dir.file("missing.db"), test_key(), o);
    REQUIRE_FALSE(db.ok());
    CHECK(db.status().is_storage_error());
    CHECK(db.status().message().find("missing.db") != std::string::npos);
  }

  TEST_CASE("bad SQLite options are refused") {
    TempDir dir;
    Options o = quiet_options();
    o.sqlite.busy_timeout_ms = -1;
    CHECK(Database::open(dir.file("a.db"), test_key(), o).status().field() == "busy_timeout_ms");
    CHECK(Database::open("", test_key(), quiet_options()).status().field() == "path");
  }

  TEST_CASE("the file is in WAL mode with vipcore's schema version") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    REQUIRE(Database::open(path, test_key(), quiet_options()).ok());
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    auto pragma = [db](const char* sql) {
      sqlite3_stmt* st = nullptr;
      REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
      REQUIRE(sqlite3_step(st) == SQLITE_ROW);
      std::string v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      sqlite3_finalize(st);
      return v;
    };
    CHECK(pragma("PRAGMA journal_mode") == "wal");
    CHECK(pragma("PRAGMA user_version") == std::to_string(kSqliteSchemaVersion));
    CHECK(pragma("PRAGMA application_id") == std::to_string(0x56495043));
    sqlite3_close(db);
  }

  TEST_CASE("two connections on one file see each other's changes at once") {
    TwoConnections two;
    Tenant& pbx = two.pbx;
    Tenant& admin = two.admin;
    CHECK_FALSE(pbx.identify("+1 234 567 8900")->is_vip);
    auto c = admin.create(john_doe());
    REQUIRE(c.ok());
    CHECK(pbx.identify("+1 234 567 8900")->is_vip);
    CallerUpdate u;
    u.status = CallerStatus::suspended;
    REQUIRE(admin.update(c->id, u).ok());
    CHECK(pbx.identify("+1 234 567 8900")->match == Match::suspended);
    REQUIRE(admin.remove(c->id).ok());
    CHECK(pbx.identify("+1 234 567 8900")->match == Match::not_found);
  }

  TEST_CASE("for_each_caller reads one snapshot while another connection writes") {
    TwoConnections c;
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
      auto made = c.admin.create(minimal("+1 555 060 000" + std::to_string(i), "Caller " + std::to_string(i)));
      REQUIRE(made.ok());
      ids.push_back(made->id);
    }
    std::sort(ids.begin(), ids.end());
    std::vector<std::string> seen;
    Tenant exporter = *c.pbx_db.tenant("acme", {"exporter", Role::manager});
    REQUIRE(exporter.for_each_caller([&](const VipCaller& caller) {
                     if (seen.empty()) {  // the other connection deletes the last one and adds one
                       REQUIRE(c.admin.remove(ids.back()).ok());
                       REQUIRE(c.admin.create(minimal("+1 555 060 0099", "Late")).ok());
                     }
                     seen.push_back(caller.id);
                     return true;
                   })
                .ok());
    CHECK(seen == ids);  // the callers as they were when the export began
    CHECK(exporter.list({})->size() == 5);  // afterwards: four of them, and the late one
  }

  TEST_CASE("a writer waits for another connection's write lock, then reports busy") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    Options o = quiet_options();
    o.sqlite.busy_timeout_ms = 100;
    auto db = Database::open(path, test_key(), o);
    REQUIRE(db.ok());
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    auto c = db->tenant("acme", {"admin", Role::admin})->create(john_doe());
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().is_busy());
    // Reads go on while the other connection holds the write lock.
    CHECK(db->tenant("acme", {"pbx", Role::system})->identify("+1 234 567 8900").ok());
    REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);
    CHECK(db->tenant("acme", {"admin", Role::admin})->create(john_doe()).ok());
  }

  TEST_CASE("once per call survives closing and reopening the database") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    auto notifier = std::make_shared<RecordingNotifier>();
    Options o = quiet_options();
    o.notifier = notifier;
    std::string caller_id;
    {
      auto db = Database::open(path, test_key(), o);
      REQUIRE(db.ok());
      Tenant admin = *db->tenant("acme", {"admin", Role::admin});
      caller_id = admin.create(john_doe())->id;
      EscalationRule r;
      r.name = "VIP Wait Time Rule";
      r.max_wait_time = 60;
      r.escalation_type = "manager";
      REQUIRE(admin.create_rule(r).ok());
      auto first = db->tenant("acme", {"pbx", Role::system})->check_escalation(caller_id, 120, 3, "call-42");
      REQUIRE(first.ok());
      CHECK_FALSE(first->triggered_rules.at(0).already_triggered);
    }
    auto db = Database::open(path, test_key(), o);  // a PBX restart
    REQUIRE(db.ok());
    auto again = db->tenant("acme", {"pbx", Role::system})->check_escalation(caller_id, 125, 3, "call-42");
    REQUIRE(again.ok());
    CHECK(again->triggered_rules.at(0).already_triggered);
    CHECK(again->triggered_rules.at(0).notified);
    CHECK(notifier->notices().size() == 1);
  }

  TEST_CASE("a rule changed through another connection is seen by the next check") {
    TwoConnections two;
    Tenant& pbx = two.pbx;
    Tenant& admin = two.admin;
    const std::string id = admin.create(john_doe())->id;
    CHECK_FALSE(pbx.check_escalation(id, 100, 1)->should_escalate);
    EscalationRule r;
    r.name = "Long wait";
    r.max_wait_time = 60;
    auto rule = admin.create_rule(r);
    REQUIRE(rule.ok());
    CHECK(pbx.check_escalation(id, 100, 1)->should_escalate);
    EscalationRuleUpdate off;
    off.is_active = false;
    REQUIRE(admin.update_rule(rule->id, off).ok());
    CHECK_FALSE(pbx.check_escalation(id, 100, 1)->should_escalate);
  }

  TEST_CASE("an older schema is migrated forward when opened") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    {
      auto db = Database::open(path, test_key(), quiet_options());
      REQUIRE(db.ok());
      REQUIRE(db->tenant("acme", {"admin", Role::admin})->create(john_doe()).ok());
    }
    // Turn the file back into a version 1 database: no escalation tables, no
    // integrity tags, no activity file.
    raw_exec(path,
             "DROP TABLE vip_rule; ALTER TABLE vip_caller DROP COLUMN rated_calls; "
             "ALTER TABLE vip_caller DROP COLUMN integrity; PRAGMA user_version = 1");
    for (const char* suffix : {"-calls", "-calls-wal", "-calls-shm"}) std::remove((path + suffix).c_str());
    auto db = Database::open(path, test_key(), quiet_options());
    REQUIRE_MESSAGE(db.ok(), db.status().to_string());
    Tenant admin = *db->tenant("acme", {"admin", Role::admin});
    CHECK(admin.identify("+1 234 567 8900")->is_vip);  // data kept
    EscalationRule r;
    r.name = "After migration";
    r.max_queue_position = 3;
    CHECK(admin.create_rule(r).ok());  // new tables present
  }
}

TEST_SUITE("sqlite") {
  // A version 3 database held call history, triggers and counters in the
  // main file and had no integrity tags: opening it moves the first to the
  // activity file and tags every caller, losing nothing.
  TEST_CASE("a version 3 database keeps its calls, triggers and counters and gets integrity tags") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    std::string id;
    {
      auto db = Database::open(path, test_key(), quiet_options());
      REQUIRE(db.ok());
      Tenant admin = *db->tenant("acme", {"admin", Role::admin});
      Tenant pbx = *db->tenant("acme", {"pbx", Role::system});
      id = admin.create(john_doe())->id;
      EscalationRule rule;
      rule.name = "Long wait";
      rule.max_wait_time = 10;
      REQUIRE(admin.create_rule(rule).ok());
      REQUIRE(pbx.check_escalation(id, 60, 1, "call-1")->should_escalate);
      for (int i : {1, 2}) {
        CallRecord call;
        call.call_id = "call-" + std::to_string(i);
        call.caller_id = id;
        call.wait_seconds = 20 * i;
        call.satisfaction_rating = 2 + i;  // 3 and 4
        call.at = t0();
        REQUIRE(pbx.record_call(call).ok());
      }
    }
    // Back to version 3: the activity tables in the main file, counters in
    // vip_caller, identify summaries of format 1, no tags, no activity file.
    raw_exec(path, ("ATTACH DATABASE '" + path + "-calls' AS c; "
                    "CREATE TABLE vip_call AS SELECT * FROM c.vip_call; "
                    "CREATE TABLE vip_trigger AS SELECT * FROM c.vip_trigger; "
                    "UPDATE vip_caller SET (total_calls, rated_calls, satisfaction_score) = (SELECT total_calls, "
                    "rated_calls, satisfaction_score FROM c.vip_caller_stats AS s WHERE s.caller_id = vip_caller.id); "
                    "DETACH DATABASE c; "
                    "UPDATE vip_phone SET summary = X'01' || substr(summary, 2, 28) || substr(summary, 46); "
                    "ALTER TABLE vip_caller DROP COLUMN integrity; PRAGMA user_version = 3")
                       .c_str());
    for (const char* suffix : {"-calls", "-calls-wal", "-calls-shm"}) std::remove((path + suffix).c_str());

    auto db = Database::open(path, test_key(), quiet_options());
    REQUIRE_MESSAGE(db.ok(), db.status().to_string());
    Tenant admin = *db->tenant("acme", {"admin", Role::admin});
    Tenant pbx = *db->tenant("acme", {"pbx", Role::system});
    auto who = pbx.identify("+1 234 567 8900");
    REQUIRE_MESSAGE(who.ok(), who.status().to_string());
    CHECK(who->is_vip);
    auto john = admin.get(id);
    REQUIRE_MESSAGE(john.ok(), john.status().to_string());
    CHECK(john->total_calls == 2);
    REQUIRE(john->satisfaction_score.has_value());
    CHECK(*john->satisfaction_score == doctest::Approx(3.5));
    const DateRange day{t0() - std::chrono::hours(1), t0() + std::chrono::hours(1)};
    CHECK(admin.call_history(id, day, 0)->size() == 2);
    auto again = pbx.check_escalation(id, 60, 1, "call-1");
    REQUIRE(again.ok());
    CHECK(again->triggered_rules.at(0).already_triggered);  // the trigger moved too
    CallRecord third;
    third.call_id = "call-3";
    third.caller_id = id;
    third.satisfaction_rating = 5;
    REQUIRE(pbx.record_call(third).ok());
    CHECK(admin.get(id)->total_calls == 3);
    CHECK(*admin.get(id)->satisfaction_score == doctest::Approx(4.0));
    CHECK(RawFile(path).column("SELECT name FROM sqlite_master WHERE name IN ('vip_call', 'vip_trigger')").empty());
    // Tagged now: an edit is caught.
    raw_exec(path, ("UPDATE vip_caller SET vip_level = 4 WHERE id = '" + id + "'").c_str());
    CHECK(admin.get(id).status().is_integrity_error());
  }

  TEST_CASE("an activity transaction refuses to write the caller list") {
    TempDir dir;
    auto storage = open_sqlite_storage(dir.file("vip.db"));
    REQUIRE(storage.ok());
    auto txn = (*storage)->begin_activity_write();
    REQUIRE(txn.ok());
    CHECK((*txn)->put_meta("", "k", "v").code() == Code::internal);
  }
}

TEST_SUITE("sqlite") {
  TEST_CASE("a new database refuses an activity file left by another database") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    {
      auto db = Database::open(path, test_key(), quiet_options());
      REQUIRE(db.ok());
      Tenant admin = *db->tenant("acme", {"admin", Role::admin});
      CallRecord call;
      call.call_id = "old-call";
      call.caller_id = admin.create(john_doe())->id;
      REQUIRE(db->tenant("acme", {"pbx", Role::system})->record_call(call).ok());
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    auto db = Database::open(path, test_key(), quiet_options());
    REQUIRE_FALSE(db.ok());
    CHECK(db.status().is_version_error());
    CHECK(db.status().message().find("belongs to another database") != std::string::npos);
  }
}
