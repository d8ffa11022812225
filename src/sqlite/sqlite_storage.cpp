// The SQLite storage backend: its entry point. The backend's classes are
// in storage_impl.hpp, which says where the rest of it is.
#include <memory>
#include <string>

#include "sqlite/storage_impl.hpp"
#include "vipcore/storage.hpp"

namespace vipcore {

Result<std::unique_ptr<Storage>> open_sqlite_storage(const std::string& path, const SqliteOptions& options) {
  if (path.empty()) return Status::invalid_argument("path", "is empty");
  if (options.busy_timeout_ms < 0) return Status::invalid_argument("busy_timeout_ms", "must not be negative");
  if (options.cache_size_kib < 64) return Status::invalid_argument("cache_size_kib", "must be at least 64");
  if ((options.file_mode & ~0777u) != 0 || (options.file_mode & 0600u) != 0600u)
    return Status::invalid_argument("file_mode", "must be permission bits (at most 0777) that let the owner read and write");
  auto storage = std::make_unique<sqlite::SqliteStorage>(path, options);
  if (Status s = storage->open(); !s.ok()) return s;
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace vipcore
