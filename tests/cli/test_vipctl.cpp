// End-to-end tests of vipctl: each runs the built binary as an administrator
// would, in a fresh directory, and checks what it prints and how it exits.
// The PBX side (a process with the same database open) is this test process,
// through vipcore's public API and raw SQLite.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "vipcore/vipcore.hpp"
#include "../pbx_answers.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

unsigned file_mode(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777u;
}

// A new directory for one test, deleted with its contents at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "vipctl-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// vipctl as an administrator runs it: a process of its own, with VIPCTL_*
// variables pointing into the test's directory (none are inherited from
// whoever runs the tests), stdout and stderr captured.
class Vipctl {
 public:
  explicit Vipctl(const TempDir& dir) : dir_(dir) {
    env["VIPCTL_DB"] = (dir / "vip.db").string();
    env["VIPCTL_KEY_FILE"] = (dir / "vip.key").string();
    env["VIPCTL_TENANT"] = "acme";
    env["VIPCTL_ACTOR"] = "test-admin";
  }

  Run operator()(const std::vector<std::string>& args) const {
    const std::string n = std::to_string(runs_++);
    const fs::path out = dir_ / ("stdout-" + n), err = dir_ / ("stderr-" + n);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&files, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&files, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);

    std::vector<std::string> arg_strings{VIPCTL_PATH};
    arg_strings.insert(arg_strings.end(), args.begin(), args.end());
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e)
      if (std::string(*e).rfind("VIPCTL_", 0) != 0) env_strings.emplace_back(*e);
    for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
    std::vector<char*> argv, envp;
    for (std::string& a : arg_strings) argv.push_back(a.data());
    for (std::string& e : env_strings) envp.push_back(e.data());
    argv.push_back(nullptr);
    envp.push_back(nullptr);

    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, VIPCTL_PATH, &files, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&files);
    REQUIRE(spawned == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    Run r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_text(out);
    r.err = read_text(err);
    return r;
  }

  std::map<std::string, std::string> env;

 private:
  const TempDir& dir_;
  mutable int runs_ = 0;
};

std::string command_line(const std::vector<std::string>& args) {
  std::string line = "vipctl";
  for (const auto& a : args) line += " '" + a + "'";
  return line;
}

// A test's directory with an initialized database, and vipctl set up for it.
struct Admin {
  TempDir dir;
  Vipctl vipctl{dir};

  Admin() { ok({"init"}); }

  Run ok(const std::vector<std::string>& args) const {
    Run r = vipctl(args);
    REQUIRE_MESSAGE(r.exit_code == 0, command_line(args) << " exited " << r.exit_code << ": " << r.err);
    return r;
  }
  json ok_json(std::vector<std::string> args) const {
    args.push_back("--json");
    return json::parse(ok(args).out);
  }
  // Runs a command expected to fail, and checks the form of its error.
  Run fails(const std::vector<std::string>& args, int exit_code) const {
    Run r = vipctl(args);
    CHECK_MESSAGE(r.exit_code == exit_code, command_line(args) << " exited " << r.exit_code << ": " << r.err);
    CHECK(r.err.rfind("vipctl: ", 0) == 0);
    return r;
  }
  // Adds a VIP and returns their id.
  std::string add(const std::string& name, const std::string& phone, std::vector<std::string> more = {}) const {
    std::vector<std::string> args{"add", "--name", name, "--phone", phone};
    args.insert(args.end(), more.begin(), more.end());
    return ok_json(args)["id"].get<std::string>();
  }
  // The seed's placeholder numbers ("+1234567890") are E.164-shaped but not
  // possible North American numbers: a tenant that takes them says so.
  void accept_seed_numbers(const std::string& tenant = "acme") const {
    CHECK(ok_json({"--tenant", tenant, "settings", "--number-validation", "e164"})["number_validation"] == "e164");
  }
  fs::path key_file() const { return dir / "vip.key"; }
  fs::path db_file() const { return dir / "vip.db"; }
};

// The database's write lock, held as a PBX in the middle of a write holds it:
// a raw SQLite connection in this process, from construction to release().
class WriteLock {
 public:
  explicit WriteLock(const fs::path& db_file) {
    REQUIRE(sqlite3_open_v2(db_file.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  ~WriteLock() {
    release();
    sqlite3_close(db_);
  }
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;

  // May be called from another thread than the one that took the lock.
  void release() {
    if (held_.exchange(false)) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  }

 private:
  sqlite3* db_ = nullptr;
  std::atomic<bool> held_{true};
};

// The bulk-import body of the VIP API's documentation, as it is there.
const char* const kSeedBulkImport = R"({
  "vip_callers": [
    {
      "phone_number": "+1234567890",
      "caller_name": "John Doe",
      "vip_level": "GOLD"
    },
    {
      "phone_number": "+1234567891",
      "caller_name": "Jane Smith",
      "vip_level": "PLATINUM"
    }
  ]
})";

// name -> level of a list --json.
std::map<std::string, std::string> levels_by_name(const json& callers) {
  std::map<std::string, std::string> out;
  for (const json& c : callers) out[c["caller_name"].get<std::string>()] = c["vip_level"].get<std::string>();
  return out;
}

}  // namespace

