// vipcore — the pluggable storage interface, and the two backends it ships.
//
// A Storage keeps what vipcore hands it and nothing more: phone numbers only
// as keyed hashes (PhoneHash), sensitive fields only as sealed ciphertexts
// (Sealed), everything else (levels, statuses, rules, times, counters) in
// plain form so that it can filter and aggregate. It never sees a key.
//
// Writes go through a WriteTransaction: all of them become visible together
// at commit(), or none does.
//
// Three implementations ship with vipcore:
//   - open_sqlite_storage(): a SQLite database in WAL mode, shared safely by
//     several processes (a PBX and vipctl);
//   - open_postgresql_storage(): a PostgreSQL database (libpq), shared by
//     several PBX nodes;
//   - new_memory_storage(): everything in memory, for integrators' tests.
//
// The PBX's writes and an administrator's long writes. An all-or-nothing
// import of a million VIPs is one write transaction that lasts seconds, and
// SQLite has one write lock per file: a PBX recording a call behind it would
// wait that long (and fail with Code::busy past the busy timeout). So the
// SQLite backend keeps what the PBX writes while calls go on — call history,
// escalation triggers and each caller's call counters — in a second file
// beside the database, its activity file ("<path>-calls", with its own WAL),
// written by its own connection under its own lock. begin_activity_write()
// starts a transaction that takes only that file's lock; record_call and
// escalation checks use it and read the caller list through the readers
// (WAL: never blocked). An import therefore never delays them, and it stays
// one transaction on the caller list: as fast as before, and a crash or kill
// leaves nothing of it.
//   Rejected: importing in short transactions into a staging table and then
// switching over. The switch-over (moving a million rows and their index
// entries into place) is itself a long write on the same lock, or needs
// readers to skip staged rows on identify's hot path; it also doubles the
// rows written.
//   Consequences: the two files commit separately, so a transaction that
// writes both (a purge: calls in one, its audit entry in the other) commits
// the main file first, and a crash in between can leave an audit entry for
// a purge batch that did not happen, never a purge without one. Counters are
// no longer part of the caller's row: replace_caller leaves them alone, and
// count_call() adds a call to them in the activity file. Schema version 4
// moves an existing database's call history, triggers and counters there.
// Copy, back up or delete the two files (and their -wal files) together.
//
// Change generations. Identify, routing and escalation checks are served
// from a per-tenant cache (src/caller_cache.hpp), so every process needs to
// learn, at about the cost of a memory load, that some process committed a
// change to what it caches. Storage::change_generation(tenant) is that
// signal: a number that changes with every commit that changes the tenant's
// callers (and their numbers), settings or escalation rules, or the
// database's own metadata (the key ring), in whichever thread, handle or
// process it was made. It is 0 while such a commit may be landing; then
// nothing cached may be trusted and the reads go to the storage. The
// contract, for every backend:
//   - a value read after commit() returned differs from every value read
//     before that commit began;
//   - anything read from the storage after reading a value g != 0 is at
//     least as new as g; so a cache entry filled then is valid for as long
//     as change_generation() still returns g;
//   - the writes that change what identify reads are the ones that change
//     it: insert_callers, replace_caller, delete_caller, the rule writes and
//     put_meta/delete_meta (of the tenant's scope, or "" for all tenants).
//     Call history, triggers and call counters do not change it;
//   - a writer that dies at any instant (SIGKILL mid-commit) never leaves
//     another process serving data older than what it committed: its
//     tenants read 0 until the next write transaction in any process.
// Storage::number_generation(tenant, hash) is the same signal for the
// entries identify caches, one per number: under the same contract, it
// changes with every commit that changes a caller who owns, or owned, a
// number of the same bucket (the caller writes above, with the numbers of
// the records they replace or delete), and with every database-wide change
// (put_meta/delete_meta of ""); the tenant's settings and rules do not move
// it. So a commit that changes one caller makes stale only the cached
// numbers of its buckets. A backend that does not track numbers returns
// change_generation(tenant) (the default): every change makes every entry
// stale, which is correct, only slower.
// The SQLite backend keeps the generations in a shared mapping beside the
// database, "<path>-gen" (1024 tenant slots, 64 number buckets each; about
// 520 KiB); the memory backend in the process. A vipcore from before the
// number buckets does not move them: it must not write to a database that
// newer processes use. The PostgreSQL backend keeps the tenant generations
// (not number buckets: its number_generation is the default) in a table,
// bumped in the committing transaction, which also sends NOTIFY; each
// process keeps a copy fed by a listener connection. There the first rule
// holds in the committing process (its copy moves before commit() returns),
// and another process's copy moves when the notification arrives
// (milliseconds); while a process's listener is disconnected its
// generations read 0. A writer killed mid-commit either committed (and
// notified) or not, as PostgreSQL guarantees. Tenants whose ids share one
// of 1024 slots, and numbers that share a bucket, see each other's changes
// as changes (more reloads, never fewer). Changing the database with SQL by hand, not
// through vipcore, is outside this contract: running processes do not see
// it until they reopen the database.
#ifndef VIPCORE_STORAGE_HPP
#define VIPCORE_STORAGE_HPP

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vipcore/analytics.hpp"
#include "vipcore/audit.hpp"
#include "vipcore/caller.hpp"
#include "vipcore/clock.hpp"
#include "vipcore/escalation.hpp"
#include "vipcore/export.h"
#include "vipcore/status.hpp"
#include "vipcore/storage_types.hpp"

