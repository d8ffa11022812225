// What only the PostgreSQL backend has: its schema version, what reaches the
// server, two nodes sharing one database, and a server that goes away and
// comes back. (Every backend-templated test also runs on PostgreSQL.)
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
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

// The one number a query over `conninfo` returns.
std::int64_t query_count(const std::string& conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  REQUIRE_MESSAGE(PQstatus(c) == CONNECTION_OK, PQerrorMessage(c));
  PGresult* r = PQexec(c, sql.c_str());
  const bool good = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
  const std::string error = PQresultErrorMessage(r);
  const std::int64_t n = good ? std::atoll(PQgetvalue(r, 0, 0)) : -1;
  PQclear(r);
  PQfinish(c);
  REQUIRE_MESSAGE(good, sql << ": " << error);
  return n;
}

// Callers of import batch k: kBatchCallers callers, each with a primary and an
// alternative number, imported in one transaction by the actor "writer-k".
constexpr int kBatchCallers = 50;
std::string batch_number(int k, int j, int which) { return fmt_number(10000 + k * 2 * kBatchCallers + 2 * j + which); }

Status import_batch(const Database& db, int k) {
  auto t = db.tenant("acme", Actor{"writer-" + std::to_string(k), Role::admin});
  if (!t.ok()) return t.status();
  std::vector<NewCaller> callers;
  for (int j = 0; j < kBatchCallers; ++j) {
    NewCaller c = minimal(batch_number(k, j, 0), "Batch Caller");
    c.alternative_phone_numbers = {batch_number(k, j, 1)};
    c.vip_level = Level::gold;
    callers.push_back(std::move(c));
  }
  ImportReport report;
  return t->import_callers(callers, ImportOptions{}, &report);
}

// How much of batch k a fresh look finds: numbers identified as its callers'
// and "import" audit entries of its actor.
struct BatchFound {
  int numbers = 0;
  int audit_entries = 0;
};
BatchFound find_batch(const Tenant& t, int k) {
  BatchFound f;
  for (int j = 0; j < kBatchCallers; ++j) {
    std::string owner;
    for (int which = 0; which < 2; ++which) {
      auto id = t.identify(batch_number(k, j, which));
      REQUIRE_MESSAGE(id.ok(), id.status().to_string());
      if (!id->is_vip) continue;
      ++f.numbers;
      if (which == 0) owner = id->caller.id;
      CHECK_MESSAGE(id->caller.id == owner, "batch " << k << " caller " << j << ": its two numbers name two callers");
    }
  }
  AuditQuery q;
  q.actor_id = "writer-" + std::to_string(k);
  q.limit = 0;
  auto entries = t.audit(q);
  REQUIRE_MESSAGE(entries.ok(), entries.status().to_string());
  for (const AuditEntry& e : *entries) f.audit_entries += e.action == "import" ? 1 : 0;
  return f;
}

// ---- a second node in its own process ---------------------------------------

// A file descriptor, closed when it goes.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// What the child node tells the parent: one write() each (atomic on a pipe).
struct NodeReport {
  std::int32_t kind = 0;   // kSeen or kFailed
  std::int32_t value = 0;  // kSeen: the level identify answered (-1: not a VIP); kFailed: the step that failed
  std::int64_t at_ns = 0;  // steady_clock: CLOCK_MONOTONIC, the same clock in every process of the machine
};
constexpr std::int32_t kSeen = 1;
constexpr std::int32_t kFailed = 2;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// The child node: opens the database on `conninfo` and identifies `number` in
// a loop, reporting each level it answers that differs from the last one,
// until the parent closes its end of `from_parent` (or after a minute).
// Returns the process's exit code. Uses no doctest macro: a failure is
// reported to the parent.
int child_node(const std::string& conninfo, const std::string& number, int to_parent, int from_parent) {
  const auto report = [&](std::int32_t kind, std::int32_t value) {
    NodeReport r;
    r.kind = kind;
    r.value = value;
    r.at_ns = now_ns();
    return ::write(to_parent, &r, sizeof r) == static_cast<ssize_t>(sizeof r);
  };
  const auto fail = [&](std::int32_t step) {
    (void)report(kFailed, step);
    return step;
  };
  auto storage = open_postgresql_storage(conninfo, postgres_test_options());
  if (!storage.ok()) return fail(1);
  auto db = Database::open(std::move(*storage), test_key(), quiet_options());
  if (!db.ok()) return fail(2);
  auto tenant = db->tenant("acme", Actor{"node-b", Role::system});
  if (!tenant.ok()) return fail(3);
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  std::int32_t last = -2;
  Identification id;
  const timespec pause{0, 20000};  // 20 us between lookups: the other processes keep the CPU
  while (Clock::now() < deadline) {
    pollfd p{from_parent, POLLIN, 0};
    if (::poll(&p, 1, 0) != 0) return 0;  // the parent is done (or gone)
    if (!tenant->identify(number, &id).ok()) return fail(4);
    const std::int32_t level = id.is_vip ? static_cast<std::int32_t>(id.caller.vip_level) : -1;
    if (level != last) {
      if (!report(kSeen, level)) return 5;
      last = level;
    }
    ::nanosleep(&pause, nullptr);
  }
  return fail(6);
}