TEST_SUITE("vipctl") {
  TEST_CASE("init creates a database and a key file of mode 0600, uses an existing key file, and overwrites neither") {
    TempDir dir;
    Vipctl vipctl(dir);
    const Run created = vipctl({"init"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    CHECK(fs::exists(dir / "vip.db"));
    CHECK(file_mode(dir / "vip.key") == 0600u);
    auto key = vipcore::MasterKey::from_file((dir / "vip.key").string());
    REQUIRE(key.ok());
    CHECK(vipcore::Database::open((dir / "vip.db").string(), *key).ok());
    const std::string key_text = read_text(dir / "vip.key");
    CHECK_FALSE(contains(created.out + created.err, key_text.substr(0, 64)));  // the key is never printed

    SUBCASE("an existing database") {
      const Run again = vipctl({"init"});
      CHECK(again.exit_code == 5);
      CHECK(contains(again.err, "already exists"));
      CHECK(read_text(dir / "vip.key") == key_text);
    }
    SUBCASE("an existing key file, for a new database: used as it is") {
      const Run again = vipctl({"--db", (dir / "other.db").string(), "init"});
      REQUIRE_MESSAGE(again.exit_code == 0, again.err);
      CHECK(contains(again.out, "used the existing key file"));
      CHECK(read_text(dir / "vip.key") == key_text);
      CHECK(vipcore::Database::open((dir / "other.db").string(), *key).ok());
    }
  }

  TEST_CASE("--db takes a location: sqlite:<path> and sqlite:///<path> name the file, others are refused clearly") {
    TempDir dir;
    Vipctl vipctl(dir);
    const std::string file = (dir / "located.db").string();
    const Run created = vipctl({"--db", "sqlite:" + file, "init"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    CHECK(fs::exists(file));
    CHECK(contains(created.out, "created database " + file));
    const Run listed = vipctl({"--db", "sqlite://" + file, "--tenant", "acme", "list", "--json"});
    CHECK_MESSAGE(listed.exit_code == 0, listed.err);
    const Run again = vipctl({"--db", "sqlite://" + file, "init"});
    CHECK(again.exit_code == 5);
    CHECK(contains(again.err, "already exists"));

    const Run unknown = vipctl({"--db", "mysql://db.example/vip", "--tenant", "acme", "list"});
    CHECK(unknown.exit_code == 5);
    CHECK(contains(unknown.err, "--db"));
    CHECK(contains(unknown.err, "unknown scheme"));
    // A PostgreSQL server that is not there (only a local socket directory
    // that does not exist is tried): a storage failure, the password never shown.
    for (const std::string& postgres :
         {std::string("postgresql://pbx:hunter2@/vip?host=/nonexistent-vipcore-socket-dir"),
          std::string("host=/nonexistent-vipcore-socket-dir dbname=vip password=hunter2")}) {
      for (const char* command : {"init", "list"}) {
        const Run r = vipctl({"--db", postgres, "--tenant", "acme", command});
        CHECK(r.exit_code == 6);
        CHECK_FALSE(r.err.empty());
        CHECK_FALSE(contains(r.out + r.err, "hunter2"));
      }
    }
  }

  TEST_CASE("init uses a key file made as the README shows, and refuses a malformed one without creating anything") {
    TempDir dir;
    Vipctl vipctl(dir);
    // (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > vipcore.key)
    std::string hex;
    const char* const digits = "0123456789abcdef";
    for (int i = 0; i < 32; ++i) {
      const int byte = (i * 37 + 11) & 0xff;
      hex += digits[byte >> 4];
      hex += digits[byte & 15];
    }
    {
      std::ofstream out(dir / "vip.key");
      out << hex;
    }
    fs::permissions(dir / "vip.key", fs::perms::owner_read | fs::perms::owner_write);
    const Run created = vipctl({"init"});
    REQUIRE_MESSAGE(created.exit_code == 0, created.err);
    CHECK(read_text(dir / "vip.key") == hex);
    CHECK_FALSE(contains(created.out + created.err, hex));  // the key is never printed
    auto key = vipcore::MasterKey::from_file((dir / "vip.key").string());
    REQUIRE(key.ok());
    CHECK(vipcore::Database::open((dir / "vip.db").string(), *key).ok());
    CHECK(vipctl({"list"}).exit_code == 0);

    {
      std::ofstream out(dir / "bad.key");
      out << "not a key";
    }
    fs::permissions(dir / "bad.key", fs::perms::owner_read | fs::perms::owner_write);
    const Run bad = vipctl({"--db", (dir / "bad.db").string(), "--key-file", (dir / "bad.key").string(), "init"});
    CHECK(bad.exit_code == 7);
    CHECK(contains(bad.err, "bad.key"));
    CHECK_FALSE(fs::exists(dir / "bad.db"));
    CHECK(read_text(dir / "bad.key") == "not a key");
  }

  TEST_CASE("the seed's bulk-import body imports and list and search find its callers") {
    Admin admin;
    admin.accept_seed_numbers();
    write_text(admin.dir / "seed.json", kSeedBulkImport);
    const Run imported = admin.ok({"import", (admin.dir / "seed.json").string()});
    CHECK(contains(imported.out, "2 rows, 2 created, 0 updated, 0 skipped, 0 failed"));

    const json all = admin.ok_json({"list"});
    CHECK(levels_by_name(all) == std::map<std::string, std::string>{{"John Doe", "GOLD"}, {"Jane Smith", "PLATINUM"}});
    const std::string table = admin.ok({"list"}).out;
    CHECK(contains(table, "John Doe"));
    CHECK(contains(table, "******7890"));  // masked: the number itself is not stored

    const json jane = admin.ok_json({"list", "--search", "jane"});
    REQUIRE(jane.size() == 1);
    CHECK(jane[0]["caller_name"] == "Jane Smith");
    const json by_number = admin.ok_json({"list", "--search", "+1 234 567 891"});
    REQUIRE(by_number.size() == 1);
    CHECK(by_number[0]["caller_name"] == "Jane Smith");
    CHECK(levels_by_name(admin.ok_json({"list", "--level", "gold"})) ==
          std::map<std::string, std::string>{{"John Doe", "GOLD"}});
    CHECK(admin.ok_json({"list", "--status", "SUSPENDED"}).empty());
    const json second = admin.ok_json({"list", "--skip", "1", "--limit", "1"});
    REQUIRE(second.size() == 1);
    CHECK(second[0]["id"] == all[1]["id"]);

    const json john = admin.ok_json({"identify", "011 1 234 567 890"});
    CHECK(john["is_vip"] == true);
    CHECK(john["vip_caller"]["caller_name"] == "John Doe");
    CHECK(john["routing_priority"] == 70);
    CHECK(admin.ok_json({"identify", "+1 999 555 0000"})["is_vip"] == false);

    // The same numbers again: refused by default, applied with --on-duplicate update.
    json upgraded = json::parse(kSeedBulkImport);
    upgraded["vip_callers"][0]["vip_level"] = "DIAMOND";
    write_text(admin.dir / "upgrade.json", upgraded.dump());
    const std::string upgrade = (admin.dir / "upgrade.json").string();
    const Run refused = admin.fails({"import", upgrade}, 5);
    CHECK(contains(refused.err, "vip_callers[0] (line 1): phone_number"));
    CHECK(contains(admin.ok({"import", upgrade, "--on-duplicate", "update"}).out, "0 created, 2 updated"));
    CHECK(levels_by_name(admin.ok_json({"list"})) ==
          std::map<std::string, std::string>{{"John Doe", "DIAMOND"}, {"Jane Smith", "PLATINUM"}});
  }

  TEST_CASE("identify finds a VIP by any form of the number") {
    Admin admin;
    const std::string id = admin.add("John Doe", "+1 (234) 567-8900", {"--level", "GOLD", "--rules", "PRIORITY_QUEUE"});
    for (const std::string number :
         {"+1 (234) 567-8900", "011 1 234 567 8900", "1-234-567-8900", "011 1 234 567 8900", "2345678900"}) {
      CAPTURE(number);
      const json who = admin.ok_json({"identify", number});
      CHECK(who["is_vip"] == true);
      CHECK(who["vip_caller"]["id"] == id);
      CHECK(who["routing_priority"] == 85);  // GOLD with PRIORITY_QUEUE, as in the seed
    }
    const std::string table = admin.ok({"identify", "1-234-567-8900"}).out;
    CHECK(contains(table, "John Doe"));
    CHECK(contains(table, "PRIORITY_QUEUE"));
    const Run bad = admin.fails({"identify", "12ab"}, 5);
    CHECK(contains(bad.err, "phone_number"));
  }

  TEST_CASE("--read-only reads a database that cannot be written and changes fail with exit 6") {
    Admin admin;
    admin.add("John Doe", "+1 (234) 567-8900", {"--level", "GOLD"});
    // The directory cannot take SQLite's -wal and -shm files (as if full or
    // not writable; directories of those names stop root too).
    fs::create_directory(admin.db_file().string() + "-wal");
    fs::create_directory(admin.db_file().string() + "-shm");
    admin.fails({"identify", "+1 234 567 8900"}, 6);
    const json who = admin.ok_json({"--read-only", "identify", "+1 234 567 8900"});
    CHECK(who["is_vip"] == true);
    CHECK(admin.ok_json({"--read-only", "list"}).size() == 1);
    const Run add = admin.fails({"--read-only", "add", "--name", "Jane", "--phone", "+1 345 678 9012"}, 6);
    CHECK(contains(add.err, "read-only"));
  }

  TEST_CASE("a 100000-row CSV imports with few progress lines and a summary") {
    Admin admin;
    constexpr int kRows = 100000;
    const char* const kLevels[] = {"STANDARD", "SILVER", "GOLD", "PLATINUM", "DIAMOND"};
    std::string csv = "phone_number,caller_name,company_name,vip_level,handling_rules,account_value,tags\n";
    char row[256];
    for (int i = 0; i < kRows; ++i) {
      std::snprintf(row, sizeof row, "+1 %03d 555 %04d,Customer %d,\"Company %d, Inc.\",%s,%s,%d.5,bulk|t%d\n",
                    201 + i / 10000, i % 10000, i, i % 100, kLevels[i % 5],
                    i % 5 >= 2 ? "PRIORITY_QUEUE|EXTENDED_HOURS" : "", 1000 * (i % 500), i % 7);
      csv += row;
    }
    const fs::path file = admin.dir / "vips.csv";
    write_text(file, csv);

    const auto start = std::chrono::steady_clock::now();
    const Run imported = admin.ok({"import", file.string()});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    MESSAGE("vipctl imported " << kRows << " CSV rows in " << seconds << " s");

    CHECK(contains(imported.out, "100000 rows, 100000 created, 0 updated, 0 skipped, 0 failed"));
    // Not a terminal: a few plain progress lines, ending at 100%.
    std::istringstream progress(imported.err);
    int lines = 0;
    std::string line, last;
    while (std::getline(progress, line))
      if (contains(line, "import: ")) ++lines, last = line;
    CHECK(lines >= 2);
    CHECK(lines <= 6);
    CHECK(contains(last, "100000/100000 rows (100%)"));

    const json who = admin.ok_json({"identify", "(206) 555-4321"});
    CHECK(who["is_vip"] == true);
    CHECK(who["vip_caller"]["caller_name"] == "Customer 54321");
    const json page = admin.ok_json({"list", "--level", "DIAMOND", "--skip", "10", "--limit", "5"});
    REQUIRE(page.size() == 5);
    for (const json& c : page) {
      CHECK(c["vip_level"] == "DIAMOND");
      CHECK(c["handling_rules"] == json{"PRIORITY_QUEUE", "EXTENDED_HOURS"});
    }
  }

  TEST_CASE("escalation rules are added and listed and an escalation check triggers them") {
    Admin admin;
    const std::string caller = admin.add("John Doe", "+1 (234) 567-8900", {"--level", "GOLD"});
    const json rule = admin.ok_json({"rules", "add", "--name", "VIP Wait Time Rule", "--max-wait", "60", "--type",
                                     "manager", "--email", "manager@company.com"});
    CHECK(rule["tier"] == 3);
    admin.ok({"rules", "add", "--name", "Diamond fast track", "--levels", "DIAMOND,PLATINUM", "--max-wait", "20",
              "--type", "supervisor", "--alert", "vip-wallboard"});
    const json rules = admin.ok_json({"rules", "list"});
    REQUIRE(rules.size() == 2);
    CHECK(rules[0]["name"] == "Diamond fast track");  // same priority: by name
    CHECK(rules[1]["notification_emails"] == json{"manager@company.com"});
    const std::string table = admin.ok({"rules", "list"}).out;
    CHECK(contains(table, "VIP Wait Time Rule"));
    CHECK(contains(table, "wait > 60 s"));

    const json check = admin.ok_json({"escalation-check", caller, "--wait", "120", "--position", "3"});
    CHECK(check["should_escalate"] == true);
    REQUIRE(check["triggered_rules"].size() == 1);  // the DIAMOND/PLATINUM rule does not apply to GOLD
    CHECK(check["triggered_rules"][0]["rule_name"] == "VIP Wait Time Rule");
    CHECK(check["triggered_rules"][0]["escalation_type"] == "manager");
    CHECK(check["triggered_rules"][0]["notification_emails"] == json{"manager@company.com"});
    CHECK(check["highest_tier"] == 3);
    CHECK(check["sla_breached"] == true);
    CHECK(admin.ok_json({"escalation-check", caller, "--wait", "30"})["should_escalate"] == false);

    SUBCASE("with a call id a rule triggers once per call") {
      const std::vector<std::string> poll{"escalation-check", caller, "--wait", "90", "--call-id", "call-1"};
      CHECK(admin.ok_json(poll)["triggered_rules"][0]["already_triggered"] == false);
      CHECK(admin.ok_json(poll)["triggered_rules"][0]["already_triggered"] == true);
    }
    SUBCASE("a rule is updated and removed") {
      const std::string id = rule["id"].get<std::string>();
      CHECK(admin.ok_json({"rules", "update", id, "--max-wait", "200"})["max_wait_time"] == 200);
      CHECK(admin.ok_json({"escalation-check", caller, "--wait", "120"})["should_escalate"] == false);
      admin.ok({"rules", "remove", id});
      CHECK(admin.ok_json({"rules", "list"}).size() == 1);
      admin.fails({"rules", "remove", id}, 3);
    }
  }

  TEST_CASE("--to with a date includes that whole day in the tenant's time zone; a time stays exact") {
    Admin admin;
    admin.ok({"settings", "--time-zone", "Asia/Tokyo"});
    const std::string gold = admin.add("John Doe", "+1 (234) 567-8900", {"--level", "GOLD"});
    admin.ok({"record-call", "--caller", gold, "--call-id", "late", "--wait", "5", "--at", "2024-01-31T23:30:00+09:00"});
    admin.ok({"record-call", "--caller", gold, "--call-id", "feb", "--wait", "5", "--at", "2024-02-01T00:00:00+09:00"});
    admin.ok({"record-call", "--caller", gold, "--call-id", "dec", "--wait", "5", "--at", "2023-12-31T23:59:00+09:00"});
    CHECK(admin.ok_json({"analytics", "--from", "2024-01-01", "--to", "2024-01-31"})["all"]["calls"] == 1);
    CHECK(admin.ok_json({"analytics", "--caller", gold, "--from", "2024-01-01", "--to", "2024-01-31"})["calls"] == 1);
    CHECK(admin.ok_json({"analytics", "--from", "2024-01-01", "--to", "2024-01-31T23:30:00+09:00"})["all"]["calls"] == 0);
    CHECK(admin.ok_json({"analytics", "--from", "2024-01-31", "--to", "2024-02-01"})["all"]["calls"] == 2);
    CHECK(contains(admin.fails({"analytics", "--from", "2024-02-01", "--to", "2024-01-31"}, 5).err, "to"));
    CHECK(contains(admin.fails({"analytics", "--from", "2024-01-xx"}, 5).err, "from"));
  }

  TEST_CASE("recorded calls show in the overview and in the caller's analytics") {
    Admin admin;
    const std::string gold = admin.add("John Doe", "+1 (234) 567-8900", {"--level", "GOLD"});
    const std::string diamond = admin.add("Michael Chen", "+1 456 789 0123", {"--level", "DIAMOND"});
    admin.ok({"record-call", "--caller", gold, "--call-id", "c1", "--wait", "42", "--escalated", "--rating", "4",
              "--quality", "80", "--at", "2024-01-10T10:00:00Z"});
    const json second = admin.ok_json({"record-call", "--caller", gold, "--call-id", "c2", "--wait", "12", "--rating",
                                       "5", "--quality", "90", "--rules", "PRIORITY_QUEUE", "--at", "2024-01-11"});
    CHECK(second["handling_rules_applied"] == json{"PRIORITY_QUEUE"});
    admin.ok({"record-call", "--caller", diamond, "--call-id", "c3", "--wait", "30", "--at", "2024-01-12"});
    admin.ok({"record-call", "--caller", gold, "--call-id", "c4", "--wait", "5", "--at", "2024-03-01"});
    admin.fails({"record-call", "--caller", gold, "--call-id", "c1", "--wait", "1"}, 5);  // recorded already

    const std::vector<std::string> january{"--from", "2024-01-01", "--to", "2024-02-01"};
    std::vector<std::string> args{"analytics"};
    args.insert(args.end(), january.begin(), january.end());
    const json overview = admin.ok_json(args);
    CHECK(overview["total_callers"] == 2);
    CHECK(overview["all"]["calls"] == 3);
    CHECK(overview["by_level"]["GOLD"]["calls"] == 2);
    CHECK(overview["by_level"]["GOLD"]["escalations"] == 1);
    CHECK(overview["by_level"]["GOLD"]["wait"]["max"] == 42);
    CHECK(overview["by_level"]["DIAMOND"]["sla_met"] == 0);  // 30 s against DIAMOND's 15 s target
    CHECK(contains(admin.ok(args).out, "GOLD"));

    args.insert(args.end(), {"--caller", gold});
    const json john = admin.ok_json(args);
    CHECK(john["calls"] == 2);
    CHECK(john["wait"]["average"] == doctest::Approx(27.0));
    CHECK(john["average_satisfaction"] == doctest::Approx(4.5));
    CHECK(contains(admin.ok(args).out, gold));

    const json shown = admin.ok_json({"show", gold});
    CHECK(shown["total_calls"] == 3);
    CHECK(shown["satisfaction_score"] == doctest::Approx(4.5));

    args = {"alerts"};
    args.insert(args.end(), january.begin(), january.end());
    CHECK(admin.ok_json(args).is_array());
    const Run purged = admin.ok({"purge", "--before", "2024-02-01"});
    CHECK(contains(purged.out, "purged 3 calls"));
  }

  TEST_CASE("an export as JSON or CSV imports into another tenant with the same callers") {
    Admin admin;
    admin.accept_seed_numbers();
    admin.accept_seed_numbers("globex");
    write_text(admin.dir / "seed.json", kSeedBulkImport);
    admin.ok({"import", (admin.dir / "seed.json").string()});
    admin.add("Sarah Johnson", "+1 345 678 9012", {"--level",         "PLATINUM",
                                                   "--company",       "Initech",
                                                   "--rules",         "DEDICATED_AGENT,CUSTOM_GREETING",
                                                   "--greeting",      "Good day Ms. Johnson, \"connecting\" you",
                                                   "--agent",         "agent-007",
                                                   "--max-wait",      "30",
                                                   "--email",         "sarah@initech.example",
                                                   "--account-value", "150000",
                                                   "--tag",           "premium",
                                                   "--tag",           "enterprise",
                                                   "--notes",         "line one\nline two",
                                                   "--status",        "SUSPENDED"});
    // Export has no numbers (vipcore keeps only hashes): the test knows them.
    const std::map<std::string, std::string> numbers{
        {"John Doe", "+1234567890"}, {"Jane Smith", "+1234567891"}, {"Sarah Johnson", "+1 345 678 9012"}};

    std::string format;
    SUBCASE("JSON") { format = "json"; }
    SUBCASE("CSV") { format = "csv"; }
    CAPTURE(format);
    const fs::path exported = admin.dir / ("export." + format);
    admin.ok({"export", "--output", exported.string()});
    CHECK(file_mode(exported) == 0600u);                        // it holds decrypted fields
    admin.fails({"export", "--output", exported.string()}, 5);  // never overwritten

    const std::string text = read_text(exported);
    for (const auto& [name, number] : numbers) CHECK_FALSE(contains(text, number));
    std::string with_numbers;
    if (format == "json") {
      json document = json::parse(text);
      for (json& row : document["vip_callers"]) row["phone_number"] = numbers.at(row["caller_name"].get<std::string>());
      with_numbers = document.dump();
    } else {
      std::istringstream lines(text);
      std::string line;
      std::getline(lines, line);
      with_numbers = "phone_number," + line + "\n";
      while (std::getline(lines, line)) {
        if (contains(line, "line one")) {  // the notes cell spans two lines
          std::string next;
          std::getline(lines, next);
          line += "\n" + next;
        }
        for (const auto& [name, number] : numbers)
          if (contains(line, "\"" + name + "\"")) with_numbers += "\"" + number + "\"," + line + "\n";
      }
    }
    const fs::path reimport = admin.dir / ("reimport." + format);
    write_text(reimport, with_numbers);
    admin.ok({"--tenant", "globex", "import", reimport.string()});

    const auto comparable = [](json callers) {
      std::map<std::string, json> by_name;
      for (json& c : callers) {
        for (const char* differs : {"id", "created_at", "updated_at"}) c.erase(differs);
        by_name[c["caller_name"].get<std::string>()] = c;
      }
      return by_name;
    };
    const json original = admin.ok_json({"list"});
    const json copy = admin.ok_json({"--tenant", "globex", "list"});
    CHECK(levels_by_name(copy) == levels_by_name(original));
    CHECK(comparable(copy) == comparable(original));
    const json sarah = admin.ok_json({"--tenant", "globex", "identify", "+1 345 678 9012"});
    CHECK(sarah["match"] == "SUSPENDED");
  }

  TEST_CASE("a UK tenant adds 07400 123456 and identifies it from +44 7400 123456; 0113 496 0000 is Leeds") {
    Admin admin;
    admin.ok({"settings", "--region", "GB"});
    admin.add("Mobile Mary", "07400 123456", {"--level", "GOLD"});
    admin.add("Leeds Lee", "0113 496 0000");
    const json mary = admin.ok_json({"identify", "+44 7400 123456"});
    CHECK(mary["is_vip"] == true);
    CHECK(mary["vip_caller"]["caller_name"] == "Mobile Mary");
    CHECK(admin.ok_json({"identify", "0044 7400 123456"})["vip_caller"]["caller_name"] == "Mobile Mary");
    CHECK(admin.ok_json({"identify", "0113 496 0000"})["vip_caller"]["caller_name"] == "Leeds Lee");
    CHECK(admin.ok_json({"identify", "+44 113 496 0000"})["vip_caller"]["caller_name"] == "Leeds Lee");
    CHECK(admin.ok_json({"identify", "+34 960 000"})["is_vip"] == false);  // never Spain
    // A mistyped UK number is refused naming the field, never echoing the number.
    const Run typo = admin.fails({"add", "--name", "Typo Tom", "--phone", "+44 20 7946 09"}, 5);
    CHECK(contains(typo.err, "phone_number"));
    CHECK_FALSE(contains(typo.err, "7946"));
  }

  TEST_CASE("the seed's update example adds IMMEDIATE_TRANSFER and DEDICATED_AGENT to a caller without an agent") {
    Admin admin;
    admin.accept_seed_numbers();
    const std::string id = admin.add("John Doe", "+1234567890", {"--level", "GOLD"});
    const json updated = admin.ok_json({"update", id, "--level", "PLATINUM", "--notes", "Upgraded to Platinum level",
                                        "--rules", "IMMEDIATE_TRANSFER,DEDICATED_AGENT"});
    CHECK(updated["vip_level"] == "PLATINUM");
    CHECK(updated["notes"] == "Upgraded to Platinum level");
    CHECK(updated["handling_rules"] == json{"IMMEDIATE_TRANSFER", "DEDICATED_AGENT"});
    CHECK(admin.ok_json({"identify", "+1234567890"})["vip_caller"]["vip_level"] == "PLATINUM");
  }

  TEST_CASE("add, show, update and remove a VIP caller") {
    Admin admin;
    const std::string id = admin.add("John Doe", "+1 (234) 567-8900",
                                     {"--level", "GOLD", "--company", "Acme Corp", "--tag", "premium", "--tag", "vip",
                                      "--alt-phone", "+1 234 567 8901", "--valid-until", "2099-01-01"});
    const json shown = admin.ok_json({"show", id});
    CHECK(shown["company_name"] == "Acme Corp");
    CHECK(shown["phones_masked"] == json{"*******8900", "*******8901"});
    CHECK(shown["valid_until"] == "2099-01-01T00:00:00.000Z");
    CHECK(contains(admin.ok({"show", id}).out, "60 (the GOLD default)"));

    const json updated = admin.ok_json({"update", id, "--level", "PLATINUM", "--notes", "Upgraded to Platinum level"});
    CHECK(updated["vip_level"] == "PLATINUM");
    CHECK(updated["notes"] == "Upgraded to Platinum level");
    CHECK(updated["company_name"] == "Acme Corp");  // not given: unchanged
    CHECK(updated["tags"] == json{"premium", "vip"});
    const json cleared = admin.ok_json({"update", id, "--company", "", "--tag", "", "--valid-until", ""});
    CHECK(cleared["company_name"].is_null());
    CHECK(cleared["tags"].empty());
    CHECK(cleared["valid_until"].is_null());
    admin.fails({"update", id}, 5);  // nothing to change

    admin.ok({"remove", id});
    admin.fails({"show", id}, 3);
    CHECK(admin.ok_json({"identify", "+1 234 567 8901"})["is_vip"] == false);
  }

  TEST_CASE("bad input exits with the documented codes") {
    Admin admin;
    SUBCASE("a missing import file exits 3") {
      const Run r = admin.fails({"import", (admin.dir / "missing.json").string()}, 3);
      CHECK(contains(r.err, "missing.json"));
    }
    SUBCASE("a missing database exits 3") { admin.fails({"--db", (admin.dir / "none.db").string(), "list"}, 3); }
    SUBCASE("malformed JSON exits 5 and says where") {
      write_text(admin.dir / "bad.json",
                 "{\"vip_callers\": [\n  {\"phone_number\": \"+1 234 555 0101\",\n"
                 "   \"caller_name\" \"Ann\"}\n]}\n");
      const Run r = admin.fails({"import", (admin.dir / "bad.json").string()}, 5);
      CHECK(contains(r.err, "malformed JSON at line 3"));
      CHECK_FALSE(contains(r.err, "555 0101"));  // never echoes the file's contents
    }
    SUBCASE("a CSV row with a bad level is reported with its line number") {
      write_text(admin.dir / "bad.csv",
                 "phone_number,caller_name,vip_level,notes\n"
                 "+1 234 555 0101,Ann,GOLD,\n"
                 "\n"
                 "+1 234 555 0102,Bob,SILVER,\"notes on\ntwo lines\"\n"
                 "+1 234 555 0103,Cy,PLATINOOM,\n"
                 "+1 234 555 0104,Di,DIAMOND,\n");
      const std::string file = (admin.dir / "bad.csv").string();
      const Run r = admin.fails({"import", file}, 5);
      CHECK(contains(r.err, "line 6: vip_level: unknown VIP level"));
      CHECK(contains(r.err, "nothing was imported"));
      CHECK_FALSE(contains(r.err, "555 0103"));
      CHECK(admin.ok_json({"list"}).empty());

      const Run best = admin.ok({"import", file, "--mode", "best-effort"});
      CHECK(contains(best.out, "4 rows, 3 created, 0 updated, 0 skipped, 1 failed"));
      CHECK(contains(best.err, "line 6: vip_level"));
      CHECK(admin.ok_json({"list"}).size() == 3);
      CHECK(contains(admin.ok({"import", file, "--mode", "best-effort", "--on-duplicate", "skip"}).out,
                     "0 created, 0 updated, 3 skipped, 1 failed"));
    }
    SUBCASE("a JSON row with a bad value is reported with its index and line") {
      write_text(admin.dir / "rows.json",
                 "{\"vip_callers\": [\n  {\"phone_number\": \"+1 234 555 0101\", "
                 "\"caller_name\": \"Ann\"},\n  {\"phone_number\": \"+1 234 555 0102\",\n"
                 "   \"caller_name\": \"Bob\", \"max_wait_time\": \"soon\"}\n]}\n");
      const Run r = admin.fails({"import", (admin.dir / "rows.json").string()}, 5);
      CHECK(contains(r.err, "vip_callers[1] (line 3): max_wait_time: must be a whole number"));
    }
    SUBCASE("an unknown id exits 3") {
      const std::string nobody = "00000000-0000-4000-8000-000000000000";
      admin.fails({"show", nobody}, 3);
      admin.fails({"update", nobody, "--level", "GOLD"}, 3);
      admin.fails({"remove", nobody}, 3);
      admin.fails({"escalation-check", nobody, "--wait", "10"}, 3);
    }
    SUBCASE("a duplicate number or a bad value exits 5") {
      admin.add("John Doe", "+1 (234) 567-8900");
      admin.fails({"add", "--name", "Other", "--phone", "011 1 234 567 8900"}, 5);
      admin.fails({"add", "--name", "Other", "--phone", "+1 345 678 9012", "--level", "EMERALD"}, 5);
      admin.fails({"analytics", "--from", "yesterday"}, 5);
    }
    SUBCASE("a wrong or missing key file exits 7") {
      auto other = vipcore::MasterKey::generate();
      REQUIRE(other.ok());
      REQUIRE(other->write_file((admin.dir / "other.key").string()).ok());
      const Run wrong = admin.fails({"--key-file", (admin.dir / "other.key").string(), "list"}, 7);
      CHECK_FALSE(contains(wrong.err, read_text(admin.dir / "other.key").substr(0, 64)));
      admin.fails({"--key-file", (admin.dir / "none.key").string(), "list"}, 7);
    }
    SUBCASE("usage errors exit 2") {
      admin.fails({}, 2);
      admin.fails({"frobnicate"}, 2);
      admin.fails({"list", "--colour"}, 2);
      admin.fails({"add", "--name", "No Number"}, 2);
      admin.fails({"add", "--name", "X", "--phone", "+1 345 678 9012", "--max-wait", "long"}, 2);
      admin.fails({"rules"}, 2);
      admin.fails({"import", "x.csv", "--mode", "most"}, 2);
      admin.fails({"rotate-key"}, 2);
      Vipctl no_tenant = admin.vipctl;
      no_tenant.env.erase("VIPCTL_TENANT");
      const Run r = no_tenant({"list"});
      CHECK(r.exit_code == 2);
      CHECK(contains(r.err, "--tenant"));
    }
    SUBCASE("help is no error") {
      const Run help = admin.ok({"--help"});
      CHECK(contains(help.out, "Exit codes:"));
      CHECK(contains(help.out, "VIPCTL_DB"));
      for (const std::string command :
           {"init", "add", "show", "update", "remove", "list", "identify", "import", "export", "rules",
            "escalation-check", "record-call", "analytics", "alerts", "metrics", "audit", "rotate-key", "purge"})
        CHECK_MESSAGE(contains(admin.ok({command, "--help"}).out, "Usage:"), command);
    }
    SUBCASE("an AUDITOR may read the audit trail but not add a caller: exit 4") {
      admin.fails({"--role", "AUDITOR", "add", "--name", "X", "--phone", "+1 345 678 9012"}, 4);
      admin.fails({"--role", "AGENT", "rules", "add", "--name", "R", "--max-wait", "5"}, 4);
      const json trail = admin.ok_json({"--role", "AUDITOR", "audit"});
      CHECK(trail.is_array());
    }
  }

  TEST_CASE("bad cells exit 5 naming the row and the column, never the cell's content") {
    Admin admin;
    SUBCASE("a JSON number that overflows") {
      write_text(admin.dir / "big.json",
                 "{\"vip_callers\": [\n  {\"phone_number\": \"+1 234 555 0101\", \"caller_name\": \"Ann\"},\n"
                 "  {\"phone_number\": \"+1 234 555 0102\",\n   \"caller_name\": \"Bob\",\n"
                 "   \"account_value\": 1e999}\n]}\n");
      const Run r = admin.fails({"import", (admin.dir / "big.json").string()}, 5);
      CHECK(contains(r.err, "vip_callers[1] (line 3): account_value: is a number out of range"));
      CHECK_FALSE(contains(r.err, "1e999"));
      CHECK_FALSE(contains(r.err, "555 0102"));
    }
    SUBCASE("a CSV file whose columns were swapped: phone numbers in the level and status columns") {
      write_text(admin.dir / "swapped.csv",
                 "phone_number,caller_name,vip_level,status,handling_rules\n"
                 "+1 234 666 0201,Ann,+1 234 555 0101,ACTIVE,PRIORITY_QUEUE\n"
                 "+1 234 666 0202,Bob,GOLD,+1 234 555 0112,PRIORITY_QUEUE\n"
                 "+1 234 666 0203,Cy,GOLD,ACTIVE,+1 234 555 0121\n");
      const Run r = admin.fails({"import", (admin.dir / "swapped.csv").string()}, 5);
      CHECK(contains(r.err, "line 2: vip_level"));
      CHECK(contains(r.err, "line 3: status"));
      CHECK(contains(r.err, "line 4: handling_rules[0]"));
      CHECK_FALSE(contains(r.err, "555"));
    }
    SUBCASE("an unknown level, status or rule on the command line is not echoed either") {
      const Run level = admin.fails({"add", "--name", "X", "--phone", "+1 345 678 9012", "--level", "5550199"}, 5);
      CHECK(contains(level.err, "vip_level"));
      CHECK_FALSE(contains(level.err, "5550199"));
      const Run rule = admin.fails({"add", "--name", "X", "--phone", "+1 345 678 9012", "--rules", "5550199"}, 5);
      CHECK(contains(rule.err, "handling_rules[0]"));
      CHECK_FALSE(contains(rule.err, "5550199"));
    }
  }

  TEST_CASE("list --skip past 2^63 lists nothing instead of the first page") {
    Admin admin;
    admin.add("John Doe", "+1 (234) 567-8900");
    admin.add("Jane Roe", "+1 (234) 567-8901");
    for (const std::string skip : {"9223372036854775808", "18446744073709551615", "9223372036854775809"}) {
      CAPTURE(skip);
      CHECK(admin.ok_json({"list", "--skip", skip}).empty());
      CHECK(admin.ok_json({"list", "--skip", skip, "--search", "Doe"}).empty());
      CHECK_FALSE(contains(admin.ok({"list", "--skip", skip}).out, "John"));
    }
    CHECK(admin.ok_json({"list", "--skip", "1"}).size() == 1);
  }

  TEST_CASE("the extreme times vipcore accepts export and import back unchanged and others are refused") {
    Admin admin;
    admin.add("Early Late", "+1 (234) 567-8900",
              {"--valid-from", "1970-01-01T00:00:00Z", "--valid-until", "9999-12-31T23:59:59.999Z"});
    const fs::path exported = admin.dir / "export.json";
    admin.ok({"export", "--output", exported.string()});
    json document = json::parse(read_text(exported));
    REQUIRE(document["vip_callers"].size() == 1);
    CHECK(document["vip_callers"][0]["valid_from"] == "1970-01-01T00:00:00.000Z");
    CHECK(document["vip_callers"][0]["valid_until"] == "9999-12-31T23:59:59.999Z");
    document["vip_callers"][0]["phone_number"] = "+1 (234) 567-8900";
    write_text(admin.dir / "reimport.json", document.dump());
    admin.ok({"--tenant", "globex", "import", (admin.dir / "reimport.json").string()});
    const json copy = admin.ok_json({"--tenant", "globex", "list"});
    REQUIRE(copy.size() == 1);
    CHECK(copy[0]["valid_from"] == "1970-01-01T00:00:00.000Z");
    CHECK(copy[0]["valid_until"] == "9999-12-31T23:59:59.999Z");

    for (const std::string bad : {"10000-01-01", "1969-12-31T23:59:59Z", "2024-01-31T10:15:00+99:99",
                                  "2024-01-31T10:15:", "--------+-01:00"}) {
      CAPTURE(bad);
      const Run r = admin.fails({"add", "--name", "X", "--phone", "+1 345 678 9012", "--valid-until", bad}, 5);
      CHECK(contains(r.err, "valid_until"));
      admin.fails({"analytics", "--from", bad}, 5);
      document["vip_callers"][0]["valid_until"] = bad;
      document["vip_callers"][0]["phone_number"] = "+1 345 678 9012";
      write_text(admin.dir / "bad-time.json", document.dump());
      const Run imported = admin.fails({"import", (admin.dir / "bad-time.json").string()}, 5);
      CHECK(contains(imported.err, "vip_callers[0] (line 1): valid_until"));
    }
  }

  TEST_CASE("list and export name a tampered caller on stderr, exit 6, and still give every other caller") {
    Admin admin;
    const std::string john = admin.add("John Doe", "+1 (234) 567-8900");
    const std::string jane = admin.add("Jane Roe", "+1 (234) 567-8901");
    {
      sqlite3* raw = nullptr;
      REQUIRE(sqlite3_open(admin.db_file().c_str(), &raw) == SQLITE_OK);
      const std::string sql =
          "UPDATE vip_caller SET caller_name = substr(caller_name, 1, 40) || CASE WHEN substr(caller_name, 41, 1) = "
          "X'00' THEN X'01' ELSE X'00' END || substr(caller_name, 42) WHERE id = '" + john + "'";
      REQUIRE(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
      sqlite3_close(raw);
    }
    const Run listed = admin.fails({"list"}, 6);
    CHECK(contains(listed.out, "Jane Roe"));
    CHECK(contains(listed.err, "1 VIP caller was skipped"));
    CHECK(contains(listed.err, john));
    CHECK_FALSE(contains(listed.err, jane));
    const Run as_json = admin.fails({"list", "--json"}, 6);
    const json page = json::parse(as_json.out);
    REQUIRE(page.size() == 1);
    CHECK(page[0]["id"] == jane);

    const fs::path exported = admin.dir / "export.json";
    const Run export_run = admin.fails({"export", "--output", exported.string()}, 6);
    CHECK(contains(export_run.err, john));
    REQUIRE(fs::exists(exported));  // the others are exported, not thrown away
    const json document = json::parse(read_text(exported));
    REQUIRE(document["vip_callers"].size() == 1);
    CHECK(document["vip_callers"][0]["id"] == jane);

    const Run shown = admin.fails({"show", john}, 6);  // the damaged caller itself still fails
    CHECK(contains(shown.err, "failed authentication"));
    admin.ok({"remove", john});  // the repair
    CHECK(admin.ok_json({"list"}).size() == 1);
  }

  TEST_CASE("the audit trail names the actor and metrics export as Prometheus text") {
    Admin admin;
    admin.vipctl.env["VIPCTL_ACTOR"] = "alice";
    const std::string id = admin.add("John Doe", "+1 (234) 567-8900");
    const json trail = admin.ok_json({"audit", "--entity", id});
    REQUIRE_FALSE(trail.empty());
    CHECK(trail[0]["action"] == "create");
    CHECK(trail[0]["actor_id"] == "alice");
    CHECK(trail[0]["role"] == "ADMIN");
    CHECK(admin.ok_json({"audit", "--by", "nobody"}).empty());
    CHECK(contains(admin.ok({"metrics", "--prometheus"}).out, "vipcore_identify_total"));
    CHECK(admin.ok_json({"metrics"})["tenant_id"] == "acme");
  }

  TEST_CASE("settings show the defaults and change only what is given") {
    Admin admin;
    const json defaults = admin.ok_json({"settings"});
    CHECK(defaults["time_zone"] == "UTC");
    CHECK(defaults["business_hours"] == "mon-fri 09:00-17:00");
    CHECK(defaults["levels"]["GOLD"]["target_wait"] == 60);
    CHECK(defaults["levels"]["GOLD"]["priority"] == 70);
    const json changed = admin.ok_json({"settings", "--time-zone", "Europe/Paris", "--business-hours", "24/7",
                                        "--target-wait", "gold=45", "--priority", "GOLD=75",
                                        "--alert-escalation-rate", "DIAMOND=0.02"});
    CHECK(changed["time_zone"] == "Europe/Paris");
    CHECK(changed["business_hours"] == "24/7");
    CHECK(changed["levels"]["GOLD"]["target_wait"] == 45);
    CHECK(changed["levels"]["DIAMOND"]["max_escalation_rate"] == 0.02);
    CHECK(admin.ok_json({"settings"}) == changed);  // stored
    admin.add("John Doe", "+1 (234) 567-8900", {"--level", "GOLD", "--rules", "PRIORITY_QUEUE"});
    CHECK(admin.ok_json({"identify", "+1 234 567 8900"})["routing_priority"] == 90);  // 75 + 15
    CHECK(contains(admin.fails({"settings", "--time-zone", "Mars/Olympus"}, 5).err, "time_zone"));
    CHECK(contains(admin.fails({"settings", "--target-wait", "GOLD"}, 5).err, "LEVEL=VALUE"));
    CHECK(contains(admin.fails({"settings", "--target-wait", "GOLD=-3"}, 5).err, "level_waits[GOLD]"));
    CHECK(contains(admin.fails({"settings", "--priority", "BRONZE=3"}, 5).err, "BRONZE"));

    // The rest: rule bonuses, the dynamic-priority curve, the other alert thresholds.
    const json more = admin.ok_json({"settings", "--rule-bonus", "priority_queue=5", "--rule-bonus", "DEDICATED_AGENT=3",
                                     "--rise-start", "0.25", "--exponent", "2", "--alert-wait-factor", "1.5",
                                     "--alert-failed-identifications", "0.02", "--alert-min-identifications", "50",
                                     "--alert-quality-drop", "7.5", "--alert-min-calls", "4"});
    CHECK(more["rule_bonus"]["PRIORITY_QUEUE"] == 5);
    CHECK(more["rule_bonus"]["DEDICATED_AGENT"] == 3);
    CHECK(more["rule_bonus"]["IMMEDIATE_TRANSFER"] == 20);  // untouched
    CHECK(more["dynamic_priority"]["rise_start"] == 0.25);
    CHECK(more["dynamic_priority"]["exponent"] == 2.0);
    CHECK(more["alerts"]["wait_factor"] == 1.5);
    CHECK(more["alerts"]["max_failed_identification_rate"] == 0.02);
    CHECK(more["alerts"]["min_identifications"] == 50);
    CHECK(more["alerts"]["max_quality_drop"] == 7.5);
    CHECK(more["alerts"]["min_calls"] == 4);
    CHECK(more["time_zone"] == "Europe/Paris");  // what was not given stays
    CHECK(admin.ok_json({"identify", "+1 234 567 8900"})["routing_priority"] == 80);  // 75 + 5
    CHECK(contains(admin.ok({"settings"}).out, "PRIORITY_QUEUE +5"));
    CHECK(contains(admin.fails({"settings", "--rule-bonus", "FAST_LANE=3"}, 5).err, "FAST_LANE"));
    CHECK(contains(admin.fails({"settings", "--rule-bonus", "PRIORITY_QUEUE"}, 5).err, "RULE=N"));
    CHECK(contains(admin.fails({"settings", "--exponent", "9"}, 5).err, "dynamic_priority.exponent"));
    CHECK(contains(admin.fails({"settings", "--alert-wait-factor", "0"}, 5).err, "alerts.wait_factor"));
    admin.fails({"settings", "--alert-min-calls", "many"}, 2);
    admin.fails({"settings", "--alert-min-calls", "-1"}, 2);  // not a count: never wrapped to 2^64 - 1
    admin.fails({"settings", "--alert-min-identifications", "-5"}, 2);
    CHECK(admin.ok_json({"settings"}) == more);  // refused changes wrote nothing

    admin.vipctl.env["VIPCTL_ROLE"] = "MANAGER";
    CHECK(admin.vipctl({"settings", "--time-zone", "UTC"}).exit_code == 4);
    CHECK(admin.ok_json({"settings"})["time_zone"] == "Europe/Paris");
  }

  TEST_CASE("settings --region and --number-validation set the tenant's numbering plan") {
    Admin admin;
    const json defaults = admin.ok_json({"settings"});
    CHECK(defaults["region"] == "US");
    CHECK(defaults["number_validation"] == "strict");
    CHECK(contains(admin.ok({"settings"}).out, "number_validation"));
    const json uk = admin.ok_json({"settings", "--region", "gb", "--number-validation", "E164"});
    CHECK(uk["region"] == "GB");
    CHECK(uk["number_validation"] == "e164");
    CHECK(admin.ok_json({"settings"}) == uk);  // stored
    const Run table = admin.ok({"settings"});
    CHECK(contains(table.out, "GB"));
    CHECK(contains(table.out, "e164"));
    // An unknown region or mode is refused by name, and nothing changes.
    const Run bad_region = admin.fails({"settings", "--region", "XX"}, 5);
    CHECK(contains(bad_region.err, "region"));
    CHECK(contains(bad_region.err, "'XX'"));
    CHECK(contains(admin.fails({"settings", "--region", "UK"}, 5).err, "'UK' is not a region"));
    CHECK(contains(admin.fails({"settings", "--number-validation", "loose"}, 5).err, "number-validation"));
    CHECK(admin.ok_json({"settings"}) == uk);
    // The change is audited like every setting.
    const json trail = admin.ok_json({"audit"});
    bool audited = false;
    for (const json& e : trail)
      audited = audited || (e["action"] == "update_settings" && contains(e["fields"].dump(), "region") &&
                            contains(e["fields"].dump(), "number_validation"));
    CHECK(audited);
  }

  TEST_CASE("rotate-key re-encrypts the database and the old key no longer opens it") {
    Admin admin;
    admin.add("John Doe", "+1 (234) 567-8900");
    const std::string new_key = (admin.dir / "new.key").string();
    admin.fails({"--role", "MANAGER", "rotate-key", "--generate-new-key", new_key}, 4);
    CHECK_FALSE(fs::exists(new_key));  // refused before a key was generated
    const Run rotated = admin.ok({"rotate-key", "--generate-new-key", new_key});
    CHECK(contains(rotated.out, "1 callers"));
    CHECK(file_mode(new_key) == 0600u);
    admin.fails({"list"}, 7);
    const json callers = admin.ok_json({"--key-file", new_key, "list"});
    REQUIRE(callers.size() == 1);
    CHECK(callers[0]["caller_name"] == "John Doe");
    admin.fails({"--key-file", new_key, "rotate-key", "--generate-new-key", new_key}, 5);  // exists already
  }

  TEST_CASE("a PBX process with the database open sees what vipctl changes") {
    Admin admin;
    auto key = vipcore::MasterKey::from_file(admin.key_file().string());
    REQUIRE(key.ok());
    auto db = vipcore::Database::open(admin.db_file().string(), *key);
    REQUIRE(db.ok());
    auto pbx = db->tenant("acme", {"pbx-node-1", vipcore::Role::system});
    REQUIRE(pbx.ok());
    vipcore::Identification who;
    REQUIRE(pbx->identify("011 1 234 567 8900", &who).ok());
    CHECK_FALSE(who.is_vip);

    const std::string id = admin.add("John Doe", "+1 (234) 567-8900", {"--level", "GOLD", "--rules", "PRIORITY_QUEUE"});
    REQUIRE(pbx->identify("011 1 234 567 8900", &who).ok());
    CHECK(who.is_vip);
    CHECK(who.caller.id == id);
    CHECK(who.caller.caller_name == "John Doe");
    CHECK(who.routing_priority == 85);

    admin.ok({"update", id, "--level", "DIAMOND"});
    REQUIRE(pbx->identify("+1 (234) 567-8900", &who).ok());
    CHECK(who.caller.vip_level == vipcore::Level::diamond);
    admin.ok({"remove", id});
    REQUIRE(pbx->identify("+1 (234) 567-8900", &who).ok());
    CHECK_FALSE(who.is_vip);
  }

  TEST_CASE("vipctl waits up to --busy-timeout for a write lock another process holds") {
    Admin admin;
    const std::vector<std::string> add{"add", "--name", "John Doe", "--phone", "+1 (234) 567-8900"};
    const auto with_timeout = [&add](const char* milliseconds) {
      std::vector<std::string> args{"--busy-timeout", milliseconds};
      args.insert(args.end(), add.begin(), add.end());
      return args;
    };

    SUBCASE("a lock of 300 ms within a timeout of 5000 ms: vipctl waits, then succeeds") {
      WriteLock lock(admin.db_file());
      std::thread pbx([&lock] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        lock.release();
      });
      const Run r = admin.vipctl(with_timeout("5000"));
      pbx.join();
      CHECK_MESSAGE(r.exit_code == 0, r.err);
      CHECK(admin.ok_json({"identify", "+1 (234) 567-8900"})["is_vip"] == true);
    }
    SUBCASE("a lock held past a timeout of 50 ms: exit 6, and nothing is written") {
      WriteLock lock(admin.db_file());
      const Run r = admin.vipctl(with_timeout("50"));
      lock.release();
      CHECK_MESSAGE(r.exit_code == 6, r.err);
      CHECK(contains(r.err, "busy timeout"));
      CHECK(admin.ok_json({"identify", "+1 (234) 567-8900"})["is_vip"] == false);
      admin.ok(add);  // the lock is gone
    }
  }
}

// The examples of the VIP API vipcore was modelled on, taken as written,
// through vipctl (tests/test_seed_examples.cpp and tests/c_seed_examples_test.c
// do the same through the C++ and C APIs). Each request becomes the command
// README.md maps it to: a JSON body the options of the same field names (or,
// for bodies of callers, an import file holding the body itself), a query
// string the command's options, and {vip_id} the id vipcore gave the caller.
// Every tenant takes the examples' placeholder numbers (number validation e164).
namespace {

// POST /api/v1/vip/ — the request body of "Create VIP Caller", as it is there.
const char* const kSeedCreateBody = R"({
  "phone_number": "+1234567890",
  "caller_name": "John Doe",
  "company_name": "Acme Corp",
  "vip_level": "GOLD",
  "status": "ACTIVE",
  "handling_rules": ["PRIORITY_QUEUE", "CUSTOM_GREETING"],
  "custom_greeting": "Hello Mr. Doe, thank you for calling.",
  "max_wait_time": 30,
  "callback_priority": 1,
  "email": "john.doe@acme.com",
  "account_number": "ACC123456",
  "account_value": 50000.0,
  "notes": "High-value customer",
  "tags": ["premium", "enterprise"]
})";

// The same body as vipctl add's options.
const std::vector<std::string> kSeedCreateOptions{
    "add",
    "--phone", "+1234567890",
    "--name", "John Doe",
    "--company", "Acme Corp",
    "--level", "GOLD",
    "--status", "ACTIVE",
    "--rules", "PRIORITY_QUEUE,CUSTOM_GREETING",
    "--greeting", "Hello Mr. Doe, thank you for calling.",
    "--max-wait", "30",
    "--callback-priority", "1",
    "--email", "john.doe@acme.com",
    "--account-number", "ACC123456",
    "--account-value", "50000.0",
    "--notes", "High-value customer",
    "--tag", "premium",
    "--tag", "enterprise"};

// The fields the create example sets, as vipctl shows a caller.
void check_create_body_fields(const json& c) {
  CHECK(c["id"].get<std::string>().size() == 36);
  CHECK(c["caller_name"] == "John Doe");
  CHECK(c["company_name"] == "Acme Corp");
  CHECK(c["vip_level"] == "GOLD");
  CHECK(c["status"] == "ACTIVE");
  CHECK(c["handling_rules"] == json{"PRIORITY_QUEUE", "CUSTOM_GREETING"});
  CHECK(c["custom_greeting"] == "Hello Mr. Doe, thank you for calling.");
  CHECK(c["max_wait_time"] == 30);
  CHECK(c["callback_priority"] == 1);
  CHECK(c["email"] == "john.doe@acme.com");
  CHECK(c["account_number"] == "ACC123456");
  CHECK(c["account_value"] == 50000.0);
  CHECK(c["notes"] == "High-value customer");
  CHECK(c["tags"] == json{"premium", "enterprise"});
  CHECK(c["phones_masked"] == json{"******7890"});  // the number itself is not stored
}

}  // namespace

TEST_SUITE("vipctl seed examples") {
  TEST_CASE("seed example: create (POST /api/v1/vip/) through vipctl") {
    Admin admin;
    admin.accept_seed_numbers();
    const json created = admin.ok_json(kSeedCreateOptions);
    check_create_body_fields(created);
    check_create_body_fields(admin.ok_json({"show", created["id"].get<std::string>()}));
    const json who = admin.ok_json({"identify", "+1234567890"});
    CHECK(who["is_vip"] == true);
    CHECK(who["vip_caller"]["id"] == created["id"]);
    CHECK(who["routing_priority"] == 85);  // GOLD with PRIORITY_QUEUE

    // The body itself, as the one caller of an import file, in another tenant.
    admin.accept_seed_numbers("globex");
    write_text(admin.dir / "create.json", std::string("{\"vip_callers\": [") + kSeedCreateBody + "]}");
    CHECK(contains(admin.ok({"--tenant", "globex", "import", (admin.dir / "create.json").string()}).out,
                   "1 rows, 1 created"));
    const json listed = admin.ok_json({"--tenant", "globex", "list"});
    REQUIRE(listed.size() == 1);
    check_create_body_fields(listed[0]);
  }

  TEST_CASE("seed example: the three VIP setups of the configuration examples through vipctl") {
    // Each body as it is, imported into a tenant of its own (they share one number).
    const struct {
      const char* tenant;
      const char* body;
      int routing_priority;
    } setups[] = {{"basic", R"({
    "phone_number": "+1234567890",
    "caller_name": "John Doe",
    "vip_level": "GOLD",
    "handling_rules": ["PRIORITY_QUEUE"],
    "max_wait_time": 60
})", 85},
                  {"premium", R"({
    "phone_number": "+1234567890",
    "caller_name": "Sarah Johnson",
    "vip_level": "PLATINUM",
    "handling_rules": ["DEDICATED_AGENT", "CUSTOM_GREETING"],
    "preferred_agent_id": "agent-uuid",
    "custom_greeting": "Good day Ms. Johnson, connecting you to your account manager.",
    "max_wait_time": 30
})", 80},
                  {"diamond", R"({
    "phone_number": "+1234567890",
    "caller_name": "Michael Chen",
    "vip_level": "DIAMOND",
    "handling_rules": ["IMMEDIATE_TRANSFER", "CUSTOM_GREETING"],
    "custom_greeting": "Hello Mr. Chen, transferring you immediately.",
    "max_wait_time": 15,
    "account_value": 500000.0
})", 100}};
    Admin admin;
    for (const auto& s : setups) {
      CAPTURE(s.tenant);
      admin.accept_seed_numbers(s.tenant);
      const json body = json::parse(s.body);
      const fs::path file = admin.dir / (std::string(s.tenant) + ".json");
      write_text(file, std::string("{\"vip_callers\": [") + s.body + "]}");
      CHECK(contains(admin.ok({"--tenant", s.tenant, "import", file.string()}).out, "1 rows, 1 created"));
      const json who = admin.ok_json({"--tenant", s.tenant, "identify", "+1234567890"});
      CHECK(who["is_vip"] == true);
      CHECK(who["vip_caller"]["caller_name"] == body["caller_name"]);
      CHECK(who["vip_caller"]["vip_level"] == body["vip_level"]);
      CHECK(who["vip_caller"]["handling_rules"] == body["handling_rules"]);
      CHECK(who["vip_caller"]["max_wait_time"] == body["max_wait_time"]);
      CHECK(who["vip_caller"]["custom_greeting"] == body.value("custom_greeting", json()));
      CHECK(who["vip_caller"]["preferred_agent_id"] == body.value("preferred_agent_id", json()));
      CHECK(who["routing_priority"] == s.routing_priority);
      const json shown = admin.ok_json({"--tenant", s.tenant, "show", who["vip_caller"]["id"].get<std::string>()});
      CHECK(shown["account_value"] == body.value("account_value", json()));
    }
  }

  TEST_CASE("seed example: update (PUT /api/v1/vip/{id}) through vipctl") {
    Admin admin;
    admin.accept_seed_numbers();
    const std::string id = admin.ok_json(kSeedCreateOptions)["id"].get<std::string>();
    // {"vip_level": "PLATINUM", "notes": "Upgraded to Platinum level",
    //  "handling_rules": ["IMMEDIATE_TRANSFER", "DEDICATED_AGENT"]}
    const json updated = admin.ok_json({"update", id, "--level", "PLATINUM", "--notes", "Upgraded to Platinum level",
                                        "--rules", "IMMEDIATE_TRANSFER,DEDICATED_AGENT"});
    CHECK(updated["vip_level"] == "PLATINUM");
    CHECK(updated["notes"] == "Upgraded to Platinum level");
    CHECK(updated["handling_rules"] == json{"IMMEDIATE_TRANSFER", "DEDICATED_AGENT"});
    // Fields the body does not name stay as they were.
    CHECK(updated["company_name"] == "Acme Corp");
    CHECK(updated["custom_greeting"] == "Hello Mr. Doe, thank you for calling.");
    CHECK(updated["max_wait_time"] == 30);
    CHECK(updated["preferred_agent_id"].is_null());
    const json who = admin.ok_json({"identify", "+1234567890"});
    CHECK(who["vip_caller"]["vip_level"] == "PLATINUM");
    CHECK(who["vip_caller"]["handling_rules"] == json{"IMMEDIATE_TRANSFER", "DEDICATED_AGENT"});
    CHECK(who["routing_priority"] == 100);  // PLATINUM 80 + IMMEDIATE_TRANSFER 20
  }

  TEST_CASE("seed example: identify (POST /api/v1/vip/identify?phone_number=+1234567890) through vipctl") {
    Admin admin;
    admin.accept_seed_numbers();
    // "Basic VIP Setup": the Gold VIP the example's response shows.
    const std::string id = admin.add("John Doe", "+1234567890",
                                     {"--level", "GOLD", "--rules", "PRIORITY_QUEUE", "--max-wait", "60"});
    const json who = admin.ok_json({"identify", "+1234567890"});
    CHECK(who["is_vip"] == true);
    CHECK(who["vip_caller"]["id"] == id);
    CHECK(who["vip_caller"]["caller_name"] == "John Doe");
    CHECK(who["vip_caller"]["vip_level"] == "GOLD");
    CHECK(who["vip_caller"]["handling_rules"] == json{"PRIORITY_QUEUE"});
    CHECK(who["routing_priority"] == 85);
    const json nobody = admin.ok_json({"identify", "+1234567899"});
    CHECK(nobody["is_vip"] == false);
    CHECK(nobody["routing_priority"] == 0);
  }

  TEST_CASE(
      "seed example: escalation check (POST /api/v1/vip/{id}/escalation-check?wait_time=120&queue_position=3) "
      "through vipctl") {
    Admin admin;
    admin.accept_seed_numbers();
    const std::string id = admin.ok_json(kSeedCreateOptions)["id"].get<std::string>();
    // The response's rule; its limit is not given: 60 s (a GOLD caller's
    // default target) is one that a 120 s wait exceeds.
    const json rule = admin.ok_json({"rules", "add", "--name", "VIP Wait Time Rule", "--max-wait", "60", "--type",
                                     "manager", "--email", "manager@company.com"});
    const json check = admin.ok_json({"escalation-check", id, "--wait", "120", "--position", "3"});
    CHECK(check["should_escalate"] == true);
    REQUIRE(check["triggered_rules"].size() == 1);
    CHECK(check["triggered_rules"][0]["rule_id"] == rule["id"]);
    CHECK(check["triggered_rules"][0]["rule_name"] == "VIP Wait Time Rule");
    CHECK(check["triggered_rules"][0]["escalation_type"] == "manager");
    CHECK(check["triggered_rules"][0]["notification_emails"] == json{"manager@company.com"});
    CHECK(admin.ok_json({"escalation-check", id, "--wait", "60", "--position", "3"})["should_escalate"] == false);
  }

  TEST_CASE(
      "seed example: list (GET /api/v1/vip/?skip=0&limit=100&vip_level=GOLD&status=ACTIVE&search=John) through "
      "vipctl") {
    Admin admin;
    admin.accept_seed_numbers();
    const std::string john = admin.ok_json(kSeedCreateOptions)["id"].get<std::string>();
    admin.add("Sarah Johnson", "+1234567891", {"--level", "PLATINUM"});                     // "John", not GOLD
    admin.add("Johnny Walker", "+1234567892", {"--level", "GOLD", "--status", "SUSPENDED"});  // not ACTIVE
    admin.add("Jane Smith", "+1234567893", {"--level", "GOLD"});                              // not "John"
    const json listed = admin.ok_json({"list", "--skip", "0", "--limit", "100", "--level", "GOLD", "--status",
                                       "ACTIVE", "--search", "John"});
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["id"] == john);
    CHECK(listed[0]["caller_name"] == "John Doe");
  }

  TEST_CASE("seed example: bulk import (POST /api/v1/vip/bulk-import) through vipctl") {
    Admin admin;
    admin.accept_seed_numbers();
    write_text(admin.dir / "bulk.json", kSeedBulkImport);  // the body, as it is
    const Run imported = admin.ok({"import", (admin.dir / "bulk.json").string()});
    CHECK(contains(imported.out, "2 rows, 2 created, 0 updated, 0 skipped, 0 failed"));
    const json john = admin.ok_json({"identify", "+1234567890"});
    CHECK(john["is_vip"] == true);
    CHECK(john["vip_caller"]["caller_name"] == "John Doe");
    CHECK(john["vip_caller"]["vip_level"] == "GOLD");
    const json jane = admin.ok_json({"identify", "+1234567891"});
    CHECK(jane["is_vip"] == true);
    CHECK(jane["vip_caller"]["caller_name"] == "Jane Smith");
    CHECK(jane["vip_caller"]["vip_level"] == "PLATINUM");
  }

  TEST_CASE(
      "seed example: analytics (GET .../analytics?start_date=2024-01-01&end_date=2024-01-31, per VIP and overview) "
      "through vipctl") {
    Admin admin;
    admin.accept_seed_numbers();
    const std::string john = admin.ok_json(kSeedCreateOptions)["id"].get<std::string>();
    const std::string jane = admin.add("Jane Smith", "+1234567891", {"--level", "PLATINUM"});
    const auto record = [&](const std::string& caller, const char* call_id, const char* at, const char* wait) {
      admin.ok({"record-call", "--caller", caller, "--call-id", call_id, "--wait", wait, "--at", at});
    };
    // The tenant's time zone is UTC: January is [2024-01-01T00:00Z, 2024-02-01T00:00Z).
    record(john, "first", "2024-01-01T00:00:00Z", "10");
    record(john, "last", "2024-01-31T23:59:59Z", "50");  // 31 January is in the range
    record(jane, "jane", "2024-01-15T12:00:00Z", "20");
    record(john, "december", "2023-12-31T23:59:59Z", "5");
    record(john, "february", "2024-02-01T00:00:00Z", "5");

    const json one = admin.ok_json({"analytics", "--caller", john, "--from", "2024-01-01", "--to", "2024-01-31"});
    CHECK(one["caller_id"] == john);
    CHECK(one["calls"] == 2);
    CHECK(one["wait"]["max"] == 50);
    CHECK(one["wait"]["average"] == doctest::Approx(30.0));
    CHECK(one["sla_met"] == 1);  // 50 s against John's 30 s target

    const json all = admin.ok_json({"analytics", "--from", "2024-01-01", "--to", "2024-01-31"});
    CHECK(all["all"]["calls"] == 3);
    CHECK(all["by_level"]["GOLD"]["calls"] == 2);
    CHECK(all["by_level"]["PLATINUM"]["calls"] == 1);
    CHECK(all["total_callers"] == 2);
    // The troubleshooting section's overview asks without dates: the last 30 days.
    CHECK(admin.ok_json({"analytics"})["total_callers"] == 2);
  }
}

