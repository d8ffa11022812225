// A private, throwaway PostgreSQL 15 server for the tests: initdb and
// postgres in a fresh temporary directory, listening only on a Unix socket in
// that directory (listen_addresses=''), started on first use and stopped when
// the test program exits, whether its tests passed or not:
//   - normal exit (also after failed tests): an atexit handler stops the
//     server (fast shutdown) and removes the directory;
//   - abnormal exit (a crash, a signal): the postmaster is started with a
//     parent-death signal (SIGQUIT: immediate shutdown), so it never outlives
//     the test program.
// PostgreSQL refuses to run as root: when the tests run as root (CI), initdb
// and postgres run as the `postgres` system user, the directory owned by it.
// Each test database is a fresh schema (new_database()), so tests stay
// independent without a CREATE DATABASE each.
//
// The binaries are looked for in VIPCORE_PG_BIN, else
// /usr/lib/postgresql/15/bin (Debian's postgresql-15). When
// VIPCORE_PG_TEMPLATE names a directory (ctest sets it in the build tree),
// the first test program keeps a copy of its fresh cluster there and the
// others start from a copy of it instead of running initdb (remove it after
// upgrading PostgreSQL).
#ifndef VIPCORE_TESTS_POSTGRES_SERVER_HPP
#define VIPCORE_TESTS_POSTGRES_SERVER_HPP

#include <sys/types.h>

#include <mutex>
#include <string>
#include <vector>

#include "vipcore/storage.hpp"

namespace vipcore::test {

class PostgresServer {
 public:
  /// The server of this test program, started on first use.
  static PostgresServer& instance();
  /// The conninfo of a fresh, empty schema of the test database.
  std::string new_database();
  /// A conninfo for `dbname`, with `schema` first in the search_path.
  std::string conninfo(const std::string& dbname, const std::string& schema = "") const;
  /// Runs SQL on a database of the server as the superuser; fails the test on error.
  void admin(const std::string& sql, const std::string& dbname = "vipcore");
  /// Stops the server, keeping its data; start() brings it back. A fast
  /// shutdown ends each session as it would end itself (its locks released
  /// as it goes); an immediate one ends them all where they stand (then the
  /// next start recovers from the WAL).
  void stop(bool immediate = false);
  /// Starts the server on its data directory and waits until it accepts connections.
  void start();
  const std::string& dir() const { return dir_; }

 private:
  PostgresServer();
  void stop_and_remove();
  pid_t spawn(const std::vector<std::string>& args, const std::string& log, bool die_with_parent,
              bool as_postgres_when_root = true);
  // Runs a program to its end; true when it succeeded.
  bool run(const std::vector<std::string>& args, bool as_postgres_when_root);

  std::string dir_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  pid_t pid_ = -1;
  std::mutex mu_;
};

/// Options for a test storage: short timeouts, so that a test of a stopped
/// server fails fast.
inline PostgresOptions postgres_test_options() {
  PostgresOptions o;
  o.connect_timeout_ms = 2000;
  o.statement_timeout_ms = 10000;
  return o;
}

}  // namespace vipcore::test

#endif
