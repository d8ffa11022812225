// Opening the SQLite backend's files: creating a new database, opening one
// read-only, checking and migrating both files, preparing the writers.
#include <fmt/format.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sqlite/schema.hpp"
#include "sqlite/sql.hpp"
#include "sqlite/storage_impl.hpp"

namespace vipcore::sqlite {
namespace {

// Replaces SQLite's automatic checkpoint (which is itself a WAL hook) to add
// one thing: after a commit that left a big WAL (a bulk import), checkpoint
// and truncate it at once instead of keeping a file as large as the data
// written. TRUNCATE does not wait for readers: if they keep it busy, the WAL
// is simply truncated after a later commit.
int wal_hook(void* busy_timeout_ms, sqlite3* db, const char* name, int frames) {
  constexpr int kAutoCheckpointFrames = 1000;  // SQLite's default
  constexpr int kTruncateFrames = 16384;       // 64 MiB of 4 KiB pages
  if (frames >= kTruncateFrames) {
    // Without a busy handler: the caller whose commit this follows (a PBX
    // recording a call, say) must not wait for a long reader such as an
    // export. Busy now, the WAL is truncated after a later commit.
    sqlite3_busy_timeout(db, 0);
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    sqlite3_busy_timeout(db, *static_cast<const int*>(busy_timeout_ms));
  } else if (frames >= kAutoCheckpointFrames) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

std::string errno_text(int e, const std::string& path) {
  std::string plain = describe(0, e, path);
  return plain.empty() ? std::strerror(e) : plain;
}

std::string sql_quoted(std::string_view text) {
  std::string out;
  for (char ch : text) {
    out.push_back(ch);
    if (ch == '\'') out.push_back('\'');
  }
  return out;
}

// One of the database's two files, as migrating it sees it.
struct SchemaFile {
  Connection& conn;
  const std::string& path;
  const char* kind;             // "database", "activity file"
  const char* migrated;         // what "migrating ... to version n" names
  const char* reading_header;   // the context of an error reading its header
  std::int64_t application_id;  // stamped in the header
  std::int64_t version;         // the schema version this vipcore writes
  const char* const* migrations;
  bool blank_ok;  // a file with no tables and no application id may be made one
};

// The first column of the first row of `sql`; 0 when there is no row. An
// error preparing it says `prepare_context` when that is not empty.
Result<std::int64_t> select_int(const Connection& conn, const char* sql, std::string_view context,
                                std::string_view prepare_context = {}) {
  Statement st;
  if (Status s = st.prepare(conn, sql); !s.ok())
    return prepare_context.empty() ? s : s.with_context(prepare_context);
  auto row = st.step(context);
  if (!row.ok()) return row.status();
  return *row ? st.column_int(0) : 0;
}

Result<std::int64_t> pragma_int(const SchemaFile& f, const char* sql) {
  return select_int(f.conn, sql, f.reading_header);
}

// The file's schema version; an error when it is not a vipcore file of its
// kind or newer than this vipcore knows.
Result<std::int64_t> check_header(const SchemaFile& f) {
  auto app = pragma_int(f, "PRAGMA application_id");
  if (!app.ok()) return app.status();
  auto version = pragma_int(f, "PRAGMA user_version");
  if (!version.ok()) return version.status();
  auto tables = pragma_int(f, "SELECT count(*) FROM sqlite_master");
  if (!tables.ok()) return tables.status();
  if (*app != f.application_id && !(f.blank_ok && *app == 0 && *tables == 0))
    return Status::version_error(fmt::format("{} is not a vipcore {}", f.path, f.kind));
  if (*version > f.version)
    return Status::version_error(
        fmt::format("{} has schema version {}, newer than this vipcore ({}) knows; upgrade vipcore to open it", f.path,
                    *version, f.version));
  return *version;
}

// Brings the file to f.version in one transaction: `before(from)` first,
// then the migrations from the version it has, then the new header.
// Another process may be migrating too: takes the write lock, then looks again.
template <typename Before>
Status upgrade(const SchemaFile& f, Before&& before) {
  if (Status s = f.conn.exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto version = check_header(f);
  Status s = version.ok() ? ok_status() : version.status();
  if (s.ok() && *version < f.version) s = before(*version);
  for (std::int64_t v = version.ok() ? *version : f.version; s.ok() && v < f.version; ++v) {
    s = f.conn.exec(f.migrations[v]);
    if (!s.ok()) s = s.with_context(fmt::format("migrating {} to version {}", f.migrated, v + 1));
  }
  if (s.ok()) {
    const std::string stamp = fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {}; COMMIT",
                                          f.application_id, f.version);
    s = f.conn.exec(stamp.c_str());
  }
  if (!s.ok()) sqlite3_exec(f.conn.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  return s;
}

}  // namespace

Status SqliteStorage::open() {
  if (options_.read_only) return open_read_only();
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return Status::storage_error(fmt::format("cannot open database {}: {}", path_, std::strerror(errno)));
    if (options_.create_if_missing) {
      if (Status s = check_activity_is_new(); !s.ok()) return s;
      if (Status s = create_file(); !s.ok()) return s;
    }  // else opening it fails below, naming the file
  } else if (S_ISREG(st.st_mode) && st.st_size == 0) {
    return Status::version_error(fmt::format(
        "{} is not a vipcore database: it is an empty file (only a missing file is made into a new database)", path_));
  }
  mode_ = Connection::Mode::read_write;
  if (Status s = configure(writer_, /*writer=*/true); !s.ok()) return s;
  sqlite3_wal_hook(writer_.get(), &wal_hook, &options_.busy_timeout_ms);
  // The activity file is part of the database: created beside an existing
  // main file whatever create_if_missing says (a database from before it).
  if (Status s = create_activity_file(); !s.ok()) return s;
  if (Status s = configure(activity_writer_, /*writer=*/true, /*activity=*/true); !s.ok())
    return s.with_context(fmt::format("opening {}", activity_path_));
  sqlite3_wal_hook(activity_writer_.get(), &wal_hook, &options_.busy_timeout_ms);
  if (Status s = migrate_activity(); !s.ok()) return s;
  if (Status s = migrate(); !s.ok()) return s;
  if (Status s = prepare_writer(); !s.ok()) return s;
  return generations_.open(generation_file_path(path_), options_.file_mode, /*read_only=*/false);
}

// Builds a new database in a temporary file next to path_ and moves it into
// place only when complete, without replacing a file another process made
// meanwhile.
Status SqliteStorage::create_file() {
  std::string tmp = path_ + ".new-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    return Status::storage_error(fmt::format("cannot create database {}: {}", path_, errno_text(errno, path_)));
  const bool moded = ::fchmod(fd, static_cast<mode_t>(options_.file_mode & 07777)) == 0;
  const int mode_errno = errno;
  ::close(fd);
  auto fail = [&](Status s) {
    ::unlink(tmp.c_str());
    return s;
  };
  if (!moded)
    return fail(Status::storage_error(fmt::format("cannot create database {}: {}", path_, std::strerror(mode_errno))));
  {
    SqliteStorage fresh(tmp, options_);
    fresh.creating_ = true;
    Status s = fresh.configure(fresh.writer_, /*writer=*/true);
    if (s.ok()) s = fresh.migrate();
    if (!s.ok()) return fail(s.with_context(fmt::format("creating database {}", path_)));
  }  // closed: the WAL is checkpointed into the file and removed
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE) == 0) return ok_status();
  if (errno == EEXIST) return fail(ok_status());  // another process made it first: use theirs
  if (errno != EINVAL && errno != ENOSYS)
    return fail(Status::storage_error(fmt::format("cannot create database {}: {}", path_, errno_text(errno, path_))));
  // A file system without renameat2: a hard link is just as exclusive.
  if (::link(tmp.c_str(), path_.c_str()) != 0 && errno != EEXIST)
    return fail(Status::storage_error(fmt::format("cannot create database {}: {}", path_, errno_text(errno, path_))));
  return fail(ok_status());
}

