// The public storage conformance suite (vipcore/testing/storage_conformance.hpp)
// on the backends vipcore ships, as an out-of-tree backend runs it on its own.
#include "vipcore/testing/storage_conformance.hpp"

#include <memory>

#include "forwarding_storage.hpp"
#include "support.hpp"

namespace vipcore::test {
namespace {

struct MemoryStorageFactory {
  static Result<std::unique_ptr<Storage>> make() { return new_memory_storage(); }
};

// Its directory first, so that it goes after the storage in it.
struct TempDirHolder {
  TempDir dir;
};

// A SQLite storage in a fresh directory that goes with it.
class SqliteInDir final : private TempDirHolder, public ForwardingStorage {
 public:
  static Result<std::unique_ptr<Storage>> open() {
    auto self = std::unique_ptr<SqliteInDir>(new SqliteInDir());
    SqliteOptions options;
    options.durable_commits = false;
    auto storage = open_sqlite_storage(self->dir.file("vip.db"), options);
    if (!storage.ok()) return storage.status();
    self->inner_ = std::move(*storage);
    return std::unique_ptr<Storage>(std::move(self));
  }

 private:
  SqliteInDir() : ForwardingStorage(nullptr) {}
};

struct SqliteStorageFactory {
  static Result<std::unique_ptr<Storage>> make() { return SqliteInDir::open(); }
};

// A fresh schema of the private test server (postgres_server.hpp).
struct PostgresStorageFactory {
  static Result<std::unique_ptr<Storage>> make() {
    return open_postgresql_storage(PostgresServer::instance().new_database(), postgres_test_options());
  }
};

}  // namespace

VIPCORE_STORAGE_CONFORMANCE("memory", MemoryStorageFactory)
VIPCORE_STORAGE_CONFORMANCE("sqlite", SqliteStorageFactory)
VIPCORE_STORAGE_CONFORMANCE("postgresql", PostgresStorageFactory)

}  // namespace vipcore::test
