// Thin RAII wrappers over the SQLite C API: a connection, a prepared
// statement (prepare once, bind, step, reset) and error mapping.
//
// Threading: a Connection and its Statements belong to one thread at a time.
#ifndef VIPCORE_SRC_SQLITE_UTIL_HPP
#define VIPCORE_SRC_SQLITE_UTIL_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "vipcore/status.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace vipcore::sqlite {

/// Maps a SQLite result code to a Status: SQLITE_BUSY/LOCKED → busy,
/// SQLITE_CONSTRAINT → already_exists, anything else → storage error. The
/// message is SQLite's, which names tables and columns but never values,
/// made plain where SQLite's is vague (see describe()).
Status error(int rc, sqlite3* db, std::string_view context);

/// What to tell a person about a failure with SQLite result code `rc`
/// (extended or primary) and operating-system error `sys_errno` on the
/// database at `path`: "no space left on device" for a full disk,
/// "permission denied on <directory>" when the file or its directory may
/// not be written, "read-only file system"; empty when SQLite's own message
/// says it well enough.
std::string describe(int rc, int sys_errno, std::string_view path);

class Connection {
 public:
  Connection() = default;
  Connection(Connection&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Connection& operator=(Connection&& o) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  /// How to open: read-write (creating the file or not), read-only, or
  /// read-only on a file nobody can change while it is open (SQLite's
  /// immutable mode: no -wal or -shm file is used or created).
  enum class Mode { read_write, read_write_create, read_only, immutable };
  /// Opens `path` with SQLITE_OPEN_NOMUTEX (the caller serializes access).
  Status open(const std::string& path, Mode mode);
  /// Runs one or more statements that return no rows.
  Status exec(const char* sql);
  sqlite3* get() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement() = default;
  Statement(Statement&& o) noexcept : stmt_(o.stmt_), db_(o.db_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Status prepare(const Connection& conn, std::string_view sql);
  bool prepared() const noexcept { return stmt_ != nullptr; }

  // Bind parameters are 1-based, as in SQLite. Text and blobs are bound
  // without copying: they must stay alive until reset().
  void bind_null(int i) noexcept;
  void bind_int(int i, std::int64_t v) noexcept;
  void bind_double(int i, double v) noexcept;
  void bind_text(int i, std::string_view v) noexcept;
  void bind_blob(int i, const void* data, std::size_t size) noexcept;
  /// Binds an empty string as NULL: how optional sealed fields are stored.
  void bind_blob_or_null(int i, std::string_view v) noexcept;
  void bind_optional_int(int i, const std::optional<std::int64_t>& v) noexcept;
  void bind_optional_double(int i, const std::optional<double>& v) noexcept;

  /// Steps once: true when a row is available, false when done.
  Result<bool> step(std::string_view context);
  /// Steps a statement that returns no rows.
  Status run(std::string_view context);
  /// Resets and clears bindings (keeps the compiled statement).
  void reset() noexcept;

  bool is_null(int col) const noexcept;
  std::int64_t column_int(int col) const noexcept;
  double column_double(int col) const noexcept;
  std::optional<std::int64_t> column_optional_int(int col) const noexcept;
  std::optional<double> column_optional_double(int col) const noexcept;
  /// A text or blob column as a view valid until the next step or reset.
  std::string_view column_view(int col) const noexcept;
  void column_assign(int col, std::string* out) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
};

/// Resets a statement when the scope ends, so that it can be reused and its
/// read transaction ends.
class ResetGuard {
 public:
  explicit ResetGuard(Statement& s) noexcept : s_(s) {}
  ~ResetGuard() { s_.reset(); }
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;

 private:
  Statement& s_;
};

}  // namespace vipcore::sqlite

#endif
