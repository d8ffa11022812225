// The PostgreSQL storage backend's classes.
//
// Connections. Readers take a connection from a pool (libpq connections are
// not shared by threads at once; each has its own prepared statements).
// Writes go through one writer connection, one transaction at a time in this
// process (a mutex), and what the PBX records while calls go on (calls,
// triggers, counters: begin_activity_write) through a second one, so that a
// long import never delays them. A third connection, the listener's, only
// LISTENs for change notifications.
//
// Isolation. Reads are single statements in READ COMMITTED: each sees the
// state committed when it began, which is all the Storage contract asks of a
// read (a scan that needs several statements runs them in one REPEATABLE
// READ, READ ONLY transaction, so that it sees one state). Write
// transactions are READ COMMITTED too, serialised across every process and
// node by a transaction-scoped advisory lock taken first
// (pg_advisory_xact_lock on a key of the schema): after it, each statement
// sees every commit made before, so a transaction's own checks (is this
// number taken? does this rule exist?) cannot be invalidated by another
// writer before it commits, without SERIALIZABLE's retries (which would
// surface to callers as spurious Code::busy failures). Activity
// transactions do not take the lock: their writes are single-row inserts
// and upserts whose conflicts the unique keys settle (a trigger is stored
// once, ON CONFLICT DO NOTHING; a call counter is an atomic upsert).
//
// Failures. PostgreSQL aborts a transaction at its first failed statement,
// while the WriteTransaction contract lets a transaction go on after
// Code::already_exists or Code::not_found: every change runs inside a
// savepoint, rolled back on failure. A connection found broken is closed
// and the next use opens a new one (a read retries once at once on a fresh
// connection, since a pooled connection may have died while idle, e.g.
// when the server restarted); errors are Code::storage, and a lock wait
// past lock_timeout_ms is Code::busy.
//
// Bulk writes. insert_bulk_callers streams: its first call starts a binary
// COPY into vip_caller, later calls on the same tenant append to it, and
// the next other call on the transaction ends it (usable()), so the server
// stores one block of an import while the next is sealed. A failure then
// (an id taken, the connection lost) fails that later call and the whole
// transaction, as the storage contract allows. statement_timeout_ms bounds
// every statement but these bulk COPYs (SET LOCAL, lifted while one runs):
// a COPY lasts as long as the import needs, waiting on the client between
// blocks; a server that dies under it is still found by TCP keepalives.
// The numbers' index entries
// are held as ready COPY tuples and written, sorted by hash, by
// finish_bulk_callers or commit(). An import asks find_phone_owners about
// each block; for a tenant with no stored numbers (asked once per
// transaction, and forgotten when it writes any) that is answered without
// the server, so the stream stays open.
//
// Change generations (see storage.hpp): vip_generation holds one counter per
// GenerationTable slot. A commit that changes a tenant bumps its slot's
// counter and sends NOTIFY <channel>, 'slot:gen,...' in the same
// transaction (PostgreSQL delivers notifications at commit, only if it
// commits); before commit() returns, this process's table is updated. The
// listener thread keeps the table of every other change: on each
// (re)connect it LISTENs first, then reads every stored counter (so no
// change between the two is missed), then applies notifications as they
// come, and re-reads the counters every generation_check_ms in case one was
// missed. change_generation() is 0 while the listener is not connected:
// changes may then be missed, and callers read the storage. The in-process
// table holds 2 x the stored counter, so that it is always even.
#ifndef VIPCORE_SRC_POSTGRES_STORAGE_IMPL_HPP
#define VIPCORE_SRC_POSTGRES_STORAGE_IMPL_HPP

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "generation.hpp"
#include "postgres/pg_util.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::postgres {

extern const char* const kMigrations[];

class PostgresStorage;

class PostgresTransaction final : public WriteTransaction {
 public:
  // `activity`: an activity-only transaction (calls, triggers, counters) on
  // the activity connection; otherwise a full one on the writer connection.
  PostgresTransaction(PostgresStorage& storage, Connection& conn, std::unique_lock<std::mutex> lock, bool activity)
      : s_(storage), c_(conn), lock_(std::move(lock)), activity_(activity) {}
  ~PostgresTransaction() override;

  Result<std::optional<CallerRecord>> get_caller(std::string_view tenant_id, std::string_view id) override;
  Result<std::optional<std::string>> find_phone_owner(std::string_view tenant_id, const PhoneHash& hash) override;
  Status find_phone_owners(std::string_view tenant_id, const std::vector<PhoneHash>& hashes,
                           std::vector<std::optional<std::string>>* owners) override;
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
  // Runs `body` inside a savepoint: on failure everything it did is undone;
  // after Code::already_exists or Code::not_found the transaction goes on,
  // after any other failure it is fit only to be dropped.
  template <typename F>
  Status atomically(F&& body);
  // Whether the transaction may go on: open, and any streaming COPY of
  // insert_bulk_callers ended (its failure, if any, is returned here).
  Status usable();
  Status usable_main();
  // Ends the streaming COPY of insert_bulk_callers, if one is open.
  Status end_stream();
  // Ends a COPY into vip_caller: Code::already_exists names the id.
  static Status end_callers_copy(CopyIn& copy);
  // Sets the server's statement_timeout for the rest of the transaction:
  // the configured one, or none while a bulk COPY runs (it lasts as long as
  // the import needs, and waits on the client between blocks).
  Status bound_statements(bool bounded);
  // Notes that commit() moves the generation of `scope`.
  void moves(std::string_view scope);
  Status insert_phones(std::string_view tenant_id, const CallerRecord& c);
  Status delete_phones(std::string_view tenant_id, std::string_view id);

