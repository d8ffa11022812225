// The SQLite storage backend's classes.
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
//
// Where the code is: open.cpp opens, creates and migrates the files;
// reads.cpp holds the reads and the reader pool; transaction.cpp the write
// transaction; codec.cpp the row codecs; schema.cpp and sql.hpp the SQL.
#ifndef VIPCORE_SRC_SQLITE_STORAGE_IMPL_HPP
#define VIPCORE_SRC_SQLITE_STORAGE_IMPL_HPP

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite/generation_file.hpp"
#include "sqlite/schema.hpp"
#include "sqlite/sqlite_util.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::sqlite {

// A reader: a connection and its statements, used by one thread at a time.
struct Reader {
  Connection conn;
  Statement find_phone, get_caller, scan, count, get_meta, list_rules, get_triggers, list_calls, aggregate,
      aggregate_caller, scan_calls, scan_calls_caller, count_by_level_status, counters;
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
  Status insert_bulk_callers(std::string_view tenant_id, const std::vector<const CallerRecord*>& callers) override;
  Status finish_bulk_callers(std::string_view tenant_id,
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
  // Runs atomically(body) as a change to what the caches of `scope` (a
  // tenant, or "" for the database) hold: commit() moves its generation.
  template <typename F>
  Status changing(std::string_view scope, F&& body);
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
  // Stores the caller's numbers with its summary.
  Status insert_phones(std::string_view tenant_id, const CallerRecord& c);
  Status insert_phone(std::string_view tenant_id, const CallerRecord& c, const PhoneHash& hash,
                      const std::string& summary);
  // Removes the numbers of the stored caller `id`; Code::not_found when there is none.
  Status delete_phones(std::string_view tenant_id, std::string_view id);
  // Runs a purge statement (?1 tenant, ?2 before, ?3 limit); the rows deleted.
  Result<std::uint64_t> purge_older(Statement& st, std::string_view tenant_id, Timestamp before, std::uint64_t limit,
                                    std::string_view context);
  Status usable() const {
    if (state_ != State::open) return Status::internal_error("the write transaction is no longer open");
    return ok_status();
  }
  // A main-file operation: refused in an activity-only transaction.
  Status usable_main() const {
    if (Status s = usable(); !s.ok()) return s;
    if (!main_open_)
      return Status::internal_error("an activity write transaction may only record calls and escalation triggers");
    return ok_status();
  }

  // A phone index entry insert_bulk_callers holds back: the caller's id and
  // summary are bytes [offset, offset + id_size + summary_size) of held_bytes_.
  struct HeldPhone {
    PhoneHash hash;
    std::uint64_t offset;
    std::uint32_t id_size;
    std::uint32_t summary_size;
  };

  enum class State { open, committed, failed };
  SqliteStorage& s_;
  std::string held_tenant_;
  std::vector<HeldPhone> held_;
  std::string held_bytes_;
  std::unique_lock<std::mutex> lock_;           // the main file's writer (write_mu_)
  std::unique_lock<std::mutex> activity_lock_;  // the activity file's writer (activity_mu_)
  bool main_open_;                              // a main-file transaction is open
  bool activity_open_ = false;                  // an activity-file transaction is open
  State state_ = State::open;
  detail::GenerationTable::Commit changes_;  // the generation slots this transaction changes
};

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(std::string path, const SqliteOptions& options)
      : path_(std::move(path)), activity_path_(activity_file_path(path_)), options_(options) {}

  Status open();

  std::string_view name() const noexcept override { return "sqlite"; }

  Status find_by_phone(std::string_view tenant_id, const PhoneHash& hash, IdentifyRecord* out,
                       bool* found) override;
  std::uint64_t change_generation(std::string_view tenant_id) const noexcept override {
    return generations_.read(tenant_id);
  }
  std::uint64_t number_generation(std::string_view tenant_id, const PhoneHash& hash) const noexcept override {
    return generations_.read_number(tenant_id, hash[0]);
  }
  Result<std::optional<CallerRecord>> get_caller(std::string_view tenant_id, std::string_view id) override;
  Status scan_callers(std::string_view tenant_id, const CallerFilter& filter,
                      const std::function<bool(CallerRecord&&)>& visit) override;
  Result<std::uint64_t> count_callers(std::string_view tenant_id, const CallerFilter& filter) override;
  Result<std::vector<std::string>> list_tenants() override;
  Result<std::optional<std::string>> get_meta(std::string_view scope, std::string_view key) override;
  Result<std::vector<RuleRecord>> list_rules(std::string_view tenant_id) override;
  Result<std::vector<TriggerRecord>> get_triggers(std::string_view tenant_id, std::string_view call_id) override;
  Status scan_calls(std::string_view tenant_id, Timestamp from, Timestamp until, std::string_view caller_id,
                    const std::function<bool(const CallRow&)>& visit) override;
  // Pushed down: the rows stream without their ids, into the same CallAggregator.
  Result<LevelAggregates> aggregate_calls(std::string_view tenant_id, Timestamp from, Timestamp until,
                                          std::string_view caller_id) override;
  Result<std::vector<CallRow>> list_calls(std::string_view tenant_id, std::string_view caller_id, Timestamp from,
                                          Timestamp until, std::uint64_t limit) override;
  Result<CallerCounts> count_callers_by_level_status(std::string_view tenant_id) override;
  Result<std::vector<AuditEntry>> query_audit(std::string_view tenant_id, const AuditQuery& q) override;
  Result<std::unique_ptr<WriteTransaction>> begin_write() override;
  // Takes nothing yet: the activity file's write lock is taken by the first write.
  Result<std::unique_ptr<WriteTransaction>> begin_activity_write() override;

  /// Fills a record's call counters from the activity file (the writer
  /// connection does not attach it: see configure()).
  Status read_counters(std::string_view tenant_id, CallerRecord* c);

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

  // A leased reader and one of its statements, prepared.
  struct Query {
    Lease lease;
    Statement* st;
  };

  Result<Lease> acquire();
  void release(std::unique_ptr<Reader> r) noexcept;
  // Leases a reader and prepares its statement `which` on first use, from
  // the SQL text make_sql() returns.
  template <typename MakeSql>
  Result<Query> query(Statement Reader::*which, MakeSql&& make_sql);
  Result<Query> query(Statement Reader::*which, const char* sql);
  // Streams the calls of a range (kScanCalls reading `columns`, on the
  // statement `which`) through row(st), a Result<bool>: whether to go on.
  template <typename Row>
  Status stream_calls(Statement Reader::*which, const char* columns, std::string_view tenant_id, Timestamp from,
                      Timestamp until, std::string_view caller_id, Row&& row);

  // Opens and sets up a connection: a reader, the main file's writer, or
  // (`activity`) the activity file's writer (see open.cpp).
  Status configure(Connection& conn, bool writer, bool activity = false);

  static Result<std::optional<CallerRecord>> select_caller(Statement& st, std::string_view tenant_id,
                                                           std::string_view id);
  static Result<std::optional<std::string>> select_meta(Statement& st, std::string_view scope, std::string_view key);

  Status migrate();
  Status migrate_activity();
  Status adopt_activity(std::int64_t main_version);
  Status prepare_writer();
  Status create_file();
  Status open_read_only();
  Status check_activity_is_new();
  Status create_activity_file();

  std::string path_;
  std::string activity_path_;
  GenerationFile generations_;
  SqliteOptions options_;
  Connection::Mode mode_ = Connection::Mode::read_write;
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

}  // namespace vipcore::sqlite

#endif
