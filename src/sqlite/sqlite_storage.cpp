// The SQLite storage backend.
//
// One database file in WAL mode, so that readers (identify on many PBX
// threads) never wait for a writer, and several processes (the PBX and
// vipctl) can share it. Within a process:
//   - reads take a connection from a pool (one connection per concurrent
//     reader, each with its own prepared statements; SQLite statements are
//     never shared across threads);
//   - writes go through one writer connection, one transaction at a time
//     (BEGIN IMMEDIATE, so that a writer in another process makes us wait up
//     to the busy timeout instead of failing half-way).
//
// Identify is one point lookup: vip_phone holds, for each number, what
// identify needs about its owner (a copy of a few vip_caller columns that is
// rewritten whenever the caller changes).
#include <fmt/format.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <cstdint>
#include <numeric>

#include "sqlite/codec.hpp"
#include "sqlite/schema.hpp"
#include "sqlite/sql.hpp"
#include "sqlite/sqlite_util.hpp"
#include "vipcore/storage.hpp"

namespace vipcore {
namespace {

using sqlite::Connection;
using sqlite::ResetGuard;
using sqlite::Statement;
using namespace sqlite;  // NOLINT: the backend's schema and SQL


// A reader: a connection and its statements, used by one thread at a time.
struct Reader {
  Connection conn;
  Statement find_phone, get_caller, scan, count, get_meta, list_rules, get_triggers, list_calls, aggregate,
      aggregate_caller, count_by_level_status, counters;
};

class SqliteStorage;

class SqliteTransaction final : public WriteTransaction {
 public:
  // `lock` held: a transaction on the main file (begun), which may also
  // write the activity file. Not held: an activity-only transaction.
  SqliteTransaction(SqliteStorage& storage, std::unique_lock<std::mutex> lock)
      : s_(storage), lock_(std::move(lock)), main_open_(lock_.owns_lock()) {}
  ~SqliteTransaction() override;

  Result<std::optional<CallerRecord>> get_caller(std::string_view tenant_id, std::string_view id) override;
  Result<std::optional<std::string>> find_phone_owner(std::string_view tenant_id, const PhoneHash& hash) override;
  Status insert_callers(std::string_view tenant_id, const std::vector<CallerRecord>& callers,
                        const std::function<bool(std::size_t, std::size_t)>& progress) override;
  Status replace_caller(std::string_view tenant_id, const CallerRecord& caller) override;
  Status delete_caller(std::string_view tenant_id, std::string_view id) override;
  Result<std::optional<RuleRecord>> get_rule(std::string_view tenant_id, std::string_view id) override;
  Status insert_rule(std::string_view tenant_id, const RuleRecord& rule) override;
  Status replace_rule(std::string_view tenant_id, const RuleRecord& rule) override;
  Status delete_rule(std::string_view tenant_id, std::string_view id) override;
  Status insert_trigger(std::string_view tenant_id, const TriggerRecord& trigger, bool* inserted) override;
  Status mark_notified(std::string_view tenant_id, std::string_view call_id, std::string_view rule_id,
                       Timestamp at) override;
  Result<std::uint64_t> purge_triggers(std::string_view tenant_id, Timestamp before, std::uint64_t limit) override;
  Status insert_call(std::string_view tenant_id, const CallRow& call) override;
  Status count_call(std::string_view tenant_id, std::string_view caller_id,
                    std::optional<int> satisfaction_rating) override;
  Result<std::uint64_t> purge_calls(std::string_view tenant_id, Timestamp before, std::uint64_t limit) override;
  Result<std::optional<std::string>> get_meta(std::string_view scope, std::string_view key) override;
  Status put_meta(std::string_view scope, std::string_view key, std::string_view value) override;
  Status delete_meta(std::string_view scope, std::string_view key) override;
  Status append_audit(const AuditEntry& entry) override;
  Status commit() override;

 private:
  // Runs `body` inside a savepoint of the main file: on failure everything
  // it did is undone and the transaction goes on.
  template <typename F>
  Status atomically(F&& body);
  // The same in the activity file, whose write transaction starts here the
  // first time (the main file's, if any, is already held: lock order main,
  // then activity).
  template <typename F>
  Status activity_atomically(F&& body);
  template <typename F>
  Status in_savepoint(sqlite3* db, F&& body);
  Status begin_activity();
  Status insert_phones(std::string_view tenant_id, const CallerRecord& c);
  // Runs a purge statement (?1 tenant, ?2 before, ?3 limit); the rows deleted.
  Result<std::uint64_t> purge_older(Statement& st, std::string_view tenant_id, Timestamp before, std::uint64_t limit,
                                    std::string_view context);
  Status usable() const {
    if (state_ != State::open) return Status::internal_error("the write transaction is no longer open");
    return Status::ok();
  }
  // A main-file operation: refused in an activity-only transaction.
  Status usable_main() const {
    if (Status s = usable(); !s.is_ok()) return s;
    if (!main_open_)
      return Status::internal_error("an activity write transaction may only record calls and escalation triggers");
    return Status::ok();
  }

  enum class State { open, committed, failed };
  SqliteStorage& s_;
  std::unique_lock<std::mutex> lock_;           // the main file's writer (write_mu_)
  std::unique_lock<std::mutex> activity_lock_;  // the activity file's writer (activity_mu_)
  bool main_open_;                              // a main-file transaction is open
  bool activity_open_ = false;                  // an activity-file transaction is open
  State state_ = State::open;
};

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(std::string path, const SqliteOptions& options)
      : path_(std::move(path)), activity_path_(activity_file_path(path_)), options_(options) {}

  Status open();

  std::string_view name() const noexcept override { return "sqlite"; }