namespace vipcore {

struct StoredPhone {
  PhoneHash hash{};
  std::string masked;  ///< display form, last four digits only
};

/// A caller as stored. Sealed fields are opaque to the storage.
struct CallerRecord {
  std::string id;
  Level vip_level = Level::standard;
  CallerStatus status = CallerStatus::active;
  HandlingRules handling_rules;
  std::string preferred_agent_id;
  std::string preferred_department_id;
  std::optional<int> max_wait_time;  ///< unset: the tenant's default for the level
  int callback_priority = 1;
  std::vector<std::string> tags;
  std::int64_t total_calls = 0;
  std::int64_t rated_calls = 0;  ///< calls with a satisfaction rating: the weight of satisfaction_score
  std::optional<double> satisfaction_score;
  std::optional<Timestamp> valid_from;
  std::optional<Timestamp> valid_until;
  Timestamp created_at;
  Timestamp updated_at;
  Sealed caller_name;
  Sealed company_name;
  Sealed email;
  Sealed account_number;
  Sealed account_value;
  Sealed notes;
  Sealed custom_greeting;
  std::vector<StoredPhone> phones;  ///< phones[0] is the primary number; never empty
  IntegrityTag integrity{};         ///< over the clear fields above (see IntegrityTag)
};

/// What identify needs about the owner of one number: one point lookup.
/// Callers reuse one object across lookups, so that its strings keep their
/// capacity and a lookup does not allocate.
struct IdentifyRecord {
  std::string caller_id;
  Level vip_level = Level::standard;
  CallerStatus status = CallerStatus::active;
  HandlingRules handling_rules;
  std::optional<int> max_wait_time;
  int callback_priority = 1;
  std::optional<Timestamp> valid_from;
  std::optional<Timestamp> valid_until;
  std::string preferred_agent_id;
  std::string preferred_department_id;
  Sealed caller_name;
  Sealed custom_greeting;
  IntegrityTag integrity{};
};

/// Which callers a scan visits. Unset filters match everything.
struct CallerFilter {
  std::optional<Level> vip_level;
  std::optional<CallerStatus> status;
  std::string after_id;      ///< when not empty: only ids greater than this (keyset paging)
  std::uint64_t offset = 0;  ///< skip this many matches first
  std::uint64_t limit = 0;   ///< visit at most this many; 0 means no limit
};

/// An escalation rule as stored. The notification targets are sealed.
struct RuleRecord {
  std::string id;
  std::string name;
  std::uint32_t level_mask = 0;  ///< bit n = Level n; 0 = all levels
  std::optional<int> max_wait_time;
  std::optional<int> max_queue_position;
  std::string escalation_type;
  int tier = 1;
  Sealed notify;
  bool is_active = true;
  int priority = 1;
  RuleSchedule schedule = RuleSchedule::always;
  std::string business_hours;  ///< format_weekly_hours() text; "" = the tenant's
  Timestamp created_at;
  Timestamp updated_at;
};

/// That a rule triggered for a call. One per (tenant, call, rule).
struct TriggerRecord {
  std::string call_id;
  std::string rule_id;
  std::string caller_id;
  Timestamp triggered_at;
  std::optional<Timestamp> notified_at;  ///< unset until the notifier succeeded
};

/// A recorded call as stored. The tenant operations turn it into the API's
/// CallHistoryEntry (analytics.hpp), so that either can change on its own.
struct CallRow {
  std::string call_id;
  std::string caller_id;
  Level vip_level = Level::standard;
  HandlingRules handling_rules_applied;
  int wait_seconds = 0;
  int max_wait_time = 0;  ///< the caller's target at the time: the SLA
  bool escalation_triggered = false;
  std::optional<int> satisfaction_rating;
  std::optional<double> service_quality_score;
  Timestamp at;
};

/// What the calls of one level add up to in a range: sums and counts only,
/// so that a backend adds them up in one pass over the range's calls
/// without keeping them.
struct CallAggregate {
  std::uint64_t calls = 0;
  std::uint64_t sla_met = 0;
  std::uint64_t escalations = 0;
  std::uint64_t rated = 0;
  double rating_sum = 0;
  std::uint64_t scored = 0;
  double quality_sum = 0;
  double wait_sum = 0;
  int wait_max = 0;
  std::array<std::uint64_t, kHandlingRuleCount> rules{};
  /// (wait seconds, calls) for every distinct wait, ascending: exact
  /// percentiles without loading the calls.
  std::vector<std::pair<int, std::uint64_t>> wait_histogram;
};
using LevelAggregates = std::array<CallAggregate, kLevelCount>;

/// Adds calls up into LevelAggregates, one call at a time: what
/// Storage::aggregate_calls returns, computed in one place (analytics.cpp)
/// for every backend. Memory: the counts of the distinct waits seen.
class VIPCORE_EXPORT CallAggregator {
 public:
  /// Adds a call; Code::storage, adding nothing, when its level or its wait
  /// (0 to 86400 seconds) is out of range: a damaged stored call.
  Status add(const CallRow& call);
  /// The figures of the calls added (wait histograms ascending).
  LevelAggregates result() const;

