// What only the PostgreSQL backend has: its schema version, what reaches the
// server, two nodes sharing one database, and a server that goes away and
// comes back. (Every backend-templated test also runs on PostgreSQL.)
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "support.hpp"

namespace vipcore::test {
namespace {

using Clock = std::chrono::steady_clock;

void ok(const Status& s) { REQUIRE_MESSAGE(s.ok(), s.to_string()); }
template <typename T>
void ok(const Result<T>& r) {
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
}

// Runs SQL over `conninfo` (its schema first in the search_path).
void exec_sql(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  REQUIRE_MESSAGE(PQstatus(c) == CONNECTION_OK, PQerrorMessage(c));
  PGresult* r = PQexec(c, sql.c_str());
  const ExecStatusType st = PQresultStatus(r);
  const std::string error = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  REQUIRE_MESSAGE((st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK), sql << ": " << error);
}

// One PBX node: its own storage (connections, listener) and database handle.
struct Node {
  Storage* storage = nullptr;  // owned by db
  std::unique_ptr<Database> db;
};

Node open_node(const std::string& conninfo, const PostgresOptions& options = postgres_test_options()) {
  auto storage = open_postgresql_storage(conninfo, options);
  REQUIRE_MESSAGE(storage.ok(), storage.status().to_string());
  Node n;
  n.storage = storage->get();
  auto db = Database::open(std::move(*storage), test_key(), quiet_options());
  REQUIRE_MESSAGE(db.ok(), db.status().to_string());
  n.db = std::make_unique<Database>(std::move(*db));
  return n;
}

Tenant admin_of(const Node& n) {
  auto t = n.db->tenant("acme", Actor{"admin", Role::admin});
  REQUIRE_MESSAGE(t.ok(), t.status().to_string());
  return *t;
}

// Waits up to `limit` for pred(); true when it held.
template <typename Pred>
bool wait_for(Pred&& pred, std::chrono::milliseconds limit) {
  const auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

std::string hex(std::string_view s) {
  std::string out;
  char buf[3];
  for (char c : s) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
    out += buf;
  }
  return out;
}

}  // namespace

TEST_CASE("PostgreSQL: a schema newer than this vipcore is refused with Code::version, an empty one when not to be created") {
  const std::string conninfo = PostgresServer::instance().new_database();
  {
    auto first = open_postgresql_storage(conninfo, postgres_test_options());
    REQUIRE_MESSAGE(first.ok(), first.status().to_string());
  }
  exec_sql(conninfo, "UPDATE vip_schema SET version = " + std::to_string(kPostgresSchemaVersion + 1));
  auto newer = open_postgresql_storage(conninfo, postgres_test_options());
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.status().is_version_error());
  CHECK(newer.status().to_string().find("newer") != std::string::npos);

  PostgresOptions no_create = postgres_test_options();
  no_create.create_schema_if_missing = false;
  auto empty = open_postgresql_storage(PostgresServer::instance().new_database(), no_create);
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().is_version_error());
  CHECK(empty.status().to_string().find("not a vipcore database") != std::string::npos);

  auto nowhere = open_postgresql_storage(PostgresServer::instance().conninfo("no_such_database"),
                                         postgres_test_options());
  REQUIRE_FALSE(nowhere.ok());
  CHECK(nowhere.status().is_storage_error());
}

TEST_CASE("PostgreSQL: a pg_dump of the seed's examples holds no plaintext phone number or sealed field") {
  Env env = PostgresBackend::open();
  env.accept_seed_numbers();
  Tenant admin = env.tenant();
  std::vector<NewCaller> seed = {john_doe(), sarah_johnson(), michael_chen()};
  for (const NewCaller& c : seed) ok(admin.create(c));
  ok(admin.identify("+1 (234) 567-8900"));

  const std::string schema = env.conninfo.substr(env.conninfo.find("search_path=") + 12,
                                                 env.conninfo.rfind('\'') - env.conninfo.find("search_path=") - 12);
  const std::string command = "'" + std::string(std::getenv("VIPCORE_PG_BIN") ? std::getenv("VIPCORE_PG_BIN")
                                                                              : "/usr/lib/postgresql/15/bin") +
                              "/pg_dump' -h '" + PostgresServer::instance().dir() + "' -U postgres -n " + schema +
                              " vipcore";
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string dump;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) dump.append(buf, n);
  REQUIRE(::pclose(p) == 0);
  REQUIRE(dump.find("vip_phone") != std::string::npos);  // the dump has the tables
  REQUIRE(dump.find("COPY " + schema + ".vip_caller") != std::string::npos);

  const std::vector<std::string> secrets = {
      "2345678900", "3456789012", "4567890123", "John Doe", "Acme Corp", "john.doe@acme.com", "ACC123456",
      "High-value customer", "Hello Mr. Doe", "Sarah Johnson", "Good day Ms. Johnson", "Michael Chen",
      "transferring you immediately"};
  for (const std::string& s : secrets) {
    INFO("secret #" << (&s - secrets.data()));
    CHECK(dump.find(s) == std::string::npos);
    CHECK(dump.find(hex(s)) == std::string::npos);  // nor inside a bytea
  }
  CHECK(dump.find(hex("50000")) == std::string::npos);  // the account value (as digits it could be part of a hash)
}