  Status find_by_phone(std::string_view tenant_id, const PhoneHash& hash, IdentifyRecord* out,
                       bool* found) override {
    *found = false;
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.find_phone;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, kFindPhone); !s.is_ok()) return s;
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    st.bind_blob(2, hash.data(), hash.size());
    auto row = st.step("looking up a phone number");
    if (!row.ok()) return row.status();
    if (*row) {
      st.column_assign(0, &out->caller_id);
      if (!decode_summary(st.column_view(1), out)) return Status::storage_error("vip_phone.summary is malformed");
      *found = true;
    }
    return Status::ok();
  }

  Result<std::optional<CallerRecord>> get_caller(std::string_view tenant_id, std::string_view id) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    if (!r.get_caller.prepared())
      if (Status s = r.get_caller.prepare(r.conn, fmt::format(kSelectCallerRead, kCallerReadColumns)); !s.is_ok())
        return s;
    return select_caller(r.get_caller, tenant_id, id);
  }

  Status scan_callers(std::string_view tenant_id, const CallerFilter& filter,
                      const std::function<bool(CallerRecord&&)>& visit) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.scan;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, fmt::format(kScanCallers, kCallerReadColumns)); !s.is_ok()) return s;
    ResetGuard reset(st);
    bind_filter(st, tenant_id, filter);
    // SQLite takes 64-bit signed counts: larger ones are clamped, never
    // wrapped (an offset of 2^63 would otherwise read as negative, i.e. 0).
    constexpr std::uint64_t kMaxCount = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    st.bind_int(4, filter.limit == 0 ? -1 : static_cast<std::int64_t>(std::min(filter.limit, kMaxCount)));
    st.bind_int(5, static_cast<std::int64_t>(std::min(filter.offset, kMaxCount)));
    st.bind_text(6, filter.after_id);
    for (;;) {
      auto row = st.step("scanning callers");
      if (!row.ok()) return row.status();
      if (!*row) return Status::ok();
      auto c = read_caller(st);
      if (!c.ok()) return c.status();
      if (!visit(std::move(*c))) return Status::ok();
    }
  }

  Result<std::uint64_t> count_callers(std::string_view tenant_id, const CallerFilter& filter) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.count;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, kCountCallers); !s.is_ok()) return s;
    ResetGuard reset(st);
    bind_filter(st, tenant_id, filter);
    auto row = st.step("counting callers");
    if (!row.ok()) return row.status();
    return static_cast<std::uint64_t>(st.column_int(0));
  }

  Result<std::vector<std::string>> list_tenants() override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Statement st;
    if (Status s = st.prepare(lease->get()->conn, kListTenants); !s.is_ok()) return s;
    std::vector<std::string> out;
    for (;;) {
      auto row = st.step("listing tenants");
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.emplace_back(st.column_view(0));
    }
  }

  Result<std::optional<std::string>> get_meta(std::string_view scope, std::string_view key) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    if (!r.get_meta.prepared())
      if (Status s = r.get_meta.prepare(r.conn, kGetMeta); !s.is_ok()) return s;
    return select_meta(r.get_meta, scope, key);
  }

  Result<std::vector<RuleRecord>> list_rules(std::string_view tenant_id) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.list_rules;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, fmt::format(kSelectRules, kRuleColumns)); !s.is_ok()) return s;
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    std::vector<RuleRecord> out;
    for (;;) {
      auto row = st.step("reading escalation rules");
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back(read_rule(st));
    }
  }

  Result<std::vector<TriggerRecord>> get_triggers(std::string_view tenant_id, std::string_view call_id) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.get_triggers;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, kSelectTriggers); !s.is_ok()) return s;
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    st.bind_text(2, call_id);
    std::vector<TriggerRecord> out;
    for (;;) {
      auto row = st.step("reading escalation triggers");
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back(read_trigger(st));
    }
  }

  Result<LevelAggregates> aggregate_calls(std::string_view tenant_id, Timestamp from, Timestamp until,
                                          std::string_view caller_id) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    const bool one_caller = !caller_id.empty();
    Statement& st = one_caller ? r.aggregate_caller : r.aggregate;
    if (!st.prepared())
      // One caller's calls: their index, not a scan of the whole range (the
      // planner has no statistics to know that the caller is the narrower key).
      if (Status s = st.prepare(r.conn, fmt::format(kAggregateCalls,
                                                    one_caller ? " INDEXED BY vip_call_tenant_caller_at" : "",
                                                    one_caller ? " AND caller_id = ?4" : ""));
          !s.is_ok())
        return s;
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    st.bind_int(2, to_unix_ms(from));
    st.bind_int(3, to_unix_ms(until));
    if (one_caller) st.bind_text(4, caller_id);
    LevelAggregates out;
    std::array<std::vector<std::uint64_t>, kLevelCount> calls_by_wait;  // [level][wait seconds]
    for (;;) {
      auto row = st.step("aggregating calls");
      if (!row.ok()) return row.status();
      if (!*row) break;
      const std::int64_t level = st.column_int(0);
      if (level < 0 || level >= kLevelCount) return Status::storage_error("vip_call.vip_level is out of range");
      const std::int64_t wait = st.column_int(1);
      if (wait < 0 || wait > kMaxStoredCallWait) return Status::storage_error("vip_call.wait_seconds is out of range");
      CallAggregate& a = out[static_cast<std::size_t>(level)];
      ++a.calls;
      if (wait <= st.column_int(2)) ++a.sla_met;
      if (st.column_int(3) != 0) ++a.escalations;
      if (const auto rating = st.column_optional_int(4)) {
        ++a.rated;
        a.rating_sum += static_cast<double>(*rating);
      }
      if (const auto quality = st.column_optional_double(5)) {
        ++a.scored;
        a.quality_sum += *quality;
      }
      const std::int64_t rules = st.column_int(6);
      for (int rule = 0; rule < kHandlingRuleCount; ++rule)
        if (rules & (std::int64_t{1} << rule)) ++a.rules[static_cast<std::size_t>(rule)];
      a.wait_sum += static_cast<double>(wait);
      a.wait_max = std::max(a.wait_max, static_cast<int>(wait));
      std::vector<std::uint64_t>& counts = calls_by_wait[static_cast<std::size_t>(level)];
      const auto w = static_cast<std::size_t>(wait);
      if (w >= counts.size()) counts.resize(std::min<std::size_t>(std::max(w + 1, counts.size() * 2), kMaxStoredCallWait + 1));
      ++counts[w];
    }
    for (std::size_t l = 0; l < out.size(); ++l) {
      const std::vector<std::uint64_t>& counts = calls_by_wait[l];
      for (std::size_t w = 0; w < counts.size(); ++w)
        if (counts[w] != 0) out[l].wait_histogram.emplace_back(static_cast<int>(w), counts[w]);
    }
    return out;
  }

  Result<std::vector<CallRow>> list_calls(std::string_view tenant_id, std::string_view caller_id, Timestamp from,
                                          Timestamp until, std::uint64_t limit) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.list_calls;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, fmt::format(kListCalls, kCallColumns)); !s.is_ok()) return s;
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    st.bind_text(2, caller_id);
    st.bind_int(3, to_unix_ms(from));
    st.bind_int(4, to_unix_ms(until));
    st.bind_int(5, limit == 0 ? -1 : static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX)));
    std::vector<CallRow> out;
    for (;;) {
      auto row = st.step("reading call history");
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out.push_back(read_call(st));
    }
  }

  Result<CallerCounts> count_callers_by_level_status(std::string_view tenant_id) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.count_by_level_status;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, kCountByLevelStatus); !s.is_ok()) return s;
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    CallerCounts out{};
    for (;;) {
      auto row = st.step("counting callers");
      if (!row.ok()) return row.status();
      if (!*row) return out;
      const std::int64_t level = st.column_int(0), status = st.column_int(1);
      if (level < 0 || level >= kLevelCount || status < 0 || status > 2)
        return Status::storage_error("vip_caller holds a level or status out of range");
      ++out[static_cast<std::size_t>(level)][static_cast<std::size_t>(status)];
    }
  }

  Result<std::vector<AuditEntry>> query_audit(std::string_view tenant_id, const AuditQuery& q) override {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    std::string sql =
        "SELECT seq, at, actor_id, role, action, entity_type, entity_id, fields, outcome FROM vip_audit "
        "WHERE tenant_id = ?1";
    if (q.from) sql += " AND at >= ?2";
    if (q.until) sql += " AND at < ?3";
    if (q.actor_id) sql += " AND actor_id = ?4";
    if (q.entity_id) sql += " AND entity_id = ?5";
    sql += " ORDER BY seq LIMIT ?6";
    Statement st;
    if (Status s = st.prepare(r.conn, sql); !s.is_ok()) return s;
    st.bind_text(1, tenant_id);
    if (q.from) st.bind_int(2, to_unix_ms(*q.from));
    if (q.until) st.bind_int(3, to_unix_ms(*q.until));
    if (q.actor_id) st.bind_text(4, *q.actor_id);
    if (q.entity_id) st.bind_text(5, *q.entity_id);
    st.bind_int(6, q.limit == 0 ? -1 : static_cast<std::int64_t>(q.limit));
    std::vector<AuditEntry> out;
    for (;;) {
      auto row = st.step("reading the audit trail");
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(read_audit(st, tenant_id));
    }
    return out;
  }

  Result<std::unique_ptr<WriteTransaction>> begin_write() override {
    if (options_.read_only)
      return Status::storage_error(fmt::format("{} was opened read-only: nothing can be written", path_));
    std::unique_lock<std::mutex> lock(write_mu_);
    const int rc = sqlite3_exec(writer_.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return sqlite::error(rc, writer_.get(), "starting a write transaction");
    return std::unique_ptr<WriteTransaction>(std::make_unique<SqliteTransaction>(*this, std::move(lock)));
  }

  // Takes nothing yet: the activity file's write lock is taken by the first write.
  Result<std::unique_ptr<WriteTransaction>> begin_activity_write() override {
    if (options_.read_only)
      return Status::storage_error(fmt::format("{} was opened read-only: nothing can be written", path_));
    return std::unique_ptr<WriteTransaction>(
        std::make_unique<SqliteTransaction>(*this, std::unique_lock<std::mutex>()));
  }

  /// Fills a record's call counters from the activity file (the writer
  /// connection does not attach it: see open()).
  Status read_counters(std::string_view tenant_id, CallerRecord* c) {
    auto lease = acquire();
    if (!lease.ok()) return lease.status();
    Reader& r = *lease->get();
    Statement& st = r.counters;
    if (!st.prepared())
      if (Status s = st.prepare(r.conn, kSelectCounters); !s.is_ok()) return s;
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    st.bind_text(2, c->id);
    auto row = st.step("reading a caller's call counters");
    if (!row.ok()) return row.status();
    c->total_calls = *row ? st.column_int(0) : 0;
    c->rated_calls = *row ? st.column_int(1) : 0;
    c->satisfaction_score = *row ? st.column_optional_double(2) : std::nullopt;
    return Status::ok();
  }

 private:
  friend class SqliteTransaction;

  // A reader leased from the pool; returned to it when the lease ends.
  class Lease {
   public:
    Lease(SqliteStorage* s, std::unique_ptr<Reader> r) noexcept : s_(s), r_(std::move(r)) {}
    Lease(Lease&& o) noexcept : s_(o.s_), r_(std::move(o.r_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (r_) s_->release(std::move(r_));
    }
    Reader* get() const noexcept { return r_.get(); }

   private:
    SqliteStorage* s_;
    std::unique_ptr<Reader> r_;
  };

  Result<Lease> acquire() {
    {
      std::lock_guard<std::mutex> g(pool_mu_);
      if (!idle_.empty()) {
        std::unique_ptr<Reader> r = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(r));
      }
    }
    auto r = std::make_unique<Reader>();
    if (Status s = configure(r->conn, /*writer=*/false); !s.is_ok()) return s;
    return Lease(this, std::move(r));
  }

  void release(std::unique_ptr<Reader> r) noexcept {
    std::lock_guard<std::mutex> g(pool_mu_);
    try {
      idle_.push_back(std::move(r));
    } catch (...) {
      // Out of memory: the reader is simply closed (r's destructor).
    }
  }

  // Opens and sets up a connection: a reader, the main file's writer, or
  // (`activity`) the activity file's writer. Readers attach the activity
  // file; writers do not, because BEGIN IMMEDIATE would lock every attached
  // file and the two files' writers must never wait for each other. A
  // read-only storage's one connection (writer_, opened with writer=false)
  // attaches it the way it opens the main file.
  Status configure(Connection& conn, bool writer, bool activity = false) {
    const auto mode = activity ? sqlite::Connection::Mode::read_write : mode_;
    if (Status s = conn.open(activity ? activity_path_ : path_, mode); !s.is_ok()) return s;
    sqlite3_busy_timeout(conn.get(), options_.busy_timeout_ms);
    // A missing activity file is not created by attaching it: only a
    // read-only open meets one, and refuses it once it has read the main file.
    if (!writer && ::access(activity_path_.c_str(), F_OK) == 0) {
      const std::string file = mode_ == sqlite::Connection::Mode::immutable
                                   ? sqlite::immutable_uri(activity_path_)
                                   : activity_path_;
      const std::string attach = fmt::format("ATTACH DATABASE '{}' AS {}", sql_quoted(file), kActivitySchema);
      if (Status s = conn.exec(attach.c_str()); !s.is_ok()) return s.with_context("attaching the activity file");
    }
    // journal_size_limit: after a big import the WAL file would otherwise
    // keep its peak size (as big as the data written) for as long as the
    // database is open; truncate it to 64 MiB once checkpointed.
    const std::string pragmas = fmt::format(
        "PRAGMA cache_size = -{}; PRAGMA synchronous = {}; PRAGMA journal_size_limit = 67108864;{}",
        options_.cache_size_kib, options_.durable_commits ? "FULL" : "NORMAL", writer ? "" : " PRAGMA query_only = 1;");
    return conn.exec(pragmas.c_str());
  }

  static void bind_filter(Statement& st, std::string_view tenant_id, const CallerFilter& filter) {
    st.bind_text(1, tenant_id);
    if (filter.vip_level) st.bind_int(2, static_cast<int>(*filter.vip_level));
    else st.bind_null(2);
    if (filter.status) st.bind_int(3, static_cast<int>(*filter.status));
    else st.bind_null(3);
  }

  static Result<std::optional<CallerRecord>> select_caller(Statement& st, std::string_view tenant_id,
                                                           std::string_view id) {
    ResetGuard reset(st);
    st.bind_text(1, tenant_id);
    st.bind_text(2, id);
    auto row = st.step("reading a caller");
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<CallerRecord>();
    auto c = read_caller(st);
    if (!c.ok()) return c.status();
    return std::optional<CallerRecord>(std::move(*c));
  }

  static Result<std::optional<std::string>> select_meta(Statement& st, std::string_view scope, std::string_view key) {
    ResetGuard reset(st);
    st.bind_text(1, scope);
    st.bind_text(2, key);
    auto row = st.step("reading metadata");
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>(std::string(st.column_view(0)));
  }

  Status migrate();
  Status migrate_activity();
  Status adopt_activity(std::int64_t main_version);
  Status prepare_writer();
  Status create_file();
  Status open_read_only();
  Status check_activity_is_new();
  Status create_activity_file();

  static std::string sql_quoted(std::string_view text) {
    std::string out;
    for (char ch : text) {
      out.push_back(ch);
      if (ch == '\'') out.push_back('\'');
    }
    return out;
  }

  std::string path_;
  std::string activity_path_;
  SqliteOptions options_;
  sqlite::Connection::Mode mode_ = sqlite::Connection::Mode::read_write;
  bool creating_ = false;  // building a new database (in a temporary file)
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Reader>> idle_;
  std::mutex write_mu_;  // one write transaction at a time in this process
  Connection writer_;
  // The activity file's writer: calls, triggers and counters.
  std::mutex activity_mu_;  // one activity transaction at a time in this process; after write_mu_
  Connection activity_writer_;
  Statement w_insert_call_, w_count_call_, w_purge_calls_, w_insert_trigger_, w_mark_notified_, w_purge_triggers_;
  Statement w_get_rule_, w_insert_rule_, w_update_rule_, w_delete_rule_;
  Statement w_delete_meta_;
  Statement w_get_caller_, w_get_meta_, w_phone_owner_, w_insert_caller_, w_update_caller_, w_delete_caller_, w_insert_phone_,
      w_delete_phone_, w_put_meta_, w_insert_audit_;
};

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
  std::string plain = sqlite::describe(0, e, path);
  return plain.empty() ? std::strerror(e) : plain;
}

