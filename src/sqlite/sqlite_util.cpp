#include "sqlite/sqlite_util.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cerrno>
#include <cstring>

namespace vipcore::sqlite {

namespace {
std::string directory_of(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}
}  // namespace

std::string describe(int rc, int sys_errno, std::string_view path) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_FULL || sys_errno == ENOSPC || sys_errno == EDQUOT)
    return sys_errno == EDQUOT ? "disk quota exceeded" : "no space left on device";
  if (sys_errno == EROFS) return fmt::format("read-only file system at {}", directory_of(path));
  if (sys_errno == EACCES || sys_errno == EPERM || primary == SQLITE_READONLY || primary == SQLITE_PERM)
    return fmt::format("permission denied on {} or {} (open it read-only to identify from it)", path,
                       directory_of(path));
  if (primary == SQLITE_CANTOPEN && sys_errno != 0 && sys_errno != ENOENT)
    return fmt::format("cannot open {} or its -wal and -shm files: {} (a read-only open may still identify from it)",
                       path, std::strerror(sys_errno));
  if (primary == SQLITE_NOTADB)
    return fmt::format("{} is not a vipcore database (not a SQLite file, or a damaged one)", path);
  return {};
}

Status error(int rc, sqlite3* db, std::string_view context) {
  const int primary = rc & 0xff;
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string text = fmt::format("{}: {}", context, msg);
  if (db != nullptr && primary != SQLITE_BUSY && primary != SQLITE_LOCKED && primary != SQLITE_CONSTRAINT) {
    const char* file = sqlite3_db_filename(db, "main");
    const std::string plain = describe(rc, sqlite3_system_errno(db), file != nullptr ? file : "");
    if (!plain.empty()) text = fmt::format("{}: {} ({})", context, plain, msg);
  }
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::busy(text + " (another connection or process is writing; the busy timeout expired)");
    case SQLITE_CONSTRAINT: return Status::already_exists("", text);
    default: return Status::storage_error(text);
  }
}

Connection& Connection::operator=(Connection&& o) noexcept {
  if (this != &o) {
    sqlite3_close_v2(db_);
    db_ = o.db_;
    o.db_ = nullptr;
  }
  return *this;
}

Connection::~Connection() { sqlite3_close_v2(db_); }

std::string immutable_uri(const std::string& path) {
  std::string name = "file:";
  for (const char c : path) {
    if (c == '%' || c == '?' || c == '#') name += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    else name += c;
  }
  return name + "?immutable=1";
}

Status Connection::open(const std::string& path, Mode mode) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  std::string name = path;
  switch (mode) {
    case Mode::read_write: flags |= SQLITE_OPEN_READWRITE; break;
    case Mode::read_write_create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
    case Mode::read_only: flags |= SQLITE_OPEN_READONLY; break;
    case Mode::immutable:
      flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
      name = immutable_uri(path);
      break;
  }
  const int rc = sqlite3_open_v2(name.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = error(rc, db_, fmt::format("cannot open database {}", path));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    return s;
  }
  return ok_status();
}

Status Connection::exec(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) return error(rc, db_, "executing a statement");
  return ok_status();
}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    stmt_ = o.stmt_;
    db_ = o.db_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Status Statement::prepare(const Connection& conn, std::string_view sql) {
  sqlite3_finalize(stmt_);
  stmt_ = nullptr;
  db_ = conn.get();
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_,
                                    nullptr);
  if (rc != SQLITE_OK) return error(rc, db_, "preparing a statement");
  return ok_status();
}

void Statement::bind_null(int i) noexcept { sqlite3_bind_null(stmt_, i); }
void Statement::bind_int(int i, std::int64_t v) noexcept { sqlite3_bind_int64(stmt_, i, v); }
void Statement::bind_double(int i, double v) noexcept { sqlite3_bind_double(stmt_, i, v); }
void Statement::bind_text(int i, std::string_view v) noexcept {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void Statement::bind_blob(int i, const void* data, std::size_t size) noexcept {
  sqlite3_bind_blob(stmt_, i, data, static_cast<int>(size), SQLITE_STATIC);
}
void Statement::bind_blob_or_null(int i, std::string_view v) noexcept {
  if (v.empty()) sqlite3_bind_null(stmt_, i);
  else bind_blob(i, v.data(), v.size());
}
void Statement::bind_optional_int(int i, const std::optional<std::int64_t>& v) noexcept {
  if (v) bind_int(i, *v);
  else bind_null(i);
}
void Statement::bind_optional_double(int i, const std::optional<double>& v) noexcept {
  if (v) bind_double(i, *v);
  else bind_null(i);
}

Result<bool> Statement::step(std::string_view context) {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error(rc, db_, context);
}

Status Statement::run(std::string_view context) {
  const int rc = sqlite3_step(stmt_);
  Status s = rc == SQLITE_DONE || rc == SQLITE_ROW ? ok_status() : error(rc, db_, context);
  reset();
  return s;
}

void Statement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int col) const noexcept { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t Statement::column_int(int col) const noexcept { return sqlite3_column_int64(stmt_, col); }
double Statement::column_double(int col) const noexcept { return sqlite3_column_double(stmt_, col); }
std::optional<std::int64_t> Statement::column_optional_int(int col) const noexcept {
  if (is_null(col)) return std::nullopt;
  return column_int(col);
}
std::optional<double> Statement::column_optional_double(int col) const noexcept {
  if (is_null(col)) return std::nullopt;
  return column_double(col);
}
std::string_view Statement::column_view(int col) const noexcept {
  const void* p = sqlite3_column_blob(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr || n <= 0) return {};
  return std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(n));
}
void Statement::column_assign(int col, std::string* out) const {
  const std::string_view v = column_view(col);
  if (v.empty()) out->clear();
  else out->assign(v.data(), v.size());
}

}  // namespace vipcore::sqlite