TEST_CASE("PostgreSQL: a change committed on one node is seen by the other node's identify") {
  const std::string conninfo = PostgresServer::instance().new_database();
  Node a = open_node(conninfo), b = open_node(conninfo);
  Tenant on_a = admin_of(a), on_b = admin_of(b);
  NewCaller caller = minimal(fmt_number(1), "Node Test");
  caller.vip_level = Level::gold;
  auto created = on_a.create(caller);
  ok(created);
  // B learns of the creation, then keeps it in its cache.
  REQUIRE(wait_for([&] { return on_b.identify(fmt_number(1)).ok() && on_b.identify(fmt_number(1))->is_vip; },
                   std::chrono::seconds(10)));
  Identification id;
  ok(on_b.identify(fmt_number(1), &id));
  CHECK(id.caller.vip_level == Level::gold);

  // Each change made on A, then B's identify in a loop until it answers the
  // new level: the delay from A's commit returning to B's first new answer.
  constexpr int kChanges = 300;
  std::vector<double> delays_ms;
  for (int i = 0; i < kChanges; ++i) {
    const Level want = i % 2 == 0 ? Level::platinum : Level::gold;
    CallerUpdate u;
    u.vip_level = want;
    ok(on_a.update(created->id, u));
    const auto committed = Clock::now();
    bool seen = false;
    while (!seen && Clock::now() - committed < std::chrono::seconds(10)) {
      ok(on_b.identify(fmt_number(1), &id));
      seen = id.caller.vip_level == want;
    }
    REQUIRE_MESSAGE(seen, "node B never saw change " << i);
    delays_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - committed).count());
  }
  std::sort(delays_ms.begin(), delays_ms.end());
  const auto at = [&](std::size_t percent) { return delays_ms[percent * (delays_ms.size() - 1) / 100]; };
  MESSAGE("cross-node visibility over " << kChanges << " changes (A's commit returned -> B's identify answers it): p50 "
                                        << at(50) << " ms, p99 " << at(99) << " ms, max " << delays_ms.back()
                                        << " ms");
  // A sees its own change at once (before commit() returned): no waiting.
  CallerUpdate u;
  u.vip_level = Level::diamond;
  ok(on_a.update(created->id, u));
  ok(on_a.identify(fmt_number(1), &id));
  CHECK(id.caller.vip_level == Level::diamond);
}

TEST_CASE("PostgreSQL: with the server stopped identify and writes fail at once with Code::storage, and both nodes recover when it is back") {
  PostgresServer& server = PostgresServer::instance();
  const std::string conninfo = server.new_database();
  Node a = open_node(conninfo), b = open_node(conninfo);
  Tenant on_a = admin_of(a), on_b = admin_of(b);
  NewCaller caller = minimal(fmt_number(2), "Fault Test");
  caller.vip_level = Level::gold;
  auto created = on_a.create(caller);
  ok(created);
  REQUIRE(wait_for([&] { return on_b.identify(fmt_number(2)).ok() && on_b.identify(fmt_number(2))->is_vip; },
                   std::chrono::seconds(10)));

  server.stop();
  // The listeners notice: the generation is "unknown" and the caches are not trusted.
  CHECK(wait_for([&] { return a.storage->change_generation("acme") == 0; }, std::chrono::seconds(10)));
  CHECK(wait_for([&] { return b.storage->change_generation("acme") == 0; }, std::chrono::seconds(10)));
  const auto before = Clock::now();
  auto down = on_b.identify(fmt_number(2));
  const double identify_ms = std::chrono::duration<double, std::milli>(Clock::now() - before).count();
  REQUIRE_FALSE(down.ok());
  CHECK(down.status().is_storage_error());
  CallerUpdate u;
  u.vip_level = Level::diamond;
  auto write = on_a.update(created->id, u);
  REQUIRE_FALSE(write.ok());
  CHECK(write.status().is_storage_error());
  MESSAGE("identify with the server down failed in " << identify_ms << " ms: " << down.status().to_string());

  server.start();
  // Both nodes come back without a restart: listeners reconnect, readers and writers reconnect on use.
  CHECK(wait_for([&] { return a.storage->change_generation("acme") != 0; }, std::chrono::seconds(15)));
  CHECK(wait_for([&] { return b.storage->change_generation("acme") != 0; }, std::chrono::seconds(15)));
  auto back = on_b.identify(fmt_number(2));
  ok(back);
  CHECK(back->is_vip);
  CHECK(back->caller.vip_level == Level::gold);  // the failed write changed nothing
  ok(on_a.update(created->id, u));
  CHECK(wait_for([&] {
    auto r = on_b.identify(fmt_number(2));
    return r.ok() && r->caller.vip_level == Level::diamond;
  }, std::chrono::seconds(10)));

  // A restart that no read saw: the readers waiting in the pool are dead,
  // and the first read on one is retried at once on a new connection.
  ok(on_b.get(created->id));
  server.stop();
  server.start();
  for (int i = 0; i < 3; ++i) ok(on_b.get(created->id));
}

}  // namespace vipcore::test