Status SqliteStorage::open() {
  if (options_.read_only) return open_read_only();
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return Status::storage_error(fmt::format("cannot open database {}: {}", path_, std::strerror(errno)));
    if (options_.create_if_missing) {
      if (Status s = check_activity_is_new(); !s.is_ok()) return s;
      if (Status s = create_file(); !s.is_ok()) return s;
    }  // else opening it fails below, naming the file
  } else if (S_ISREG(st.st_mode) && st.st_size == 0) {
    return Status::version_error(fmt::format(
        "{} is not a vipcore database: it is an empty file (only a missing file is made into a new database)", path_));
  }
  mode_ = sqlite::Connection::Mode::read_write;
  if (Status s = configure(writer_, /*writer=*/true); !s.is_ok()) return s;
  sqlite3_wal_hook(writer_.get(), &wal_hook, &options_.busy_timeout_ms);
  // The activity file is part of the database: created beside an existing
  // main file whatever create_if_missing says (a database from before it).
  if (Status s = create_activity_file(); !s.is_ok()) return s;
  if (Status s = configure(activity_writer_, /*writer=*/true, /*activity=*/true); !s.is_ok())
    return s.with_context(fmt::format("opening {}", activity_path_));
  sqlite3_wal_hook(activity_writer_.get(), &wal_hook, &options_.busy_timeout_ms);
  if (Status s = migrate_activity(); !s.is_ok()) return s;
  if (Status s = migrate(); !s.is_ok()) return s;
  return prepare_writer();
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
    if (s.is_ok()) s = fresh.migrate();
    if (!s.is_ok()) return fail(s.with_context(fmt::format("creating database {}", path_)));
  }  // closed: the WAL is checkpointed into the file and removed
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE) == 0) return Status::ok();
  if (errno == EEXIST) return fail(Status::ok());  // another process made it first: use theirs
  if (errno != EINVAL && errno != ENOSYS)
    return fail(Status::storage_error(fmt::format("cannot create database {}: {}", path_, errno_text(errno, path_))));
  // A file system without renameat2: a hard link is just as exclusive.
  if (::link(tmp.c_str(), path_.c_str()) != 0 && errno != EEXIST)
    return fail(Status::storage_error(fmt::format("cannot create database {}: {}", path_, errno_text(errno, path_))));
  return fail(Status::ok());
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
    if (s.is_ok()) s = migrate();
    if (s.is_ok() && ::access(activity_path_.c_str(), F_OK) != 0)
      return Status::version_error(
          fmt::format("cannot open database {} read-only: its activity file {} is missing; open it once read-write "
                      "to create it",
                      path_, activity_path_));
    if (s.is_ok())
      s = writer_.exec(fmt::format("SELECT count(*) FROM {}.sqlite_master", kActivitySchema).c_str());
    return s;
  };
  mode_ = sqlite::Connection::Mode::read_only;
  Status s = read_headers();
  if (!s.is_ok() && !s.is_version_error()) {
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
    writer_ = sqlite::Connection();
    mode_ = sqlite::Connection::Mode::immutable;
    s = read_headers();
  }
  if (!s.is_ok()) return s;
  return prepare_writer();
}