  // Phones' index entries not written yet, each kept as its tuple of a
  // binary COPY into vip_phone, in chunks that never move once written.
  class HeldNumbers {
   public:
    bool empty() const noexcept { return index_.empty(); }
    std::size_t size() const noexcept { return index_.size(); }
    void add(const PhoneHash& hash, std::string_view tuple);
    void clear() noexcept;
    void sort_by_hash();
    // Calls visit(tuple) for each entry, in their order, until it fails.
    template <typename Visit>
    Status each(Visit&& visit);

   private:
    struct Entry {
      PhoneHash hash;
      std::uint32_t chunk;
      std::uint32_t offset;
      std::uint32_t size;
    };
    static constexpr std::size_t kChunkBytes = std::size_t{8} << 20;
    std::vector<Entry> index_;
    std::vector<std::string> chunks_;
  };
  // Appends `callers` to `copy` (a COPY into vip_caller in progress) and
  // their phones' entries to *held; `step` is called after each caller,
  // false cancels.
  template <typename Step>
  Status copy_callers(CopyIn& copy, std::string_view tenant_id, const std::vector<const CallerRecord*>& callers,
                      HeldNumbers* held, Step&& step);
  // COPYs the entries into vip_phone in hash order (all or none); `step` as above.
  template <typename Step>
  Status copy_phones(HeldNumbers& held, Step&& step);

  enum class State { open, committed, failed };
  PostgresStorage& s_;
  Connection& c_;
  std::unique_lock<std::mutex> lock_;
  bool activity_;
  State state_ = State::open;
  std::vector<std::int64_t> slots_;  // generation slots this transaction changes
  // insert_bulk_callers' numbers, written by finish_bulk_callers or commit().
  std::string held_tenant_;
  HeldNumbers held_;
  // insert_bulk_callers' COPY into vip_caller, left open from one call to
  // the next (the server stores one block while the next is sealed) and
  // ended by the next other call on the transaction.
  std::unique_ptr<CopyIn> stream_;
  // A tenant known to have no stored numbers in this transaction (nothing
  // but held ones written since it was asked): find_phone_owners answers
  // for it without a round trip, which keeps the stream open.
  std::string numberless_tenant_;
  std::string checked_tenant_;  // the last tenant find_phone_owners asked that of
};

class PostgresStorage final : public Storage {
 public:
  PostgresStorage(std::string conninfo, const PostgresOptions& options);
  ~PostgresStorage() override;

  Status open();

  std::string_view name() const noexcept override { return "postgresql"; }

  Status find_by_phone(std::string_view tenant_id, const PhoneHash& hash, IdentifyRecord* out,
                       bool* found) override;
  std::uint64_t change_generation(std::string_view tenant_id) const noexcept override {
    if (!listening_.load(std::memory_order_acquire)) return 0;
    return table_.read(tenant_id);
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
  Result<LevelAggregates> aggregate_calls(std::string_view tenant_id, Timestamp from, Timestamp until,
                                          std::string_view caller_id) override;
  Result<std::vector<CallRow>> list_calls(std::string_view tenant_id, std::string_view caller_id, Timestamp from,
                                          Timestamp until, std::uint64_t limit) override;
  Result<CallerCounts> count_callers_by_level_status(std::string_view tenant_id) override;
  Result<std::vector<AuditEntry>> query_audit(std::string_view tenant_id, const AuditQuery& q) override;
  Result<std::unique_ptr<WriteTransaction>> begin_write() override;
  Result<std::unique_ptr<WriteTransaction>> begin_activity_write() override;

 private:
  friend class PostgresTransaction;

  // Runs read(conn) on a pooled reader connection. When it fails on a
  // connection that turned out to be broken, the connection is dropped and,
  // if it had waited in the pool, the read is tried once more on a new one
  // (unless *may_retry says it already handed rows to a caller).
  template <typename Read>
  auto with_reader(Read&& read, const bool* may_retry = nullptr) -> decltype(read(std::declval<Connection&>()));
  Result<std::unique_ptr<Connection>> acquire(bool* pooled);
  void release(std::unique_ptr<Connection> c) noexcept;

  // Starts a transaction on `conn` (connecting it first if needed).
  Status begin_on(Connection& conn, bool take_write_lock);
  Status migrate();

  // Raises the in-process generation of `slot` to 2 x gen.
  void apply_generation(std::int64_t slot, std::int64_t gen) noexcept;
  // Reads every stored counter into the table.
  Status reload_generations(Connection& conn);
  Status start_listening(Connection& conn);
  void listen_loop() noexcept;
  void stop_listener() noexcept;

  ConnectSettings settings_;
  PostgresOptions options_;
  std::string channel_;       // the NOTIFY channel of this schema
  std::string lock_key_sql_;  // the advisory lock's key, as SQL

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Connection>> idle_;

  std::mutex write_mu_;  // one write transaction at a time in this process
  Connection writer_;
  std::mutex activity_mu_;  // one activity transaction at a time in this process
  Connection activity_writer_;

  std::array<std::uint64_t, detail::GenerationTable::kWords> words_{};
  detail::GenerationTable table_{words_.data()};
  std::atomic<bool> listening_{false};
  std::atomic<bool> stopping_{false};
  int wake_[2] = {-1, -1};  // a pipe: written to stop the listener
  Connection listener_;     // used by the listener thread only (and by open() before it starts)
  std::thread listener_thread_;
};

}  // namespace vipcore::postgres

#endif
