// The private PostgreSQL test server (see postgres_server.hpp).
#include "postgres_server.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace vipcore::test {
namespace {

constexpr int kPort = 5432;  // of the socket in our own directory: no clash with another server

PostgresServer* g_server = nullptr;

std::string bin(const char* name) {
  const char* dir = std::getenv("VIPCORE_PG_BIN");
  return std::string(dir && *dir ? dir : "/usr/lib/postgresql/15/bin") + "/" + name;
}

}  // namespace

PostgresServer& PostgresServer::instance() {
  if (g_server == nullptr) {
    g_server = new PostgresServer();
    std::atexit([] { g_server->stop_and_remove(); });
  }
  return *g_server;
}

std::string PostgresServer::new_database() {
  static std::atomic<int> counter{0};
  const std::string schema = "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  admin("CREATE SCHEMA " + schema);
  return conninfo("vipcore", schema);
}

std::string PostgresServer::conninfo(const std::string& dbname, const std::string& schema) const {
  std::string s = "host=" + dir_ + " port=" + std::to_string(kPort) + " dbname=" + dbname + " user=postgres";
  if (!schema.empty()) s += " options='-csearch_path=" + schema + "'";
  return s;
}

void PostgresServer::admin(const std::string& sql, const std::string& dbname) {
  std::lock_guard<std::mutex> g(mu_);
  PGconn* c = PQconnectdb(conninfo(dbname).c_str());
  const bool connected = PQstatus(c) == CONNECTION_OK;
  std::string error = connected ? "" : PQerrorMessage(c);
  if (connected) {
    PGresult* r = PQexec(c, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  REQUIRE_MESSAGE(error.empty(), "PostgreSQL test server: " << sql << ": " << error);
}

void PostgresServer::stop(bool immediate) {
  if (pid_ <= 0) return;
  ::kill(pid_, immediate ? SIGQUIT : SIGINT);
  int status = 0;
  for (int i = 0; i < 200; ++i) {  // 10 s
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void PostgresServer::start() {
  if (pid_ > 0) return;
  pid_ = spawn({bin("postgres"), "-D", dir_ + "/data", "-k", dir_, "-p", std::to_string(kPort), "-c",
                "listen_addresses=", "-F", "-c", "full_page_writes=off", "-c", "synchronous_commit=off", "-c",
                "max_connections=300", "-c", "shared_buffers=32MB"},
               dir_ + "/postgres.log", /*die_with_parent=*/true);
  const std::string probe = conninfo("postgres") + " connect_timeout=2";
  for (int i = 0; i < 600; ++i) {  // 30 s
    if (PQping(probe.c_str()) == PQPING_OK) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL("PostgreSQL test server exited at start; see " << dir_ << "/postgres.log");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("PostgreSQL test server did not accept connections within 30 s; see " << dir_ << "/postgres.log");
}

PostgresServer::PostgresServer() {
  std::string tmpl = "/tmp/vipcore-pg-XXXXXX";  // short: a socket path has ~100 bytes
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    REQUIRE_MESSAGE(pw != nullptr, "running as root, the tests need the `postgres` system user for PostgreSQL");
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
    REQUIRE(::chown(dir_.c_str(), uid_, gid_) == 0);
  }
  // initdb takes about 2 s; a copy of a fresh cluster made by an earlier
  // test program of the same build (VIPCORE_PG_TEMPLATE, set by ctest) a
  // fraction of that. Copies run as ourselves: as root, cp -a keeps the
  // postgres user's ownership.
  const char* env = std::getenv("VIPCORE_PG_TEMPLATE");
  const std::string templ = env && *env ? env : "";
  std::error_code ec;
  if (!templ.empty() && std::filesystem::exists(templ + "/data/PG_VERSION", ec)) {
    REQUIRE_MESSAGE(run({"/bin/cp", "-a", templ + "/data", dir_ + "/data"}, false),
                    "copying the PostgreSQL template cluster failed");
  } else {
    REQUIRE_MESSAGE(run({bin("initdb"), "-D", dir_ + "/data", "-U", "postgres", "-A", "trust", "-E", "UTF8",
                         "--locale=C", "--no-sync", "--no-instructions"},
                        true),
                    "initdb failed; see " << dir_ << "/initdb.log");
    if (!templ.empty()) {
      // Another test program may be doing the same: each copies to its own
      // name, and the first rename wins.
      std::filesystem::create_directories(templ, ec);
      const std::string tmp = templ + "/data-" + std::to_string(::getpid());
      if (run({"/bin/cp", "-a", dir_ + "/data", tmp}, false)) {
        std::filesystem::rename(tmp, templ + "/data", ec);
        std::filesystem::remove_all(tmp, ec);
      }
    }
  }
  start();
  admin("CREATE DATABASE vipcore", "postgres");
}

bool PostgresServer::run(const std::vector<std::string>& args, bool as_postgres) {
  const pid_t pid = spawn(args, dir_ + "/initdb.log", /*die_with_parent=*/false, as_postgres);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void PostgresServer::stop_and_remove() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

// Runs argv (as the postgres user when we are root), output to `log`.
pid_t PostgresServer::spawn(const std::vector<std::string>& args, const std::string& log, bool die_with_parent,
                            bool as_postgres_when_root) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const bool as_postgres = as_postgres_when_root && ::geteuid() == 0;
  const uid_t uid = uid_;
  const gid_t gid = gid_;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (as_postgres && (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)) ::_exit(126);
    // After the credentials change, which would clear it.
    if (die_with_parent && (::prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0 || ::getppid() != parent)) ::_exit(125);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null >= 0) ::dup2(null, 0);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace vipcore::test