// A new database must not adopt an activity file left by an earlier
// database of the same name: its calls would become ours.
Status SqliteStorage::check_activity_is_new() {
  struct stat st {};
  if (::stat(activity_path_.c_str(), &st) != 0 || (S_ISREG(st.st_mode) && st.st_size == 0)) return Status::ok();
  Connection conn;
  if (Status s = conn.open(activity_path_, sqlite::Connection::Mode::read_only); !s.is_ok()) return s;
  Statement tables;
  if (Status s = tables.prepare(conn, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                      "('vip_call', 'vip_trigger', 'vip_caller_stats')");
      !s.is_ok())
    return s.with_context(fmt::format("reading {}", activity_path_));
  auto counted = tables.step("reading the activity file");
  if (!counted.ok()) return counted.status();
  if (!*counted || tables.column_int(0) == 0) return Status::ok();
  Statement st_rows;
  if (Status s = st_rows.prepare(conn, "SELECT EXISTS (SELECT 1 FROM vip_call) OR EXISTS (SELECT 1 FROM vip_trigger) "
                                       "OR EXISTS (SELECT 1 FROM vip_caller_stats)");
      !s.is_ok())
    return s.with_context(fmt::format("reading {}", activity_path_));
  auto row = st_rows.step("reading the activity file");
  if (!row.ok()) return row.status();
  if (*row && st_rows.column_int(0) != 0)
    return Status::version_error(
        fmt::format("{} holds call history but {} is a new database: it belongs to another database; move it away",
                    activity_path_, path_));
  return Status::ok();
}