Status SqliteStorage::open_read_only() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0)
    return Status::storage_error(fmt::format("cannot open database {} read-only: {}", path_, std::strerror(errno)));
  if (S_ISREG(st.st_mode) && st.st_size == 0)
    return Status::version_error(fmt::format("{} is not a vipcore database: it is an empty file", path_));
  // Reads both files' headers: the activity file is attached lazily.
  auto read_headers = [this] {
    Status s = configure(writer_, /*writer=*/false);
    if (s.ok()) s = migrate();
    if (s.ok() && ::access(activity_path_.c_str(), F_OK) != 0)
      return Status::version_error(
          fmt::format("cannot open database {} read-only: its activity file {} is missing; open it once read-write "
                      "to create it",
                      path_, activity_path_));
    if (s.ok())
      s = writer_.exec(fmt::format("SELECT count(*) FROM {}.sqlite_master", kActivitySchema).c_str());
    return s;
  };
  mode_ = Connection::Mode::read_only;
  Status s = read_headers();
  if (!s.ok() && !s.is_version_error()) {
    // SQLite reads a WAL database through its -shm file, which it could not
    // open or create (a directory nobody may write, a full disk). Without a
    // WAL file there is nothing the -shm file would add: read the files as
    // immutable. With one, its commits would be missed: refuse.
    for (const std::string& file : {path_, activity_path_}) {
      struct stat wal {};
      const std::string wal_path = file + "-wal";
      if (::stat(wal_path.c_str(), &wal) == 0 && S_ISREG(wal.st_mode) && wal.st_size > 0)
        return s.with_context(
            fmt::format("{} has a write-ahead log that cannot be read without writing {}-shm", file, file));
    }
    writer_ = Connection();
    mode_ = Connection::Mode::immutable;
    s = read_headers();
  }
  if (!s.ok()) return s;
  if (Status s2 = prepare_writer(); !s2.ok()) return s2;
  return generations_.open(generation_file_path(path_), options_.file_mode, /*read_only=*/true);
}