 private:
  LevelAggregates levels_{};
  std::array<std::vector<std::uint64_t>, kLevelCount> waits_;  ///< [level][wait seconds]: calls
};
/// Callers by [level][status].
using CallerCounts = std::array<std::array<std::uint64_t, 3>, kLevelCount>;

/// A set of changes applied atomically.
///
/// Created by Storage::begin_write(). While it lives, other writers wait.
/// Reads made through it see its own uncommitted writes. Destroying it
/// without a successful commit() discards every change.
///
/// A call that fails with Code::already_exists or Code::not_found changes
/// nothing and the transaction may go on. After any other failure the only
/// valid calls are the destructor (and commit(), which then fails).
///
/// REQUIRES: external synchronization (use it from one thread at a time).
class VIPCORE_EXPORT WriteTransaction {
 public:
  WriteTransaction() = default;
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  virtual ~WriteTransaction();

  virtual Result<std::optional<CallerRecord>> get_caller(std::string_view tenant_id, std::string_view id) = 0;
  /// The id of the caller who owns `hash` in the tenant, if any.
  virtual Result<std::optional<std::string>> find_phone_owner(std::string_view tenant_id, const PhoneHash& hash) = 0;
  /// find_phone_owner of many hashes at once (an import looks a block of
  /// numbers up before writing it): on success (*owners)[i] is the owner of
  /// hashes[i], if any. A backend on a network answers them in one round
  /// trip; the default calls find_phone_owner for each.
  virtual Status find_phone_owners(std::string_view tenant_id, const std::vector<PhoneHash>& hashes,
                                   std::vector<std::optional<std::string>>* owners);
  /// Inserts callers. Fails with Code::already_exists, inserting none of
  /// them, when an id or a phone hash is already taken in the tenant (by a
  /// stored caller or by another record of the batch). Backends may insert
  /// in any order (e.g. sorted by key, which is much faster for big batches).
  /// `progress`, when set, is called now and then with (steps done, total
  /// steps) in units of the backend's choosing; when it returns false the
  /// call stops, inserts nothing, and fails with Code::invalid_argument.
  virtual Status insert_callers(std::string_view tenant_id, const std::vector<CallerRecord>& callers,
                                const std::function<bool(std::size_t, std::size_t)>& progress = {}) = 0;
  /// insert_callers for a bulk write that comes in pieces (an import, as
  /// its rows are sealed): the callers are inserted now, but a backend may
  /// hold their numbers' index entries back and write them all at once,
  /// sorted by hash, in finish_bulk_callers() (B-tree inserts in key order
  /// are several times faster than in arrival order). Until then the held
  /// numbers may be invisible to find_phone_owner, a conflict among them or
  /// with stored numbers may only be found by finish_bulk_callers(), and
  /// the held callers must not be replaced or deleted. commit() finishes
  /// what is held. A backend may also stream the callers themselves, one
  /// stream for consecutive calls on a tenant (PostgreSQL's COPY), and learn
  /// of an id already taken only when the stream ends: at the next call on
  /// the transaction, commit() at the latest, which then fails with
  /// Code::already_exists on "id". A failure of this call, or of
  /// finish_bulk_callers (even Code::already_exists), leaves the
  /// transaction fit only to be dropped.
  /// The records need only live for the call. The default copies them into
  /// insert_callers.
  virtual Status insert_bulk_callers(std::string_view tenant_id, const std::vector<const CallerRecord*>& callers);
  /// Writes the index entries insert_bulk_callers held back for the tenant;
  /// `progress` as for insert_callers. The default has nothing to do.
  virtual Status finish_bulk_callers(std::string_view tenant_id,
                                     const std::function<bool(std::size_t, std::size_t)>& progress = {});
  /// Replaces the caller with the same id, phones included, leaving its call
  /// counters (total_calls, rated_calls, satisfaction_score: count_call's)
  /// as stored. Code::not_found when there is none; Code::already_exists
  /// when one of the new phone hashes belongs to another caller.
  virtual Status replace_caller(std::string_view tenant_id, const CallerRecord& caller) = 0;
  /// Deletes a caller and its phones; Code::not_found when there is none.
  virtual Status delete_caller(std::string_view tenant_id, std::string_view id) = 0;
  /// A metadata value as this transaction sees it.
  virtual Result<std::optional<std::string>> get_meta(std::string_view scope, std::string_view key) = 0;
  /// Sets a metadata value. `scope` is "" for the database, or a tenant id.
  virtual Status put_meta(std::string_view scope, std::string_view key, std::string_view value) = 0;
  /// Removes a metadata value; removing an absent one is not an error.
  virtual Status delete_meta(std::string_view scope, std::string_view key) = 0;
  /// Escalation rules. insert: Code::already_exists on a taken id;
  /// replace and delete: Code::not_found when there is no such rule.
  virtual Result<std::optional<RuleRecord>> get_rule(std::string_view tenant_id, std::string_view id) = 0;
  virtual Status insert_rule(std::string_view tenant_id, const RuleRecord& rule) = 0;
  virtual Status replace_rule(std::string_view tenant_id, const RuleRecord& rule) = 0;
  virtual Status delete_rule(std::string_view tenant_id, std::string_view id) = 0;
  /// Stores a trigger unless one exists for the same (call, rule): *inserted
  /// says which. Never an error for an existing one.
  virtual Status insert_trigger(std::string_view tenant_id, const TriggerRecord& trigger, bool* inserted) = 0;
  /// Sets notified_at of an existing trigger.
  virtual Status mark_notified(std::string_view tenant_id, std::string_view call_id, std::string_view rule_id,
                               Timestamp at) = 0;
  /// Deletes up to `limit` triggers older than `before` (oldest first) and
  /// returns how many went.
  virtual Result<std::uint64_t> purge_triggers(std::string_view tenant_id, Timestamp before, std::uint64_t limit) = 0;
  /// Records a call; Code::already_exists when the tenant has one with this call id.
  virtual Status insert_call(std::string_view tenant_id, const CallRow& call) = 0;
  /// Adds one call to a caller's counters: total_calls + 1 and, with a
  /// rating, the rating into satisfaction_score (the average over
  /// rated_calls, which grows by one). The backend does the arithmetic, so
  /// that an activity transaction need not read the caller in the same
  /// transaction. Counters of a caller that is gone are not an error.
  virtual Status count_call(std::string_view tenant_id, std::string_view caller_id,
                            std::optional<int> satisfaction_rating) = 0;
  /// Deletes up to `limit` calls older than `before` (oldest first); returns how many went.
  virtual Result<std::uint64_t> purge_calls(std::string_view tenant_id, Timestamp before, std::uint64_t limit) = 0;
  /// Appends an entry to the audit trail; its sequence is assigned here.
  virtual Status append_audit(const AuditEntry& entry) = 0;
  /// Makes every change visible, atomically and durably.
  virtual Status commit() = 0;
};

/// A storage backend.
///
/// Safe for concurrent access from multiple threads: reads run in parallel
/// with each other and with a write transaction, and each read sees a
/// consistent committed state.
class VIPCORE_EXPORT Storage {
 public:
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  virtual ~Storage();

