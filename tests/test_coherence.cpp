// Coherence: a change committed by any handle, thread or process is seen by
// every identify, routing priority and escalation check that starts after the
// commit returned, however warm the PBX's cache is. (vipctl as the process
// making the change: tests/cli/test_vipctl.cpp.)
#include <fmt/format.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <random>
#include <thread>

#include "pbx_answers.hpp"
#include "support.hpp"

namespace vipcore::test {
namespace {

struct Ids {
  std::string john, sarah;
};

// One kind of change, made through `admin` (or its database, for a rotation).
struct Change {
  const char* name;
  std::function<void(const Tenant& admin, Database& db, const Ids& ids)> make;
  bool visible = true;  // false: the answers stay the same (a rotation re-encrypts only)
};

void ok(const Status& s) { REQUIRE_MESSAGE(s.ok(), s.to_string()); }

template <typename T>
void ok(const Result<T>& r) {
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
}

std::vector<Change> changes() {
  return {
      {"create", [](const Tenant& a, Database&, const Ids&) { ok(a.create(minimal(kNewcomer, "New Comer"))); }},
      {"update level",
       [](const Tenant& a, Database&, const Ids& ids) {
         CallerUpdate u;
         u.vip_level = Level::platinum;
         ok(a.update(ids.john, u));
       }},
      {"update status",
       [](const Tenant& a, Database&, const Ids& ids) {
         CallerUpdate u;
         u.status = CallerStatus::suspended;
         ok(a.update(ids.john, u));
       }},
      {"update numbers",
       [](const Tenant& a, Database&, const Ids& ids) {
         CallerUpdate u;
         u.phone_number = kMoved;
         ok(a.update(ids.john, u));
       }},
      {"update handling rules",
       [](const Tenant& a, Database&, const Ids& ids) {
         CallerUpdate u;
         u.handling_rules = HandlingRules{HandlingRule::immediate_transfer};
         ok(a.update(ids.john, u));
       }},
      {"update name",
       [](const Tenant& a, Database&, const Ids& ids) {
         CallerUpdate u;
         u.caller_name = "John Q. Doe";
         ok(a.update(ids.john, u));
       }},
      {"update greeting",
       [](const Tenant& a, Database&, const Ids& ids) {
         CallerUpdate u;
         u.custom_greeting = "Welcome back, John.";
         ok(a.update(ids.john, u));
       }},
      {"delete", [](const Tenant& a, Database&, const Ids& ids) { ok(a.remove(ids.sarah)); }},
      {"settings",
       [](const Tenant& a, Database&, const Ids&) {
         auto s = a.settings();
         ok(s);
         s->priority.rule_bonus[static_cast<std::size_t>(HandlingRule::priority_queue)] = 5;
         ok(a.update_settings(*s));
       }},
      {"escalation rule",
       [](const Tenant& a, Database&, const Ids&) {
         EscalationRule r;
         r.name = "waited a minute";
         r.max_wait_time = 60;
         r.escalation_type = "supervisor";
         ok(a.create_rule(r));
       }},
      {"key rotation",
       [](const Tenant&, Database& db, const Ids&) { ok(db.rotate_master_key(test_key(), {"root", Role::admin})); },
       false},
  };
}

// Seeds John (GOLD, priority queue) and Sarah (PLATINUM, dedicated agent).
Ids seed(const Tenant& admin) {
  Ids ids;
  auto john = admin.create(john_doe());
  ok(john);
  ids.john = john->id;
  auto sarah = admin.create(sarah_johnson());
  ok(sarah);
  ids.sarah = sarah->id;
  return ids;
}

// What a PBX answers after `change`, from a database of its own with the
// cache off, where the change was made directly: the reference.
std::string reference_answers(const Change& change) {
  Env env;
  Options o = env.options();
  o.cache_bytes = 0;
  auto db = Database::open(new_memory_storage(), test_key(), o);
  REQUIRE_MESSAGE(db.ok(), db.status().to_string());
  env.db = std::make_unique<Database>(std::move(*db));
  const Tenant admin = env.tenant();
  change.make(admin, *env.db, seed(admin));
  return answers(env.tenant("acme", Role::system));
}

// For each kind of change: a PBX warms its cache up on the tenant, `maker`
// commits the change, and the PBX's next answers are the reference's.
template <typename Open, typename MakeChange>
void check_every_change(Open&& open, MakeChange&& maker) {
  for (const Change& change : changes()) {
    CAPTURE(change.name);
    Env env = open();
    const Tenant admin = env.tenant();
    const Ids ids = seed(admin);
    const Tenant pbx = env.tenant("acme", Role::system);
    const std::string before = answers(pbx);
    CHECK(answers(pbx) == before);  // warm: the second round comes from the cache
    maker(env, [&](const Tenant& a, Database& db) { change.make(a, db, ids); });
    const std::string after = answers(pbx);
    CHECK(after == reference_answers(change));
    if (change.visible) CHECK(after != before);
  }
}

// A second database handle on the same file: what another process sees.
Database second_handle(const Env& env) {
  auto db = Database::open(env.dir->file("vip.db"), test_key(), env.options());
  REQUIRE_MESSAGE(db.ok(), db.status().to_string());
  return std::move(*db);
}

Tenant admin_of(const Database& db) {
  auto t = db.tenant("acme", {"other-admin", Role::admin});
  REQUIRE_MESSAGE(t.ok(), t.status().to_string());
  return *t;
}

}  // namespace

TEST_SUITE("coherence") {
  TEST_CASE("a change made through a second Database on the file is seen at once by a running PBX") {
    check_every_change([] { return SqliteBackend::open(); }, [](Env& env, const auto& change) {
      Database other = second_handle(env);
      change(admin_of(other), other);
    });
  }

  TEST_CASE_TEMPLATE("a change made by another thread is seen at once by a running PBX", B, VIPCORE_BACKENDS) {
    check_every_change([] { return B::open(); }, [](Env& env, const auto& change) {
      std::thread writer([&] { change(env.tenant(), *env.db); });
      writer.join();
    });
  }

  TEST_CASE("with only sealed names and greetings in the cache, a change is seen at once all the same") {
    check_every_change(
        [] {
          Env env;
          Options o = env.options();
          o.cache_decrypted = false;
          auto db = Database::open(new_memory_storage(), test_key(), o);
          REQUIRE_MESSAGE(db.ok(), db.status().to_string());
          env.db = std::make_unique<Database>(std::move(*db));
          return env;
        },
        [](Env& env, const auto& change) { change(env.tenant(), *env.db); });
  }

  TEST_CASE_TEMPLATE("readers never see a state older than the last commit that completed before they began", B,
                     VIPCORE_BACKENDS) {
    Env env = B::open();
    const Tenant admin = env.tenant();
    auto john = admin.create(john_doe());
    ok(john);
    const Tenant pbx = env.tenant("acme", Role::system);
    constexpr int kCommits = 300;
    std::atomic<int> completed{0};  // the greeting number of the last commit that returned
    std::atomic<bool> done{false};
    std::atomic<int> stale{0}, errors{0}, reads{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 3; ++r)
      readers.emplace_back([&] {
        Identification id;
        while (!done.load()) {
          const int floor = completed.load();
          if (!pbx.identify(kJohn, &id).ok() || !id.is_vip) {
            ++errors;
            continue;
          }
          const std::string& g = id.caller.custom_greeting;
          const int seen = g.rfind("v", 0) == 0 ? std::stoi(g.substr(1)) : 0;
          if (seen < floor) ++stale;
          ++reads;
        }
      });
    for (int v = 1; v <= kCommits; ++v) {
      CallerUpdate u;
      u.custom_greeting = fmt::format("v{}", v);
      ok(admin.update(john->id, u));
      completed.store(v);
    }
    done = true;
    for (std::thread& t : readers) t.join();
    CHECK(stale.load() == 0);
    CHECK(errors.load() == 0);
    CHECK(reads.load() > 0);
    Identification last;
    ok(pbx.identify(kJohn, &last));
    CHECK(last.caller.custom_greeting == fmt::format("v{}", kCommits));
  }

  TEST_CASE("a writer killed mid-commit never leaves another process serving what it replaced") {
    // A child process commits level changes to John Doe as fast as it can
    // and is killed with SIGKILL at a random instant, again and again; after
    // each kill the PBX here, its cache warm, must answer as the file says.
    Env env = SqliteBackend::open();
    const Tenant admin = env.tenant();
    auto john = admin.create(john_doe());
    ok(john);
    const Tenant pbx = env.tenant("acme", Role::system);
    Options no_cache = env.options();
    no_cache.cache_bytes = 0;
    auto truth_db = Database::open(env.dir->file("vip.db"), test_key(), no_cache);
    ok(truth_db);
    const Tenant truth = *truth_db->tenant("acme", {"pbx", Role::system});
    auto raw = open_sqlite_storage(env.dir->file("vip.db"));
    ok(raw);
    std::mt19937 rng(20261201);
    int left_changing = 0;
    constexpr int kKills = 40;
    for (int k = 0; k < kKills; ++k) {
      CHECK(pbx.identify(kJohn).ok());  // warm
      const pid_t child = ::fork();
      REQUIRE(child >= 0);
      if (child == 0) {
        auto db = Database::open(env.dir->file("vip.db"), test_key(), env.options());
        if (!db.ok()) ::_exit(2);
        const Tenant writer = *db->tenant("acme", {"writer", Role::admin});
        for (int i = 0;; ++i) {
          CallerUpdate u;
          u.vip_level = i % 2 == 0 ? Level::platinum : Level::silver;
          if (!writer.update(john->id, u).ok()) ::_exit(3);
        }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(20000 + rng() % 30000));
      ::kill(child, SIGKILL);
      int status = 0;
      REQUIRE(::waitpid(child, &status, 0) == child);
      REQUIRE(WIFSIGNALED(status));
      if ((*raw)->change_generation("acme") == 0) ++left_changing;
      auto seen = pbx.identify(kJohn);
      auto expected = truth.identify(kJohn);
      ok(seen);
      ok(expected);
      CHECK(seen->caller.vip_level == expected->caller.vip_level);
      CHECK(seen->routing_priority == expected->routing_priority);
    }
    MESSAGE(left_changing << " of " << kKills << " kills landed mid-commit (generation left changing)");
    // The next write anywhere settles what a dead writer left.
    CallerUpdate u;
    u.vip_level = Level::diamond;
    ok(admin.update(john->id, u));
    CHECK((*raw)->change_generation("acme") != 0);
    auto stored = (*raw)->get_caller("acme", john->id);
    ok(stored);
    CHECK((*raw)->number_generation("acme", (**stored).phones.at(0).hash) != 0);  // its bucket settled too
    CHECK(pbx.identify(kJohn)->caller.vip_level == Level::diamond);
  }

  // The backends that track number buckets (PostgreSQL's number generation
  // is its tenant's: every change makes every entry stale there).
  TEST_CASE_TEMPLATE("a change to one caller leaves the other callers' numbers cached", B, MemoryBackend,
                     SqliteBackend) {
    Env env = B::open();
    const Tenant admin = env.tenant();
    std::vector<std::string> numbers, ids;
    for (int i = 0; i < 40; ++i) {
      numbers.push_back(fmt::format("+1 212 555 {:04}", 100 + i));
      auto c = admin.create(minimal(numbers.back(), "Caller"));
      ok(c);
      ids.push_back(c->id);
    }
    const Tenant pbx = env.tenant("acme", Role::system);
    const auto hits = [&] { return pbx.metrics()->identify_cache_hits; };
    for (const std::string& n : numbers) CHECK(pbx.identify(n)->is_vip);  // now cached

    CallerUpdate u;
    u.vip_level = Level::diamond;
    ok(admin.update(ids[0], u));
    const std::uint64_t before = hits();
    for (const std::string& n : numbers) CHECK(pbx.identify(n)->is_vip);
    // Read again: the changed caller's number, and those of the 39 others
    // that share its bucket (1 in 64).
    CHECK(hits() - before >= 30);
    CHECK(pbx.identify(numbers[0])->caller.vip_level == Level::diamond);

    // Settings and rules do not make cached numbers stale.
    auto settings = admin.settings();
    ok(settings);
    settings->priority.rule_bonus[static_cast<std::size_t>(HandlingRule::priority_queue)] = 5;
    ok(admin.update_settings(*settings));
    EscalationRule r;
    r.name = "waited a minute";
    r.max_wait_time = 60;
    r.escalation_type = "supervisor";
    ok(admin.create_rule(r));
    const std::uint64_t after_settings = hits();
    for (const std::string& n : numbers) CHECK(pbx.identify(n)->is_vip);
    CHECK(hits() - after_settings == numbers.size());
  }

  TEST_CASE_TEMPLATE("a number's generation moves with its caller's changes and database-wide ones only", B,
                     MemoryBackend, SqliteBackend) {
    Env env = B::open();
    const Tenant admin = env.tenant();
    const Ids ids = seed(admin);
    Storage& storage = *env.storage;
    const auto hash_of = [&](const std::string& id) {
      auto c = storage.get_caller("acme", id);
      REQUIRE(c.ok());
      REQUIRE(c->has_value());
      return (**c).phones.at(0).hash;
    };
    const PhoneHash john = hash_of(ids.john);
    const std::uint64_t g0 = storage.number_generation("acme", john);
    CHECK(g0 != 0);
    CallerUpdate u;
    u.notes = "changed";
    ok(admin.update(ids.john, u));
    const std::uint64_t g1 = storage.number_generation("acme", john);
    CHECK(g1 != 0);
    CHECK(g1 != g0);
    auto settings = admin.settings();
    ok(settings);
    settings->time_zone = "Europe/London";
    ok(admin.update_settings(*settings));
    CHECK(storage.number_generation("acme", john) == g1);
    ok(env.db->rotate_master_key(test_key(), {"root", Role::admin}));
    CHECK(storage.number_generation("acme", john) != g1);
  }

  TEST_CASE("a settings change by another handle reaches a PBX identifying in a loop") {
    // The PBX identifies John Doe (GOLD + PRIORITY_QUEUE: 85) in a loop; an
    // administrator elsewhere lowers the PRIORITY_QUEUE bonus to 5.
    Env env = SqliteBackend::open();
    ok(env.tenant().create(john_doe()));
    const Tenant pbx = env.tenant("acme", Role::system);
    for (int i = 0; i < 100; ++i) CHECK(pbx.identify(kJohn)->routing_priority == 85);
    Database other = second_handle(env);
    const Tenant admin = admin_of(other);
    auto s = admin.settings();
    ok(s);
    s->priority.rule_bonus[static_cast<std::size_t>(HandlingRule::priority_queue)] = 5;
    ok(admin.update_settings(*s));
    CHECK(pbx.identify(kJohn)->routing_priority == 75);
  }
}

}  // namespace vipcore::test