// A new database must not adopt an activity file left by an earlier
// database of the same name: its calls would become ours.
Status SqliteStorage::check_activity_is_new() {
  struct stat st {};
  if (::stat(activity_path_.c_str(), &st) != 0 || (S_ISREG(st.st_mode) && st.st_size == 0)) return ok_status();
  Connection conn;
  if (Status s = conn.open(activity_path_, Connection::Mode::read_only); !s.ok()) return s;
  const std::string reading = fmt::format("reading {}", activity_path_);
  auto tables = select_int(conn, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                 "('vip_call', 'vip_trigger', 'vip_caller_stats')",
                           "reading the activity file", reading);
  if (!tables.ok()) return tables.status();
  if (*tables == 0) return ok_status();
  auto rows = select_int(conn, "SELECT EXISTS (SELECT 1 FROM vip_call) OR EXISTS (SELECT 1 FROM vip_trigger) "
                               "OR EXISTS (SELECT 1 FROM vip_caller_stats)",
                         "reading the activity file", reading);
  if (!rows.ok()) return rows.status();
  if (*rows != 0)
    return Status::version_error(
        fmt::format("{} holds call history but {} is a new database: it belongs to another database; move it away",
                    activity_path_, path_));
  return ok_status();
}

// Creates a missing activity file with the database's permission bits (its
// -wal and -shm files get the same); the schema is made by migrate_activity.
Status SqliteStorage::create_activity_file() {
  const int fd = ::open(activity_path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                        static_cast<mode_t>(options_.file_mode & 07777));
  if (fd < 0) {
    if (errno == EEXIST) return ok_status();
    return Status::storage_error(
        fmt::format("cannot create {}: {}", activity_path_, errno_text(errno, activity_path_)));
  }
  const bool moded = ::fchmod(fd, static_cast<mode_t>(options_.file_mode & 07777)) == 0;
  const int mode_errno = errno;
  ::close(fd);
  if (!moded) {
    ::unlink(activity_path_.c_str());
    return Status::storage_error(fmt::format("cannot create {}: {}", activity_path_, std::strerror(mode_errno)));
  }
  return ok_status();
}

