// Opening a database file: what is created and with which permissions, what
// is refused and left alone, and reading a database that cannot be written.
#include <doctest/doctest.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "raw_file.hpp"
#include "support.hpp"

namespace vipcore::test {
namespace {

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Refused as "not a vipcore database", and the file is exactly as it was.
void check_refused(const std::string& path, bool expect_version_code) {
  const std::string before = bytes_of(path);
  auto db = Database::open(path, test_key(), quiet_options());
  REQUIRE_FALSE(db.ok());
  if (expect_version_code) CHECK(db.status().code() == Code::version);
  CHECK_MESSAGE(db.status().message().find("not a vipcore database") != std::string::npos, db.status().to_string());
  CHECK(bytes_of(path) == before);
  // Read-only, it is refused the same way.
  Options ro = quiet_options();
  ro.sqlite.read_only = true;
  auto again = Database::open(path, test_key(), ro);
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().message().find("not a vipcore database") != std::string::npos);
  CHECK(bytes_of(path) == before);
}

TEST_SUITE("opening files") {
  TEST_CASE("an existing file that is not a vipcore database is refused and left unchanged") {
    TempDir dir;
    SUBCASE("an empty file (a failed copy)") {
      const std::string path = dir.file("empty.db");
      std::ofstream(path).close();
      check_refused(path, true);
      CHECK(std::filesystem::file_size(path) == 0);
    }
    SUBCASE("a file that is not SQLite") {
      const std::string path = dir.file("text.db");
      std::ofstream(path) << std::string(5000, 'x');
      check_refused(path, false);  // Code::storage: it may be a damaged vipcore database
    }
    SUBCASE("a SQLite file without vipcore's schema, even one with no tables") {
      const std::string path = dir.file("blank.db");
      {
        RawFile raw(path);
        raw.exec("CREATE TABLE t (a); DROP TABLE t");
      }
      REQUIRE(std::filesystem::file_size(path) > 0);
      check_refused(path, true);
    }
  }

  TEST_CASE("only a missing file is created, and only when asked") {
    TempDir dir;
    Options no_create = quiet_options();
    no_create.sqlite.create_if_missing = false;
    CHECK_FALSE(Database::open(dir.file("a.db"), test_key(), no_create).ok());
    CHECK_FALSE(std::filesystem::exists(dir.file("a.db")));
    auto db = Database::open(dir.file("a.db"), test_key(), quiet_options());
    REQUIRE_MESSAGE(db.ok(), db.status().to_string());
    REQUIRE(db->tenant("acme", {"alice", Role::admin})->create(john_doe()).ok());
    // No temporary file is left beside it.
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.file(""))) files += e.path().filename().string().rfind("a.db", 0) == 0;
    CHECK(files == 7);  // a.db and its activity file a.db-calls, each with its -wal and -shm, and a.db-gen
  }

  TEST_CASE("the database and its -wal and -shm files are created owner-only") {
    TempDir dir;
    const mode_t old_umask = ::umask(022);
    const std::string path = dir.file("vip.db");
    {
      auto db = Database::open(path, test_key(), quiet_options());
      REQUIRE_MESSAGE(db.ok(), db.status().to_string());
      REQUIRE(db->tenant("acme", {"alice", Role::admin})->create(john_doe()).ok());
      CHECK(mode_of(path) == 0600);
      CHECK(mode_of(path + "-wal") == 0600);
      CHECK(mode_of(path + "-shm") == 0600);
      for (const char* suffix : {"-calls", "-calls-wal", "-calls-shm", "-gen"}) CHECK(mode_of(path + suffix) == 0600);
    }
    // Or as the options say.
    Options o = quiet_options();
    o.sqlite.file_mode = 0640;
    const std::string shared = dir.file("shared.db");
    {
      auto db = Database::open(shared, test_key(), o);
      REQUIRE_MESSAGE(db.ok(), db.status().to_string());
      REQUIRE(db->tenant("acme", {"alice", Role::admin})->create(john_doe()).ok());
      CHECK(mode_of(shared) == 0640);
      CHECK(mode_of(shared + "-wal") == 0640);
      CHECK(mode_of(shared + "-shm") == 0640);
      for (const char* suffix : {"-calls", "-calls-wal", "-calls-shm", "-gen"}) CHECK(mode_of(shared + suffix) == 0640);
    }
    ::umask(old_umask);
    o.sqlite.file_mode = 0044;
    CHECK(Database::open(dir.file("bad.db"), test_key(), o).status().field() == "file_mode");
  }

  TEST_CASE("a database that cannot be written is opened read-only and identifies") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    std::string id;
    {
      auto db = Database::open(path, test_key(), quiet_options());
      REQUIRE(db.ok());
      id = db->tenant("acme", {"alice", Role::admin})->create(john_doe())->id;
    }
    REQUIRE_FALSE(std::filesystem::exists(path + "-wal"));  // checkpointed and removed on close
    // Nothing can be created beside the file: its -wal and -shm names are
    // taken by directories. (Unlike chmod, this stops root too.)
    std::filesystem::create_directory(path + "-wal");
    std::filesystem::create_directory(path + "-shm");
    const std::string before = bytes_of(path);

    auto rw = Database::open(path, test_key(), quiet_options());
    REQUIRE_FALSE(rw.ok());
    CHECK_MESSAGE(rw.status().message().find("-wal and -shm") != std::string::npos, rw.status().to_string());

    Options o = quiet_options();
    o.sqlite.read_only = true;
    auto db = Database::open(path, test_key(), o);
    REQUIRE_MESSAGE(db.ok(), db.status().to_string());
    Tenant pbx = *db->tenant("acme", {"pbx", Role::system});
    Identification who;
    REQUIRE(pbx.identify("011 1 234 567 8900", &who).ok());
    CHECK(who.is_vip);
    CHECK(who.caller.caller_name == "John Doe");
    // Reads by people work too (their access cannot be logged).
    Tenant admin = *db->tenant("acme", {"alice", Role::admin});
    CHECK(admin.get(id).ok());
    // Writes say why they fail.
    auto created = admin.create(sarah_johnson());
    REQUIRE_FALSE(created.ok());
    CHECK(created.status().message().find("read-only") != std::string::npos);
    CallRecord call;
    call.call_id = "c1";
    call.caller_id = id;
    call.wait_seconds = 3;
    auto recorded = pbx.record_call(call);
    CHECK(recorded.status().message().find("read-only") != std::string::npos);
    CHECK(bytes_of(path) == before);

    // A missing file is not created by a read-only open.
    CHECK_FALSE(Database::open(dir.file("missing.db"), test_key(), o).ok());
    CHECK_FALSE(std::filesystem::exists(dir.file("missing.db")));
  }

  TEST_CASE("a read-only open of a database whose activity file is missing names that file and creates nothing") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    {
      auto db = Database::open(path, test_key(), quiet_options());
      REQUIRE(db.ok());
      REQUIRE(db->tenant("acme", {"alice", Role::admin})->create(john_doe()).ok());
    }
    REQUIRE(std::filesystem::remove(path + "-calls"));
    Options o = quiet_options();
    o.sqlite.read_only = true;
    auto db = Database::open(path, test_key(), o);
    REQUIRE_FALSE(db.ok());
    CHECK(db.status().code() == Code::version);
    CHECK_MESSAGE(db.status().message().find(path + "-calls is missing") != std::string::npos, db.status().to_string());
    CHECK_FALSE(std::filesystem::exists(path + "-calls"));
  }

  TEST_CASE("a full disk says no space left on device") {
    TempDir dir;
    const std::string mnt = dir.file("small");
    std::filesystem::create_directory(mnt);
    // A 512 KiB file system: only root may mount one (CI runs as root).
    if (::geteuid() != 0 || ::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=512k") != 0) {
      MESSAGE("cannot mount a small file system here (not root, or not allowed): skipped");
      return;
    }
    Status failure;
    {
      auto db = Database::open(mnt + "/vip.db", test_key(), quiet_options());
      REQUIRE_MESSAGE(db.ok(), db.status().to_string());
      Tenant admin = *db->tenant("acme", {"alice", Role::admin});
      for (int i = 0; i < 20000 && failure.ok(); ++i) {
        NewCaller c = minimal(fmt_number(i), std::string(200, 'n'));
        c.notes = std::string(2000, 'x');
        failure = admin.create(c).status();
      }
    }
    ::umount2(mnt.c_str(), MNT_DETACH);
    REQUIRE_FALSE(failure.ok());
    CHECK(failure.code() == Code::storage);
    CHECK_MESSAGE(failure.message().find("no space left on device") != std::string::npos, failure.to_string());
  }

  TEST_CASE("a directory the process may not write: read-only works, read-write says permission denied") {
    if (::geteuid() == 0) {
      MESSAGE("running as root, whom file permissions do not stop: the case above covers root");
      return;
    }
    TempDir dir;
    const std::string sub = dir.file("locked");
    std::filesystem::create_directory(sub);
    const std::string path = sub + "/vip.db";
    {
      auto db = Database::open(path, test_key(), quiet_options());
      REQUIRE(db.ok());
      REQUIRE(db->tenant("acme", {"alice", Role::admin})->create(john_doe()).ok());
    }
    ::chmod(path.c_str(), 0400);
    ::chmod(sub.c_str(), 0500);
    auto rw = Database::open(path, test_key(), quiet_options());
    REQUIRE_FALSE(rw.ok());
    CHECK_MESSAGE(rw.status().message().find("permission denied on") != std::string::npos, rw.status().to_string());
    Options o = quiet_options();
    o.sqlite.read_only = true;
    auto db = Database::open(path, test_key(), o);
    REQUIRE_MESSAGE(db.ok(), db.status().to_string());
    CHECK(db->tenant("acme", {"pbx", Role::system})->identify("+1 234 567 8900")->is_vip);
    ::chmod(sub.c_str(), 0700);
  }
}

}  // namespace
}  // namespace vipcore::test

