// The state behind Database and Tenant handles. Private to the library.
#ifndef VIPCORE_SRC_STATE_HPP
#define VIPCORE_SRC_STATE_HPP

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "caller_cache.hpp"
#include "crypto.hpp"
#include "escalation_cache.hpp"
#include "vipcore/clock.hpp"
#include "vipcore/escalation.hpp"
#include "vipcore/metrics.hpp"
#include "vipcore/phone.hpp"
#include "vipcore/roles.hpp"
#include "vipcore/settings.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::detail {

/// A tenant's escalation rules, opened and sorted in evaluation order, as
/// read after the change generation `generation` (0: not to be reused).
/// Immutable once built.
struct RuleSet {
  std::uint64_t generation = 0;
  std::vector<EscalationRule> rules;
};

/// A tenant's metrics: relaxed atomic counters, cheap on the identify path.
struct TenantCounters {
  using Counter = std::atomic<std::uint64_t>;
  /// What identify counts on every call, in stripes: threads identifying at
  /// once count in stripes of their own (cache lines of their own), and a
  /// snapshot adds the stripes up. An attempt is one of the three outcomes.
  struct alignas(64) IdentifyStripe {
    Counter matched{0};
    Counter not_vip{0};
    Counter failed{0};
    Counter cache_hits{0};
    std::array<Counter, kLevelCount> by_level{};
  };
  static constexpr std::size_t kIdentifyStripes = 4;
  std::array<IdentifyStripe, kIdentifyStripes> identify{};
  /// The calling thread's stripe.
  IdentifyStripe& identify_stripe() noexcept;
  Counter escalation_checks{0};
  std::array<Counter, kLevelCount> escalations_by_level{};
  Counter notification_failures{0};
  std::array<Counter, kLevelCount> calls_recorded_by_level{};
  std::array<Counter, kLevelCount> wait_seconds_sum_by_level{};
  std::array<std::array<Counter, kWaitBuckets>, kLevelCount> wait_buckets_by_level{};

  static void add(Counter& c, std::uint64_t n = 1) noexcept { c.fetch_add(n, std::memory_order_relaxed); }
  void record_wait(Level level, int wait_seconds) noexcept;
  MetricsSnapshot snapshot(const std::string& tenant_id) const;
};

/// What every handle on one tenant of one Database shares: the tenant's
/// keys, its current settings, its escalation rules, its caller cache and
/// its metrics.
///
/// Settings are read on the identify path, so they are published as an
/// immutable object behind an atomic pointer (one acquire load per read).
/// Replaced objects are kept until the context dies, so a reader never
/// sees one freed; settings change rarely, so that costs little.
///
/// Coherence: every operation that reads settings, rules or the cache first
/// calls sync(), which compares the storage's change generation for the
/// tenant with the one the context was brought up to date at, and reloads
/// the settings (and drops the rules) when they differ. The caller cache
/// and the rules are tagged with the generation they were read at, so they
/// need no reload of their own.
class TenantContext {
 public:
  TenantContext(std::string id, std::unique_ptr<TenantKeys> keys, TenantSettings settings,
                std::shared_ptr<TenantCounters> counters, std::shared_ptr<CacheBudget> cache_budget);

  /// Brings the settings up to date with the storage; returns the change
  /// generation they (and whatever the caller reads from the storage next)
  /// are at least as new as: 0 when a change may be landing, and then
  /// nothing cached may be used.
  Result<std::uint64_t> sync(Storage& storage, std::string_view default_region);
  CallerCache& cache() const noexcept { return cache_; }

  const std::string& id() const noexcept { return id_; }
  TenantKeys& keys() const noexcept { return *keys_; }
  const TenantSettings& settings() const noexcept { return settings_.load(std::memory_order_acquire)->settings; }
  /// The numbering plan of the settings' region.
  const PhoneNormalizer& plan() const noexcept { return settings_.load(std::memory_order_acquire)->plan; }
  /// REQUIRES: settings.region is empty or valid (settings.validate()).
  void publish(const TenantSettings& settings);

  /// The cached rules (null before the first load) and their replacement.
  std::shared_ptr<const RuleSet> rules() const;
  void set_rules(std::shared_ptr<const RuleSet> rules);

  TenantCounters& counters() const noexcept { return *counters_; }
  /// The counters, and the cache's size.
  MetricsSnapshot snapshot() const;

  /// The escalation check's compiled rules and known triggers (src/escalation_cache.hpp).
  EscalationCache escalation;
  const std::shared_ptr<TenantCounters>& shared_counters() const noexcept { return counters_; }