Status SqliteStorage::migrate_activity() {
  const SchemaFile file{activity_writer_,      activity_path_,         "activity file",
                        "the activity file",   "reading the activity file's header",
                        kActivityApplicationId, kActivitySchemaVersion, kActivityMigrations,
                        /*blank_ok=*/true};
  auto version = check_header(file);
  if (!version.ok()) return version.status();
  if (Status s = file.conn.exec("PRAGMA journal_mode = WAL"); !s.ok()) return s;
  if (*version == file.version) return ok_status();
  return upgrade(file, [](std::int64_t) { return ok_status(); });
}

// Copies what a main file of schema version `main_version` (1 to 3) holds of
// the activity file's tables into it, replacing what is there: called with
// the main file's write lock held, before the migration that drops them
// there commits. Run again after a crash in between, it copies again.
Status SqliteStorage::adopt_activity(std::int64_t main_version) {
  Connection& conn = activity_writer_;
  const std::string attach = fmt::format("ATTACH DATABASE '{}' AS src", sql_quoted(path_));
  if (Status s = conn.exec(attach.c_str()); !s.ok()) return s.with_context("attaching the database to migrate it");
  // BEGIN, not IMMEDIATE: IMMEDIATE would also ask for src's write lock,
  // which our own main connection holds. The first DELETE takes this file's.
  std::string sql = "BEGIN; DELETE FROM main.vip_call; DELETE FROM main.vip_trigger; DELETE FROM main.vip_caller_stats; ";
  sql += fmt::format(
      "INSERT INTO main.vip_caller_stats (tenant_id, caller_id, total_calls, rated_calls, satisfaction_score) "
      "SELECT tenant_id, id, total_calls, {}, satisfaction_score FROM src.vip_caller "
      "WHERE total_calls != 0 OR satisfaction_score IS NOT NULL; ",
      main_version >= 3 ? "rated_calls" : "0");
  if (main_version >= 2)
    sql += "INSERT INTO main.vip_trigger SELECT tenant_id, call_id, rule_id, caller_id, triggered_at, notified_at "
           "FROM src.vip_trigger; ";
  if (main_version >= 3)
    sql += "INSERT INTO main.vip_call SELECT tenant_id, at, call_id, caller_id, vip_level, handling_rules, "
           "wait_seconds, max_wait_time, escalation_triggered, satisfaction_rating, service_quality_score "
           "FROM src.vip_call; ";
  sql += "COMMIT";
  Status s = conn.exec(sql.c_str());
  if (!s.ok()) {
    sqlite3_exec(conn.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    s = s.with_context("copying call history and escalation triggers to the activity file");
  }
  sqlite3_exec(conn.get(), "DETACH DATABASE src", nullptr, nullptr, nullptr);
  return s;
}

Status SqliteStorage::migrate() {
  // Only a database being built starts out blank.
  const SchemaFile file{writer_, path_, "database", "the schema", "reading the database header", kApplicationId,
                        kSqliteSchemaVersion, kMigrations, /*blank_ok=*/creating_};
  auto version = check_header(file);
  if (!version.ok()) return version.status();
  if (options_.read_only) {
    if (*version == kSqliteSchemaVersion) return ok_status();
    return Status::version_error(fmt::format(
        "{} has schema version {}, older than this vipcore's ({}); open it once read-write to upgrade it", path_,
        *version, kSqliteSchemaVersion));
  }
  // WAL lets readers run while a writer commits; the setting is stored in the file.
  if (Status s = writer_.exec("PRAGMA journal_mode = WAL"); !s.ok()) return s;
  if (*version == kSqliteSchemaVersion) return ok_status();
  // A database being built has no activity to adopt (open() checked that
  // no earlier database's activity file is in the way).
  return upgrade(file, [this](std::int64_t from) {
    return !creating_ && from >= 1 ? adopt_activity(from) : ok_status();
  });
}

Status SqliteStorage::prepare_writer() {
  const std::pair<Statement*, std::string> stmts[] = {
      {&w_get_caller_, fmt::format(kSelectCaller, kCallerColumns)},
      {&w_get_meta_, kGetMeta},
      {&w_delete_meta_, kDeleteMeta},
      {&w_get_rule_, fmt::format(kSelectRule, kRuleColumns)},
      {&w_insert_rule_, fmt::format(kInsertRule, kRuleColumns)},
      {&w_update_rule_, kUpdateRule},
      {&w_delete_rule_, kDeleteRule},
      {&w_phone_owner_, kPhoneOwner},
      {&w_insert_caller_, fmt::format(kInsertCaller, kCallerColumns)},
      {&w_update_caller_, kUpdateCaller},
      {&w_delete_caller_, kDeleteCaller},
      {&w_insert_phone_, kInsertPhone},
      {&w_delete_phone_, kDeletePhone},
      {&w_put_meta_, kPutMeta},
      {&w_insert_audit_, kInsertAudit},
  };
  for (const auto& [st, sql] : stmts)
    if (Status s = st->prepare(writer_, sql); !s.ok()) return s;
  const std::pair<Statement*, std::string> activity[] = {
      {&w_insert_trigger_, kInsertTrigger},
      {&w_mark_notified_, kMarkNotified},
      {&w_purge_triggers_, kPurgeTriggers},
      {&w_insert_call_, fmt::format(kInsertCall, kCallColumns)},
      {&w_count_call_, kCountCall},
      {&w_purge_calls_, kPurgeCalls},
  };
  if (options_.read_only) return ok_status();  // there is no activity writer
  for (const auto& [st, sql] : activity)
    if (Status s = st->prepare(activity_writer_, sql); !s.ok()) return s;
  return ok_status();
}

// Opens and sets up a connection: a reader, the main file's writer, or
// (`activity`) the activity file's writer. Readers attach the activity
// file; writers do not, because BEGIN IMMEDIATE would lock every attached
// file and the two files' writers must never wait for each other. A
// read-only storage's one connection (writer_, opened with writer=false)
// attaches it the way it opens the main file.
Status SqliteStorage::configure(Connection& conn, bool writer, bool activity) {
  const auto mode = activity ? Connection::Mode::read_write : mode_;
  if (Status s = conn.open(activity ? activity_path_ : path_, mode); !s.ok()) return s;
  sqlite3_busy_timeout(conn.get(), options_.busy_timeout_ms);
  // A missing activity file is not created by attaching it: only a
  // read-only open meets one, and refuses it once it has read the main file.
  if (!writer && ::access(activity_path_.c_str(), F_OK) == 0) {
    const std::string file = mode_ == Connection::Mode::immutable
                                 ? immutable_uri(activity_path_)
                                 : activity_path_;
    const std::string attach = fmt::format("ATTACH DATABASE '{}' AS {}", sql_quoted(file), kActivitySchema);
    if (Status s = conn.exec(attach.c_str()); !s.ok()) return s.with_context("attaching the activity file");
  }
  // journal_size_limit: after a big import the WAL file would otherwise
  // keep its peak size (as big as the data written) for as long as the
  // database is open; truncate it to 64 MiB once checkpointed.
  const std::string pragmas = fmt::format(
      "PRAGMA cache_size = -{}; PRAGMA synchronous = {}; PRAGMA journal_size_limit = 67108864;{}",
      options_.cache_size_kib, options_.durable_commits ? "FULL" : "NORMAL", writer ? "" : " PRAGMA query_only = 1;");
  return conn.exec(pragmas.c_str());
}

}  // namespace vipcore::sqlite