namespace vipcore::test {
namespace {

// Whether T has a member storage() callable on a const T (the accessor that
// handed out the storage under a Database, past its roles and audit).
template <typename T, typename = void>
struct has_storage_accessor : std::false_type {};
template <typename T>
struct has_storage_accessor<T, std::void_t<decltype(std::declval<const T&>().storage())>> : std::true_type {};

Location parsed(std::string_view text) {
  auto where = parse_location(text);
  REQUIRE_MESSAGE(where.ok(), where.status().to_string());
  return *where;
}

// Refused naming "location", saying `why`, and never repeating the text.
void check_bad_location(std::string_view text, std::string_view why) {
  auto where = parse_location(text);
  REQUIRE_FALSE(where.ok());
  CHECK(where.status().code() == Code::invalid_argument);
  CHECK(where.status().field() == "location");
  CHECK_MESSAGE(where.status().message().find(why) != std::string::npos, where.status().to_string());
  if (text.size() > 8) CHECK(where.status().to_string().find(text) == std::string::npos);
}

}  // namespace

TEST_SUITE("opening files") {
  TEST_CASE("a location string names a SQLite file or a PostgreSQL database") {
    using B = Location::Backend;
    for (const auto& [text, path] : std::vector<std::pair<std::string, std::string>>{
             {"/var/lib/pbx/vip.db", "/var/lib/pbx/vip.db"},
             {"vip.db", "vip.db"},
             {"./a=b.db", "./a=b.db"},
             {"backup:2024.db", "backup:2024.db"},  // not a URI: a file name with a colon
             {"sqlite:vip.db", "vip.db"},
             {"SQLite:/var/lib/pbx/vip.db", "/var/lib/pbx/vip.db"},
             {"sqlite:a=b.db", "a=b.db"},
             {"sqlite:///var/lib/pbx/vip.db", "/var/lib/pbx/vip.db"},
             {"sqlite://localhost/var/lib/pbx/vip.db", "/var/lib/pbx/vip.db"}}) {
      INFO(text);
      const Location where = parsed(text);
      CHECK(where.backend == B::sqlite);
      CHECK(where.target == path);
    }
    for (const std::string_view text : {"postgresql://pbx@db.example/vip", "postgres://db.example:5433/vip?sslmode=require",
                                   "host=/run/postgresql dbname=vip", "dbname = vip", "  service=pbx"}) {
      INFO(text);
      const Location where = parsed(text);
      CHECK(where.backend == B::postgresql);
      CHECK(where.target == text);  // libpq reads it as given
    }
  }

  TEST_CASE("a location that names nothing is refused, naming location and what is wrong") {
    check_bad_location("", "empty");
    check_bad_location("mysql://db.example/vip", "unknown scheme \"mysql:\"");
    check_bad_location("file:///var/lib/pbx/vip.db", "unknown scheme \"file:\"");
    check_bad_location("sqlite:", "names no file");
    check_bad_location("sqlite://", "names no file");
    check_bad_location("sqlite://db.example/vip.db", "local file");
    check_bad_location("postgresql:vip", "postgresql://");
    // A PostgreSQL server that is not there: a storage error that never
    // repeats the conninfo (it may hold a password). Only a local socket
    // directory that does not exist is tried.
    for (const char* text : {"postgresql://pbx:hunter2@/vip?host=/nonexistent-vipcore-socket-dir",
                             "host=/nonexistent-vipcore-socket-dir dbname=vip password=hunter2"}) {
      auto db = Database::open(text, test_key(), quiet_options());
      REQUIRE_FALSE(db.ok());
      CHECK(db.status().code() == Code::storage);
      CHECK(db.status().to_string().find("hunter2") == std::string::npos);
    }
  }

  TEST_CASE("Database::open takes every SQLite form of a location, all naming the same file") {
    TempDir dir;
    const std::string path = dir.file("vip.db");
    {
      auto db = Database::open("sqlite:" + path, test_key(), quiet_options());
      REQUIRE_MESSAGE(db.ok(), db.status().to_string());
      auto admin = db->tenant("acme", {"alice", Role::admin});
      REQUIRE(admin.ok());
      REQUIRE(admin->create(minimal(fmt_number(1), "Located")).ok());
    }
    CHECK(std::filesystem::exists(path));
    Options existing = quiet_options();
    existing.sqlite.create_if_missing = false;
    for (const std::string& location : {path, "sqlite:" + path, "sqlite://" + path}) {
      INFO(location);
      auto db = Database::open(location, test_key(), existing);
      REQUIRE_MESSAGE(db.ok(), db.status().to_string());
      auto pbx = db->tenant("acme", {"pbx", Role::system});
      REQUIRE(pbx.ok());
      auto who = pbx->identify(fmt_number(1));
      REQUIRE(who.ok());
      CHECK(who->is_vip);
    }
  }

  TEST_CASE("a Database gives no access to its storage: every change goes through roles and audit") {
    CHECK_FALSE(has_storage_accessor<Database>::value);
  }
}

}  // namespace vipcore::test