namespace {

// A PBX process's view of an Admin's database: its own Database, cache on.
struct Pbx {
  explicit Pbx(const Admin& a, std::size_t cache_bytes = std::size_t{64} << 20) {
    auto key = vipcore::MasterKey::from_file(a.key_file().string());
    REQUIRE_MESSAGE(key.ok(), key.status().to_string());
    vipcore::Options o;
    o.cache_bytes = cache_bytes;
    auto opened = vipcore::Database::open(a.db_file().string(), *key, o);
    REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
    db = std::make_unique<vipcore::Database>(std::move(*opened));
    auto t = db->tenant("acme", {"pbx", vipcore::Role::system});
    REQUIRE_MESSAGE(t.ok(), t.status().to_string());
    tenant = std::make_unique<vipcore::Tenant>(*t);
  }
  std::string answers() const { return vipcore::test::answers(*tenant); }

  std::unique_ptr<vipcore::Database> db;
  std::unique_ptr<vipcore::Tenant> tenant;
};

}  // namespace

TEST_SUITE("vipctl and a running PBX") {
  TEST_CASE("every change vipctl commits is seen by the PBX's next call, its cache warm") {
    using vipcore::test::kMoved;
    using vipcore::test::kNewcomer;
    struct Change {
      const char* name;
      std::vector<std::string> args;  // "{john}" and "{sarah}" stand for their ids
      bool visible = true;
    };
    const std::vector<Change> changes = {
        {"create", {"add", "--name", "New Comer", "--phone", kNewcomer}},
        {"update level", {"update", "{john}", "--level", "PLATINUM"}},
        {"update status", {"update", "{john}", "--status", "SUSPENDED"}},
        {"update numbers", {"update", "{john}", "--phone", kMoved}},
        {"update handling rules", {"update", "{john}", "--rules", "IMMEDIATE_TRANSFER"}},
        {"update greeting", {"update", "{john}", "--greeting", "Welcome back, John."}},
        {"delete", {"remove", "{sarah}"}},
        {"settings", {"settings", "--rule-bonus", "PRIORITY_QUEUE=5"}},
        {"escalation rule", {"rules", "add", "--name", "waited a minute", "--max-wait", "60"}},
        {"key rotation", {"rotate-key", "--new-key-file", "{key}"}, false},
    };
    for (const Change& change : changes) {
      CAPTURE(change.name);
      Admin a;
      const std::string john = a.add("John Doe", vipcore::test::kJohn,
                                     {"--level", "GOLD", "--rules", "PRIORITY_QUEUE,CUSTOM_GREETING", "--greeting",
                                      "Hello Mr. Doe, thank you for calling."});
      const std::string sarah = a.add("Sarah Johnson", vipcore::test::kSarah,
                                      {"--level", "PLATINUM", "--rules", "DEDICATED_AGENT", "--agent", "agent-007"});
      const Pbx pbx(a);
      const std::string before = pbx.answers();
      CHECK(pbx.answers() == before);  // warm
      std::vector<std::string> args;
      for (std::string arg : change.args)
        args.push_back(arg == "{john}" ? john : arg == "{sarah}" ? sarah : arg == "{key}" ? a.key_file().string() : arg);
      a.ok(args);
      const std::string after = pbx.answers();
      CHECK(after == Pbx(a, 0).answers());  // what a PBX without a cache reads from the file
      if (change.visible) CHECK(after != before);
    }
  }

  TEST_CASE("vipctl settings --rule-bonus reaches a PBX that identifies John Doe in a loop") {
    Admin a;
    a.add("John Doe", vipcore::test::kJohn, {"--level", "GOLD", "--rules", "PRIORITY_QUEUE"});
    const Pbx pbx(a);
    for (int i = 0; i < 50; ++i) CHECK(pbx.tenant->identify(vipcore::test::kJohn)->routing_priority == 85);
    a.ok({"settings", "--rule-bonus", "PRIORITY_QUEUE=5"});
    CHECK(a.ok_json({"identify", vipcore::test::kJohn})["routing_priority"] == 75);
    CHECK(pbx.tenant->identify(vipcore::test::kJohn)->routing_priority == 75);
  }
}