 private:
  mutable std::mutex rules_mu_;
  std::shared_ptr<const RuleSet> rules_;
  std::atomic<std::uint64_t> synced_{0};  // the generation settings were read at; 0: none
  std::mutex sync_mu_;
  mutable CallerCache cache_;
  std::shared_ptr<TenantCounters> counters_;

  std::string id_;
  std::unique_ptr<TenantKeys> keys_;
  // Settings and the plan made from them, published together.
  struct Published {
    TenantSettings settings;
    PhoneNormalizer plan;
  };
  static std::unique_ptr<const Published> make_published(const TenantSettings& settings);
  std::atomic<const Published*> settings_;
  std::mutex versions_mu_;
  std::vector<std::unique_ptr<const Published>> versions_;
};

struct DatabaseState {
  std::unique_ptr<Storage> storage;
  std::shared_ptr<CacheBudget> cache_budget;  // Options::cache_bytes, for every tenant's cache
  std::string default_region;
  std::shared_ptr<const Clock> clock;
  std::shared_ptr<Notifier> notifier;
  // Opened read-only (Options::sqlite.read_only): access entries cannot be written.
  bool read_only = false;

  // The key ring and the master key it is wrapped with; the ring changes on
  // key rotation, here or (discovered by refresh_keys) in another process.
  // Lock order: keys_mu before tenants_mu.
  std::mutex keys_mu;
  KeyRing ring;
  std::unique_ptr<MasterKey> master;

  // The contexts of the tenants served, a bounded cache: when it has grown
  // to sweep_at, the contexts no Tenant handle holds any more are dropped
  // (keys, settings and rules are loaded again on the next tenant() call),
  // and the counters of those that counted something move to
  // idle_counters, so metrics() still reports every tenant served. A
  // process that serves a hundred thousand tenants one after the other
  // keeps about kTenantCacheSize contexts.
  static constexpr std::size_t kTenantCacheSize = 1024;
  std::mutex tenants_mu;
  std::map<std::string, std::shared_ptr<TenantContext>, std::less<>> tenants;
  std::map<std::string, std::shared_ptr<TenantCounters>, std::less<>> idle_counters;
  std::size_t sweep_at = kTenantCacheSize;
  /// Drops the idle contexts. REQUIRES: tenants_mu held.
  void sweep_tenants() noexcept;

  Timestamp now() const noexcept { return clock->now(); }
  /// Fresh keys for a tenant, from the current ring.
  Result<std::unique_ptr<TenantKeys>> keys_for(std::string_view tenant_id);
  /// Reloads the stored key ring and gives every tenant the versions it
  /// lacks (called when a field names an unknown key version).
  Status refresh_keys();
  /// Replaces the ring and hands its versions to every tenant. REQUIRES: keys_mu held.
  Status install_ring(KeyRing ring);
};

/// Opens the stored key ring with `key`: the current ring, or during a
/// key rotation the copy kept for the previous master key.
Result<KeyRing> load_key_ring(Storage& storage, const MasterKey& key);

inline constexpr std::string_view kKeyRingKey = "keyring";
inline constexpr std::string_view kPreviousKeyRingKey = "keyring.previous";
inline constexpr std::string_view kRotationKey = "keyring.rotation";

struct TenantState {
  std::shared_ptr<DatabaseState> db;
  std::shared_ptr<TenantContext> ctx;
  Actor actor;

  const std::string& tenant_id() const noexcept { return ctx->id(); }
  Storage& storage() const noexcept { return *db->storage; }
  /// Code::permission_denied unless the actor's role may perform `op`
  /// (src/roles.cpp, beside the permission table). Then, since every
  /// operation starts here, brings the tenant's settings up to date with the
  /// storage (TenantContext::sync) and sets *generation, when given, to the
  /// change generation read.
  Status authorize(Operation op, std::uint64_t* generation = nullptr) const;
  /// The tenant's settings, brought up to date first, for the operations
  /// that cannot fail (on a storage error: the last ones read).
  const TenantSettings& fresh_settings() const noexcept;
};

inline constexpr std::string_view kSettingsKey = "settings";
/// The numbering region of tenants that store none (scope "").
inline constexpr std::string_view kDefaultRegionKey = "default_region";

/// Reads a tenant's settings from storage (defaults when none are stored);
/// the region is the database's `default_region` unless the tenant stores one.
Result<TenantSettings> load_settings(Storage& storage, std::string_view tenant_id, std::string_view default_region);
std::string encode_settings(const TenantSettings& settings);

}  // namespace vipcore::detail

#endif