// Creates a missing activity file with the database's permission bits (its
// -wal and -shm files get the same); the schema is made by migrate_activity.
Status SqliteStorage::create_activity_file() {
  const int fd = ::open(activity_path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                        static_cast<mode_t>(options_.file_mode & 07777));
  if (fd < 0) {
    if (errno == EEXIST) return Status::ok();
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
  return Status::ok();
}

Status SqliteStorage::migrate_activity() {
  Connection& conn = activity_writer_;
  auto pragma_int = [&conn](const char* sql) -> Result<std::int64_t> {
    Statement st;
    if (Status s = st.prepare(conn, sql); !s.is_ok()) return s;
    auto row = st.step("reading the activity file's header");
    if (!row.ok()) return row.status();
    return *row ? st.column_int(0) : 0;
  };
  auto check_header = [&]() -> Result<std::int64_t> {
    auto app = pragma_int("PRAGMA application_id");
    if (!app.ok()) return app.status();
    auto version = pragma_int("PRAGMA user_version");
    if (!version.ok()) return version.status();
    auto tables = pragma_int("SELECT count(*) FROM sqlite_master");
    if (!tables.ok()) return tables.status();
    if (*app != kActivityApplicationId && (*app != 0 || *tables != 0))
      return Status::version_error(fmt::format("{} is not a vipcore activity file", activity_path_));
    if (*version > kActivitySchemaVersion)
      return Status::version_error(fmt::format(
          "{} has schema version {}, newer than this vipcore ({}) knows; upgrade vipcore to open it", activity_path_,
          *version, kActivitySchemaVersion));
    return *version;
  };
  auto version = check_header();
  if (!version.ok()) return version.status();
  if (Status s = conn.exec("PRAGMA journal_mode = WAL"); !s.is_ok()) return s;
  if (*version == kActivitySchemaVersion) return Status::ok();
  if (Status s = conn.exec("BEGIN IMMEDIATE"); !s.is_ok()) return s;
  version = check_header();
  Status s = version.ok() ? Status::ok() : version.status();
  for (std::int64_t v = version.ok() ? *version : kActivitySchemaVersion; s.is_ok() && v < kActivitySchemaVersion;
       ++v) {
    s = conn.exec(kActivityMigrations[v]);
    if (!s.is_ok()) s = s.with_context(fmt::format("migrating the activity file to version {}", v + 1));
  }
  if (s.is_ok()) {
    const std::string stamp = fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {}; COMMIT",
                                          kActivityApplicationId, kActivitySchemaVersion);
    s = conn.exec(stamp.c_str());
  }
  if (!s.is_ok()) sqlite3_exec(conn.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  return s;
}

// Copies what a main file of schema version `main_version` (1 to 3) holds of
// the activity file's tables into it, replacing what is there: called with
// the main file's write lock held, before the migration that drops them
// there commits. Run again after a crash in between, it copies again.
Status SqliteStorage::adopt_activity(std::int64_t main_version) {
  Connection& conn = activity_writer_;
  const std::string attach = fmt::format("ATTACH DATABASE '{}' AS src", sql_quoted(path_));
  if (Status s = conn.exec(attach.c_str()); !s.is_ok()) return s.with_context("attaching the database to migrate it");
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
  if (!s.is_ok()) {
    sqlite3_exec(conn.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    s = s.with_context("copying call history and escalation triggers to the activity file");
  }
  sqlite3_exec(conn.get(), "DETACH DATABASE src", nullptr, nullptr, nullptr);
  return s;
}

Status SqliteStorage::migrate() {
  auto pragma_int = [this](const char* sql) -> Result<std::int64_t> {
    Statement st;
    if (Status s = st.prepare(writer_, sql); !s.is_ok()) return s;
    auto row = st.step("reading the database header");
    if (!row.ok()) return row.status();
    return *row ? st.column_int(0) : 0;
  };
  auto check_header = [&]() -> Result<std::int64_t> {
    auto app = pragma_int("PRAGMA application_id");
    if (!app.ok()) return app.status();
    auto version = pragma_int("PRAGMA user_version");
    if (!version.ok()) return version.status();
    auto tables = pragma_int("SELECT count(*) FROM sqlite_master");
    if (!tables.ok()) return tables.status();
    // Only a database being built starts out blank.
    if (*app != kApplicationId && !(creating_ && *app == 0 && *tables == 0))
      return Status::version_error(fmt::format("{} is not a vipcore database", path_));
    if (*version > kSqliteSchemaVersion)
      return Status::version_error(fmt::format(
          "{} has schema version {}, newer than this vipcore ({}) knows; upgrade vipcore to open it", path_,
          *version, kSqliteSchemaVersion));
    return *version;
  };
  auto version = check_header();
  if (!version.ok()) return version.status();
  if (options_.read_only) {
    if (*version == kSqliteSchemaVersion) return Status::ok();
    return Status::version_error(fmt::format(
        "{} has schema version {}, older than this vipcore's ({}); open it once read-write to upgrade it", path_,
        *version, kSqliteSchemaVersion));
  }
  // WAL lets readers run while a writer commits; the setting is stored in the file.
  if (Status s = writer_.exec("PRAGMA journal_mode = WAL"); !s.is_ok()) return s;
  if (*version == kSqliteSchemaVersion) return Status::ok();

  // Another process may be migrating too: take the write lock, then look again.
  if (Status s = writer_.exec("BEGIN IMMEDIATE"); !s.is_ok()) return s;
  version = check_header();
  Status s = version.ok() ? Status::ok() : version.status();
  // A database being built has no activity to adopt (open() checked that
  // no earlier database's activity file is in the way).
  if (s.is_ok() && !creating_ && *version >= 1 && *version < kSqliteSchemaVersion) s = adopt_activity(*version);
  for (std::int64_t v = version.ok() ? *version : kSqliteSchemaVersion; s.is_ok() && v < kSqliteSchemaVersion; ++v) {
    s = writer_.exec(kMigrations[v]);
    if (!s.is_ok()) s = s.with_context(fmt::format("migrating the schema to version {}", v + 1));
  }
  if (s.is_ok()) {
    const std::string stamp = fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {}; COMMIT",
                                          kApplicationId, kSqliteSchemaVersion);
    s = writer_.exec(stamp.c_str());
  }
  if (!s.is_ok()) sqlite3_exec(writer_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  return s;
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
    if (Status s = st->prepare(writer_, sql); !s.is_ok()) return s;
  const std::pair<Statement*, std::string> activity[] = {
      {&w_insert_trigger_, kInsertTrigger},
      {&w_mark_notified_, kMarkNotified},
      {&w_purge_triggers_, kPurgeTriggers},
      {&w_insert_call_, fmt::format(kInsertCall, kCallColumns)},
      {&w_count_call_, kCountCall},
      {&w_purge_calls_, kPurgeCalls},
  };
  if (options_.read_only) return Status::ok();  // there is no activity writer
  for (const auto& [st, sql] : activity)
    if (Status s = st->prepare(activity_writer_, sql); !s.is_ok()) return s;
  return Status::ok();
}

SqliteTransaction::~SqliteTransaction() {
  if (activity_open_) sqlite3_exec(s_.activity_writer_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  if (main_open_) sqlite3_exec(s_.writer_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

template <typename F>
Status SqliteTransaction::atomically(F&& body) {
  if (Status s = usable_main(); !s.is_ok()) return s;
  return in_savepoint(s_.writer_.get(), std::forward<F>(body));
}

Status SqliteTransaction::begin_activity() {
  if (activity_open_) return Status::ok();
  activity_lock_ = std::unique_lock<std::mutex>(s_.activity_mu_);
  sqlite3* db = s_.activity_writer_.get();
  if (int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    activity_lock_.unlock();
    state_ = State::failed;
    return sqlite::error(rc, db, "starting a write transaction on the activity file");
  }
  activity_open_ = true;
  return Status::ok();
}

template <typename F>
Status SqliteTransaction::activity_atomically(F&& body) {
  if (Status s = usable(); !s.is_ok()) return s;
  if (Status s = begin_activity(); !s.is_ok()) return s;
  return in_savepoint(s_.activity_writer_.get(), std::forward<F>(body));
}

template <typename F>
Status SqliteTransaction::in_savepoint(sqlite3* db, F&& body) {
  if (int rc = sqlite3_exec(db, "SAVEPOINT op", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    state_ = State::failed;
    return sqlite::error(rc, db, "starting a savepoint");
  }
  Status s = body();
  if (!s.is_ok()) {
    const int rc = sqlite3_exec(db, "ROLLBACK TO op; RELEASE op", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK || !(s.is_already_exists() || s.is_not_found())) state_ = State::failed;
    return s;
  }
  if (int rc = sqlite3_exec(db, "RELEASE op", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    state_ = State::failed;
    return sqlite::error(rc, db, "releasing a savepoint");
  }
  return Status::ok();
}

Result<std::optional<CallerRecord>> SqliteTransaction::get_caller(std::string_view tenant_id, std::string_view id) {
  if (Status s = usable_main(); !s.is_ok()) return s;
  auto c = SqliteStorage::select_caller(s_.w_get_caller_, tenant_id, id);
  if (!c.ok() || !*c) return c;
  if (Status s = s_.read_counters(tenant_id, &**c); !s.is_ok()) return s;
  return c;
}

Result<std::optional<std::string>> SqliteTransaction::find_phone_owner(std::string_view tenant_id,
                                                                       const PhoneHash& hash) {
  if (Status s = usable_main(); !s.is_ok()) return s;
  Statement& st = s_.w_phone_owner_;
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  st.bind_blob(2, hash.data(), hash.size());
  auto row = st.step("looking up a phone number");
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(std::string(st.column_view(0)));
}

Status SqliteTransaction::insert_phones(std::string_view tenant_id, const CallerRecord& c) {
  std::string summary;
  encode_summary(c, summary);
  for (const StoredPhone& p : c.phones) {
    bind_phone(s_.w_insert_phone_, tenant_id, c, p.hash, summary);
    Status s = s_.w_insert_phone_.run("storing a phone number");
    if (s.is_already_exists())
      return Status::already_exists("phone_number", "the number already belongs to another VIP of the tenant");
    if (!s.is_ok()) return s;
  }
  return Status::ok();
}

Status SqliteTransaction::insert_callers(std::string_view tenant_id, const std::vector<CallerRecord>& callers,
                                         const std::function<bool(std::size_t, std::size_t)>& progress) {
  return atomically([&]() -> Status {
    // Progress in rows written: callers first, then phone numbers.
    std::size_t total = callers.size(), done = 0;
    for (const CallerRecord& c : callers) total += c.phones.size();
    const auto step = [&]() {
      ++done;
      return !progress || (done % 1024 != 0 && done != total) || progress(done, total);
    };
    const Status cancelled = Status::invalid_argument("import", "cancelled by the progress callback; nothing was written");
    // B-tree inserts in key order touch each page once instead of at random:
    // for big imports this is several times faster than input order.
    std::vector<std::size_t> order(callers.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return callers[a].id < callers[b].id; });
    std::string scratch[3];
    for (std::size_t i : order) {
      bind_caller(s_.w_insert_caller_, tenant_id, callers[i], scratch);
      Status s = s_.w_insert_caller_.run("storing a caller");
      if (s.is_already_exists()) return Status::already_exists("id", "a caller with this id already exists");
      if (!s.is_ok()) return s;
      if (!step()) return cancelled;
    }
    std::vector<std::pair<const PhoneHash*, const CallerRecord*>> phones;
    phones.reserve(callers.size());
    for (const CallerRecord& c : callers)
      for (const StoredPhone& p : c.phones) phones.emplace_back(&p.hash, &c);
    std::sort(phones.begin(), phones.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
    std::string summary;
    for (const auto& [hash, c] : phones) {
      encode_summary(*c, summary);
      bind_phone(s_.w_insert_phone_, tenant_id, *c, *hash, summary);
      Status s = s_.w_insert_phone_.run("storing a phone number");
      if (s.is_already_exists())
        return Status::already_exists("phone_number", "the number already belongs to another VIP of the tenant");
      if (!s.is_ok()) return s;
      if (!step()) return cancelled;
    }
    return Status::ok();
  });
}

Status SqliteTransaction::replace_caller(std::string_view tenant_id, const CallerRecord& caller) {
  return atomically([&]() -> Status {
    auto old = SqliteStorage::select_caller(s_.w_get_caller_, tenant_id, caller.id);
    if (!old.ok()) return old.status();
    if (!*old) return Status::not_found("no VIP caller with this id in the tenant");
    for (const StoredPhone& p : (*old)->phones) {
      s_.w_delete_phone_.bind_text(1, tenant_id);
      s_.w_delete_phone_.bind_blob(2, p.hash.data(), p.hash.size());
      if (Status s = s_.w_delete_phone_.run("removing a phone number"); !s.is_ok()) return s;
    }
    std::string scratch[3];
    bind_caller(s_.w_update_caller_, tenant_id, caller, scratch);
    if (Status s = s_.w_update_caller_.run("updating a caller"); !s.is_ok()) return s;
    return insert_phones(tenant_id, caller);
  });
}

Status SqliteTransaction::delete_caller(std::string_view tenant_id, std::string_view id) {
  return atomically([&]() -> Status {
    auto old = SqliteStorage::select_caller(s_.w_get_caller_, tenant_id, id);
    if (!old.ok()) return old.status();
    if (!*old) return Status::not_found("no VIP caller with this id in the tenant");
    for (const StoredPhone& p : (*old)->phones) {
      s_.w_delete_phone_.bind_text(1, tenant_id);
      s_.w_delete_phone_.bind_blob(2, p.hash.data(), p.hash.size());
      if (Status s = s_.w_delete_phone_.run("removing a phone number"); !s.is_ok()) return s;
    }
    s_.w_delete_caller_.bind_text(1, tenant_id);
    s_.w_delete_caller_.bind_text(2, id);
    return s_.w_delete_caller_.run("deleting a caller");
  });
}

Result<std::optional<RuleRecord>> SqliteTransaction::get_rule(std::string_view tenant_id, std::string_view id) {
  if (Status s = usable_main(); !s.is_ok()) return s;
  Statement& st = s_.w_get_rule_;
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  st.bind_text(2, id);
  auto row = st.step("reading an escalation rule");
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<RuleRecord>();
  return std::optional<RuleRecord>(read_rule(st));
}

Status SqliteTransaction::insert_rule(std::string_view tenant_id, const RuleRecord& rule) {
  return atomically([&]() -> Status {
    bind_rule(s_.w_insert_rule_, tenant_id, rule);
    Status s = s_.w_insert_rule_.run("storing an escalation rule");
    if (s.is_already_exists()) return Status::already_exists("id", "a rule with this id already exists");
    return s;
  });
}

Status SqliteTransaction::replace_rule(std::string_view tenant_id, const RuleRecord& rule) {
  return atomically([&]() -> Status {
    bind_rule(s_.w_update_rule_, tenant_id, rule);
    if (Status s = s_.w_update_rule_.run("updating an escalation rule"); !s.is_ok()) return s;
    if (sqlite3_changes(s_.writer_.get()) == 0) return Status::not_found("no escalation rule with this id in the tenant");
    return Status::ok();
  });
}

Status SqliteTransaction::delete_rule(std::string_view tenant_id, std::string_view id) {
  return atomically([&]() -> Status {
    s_.w_delete_rule_.bind_text(1, tenant_id);
    s_.w_delete_rule_.bind_text(2, id);
    if (Status s = s_.w_delete_rule_.run("deleting an escalation rule"); !s.is_ok()) return s;
    if (sqlite3_changes(s_.writer_.get()) == 0) return Status::not_found("no escalation rule with this id in the tenant");
    return Status::ok();
  });
}

Status SqliteTransaction::insert_trigger(std::string_view tenant_id, const TriggerRecord& t, bool* inserted) {
  return activity_atomically([&]() -> Status {
    Statement& st = s_.w_insert_trigger_;
    bind_trigger(st, tenant_id, t);
    if (Status s = st.run("storing an escalation trigger"); !s.is_ok()) return s;
    *inserted = sqlite3_changes(s_.activity_writer_.get()) > 0;
    return Status::ok();
  });
}

Status SqliteTransaction::mark_notified(std::string_view tenant_id, std::string_view call_id,
                                        std::string_view rule_id, Timestamp at) {
  return activity_atomically([&]() -> Status {
    Statement& st = s_.w_mark_notified_;
    st.bind_text(1, tenant_id);
    st.bind_text(2, call_id);
    st.bind_text(3, rule_id);
    st.bind_int(4, to_unix_ms(at));
    if (Status s = st.run("recording a notification"); !s.is_ok()) return s;
    if (sqlite3_changes(s_.activity_writer_.get()) == 0) return Status::not_found("no such escalation trigger");
    return Status::ok();
  });
}

Result<std::uint64_t> SqliteTransaction::purge_triggers(std::string_view tenant_id, Timestamp before,
                                                        std::uint64_t limit) {
  return purge_older(s_.w_purge_triggers_, tenant_id, before, limit, "purging escalation triggers");
}

Status SqliteTransaction::insert_call(std::string_view tenant_id, const CallRow& c) {
  return activity_atomically([&]() -> Status {
    Statement& st = s_.w_insert_call_;
    bind_call(st, tenant_id, c);
    Status s = st.run("recording a call");
    if (s.is_already_exists()) return Status::already_exists("call_id", "this call has already been recorded");
    return s;
  });
}

Status SqliteTransaction::count_call(std::string_view tenant_id, std::string_view caller_id,
                                     std::optional<int> satisfaction_rating) {
  return activity_atomically([&]() -> Status {
    Statement& st = s_.w_count_call_;
    st.bind_text(1, tenant_id);
    st.bind_text(2, caller_id);
    st.bind_optional_double(3, satisfaction_rating ? std::optional<double>(*satisfaction_rating) : std::nullopt);
    return st.run("counting a caller's call");
  });
}

Result<std::uint64_t> SqliteTransaction::purge_calls(std::string_view tenant_id, Timestamp before,
                                                     std::uint64_t limit) {
  return purge_older(s_.w_purge_calls_, tenant_id, before, limit, "purging call history");
}

Result<std::uint64_t> SqliteTransaction::purge_older(Statement& st, std::string_view tenant_id, Timestamp before,
                                                     std::uint64_t limit, std::string_view context) {
  std::uint64_t purged = 0;
  Status s = activity_atomically([&]() -> Status {
    st.bind_text(1, tenant_id);
    st.bind_int(2, to_unix_ms(before));
    st.bind_int(3, static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX)));
    if (Status r = st.run(context); !r.is_ok()) return r;
    purged = static_cast<std::uint64_t>(sqlite3_changes64(s_.activity_writer_.get()));
    return Status::ok();
  });
  if (!s.is_ok()) return s;
  return purged;
}

Result<std::optional<std::string>> SqliteTransaction::get_meta(std::string_view scope, std::string_view key) {
  if (Status s = usable_main(); !s.is_ok()) return s;
  return SqliteStorage::select_meta(s_.w_get_meta_, scope, key);
}

Status SqliteTransaction::put_meta(std::string_view scope, std::string_view key, std::string_view value) {
  return atomically([&]() -> Status {
    Statement& st = s_.w_put_meta_;
    st.bind_text(1, scope);
    st.bind_text(2, key);
    st.bind_blob(3, value.data(), value.size());
    return st.run("writing metadata");
  });
}

Status SqliteTransaction::delete_meta(std::string_view scope, std::string_view key) {
  return atomically([&]() -> Status {
    Statement& st = s_.w_delete_meta_;
    st.bind_text(1, scope);
    st.bind_text(2, key);
    return st.run("removing metadata");
  });
}

Status SqliteTransaction::append_audit(const AuditEntry& e) {
  return atomically([&]() -> Status {
    Statement& st = s_.w_insert_audit_;
    std::string fields;
    bind_audit(st, e, fields);
    return st.run("writing an audit entry");
  });
}

// The main file first, then the activity file. A transaction that wrote
// both (a purge: calls in one, its audit entry in the other) is atomic in
// each file but not across them: a crash between the two commits can leave
// an audit entry for a purge batch that did not happen, never a purge
// without its entry.
Status SqliteTransaction::commit() {
  if (Status s = usable(); !s.is_ok()) return s;
  const auto finish = [this](bool* open, sqlite3* db) -> Status {
    if (!*open) return Status::ok();
    const int rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      state_ = State::failed;  // the destructor rolls back what is still open
      return sqlite::error(rc, db, "committing");
    }
    *open = false;
    return Status::ok();
  };
  if (Status s = finish(&main_open_, s_.writer_.get()); !s.is_ok()) return s;
  if (Status s = finish(&activity_open_, s_.activity_writer_.get()); !s.is_ok()) return s;
  state_ = State::committed;
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<Storage>> open_sqlite_storage(const std::string& path, const SqliteOptions& options) {
  if (path.empty()) return Status::invalid_argument("path", "is empty");
  if (options.busy_timeout_ms < 0) return Status::invalid_argument("busy_timeout_ms", "must not be negative");
  if (options.cache_size_kib < 64) return Status::invalid_argument("cache_size_kib", "must be at least 64");
  if ((options.file_mode & ~0777u) != 0 || (options.file_mode & 0600u) != 0600u)
    return Status::invalid_argument("file_mode", "must be permission bits (at most 0777) that let the owner read and write");
  auto storage = std::make_unique<SqliteStorage>(path, options);
  if (Status s = storage->open(); !s.is_ok()) return s;
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace vipcore