  /// A short name of the backend, e.g. "sqlite" or "memory".
  virtual std::string_view name() const noexcept = 0;

  /// The hot path: looks `hash` up in the tenant. Sets *found, and fills
  /// *out when found. Must not allocate once *out's strings have grown to
  /// size, must not write, and should cost one index lookup.
  virtual Status find_by_phone(std::string_view tenant_id, const PhoneHash& hash, IdentifyRecord* out,
                               bool* found) = 0;
  /// The tenant's change generation (see the top of this file); 0 while a
  /// change may be landing. Must cost about a memory load: no allocation,
  /// lock or I/O.
  virtual std::uint64_t change_generation(std::string_view tenant_id) const noexcept = 0;
  /// The change generation of one number of the tenant (see the top of this
  /// file); 0 while a change to it may be landing. Same cost rules. The
  /// default is change_generation(tenant_id).
  virtual std::uint64_t number_generation(std::string_view tenant_id, const PhoneHash& hash) const noexcept;
  virtual Result<std::optional<CallerRecord>> get_caller(std::string_view tenant_id, std::string_view id) = 0;
  /// Calls `visit` for each caller that matches, in ascending order of id,
  /// until it returns false. The callback must not call back into the storage.
  virtual Status scan_callers(std::string_view tenant_id, const CallerFilter& filter,
                              const std::function<bool(CallerRecord&&)>& visit) = 0;
  /// The number of callers that match filter.vip_level and filter.status.
  virtual Result<std::uint64_t> count_callers(std::string_view tenant_id, const CallerFilter& filter) = 0;
  /// Every tenant that has callers or escalation rules, in ascending order.
  virtual Result<std::vector<std::string>> list_tenants() = 0;
  /// A metadata value; see WriteTransaction::put_meta.
  virtual Result<std::optional<std::string>> get_meta(std::string_view scope, std::string_view key) = 0;
  /// A tenant's escalation rules, in no particular order.
  virtual Result<std::vector<RuleRecord>> list_rules(std::string_view tenant_id) = 0;
  /// The triggers stored for one call of a tenant.
  virtual Result<std::vector<TriggerRecord>> get_triggers(std::string_view tenant_id, std::string_view call_id) = 0;
  /// Calls `visit` for each of the tenant's calls with from <= at < until
  /// (only one caller's when `caller_id` is not empty), in any order, until
  /// it returns false: a stream, never the range's calls all at once. The
  /// callback must not call back into the storage.
  virtual Status scan_calls(std::string_view tenant_id, Timestamp from, Timestamp until,
                            std::string_view caller_id, const std::function<bool(const CallRow&)>& visit) = 0;
  /// Aggregates of the tenant's calls with from <= at < until, by the level
  /// at the call; only one caller's calls when `caller_id` is not empty.
  /// The default adds up what scan_calls streams with CallAggregator (the
  /// one place where the figures are computed). A backend may push the
  /// aggregation down to where the calls are (so that a million rows do not
  /// cross a network) by overriding this; its figures must then be exactly
  /// the default's (the conformance suite checks).
  virtual Result<LevelAggregates> aggregate_calls(std::string_view tenant_id, Timestamp from, Timestamp until,
                                                  std::string_view caller_id);
  /// One caller's calls with from <= at < until, oldest first, at most `limit` (0: all).
  virtual Result<std::vector<CallRow>> list_calls(std::string_view tenant_id, std::string_view caller_id,
                                                  Timestamp from, Timestamp until, std::uint64_t limit) = 0;
  /// The tenant's callers counted by level and status.
  virtual Result<CallerCounts> count_callers_by_level_status(std::string_view tenant_id) = 0;
  /// Audit entries of one tenant that match `query`, oldest first.
  virtual Result<std::vector<AuditEntry>> query_audit(std::string_view tenant_id, const AuditQuery& query) = 0;

