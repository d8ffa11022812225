// Shared set-up for vipcore's tests: temporary directories, the two storage
// backends as template parameters, keys, a manual clock and the example
// callers of the VIP API vipcore was modelled on.
#ifndef VIPCORE_TESTS_SUPPORT_HPP
#define VIPCORE_TESTS_SUPPORT_HPP

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "postgres_server.hpp"
#include "vipcore/vipcore.hpp"

namespace vipcore::test {

/// A fresh directory, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vipcore-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline MasterKey test_key(std::string_view seed = "vipcore tests") { return *MasterKey::for_testing(seed); }

/// 2024-01-15T12:00:00Z, a Monday.
inline Timestamp t0() { return *parse_timestamp("2024-01-15T12:00:00Z"); }

/// Options for a test database: commits need not survive power loss.
inline Options quiet_options() {
  Options o;
  o.sqlite.durable_commits = false;
  return o;
}

/// Everything a test needs to talk to one database.
struct Env {
  std::unique_ptr<TempDir> dir;  // set for file-backed backends
  std::string conninfo;          // set for PostgreSQL: its fresh schema
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(t0());
  std::shared_ptr<Notifier> notifier;
  std::unique_ptr<Database> db;
  /// The storage under db, for tests that look at what is stored (the
  /// Database owns it and gives no access to it).
  Storage* storage = nullptr;

  Tenant tenant(std::string_view id = "acme", Role role = Role::admin) const {
    auto t = db->tenant(id, Actor{std::string("tester-") + std::string(to_string(role)), role});
    REQUIRE_MESSAGE(t.ok(), t.status().to_string());
    return *t;
  }
  /// The seed's placeholder numbers ("+1234567890": nine national digits)
  /// are not possible North American numbers: a tenant that takes them
  /// accepts any E.164-shaped number, as the seed's examples need.
  void accept_seed_numbers(std::string_view id = "acme") const {
    Tenant admin = tenant(id);
    auto s = admin.settings();
    REQUIRE_MESSAGE(s.ok(), s.status().to_string());
    s->number_validation = NumberValidation::e164;
    REQUIRE(admin.update_settings(*s).ok());
  }
  Options options() const {
    Options o = quiet_options();
    o.clock = clock;
    o.notifier = notifier;
    return o;
  }
};

/// Opens env.db on `storage`, keeping env.storage pointing at it.
inline void open_on(Env& env, std::unique_ptr<Storage> storage) {
  env.storage = storage.get();
  auto db = Database::open(std::move(storage), test_key(), env.options());
  REQUIRE_MESSAGE(db.ok(), db.status().to_string());
  env.db = std::make_unique<Database>(std::move(*db));
}

/// The in-memory backend.
struct MemoryBackend {
  static constexpr const char* kName = "memory";
  static Env open(std::shared_ptr<Notifier> notifier = nullptr) {
    Env env;
    env.notifier = std::move(notifier);
    open_on(env, new_memory_storage());
    return env;
  }
};

/// The SQLite backend, on a file in a fresh temporary directory.
struct SqliteBackend {
  static constexpr const char* kName = "sqlite";
  static Env open(std::shared_ptr<Notifier> notifier = nullptr) {
    Env env;
    env.notifier = std::move(notifier);
    env.dir = std::make_unique<TempDir>();
    auto storage = open_sqlite_storage(env.dir->file("vip.db"), env.options().sqlite);
    REQUIRE_MESSAGE(storage.ok(), storage.status().to_string());
    open_on(env, std::move(*storage));
    return env;
  }
};

/// The PostgreSQL backend, on a fresh schema of the private test server
/// (postgres_server.hpp).
struct PostgresBackend {
  static constexpr const char* kName = "postgresql";
  static Env open(std::shared_ptr<Notifier> notifier = nullptr) {
    Env env;
    env.notifier = std::move(notifier);
    env.conninfo = PostgresServer::instance().new_database();
    auto storage = open_postgresql_storage(env.conninfo, postgres_test_options());
    REQUIRE_MESSAGE(storage.ok(), storage.status().to_string());
    open_on(env, std::move(*storage));
    return env;
  }
};

#define VIPCORE_BACKENDS vipcore::test::MemoryBackend, vipcore::test::SqliteBackend, vipcore::test::PostgresBackend

/// A notifier that records what it is told, and fails when asked to.
class RecordingNotifier final : public Notifier {
 public:
  enum class Mode { succeed, fail, throw_exception };

  Status notify(const EscalationNotice& notice) override {
    std::lock_guard<std::mutex> g(mu_);
    ++attempts_;
    if (mode_ == Mode::throw_exception) throw std::runtime_error("SMTP server unreachable");
    if (mode_ == Mode::fail) return Status::notifier_error("SMS gateway said no");
    notices_.push_back(notice);
    return ok_status();
  }
  void set_mode(Mode m) {
    std::lock_guard<std::mutex> g(mu_);
    mode_ = m;
  }
  std::vector<EscalationNotice> notices() const {
    std::lock_guard<std::mutex> g(mu_);
    return notices_;
  }
  int attempts() const {
    std::lock_guard<std::mutex> g(mu_);
    return attempts_;
  }

 private:
  mutable std::mutex mu_;
  Mode mode_ = Mode::succeed;
  int attempts_ = 0;
  std::vector<EscalationNotice> notices_;
};

/// The seed's Gold example: John Doe, priority queue and a greeting.
inline NewCaller john_doe() {
  NewCaller c;
  c.phone_number = "+1 (234) 567-8900";
  c.caller_name = "John Doe";
  c.company_name = "Acme Corp";
  c.vip_level = Level::gold;
  c.status = CallerStatus::active;
  c.handling_rules = {HandlingRule::priority_queue, HandlingRule::custom_greeting};
  c.custom_greeting = "Hello Mr. Doe, thank you for calling.";
  c.max_wait_time = 30;
  c.callback_priority = 1;
  c.email = "john.doe@acme.com";
  c.account_number = "ACC123456";
  c.account_value = 50000.0;
  c.notes = "High-value customer";
  c.tags = {"premium", "enterprise"};
  return c;
}

/// The seed's Platinum example: Sarah Johnson with a dedicated agent.
inline NewCaller sarah_johnson() {
  NewCaller c;
  c.phone_number = "+1 345 678 9012";
  c.caller_name = "Sarah Johnson";
  c.vip_level = Level::platinum;
  c.handling_rules = {HandlingRule::dedicated_agent, HandlingRule::custom_greeting};
  c.preferred_agent_id = "agent-007";
  c.custom_greeting = "Good day Ms. Johnson, connecting you to your account manager.";
  c.max_wait_time = 30;
  return c;
}

/// The seed's Diamond example: Michael Chen, immediate transfer.
inline NewCaller michael_chen() {
  NewCaller c;
  c.phone_number = "+1 456 789 0123";
  c.caller_name = "Michael Chen";
  c.vip_level = Level::diamond;
  c.handling_rules = {HandlingRule::immediate_transfer, HandlingRule::custom_greeting};
  c.custom_greeting = "Hello Mr. Chen, transferring you immediately.";
  c.max_wait_time = 15;
  c.account_value = 500000.0;
  return c;
}

/// The i-th of a series of distinct valid North American numbers.
inline std::string fmt_number(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+1 555 %03d %04d", 200 + i / 10000, i % 10000);
  return buf;
}

/// A minimal valid caller with the given number.
inline NewCaller minimal(std::string number, std::string name = "Test Caller") {
  NewCaller c;
  c.phone_number = std::move(number);
  c.caller_name = std::move(name);
  return c;
}

}  // namespace vipcore::test

#endif
