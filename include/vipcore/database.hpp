// vipcore — opening a database and entering a tenant.
//
//     auto key = vipcore::MasterKey::from_file("/etc/pbx/vipcore.key");
//     auto db = vipcore::Database::open("/var/lib/pbx/vip.db", *key);
//     auto pbx = db->tenant("acme", {"pbx-node-1", vipcore::Role::system});
//     auto who = pbx->identify("+1 (234) 567-8900");
//
// Threading: Database is safe for concurrent access from multiple threads.
// A Database handle is move-only; the Tenant handles it gives out share its
// state, so they stay valid after the Database handle is destroyed, and the
// database closes when the last of them goes.
#ifndef VIPCORE_DATABASE_HPP
#define VIPCORE_DATABASE_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vipcore/clock.hpp"
#include "vipcore/escalation.hpp"
#include "vipcore/export.h"
#include "vipcore/keys.hpp"
#include "vipcore/location.hpp"
#include "vipcore/metrics.hpp"
#include "vipcore/phone.hpp"
#include "vipcore/roles.hpp"
#include "vipcore/status.hpp"
#include "vipcore/storage.hpp"
#include "vipcore/tenant.hpp"

namespace vipcore {

struct Options {
  /// The numbering region (ISO 3166-1 alpha-2, "US", "GB"...) of tenants
  /// that have not set one in their settings (TenantSettings::region). A
  /// new database stores it ("" gives "US"), so that every process and tool
  /// on the database reads such tenants alike; opening an existing database
  /// with another region than the stored one is Code::invalid_argument
  /// naming "default_region" ("": the database's, whatever it is).
  std::string default_region;
  /// The source of "now"; null means the system clock. Tests pass a ManualClock.
  std::shared_ptr<const Clock> clock;
  /// Used when Database::open(location, ...) opens a SQLite location only.
  SqliteOptions sqlite;
  /// Used when Database::open(location, ...) opens a PostgreSQL location only.
  PostgresOptions postgresql;
  /// Receives escalation notices (see escalation.hpp); null: none are sent,
  /// and triggers are still recorded.
  std::shared_ptr<Notifier> notifier;
  /// The memory identify's cache may use, over every tenant served: numbers
  /// looked up, with their owner's record as stored (hashes and sealed
  /// fields) or that no VIP has them. About 200 bytes per cached VIP
  /// (README, "Performance"). A change committed by any process is seen by
  /// the next identify all the same (storage.hpp, "Change generations").
  /// 0 turns the cache off: every identify reads the storage.
  std::size_t cache_bytes = std::size_t{256} << 20;
  /// Whether the cache may keep the decrypted name and greeting of a VIP
  /// that called, so that the next call need not decrypt them: only in
  /// memory locked in RAM, out of core dumps, wiped when the entry goes, and
  /// never more than half of RLIMIT_MEMLOCK (README, "Security model").
  /// false: the cache keeps the sealed fields only, and every hit opens them.
  bool cache_decrypted = true;
};

/// What rotate_master_key did.
struct KeyRotationReport {
  std::uint32_t key_version = 0;  ///< the data-key version everything is now sealed with
  std::uint64_t tenants = 0;
  std::uint64_t callers_reencrypted = 0;
  std::uint64_t rules_reencrypted = 0;
  bool resumed = false;  ///< an interrupted rotation was finished
};

namespace detail {
struct DatabaseState;
}

class VIPCORE_EXPORT Database {
 public:
  /// Opens or creates the database `path` names. `path` is a location
  /// string (location.hpp): a SQLite file ("/var/lib/pbx/vip.db",
  /// "sqlite:vip.db") or a PostgreSQL database ("postgresql://...",
  /// "host=... dbname=..."). One that names nothing (empty, an unknown
  /// scheme...) is Code::invalid_argument naming "path".
  ///
  /// A new database gets a key ring derived from `key`. An existing one
  /// must have been created with the same key (else Code::key), by a vipcore
  /// whose schema this build knows (else Code::version).
  static Result<Database> open(const std::string& path, const MasterKey& key, const Options& options = {});
  /// Opens a database on any Storage: the core that the location form and
  /// every backend go through, e.g. new_memory_storage(), open_sqlite_storage()
  /// or an integrator's own backend (vipcore/testing/storage_conformance.hpp
  /// checks one). The Database owns it; there is no way back to it from the
  /// Database, so every change goes through the tenants' roles and audit.
  static Result<Database> open(std::unique_ptr<Storage> storage, const MasterKey& key,
                               const Options& options = {});

  /// A scope on one tenant, acting as `actor`. Every call through it reads
  /// and changes only that tenant's data, and is checked against the
  /// actor's role. Tenant ids are 1 to 128 characters from [A-Za-z0-9._:@-].
  ///
  /// Any number of distinct tenants can be served: a tenant's keys,
  /// settings and rules stay loaded while a handle on it is open, and a
  /// bounded number of idle ones are kept; keys of all tenants share a few
  /// guarded memory regions. Code::key when no memory for keys can be had.
  Result<Tenant> tenant(std::string_view tenant_id, const Actor& actor) const;

  /// The tenant scope an API token (Tenant::create_api_token) gives: its
  /// tenant, acting as the token's holder. A token that is malformed,
  /// unknown or revoked is Code::permission_denied ("unknown or revoked API
  /// token"); the message never repeats the token. A revocation committed
  /// by any process is seen by the next call.
  Result<Tenant> tenant_for_api_token(std::string_view token) const;
  /// Rotates the master key: from now on the database opens with `new_key`
  /// only. A new data-key version is created and every sealed field of every
  /// tenant is re-encrypted under it, `batch_size` callers per transaction.
  /// Each ciphertext names its key version, so reads work throughout. If
  /// the process stops half-way, the database opens with either key and
  /// calling rotate_master_key again with the same new key finishes the job.
  ///
  /// The phone-hash key is not rotated: it cannot be, without the original
  /// numbers, which vipcore never stores. It stays in the key ring, wrapped
  /// under the new master key. So does the data key of the version before
  /// the new one, so that a field another process writes while it still
  /// runs with the previous master key stays readable; rotate again later
  /// to re-encrypt such stragglers. Older data-key versions are retired
  /// when the rotation completes (nothing is sealed under them any more),
  /// so the ring stays small however many rotations there are; a field
  /// sealed by a process still running with a master key from before the
  /// previous rotation no longer opens (Code::integrity). Other processes
  /// keep working during the rotation and must be restarted with the new
  /// key afterwards.
  ///
  /// `actor` must be an ADMIN; every tenant's trail records the rotation.
  Result<KeyRotationReport> rotate_master_key(const MasterKey& new_key, const Actor& actor,
                                              std::uint64_t batch_size = 1000) const;

  /// Reads from the storage: ok when it answers, else its error (e.g.
  /// Code::storage when a PostgreSQL server is down), for a health check.
  Status check_storage() const;
  /// Audit entries that belong to no tenant (key rotations), oldest first.
  Result<std::vector<AuditEntry>> database_audit(const AuditQuery& query) const;

  /// The counters of every tenant this handle has served since it opened
  /// (those that counted nothing yet and have no Tenant handle open may be
  /// left out), e.g. for to_prometheus() on a metrics endpoint of the
  /// integrator's.
  std::vector<MetricsSnapshot> metrics() const;

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

 private:
  explicit Database(std::shared_ptr<detail::DatabaseState> state) noexcept;
  std::shared_ptr<detail::DatabaseState> state_;
};

}  // namespace vipcore

#endif  // VIPCORE_DATABASE_HPP