  /// Starts a write transaction, waiting for other writers (in this process
  /// and, for SQLite, in others up to the busy timeout; then Code::busy).
  virtual Result<std::unique_ptr<WriteTransaction>> begin_write() = 0;

  /// Starts a write transaction for what the PBX writes while calls go on:
  /// insert_call, count_call, insert_trigger and mark_notified, and nothing
  /// else (the SQLite backend refuses other writes in it). A backend may
  /// keep these apart from the caller list so that they never wait for an
  /// administrator's long write (an import); this one, by default, is an
  /// ordinary write transaction.
  virtual Result<std::unique_ptr<WriteTransaction>> begin_activity_write() { return begin_write(); }
};

/// Options of the SQLite backend.
struct SqliteOptions {
  /// Whether a missing file is created. Only a missing file is: an existing
  /// file that is not a vipcore database (an empty file, a file that is not
  /// SQLite, a SQLite file without vipcore's schema) is refused, and left as
  /// it is, with Code::version ("not a vipcore database"), or Code::storage
  /// when the file is not SQLite at all (it may be a damaged vipcore
  /// database). A new database is built in a temporary file next to `path`
  /// and moved into place complete, so that no other process ever sees it
  /// half-made.
  bool create_if_missing = true;
  /// Opens the file read-only, e.g. a PBX starting on a full disk or with a
  /// directory it may not write: identify and every read work, every write
  /// fails with Code::storage saying the database is read-only, and nothing
  /// is created. When SQLite's shared-memory file (path-shm) cannot be
  /// created, the file is read as immutable: changes other processes make
  /// meanwhile are not seen (none can be made where no -shm can be
  /// created). Reads by people are not written to the audit trail then,
  /// since nothing can be written. The schema must be this build's.
  bool read_only = false;
  /// Permission bits of a new database file; its -wal and -shm files get
  /// the same. Owner-only by default: tags, agent ids and the audit trail
  /// are stored in the clear. Existing files keep theirs.
  unsigned file_mode = 0600;
  /// How long to wait for another connection or process that holds the
  /// write lock before failing with Code::busy.
  int busy_timeout_ms = 5000;
  /// true: every commit is durable on power loss (PRAGMA synchronous=FULL).
  /// false: a power loss may drop the last commits, never corrupt the file
  /// (synchronous=NORMAL, WAL's usual setting). Process crashes lose nothing
  /// either way.
  bool durable_commits = true;
  /// Page cache per connection, in KiB.
  int cache_size_kib = 32768;
};

/// The schema version this build writes and reads. A file with a newer
/// version is refused with Code::version; an older one is migrated.
inline constexpr int kSqliteSchemaVersion = 4;

/// Opens (or creates) a vipcore SQLite database file, and its activity file
/// `path + "-calls"` beside it (created when missing, whatever
/// create_if_missing says, for a database from before schema version 4).
VIPCORE_EXPORT Result<std::unique_ptr<Storage>> open_sqlite_storage(const std::string& path,
                                                                    const SqliteOptions& options = {});

/// A new, empty in-memory storage. Its contents vanish with it.
VIPCORE_EXPORT std::unique_ptr<Storage> new_memory_storage();

/// Options of the PostgreSQL backend.
struct PostgresOptions {
  /// How long to wait for a connection to the server (rounded up to whole
  /// seconds, at least one: libpq's connect_timeout) before Code::storage.
  int connect_timeout_ms = 5000;
  /// The longest a single statement may run before it fails with
  /// Code::storage (the server's statement_timeout); 0: no limit. Bounds how
  /// long identify can wait on a server that accepts connections but stalls.
  /// An import's bulk COPYs are not bound by it: they last as long as the
  /// import needs.
  int statement_timeout_ms = 10000;
  /// How long a write transaction waits for another writer (in this process
  /// or another node) before failing with Code::busy.
  int lock_timeout_ms = 5000;
  /// Reader connections kept open for reuse (the pool); more are opened
  /// while more threads read at once, and closed when they are done.
  int readers = 4;
  /// Whether vipcore's tables are created in an empty schema. When false, a
  /// schema without them is refused with Code::version.
  bool create_schema_if_missing = true;
  /// The safety net of the change notifications: how often the listener
  /// re-reads the stored generations, in case a notification was missed.
  int generation_check_ms = 1000;
};

/// The PostgreSQL schema version this build writes and reads. A schema with
/// a newer version is refused with Code::version; an older one is migrated.
inline constexpr int kPostgresSchemaVersion = 1;

/// Opens a vipcore database on a PostgreSQL server (libpq), creating its
/// tables in the connection's schema (the first of the search_path) when
/// they are missing. `conninfo` is a "postgresql://" URI or a libpq
/// "key=value" string; both may carry every libpq setting (host, port,
/// dbname, user, sslmode, options=-csearch_path=...). Several processes and
/// nodes may open the same database: each sees the others' changes through
/// change_generation(), by LISTEN/NOTIFY (see the top of this file).
VIPCORE_EXPORT Result<std::unique_ptr<Storage>> open_postgresql_storage(const std::string& conninfo,
                                                                        const PostgresOptions& options = {});

}  // namespace vipcore

#endif  // VIPCORE_STORAGE_HPP