// Forks a child process running child_node; the child never returns into the
// test program (it _exits, whatever happens). The destructor tells the child
// to stop, and reaps it (killing it if it has not exited within 10 s).
class ChildNode {
 public:
  ChildNode(const std::string& conninfo, const std::string& number) {
    int up[2], down[2];
    REQUIRE(::pipe2(up, O_CLOEXEC) == 0);
    from_child_.fd = up[0];
    Fd up_w(up[1]);
    REQUIRE(::pipe2(down, O_CLOEXEC) == 0);
    to_child_.fd = down[1];
    Fd down_r(down[0]);
    std::fflush(nullptr);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int code = 99;
      try {
        from_child_.reset();
        to_child_.reset();
        ::signal(SIGPIPE, SIG_DFL);
        code = child_node(conninfo, number, up_w.fd, down_r.fd);
      } catch (...) {
      }
      ::_exit(code);
    }
  }
  ChildNode(const ChildNode&) = delete;
  ChildNode& operator=(const ChildNode&) = delete;
  ~ChildNode() { (void)reap(); }

  // The child's next report, or false after `timeout_ms` without one (or when it is gone).
  bool next(NodeReport* r, int timeout_ms) {
    auto* out = reinterpret_cast<char*>(r);
    std::size_t have = 0;
    const auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (have < sizeof *r) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{from_child_.fd, POLLIN, 0};
      const int n = ::poll(&p, 1, static_cast<int>(left));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      const ssize_t got = ::read(from_child_.fd, out + have, sizeof *r - have);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      have += static_cast<std::size_t>(got);
    }
    return true;
  }

  // Tells the child to stop and waits for it; its exit code (-1: killed, or not reaped).
  int reap() {
    if (pid_ <= 0) return exit_code_;
    to_child_.reset();
    int status = 0;
    pid_t done = 0;
    for (int i = 0; i < 1000 && (done = ::waitpid(pid_, &status, WNOHANG)) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (done == 0) {
      ::kill(pid_, SIGKILL);
      done = ::waitpid(pid_, &status, 0);
    }
    exit_code_ = done == pid_ && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    pid_ = -1;
    from_child_.reset();
    return exit_code_;
  }

 private:
  Fd from_child_, to_child_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

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

TEST_CASE("PostgreSQL: 1,000 changes committed by one process are each seen by another process's identify") {
  const std::string conninfo = PostgresServer::instance().new_database();
  {  // the schema, made before two processes open the database
    auto first = open_postgresql_storage(conninfo, postgres_test_options());
    REQUIRE_MESSAGE(first.ok(), first.status().to_string());
  }
  // Node B: a child process identifying the number in a loop, forked before
  // this process opens anything.
  ChildNode b(conninfo, fmt_number(3));
  Node a = open_node(conninfo);
  Tenant on_a = admin_of(a);
  NewCaller caller = minimal(fmt_number(3), "Two Processes");
  caller.vip_level = Level::gold;
  auto created = on_a.create(caller);
  ok(created);
  NodeReport r;
  do {
    REQUIRE_MESSAGE(b.next(&r, 10000), "the other process never saw the caller");
    REQUIRE_MESSAGE(r.kind == kSeen, "the other process failed at step " << r.value);
  } while (r.value != static_cast<std::int32_t>(Level::gold));

  // Each change made on A, then B's first identify answering it: the delay
  // from A's update() returning to B's answer (0 when B answered it before
  // update() returned). The next change waits for B's answer.
  constexpr int kChanges = 1000;
  std::vector<double> delays_ms;
  int before_return = 0;
  for (int i = 0; i < kChanges; ++i) {
    const Level want = i % 2 == 0 ? Level::platinum : Level::gold;
    CallerUpdate u;
    u.vip_level = want;
    ok(on_a.update(created->id, u));
    const std::int64_t committed = now_ns();
    REQUIRE_MESSAGE(b.next(&r, 10000), "the other process did not see change " << i << " within 10 s");
    REQUIRE_MESSAGE(r.kind == kSeen, "the other process failed at step " << r.value);
    REQUIRE_MESSAGE(r.value == static_cast<std::int32_t>(want), "change " << i << ": the other process answered level "
                                                                 << r.value);
    if (r.at_ns < committed) ++before_return;
    delays_ms.push_back(static_cast<double>(std::max<std::int64_t>(0, r.at_ns - committed)) / 1e6);
  }
  CHECK(b.reap() == 0);
  std::sort(delays_ms.begin(), delays_ms.end());
  const auto at = [&](std::size_t percent) { return delays_ms[percent * (delays_ms.size() - 1) / 100]; };
  MESSAGE("cross-node visibility, two processes, " << kChanges << " changes (A's update() returned -> B's identify "
          "answers it): p50 " << at(50) << " ms, p99 " << at(99) << " ms, max " << delays_ms.back() << " ms ("
          << before_return << " answered before update() returned)");
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

TEST_CASE("PostgreSQL: an import that takes longer than statement_timeout_ms commits: its bulk COPYs are not bound by it") {
  PostgresServer& server = PostgresServer::instance();
  PostgresOptions options = postgres_test_options();
  options.statement_timeout_ms = 500;
  Node a = open_node(server.new_database(), options);
  Tenant on_a = admin_of(a);
  constexpr int kCallers = 150'000;  // over a second of COPY on the test machine
  std::vector<NewCaller> rows;
  rows.reserve(kCallers);
  for (int i = 0; i < kCallers; ++i) rows.push_back(minimal(fmt_number(100'000 + i), "Long Import"));
  ImportReport report;
  const auto before = Clock::now();
  const Status s = on_a.import_callers(rows, ImportOptions{}, &report);
  const double seconds = std::chrono::duration<double>(Clock::now() - before).count();
  MESSAGE(kCallers << " callers imported in " << seconds << " s with statement_timeout_ms = 500");
  REQUIRE_MESSAGE(s.ok(), s.to_string());
  CHECK(report.created == kCallers);
  auto found = on_a.identify(fmt_number(100'000 + kCallers - 1));
  REQUIRE(found.ok());
  CHECK(found->is_vip);
}

TEST_CASE("PostgreSQL: a write in flight when the server stops commits whole or not at all, and a failed one reports Code::storage") {
  PostgresServer& server = PostgresServer::instance();
  const std::string conninfo = server.new_database();
  Node a = open_node(conninfo);
  Tenant on_a = admin_of(a);
  NewCaller known = minimal(fmt_number(4), "Known Caller");
  known.vip_level = Level::gold;
  ok(on_a.create(known));
  std::map<int, Status> results;  // batch -> what import_callers returned

  // 1. Batch 0 is held between its last row and its commit: another session
  // locks the change generations, which commit() moves last. The server
  // stops while the import waits there, at once: a fast shutdown could end
  // the locking session first, and let the import commit before its own
  // session ends.
  PGconn* locker = PQconnectdb(conninfo.c_str());
  REQUIRE_MESSAGE(PQstatus(locker) == CONNECTION_OK, PQerrorMessage(locker));
  struct Finish {
    PGconn* c;
    ~Finish() { PQfinish(c); }
  } finish_locker{locker};
  {
    PGresult* r = PQexec(locker, "BEGIN; LOCK TABLE vip_generation IN EXCLUSIVE MODE");
    const bool locked = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    REQUIRE_MESSAGE(locked, PQerrorMessage(locker));
  }
  Status held;
  std::thread writer([&] { held = import_batch(*a.db, 0); });
  struct Join {
    std::thread& t;
    ~Join() {
      if (t.joinable()) t.join();
    }
  } join_writer{writer};
  // (All its rows are written when it waits there.)
  const std::string waiting_sql = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
                                  "query LIKE 'UPDATE vip_generation%'";
  const bool waiting = wait_for([&] { return query_count(conninfo, waiting_sql) == 1; }, std::chrono::seconds(10));
  server.stop(/*immediate=*/true);
  writer.join();
  REQUIRE_MESSAGE(waiting, "the import never reached its commit");
  CHECK_MESSAGE(held.is_storage_error(), held.to_string());
  results[0] = held;

  // Identify fails at once with Code::storage while the server is down.
  CHECK(wait_for([&] { return a.storage->change_generation("acme") == 0; }, std::chrono::seconds(10)));
  const auto before = Clock::now();
  auto down = on_a.identify(fmt_number(4));
  const double identify_ms = std::chrono::duration<double, std::milli>(Clock::now() - before).count();
  REQUIRE_FALSE(down.ok());
  CHECK(down.status().is_storage_error());
  MESSAGE("identify with the server down failed in " << identify_ms << " ms");
  server.start();

  // 2. A writer importing batch after batch while the server stops and
  // starts twice: whatever was in flight must be whole or absent.
  std::mutex mu;
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0}, failed{0};
  std::thread importer([&] {
    for (int k = 1; !stop && k < 2000; ++k) {
      Status s = import_batch(*a.db, k);
      (s.ok() ? committed : failed)++;
      {
        std::lock_guard<std::mutex> lock(mu);
        results[k] = s;
      }
      if (!s.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(50));  // as a PBX would, before retrying
    }
  });
  struct Stop {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Stop() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } stop_importer{stop, importer};
  for (int cycle = 0; cycle < 2; ++cycle) {
    const int c0 = committed, f0 = failed;
    CHECK(wait_for([&] { return committed >= c0 + 3; }, std::chrono::seconds(30)));
    server.stop();
    CHECK(wait_for([&] { return failed >= f0 + 2; }, std::chrono::seconds(30)));
    server.start();
  }
  const int c1 = committed;
  CHECK(wait_for([&] { return committed >= c1 + 2; }, std::chrono::seconds(30)));  // the writer recovered
  stop = true;
  importer.join();

  // A fresh node finds every batch whole, or nothing of it.
  Node c = open_node(conninfo);
  Tenant on_c = admin_of(c);
  int whole = 0, absent = 0, ambiguous = 0;
  for (const auto& [k, result] : results) {
    INFO("batch " << k << ": " << result.to_string());
    const BatchFound f = find_batch(on_c, k);
    if (f.numbers == 0) {
      ++absent;
      CHECK(f.audit_entries == 0);
      CHECK(result.is_storage_error());  // never ok when nothing was written
    } else {
      ++whole;
      CHECK(f.numbers == 2 * kBatchCallers);
      CHECK(f.audit_entries == 1);
      CHECK((result.ok() || result.is_storage_error()));
      if (!result.ok()) ++ambiguous;  // the connection dropped during COMMIT, which went through
    }
  }
  // Batch 0 failed before its COMMIT was sent: nothing of it may exist.
  const BatchFound held_batch = find_batch(on_c, 0);
  CHECK(held_batch.numbers == 0);
  CHECK(held_batch.audit_entries == 0);
  MESSAGE(results.size() << " imports of " << kBatchCallers << " callers: " << whole << " whole (" << ambiguous
          << " of them reported failed: lost during COMMIT), " << absent << " absent");
}

}  // namespace vipcore::test
