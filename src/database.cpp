#include "vipcore/database.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <new>

#include <nlohmann/json.hpp>

#include "location.hpp"
#include "state.hpp"
#include "validate.hpp"

namespace vipcore {
namespace detail {

Result<std::unique_ptr<TenantKeys>> DatabaseState::keys_for(std::string_view tenant_id) {
  std::lock_guard<std::mutex> g(keys_mu);
  auto hash = ring.tenant_hash_key(tenant_id);
  if (!hash.ok()) return hash.status();
  std::unique_ptr<TenantKeys> keys;
  try {
    keys = std::make_unique<TenantKeys>(std::move(*hash), [this] { return refresh_keys(); });
  } catch (const std::bad_alloc&) {
    return Status::key_error("no memory for the tenant's keys");
  }
  if (Status s = ring.load_into(tenant_id, *keys); !s.ok()) return s;
  return keys;
}

Status DatabaseState::install_ring(KeyRing new_ring) {
  ring = std::move(new_ring);
  std::lock_guard<std::mutex> g(tenants_mu);
  Status result;
  for (auto& [id, ctx] : tenants)
    if (Status s = ring.load_into(id, ctx->keys()); !s.ok() && result.ok()) result = s;
  return result;
}

Status DatabaseState::refresh_keys() {
  std::lock_guard<std::mutex> g(keys_mu);
  auto stored = load_key_ring(*storage, *master);
  if (!stored.ok())
    return Status::key_error(
        "the database's keys were rotated to a new master key and this process still has the old one; reopen "
        "the database with the new key");
  return install_ring(std::move(*stored));
}

namespace {
bool counted_nothing(const TenantCounters& c) noexcept {
  auto zero = [](const TenantCounters::Counter& n) { return n.load(std::memory_order_relaxed) == 0; };
  bool none = zero(c.escalation_checks) && zero(c.notification_failures);
  for (const auto& stripe : c.identify) none = none && zero(stripe.matched) && zero(stripe.not_vip) && zero(stripe.failed);
  for (const auto& n : c.calls_recorded_by_level) none = none && zero(n);
  return none;
}
}  // namespace

void DatabaseState::sweep_tenants() noexcept {
  try {
    for (auto it = tenants.begin(); it != tenants.end();) {
      // Only the map holds it: no Tenant handle can reach it but through the
      // map, under tenants_mu, which is held.
      if (it->second.use_count() != 1) {
        ++it;
        continue;
      }
      const std::shared_ptr<TenantCounters>& counters = it->second->shared_counters();
      if (!counted_nothing(*counters)) idle_counters.emplace(it->first, counters);
      it = tenants.erase(it);
    }
  } catch (...) {
    // Out of memory while keeping some counters: the sweep stops there.
  }
  sweep_at = std::max(kTenantCacheSize, 2 * tenants.size());
}

Result<KeyRing> load_key_ring(Storage& storage, const MasterKey& key) {
  auto current = storage.get_meta("", kKeyRingKey);
  if (!current.ok()) return current.status();
  if (!*current) return Status::key_error("the database has no key ring");
  auto ring = KeyRing::unwrap(key, **current);
  if (ring.ok() || !ring.status().is_key_error()) return ring;
  // During a rotation the ring is also kept under the previous master key.
  auto previous = storage.get_meta("", kPreviousKeyRingKey);
  if (!previous.ok()) return previous.status();
  if (*previous) {
    auto old = KeyRing::unwrap(key, **previous);
    if (old.ok()) return old;
  }
  return ring.status();
}

TenantContext::TenantContext(std::string id, std::unique_ptr<TenantKeys> keys, TenantSettings settings,
                             std::shared_ptr<TenantCounters> counters, std::shared_ptr<CacheBudget> cache_budget)
    : cache_(std::move(cache_budget)), counters_(std::move(counters)), id_(std::move(id)), keys_(std::move(keys)) {
  versions_.push_back(make_published(settings));
  settings_.store(versions_.back().get(), std::memory_order_release);
}

Result<std::uint64_t> TenantContext::sync(Storage& storage, std::string_view default_region) {
  const std::uint64_t generation = storage.change_generation(id_);
  if (generation != 0 && generation == synced_.load(std::memory_order_acquire)) return generation;
  std::lock_guard<std::mutex> g(sync_mu_);
  if (generation != 0 && generation == synced_.load(std::memory_order_relaxed)) return generation;
  // Read after the generation: at least as new as it.
  auto settings = load_settings(storage, id_, default_region);
  if (!settings.ok()) return settings.status();
  publish(*settings);
  synced_.store(generation, std::memory_order_release);
  return generation;
}

std::unique_ptr<const TenantContext::Published> TenantContext::make_published(const TenantSettings& settings) {
  auto plan = settings.region.empty() ? Result<PhoneNormalizer>(PhoneNormalizer())
                                      : PhoneNormalizer::for_region(settings.region);
  return std::make_unique<const Published>(Published{settings, plan.ok() ? *plan : PhoneNormalizer()});
}

void TenantContext::publish(const TenantSettings& settings) {
  std::lock_guard<std::mutex> g(versions_mu_);
  if (encode_settings(settings_.load(std::memory_order_acquire)->settings) == encode_settings(settings)) return;
  versions_.push_back(make_published(settings));
  settings_.store(versions_.back().get(), std::memory_order_release);
}

MetricsSnapshot TenantContext::snapshot() const {
  MetricsSnapshot m = counters_->snapshot(id_);
  m.cache_entries = cache_.entries();
  m.cache_bytes = cache_.bytes();
  return m;
}

std::shared_ptr<const RuleSet> TenantContext::rules() const {
  std::lock_guard<std::mutex> g(rules_mu_);
  return rules_;
}

void TenantContext::set_rules(std::shared_ptr<const RuleSet> rules) {
  std::lock_guard<std::mutex> g(rules_mu_);
  rules_ = std::move(rules);
}

namespace {

// Loads the key ring, creating it in a new database. Two processes may open
// a new database at once: the check and the write share one transaction.
Result<KeyRing> open_key_ring(Storage& storage, const MasterKey& key, std::string_view default_region) {
  auto stored = storage.get_meta("", kKeyRingKey);
  if (!stored.ok()) return stored.status();
  if (*stored) return load_key_ring(storage, key);
  auto txn = storage.begin_write();
  if (!txn.ok()) return txn.status();
  auto again = (*txn)->get_meta("", kKeyRingKey);
  if (!again.ok()) return again.status();
  if (*again) return KeyRing::unwrap(key, **again);
  auto ring = KeyRing::create(key);
  if (!ring.ok()) return ring.status();
  auto wrapped = ring->wrap(key);
  if (!wrapped.ok()) return wrapped.status();
  if (Status s = (*txn)->put_meta("", kKeyRingKey, *wrapped); !s.ok()) return s;
  if (Status s = (*txn)->put_meta("", kDefaultRegionKey, default_region); !s.ok()) return s;
  if (Status s = (*txn)->commit(); !s.ok()) return s;
  return ring;
}

// The database's default region: stored when it was created (databases made
// before regions existed read national numbers as North American ones).
Result<std::string> stored_default_region(Storage& storage, std::string_view wanted) {
  auto stored = storage.get_meta("", kDefaultRegionKey);
  if (!stored.ok()) return stored.status();
  const std::string region = *stored ? **stored : std::string("US");
  if (!wanted.empty() && PhoneNormalizer::for_region(wanted)->region() != region)
    return Status::invalid_argument(
        "default_region", fmt::format("the database's default region is {}; a tenant's own region is a setting "
                                      "(TenantSettings::region, vipctl settings --region)",
                                      region));
  return region;
}

}  // namespace
}  // namespace detail

Database::Database(std::shared_ptr<detail::DatabaseState> state) noexcept : state_(std::move(state)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

Result<Database> Database::open(const std::string& path, const MasterKey& key, const Options& options) {
  if (Status s = detail::sodium_ready(); !s.ok()) return s;
  auto where = parse_location(path, "path");
  if (!where.ok()) return where.status();
  auto storage = detail::open_location_storage(*where, options);
  if (!storage.ok()) return storage.status();
  return open(std::move(*storage), key, options);
}

Result<Database> Database::open(std::unique_ptr<Storage> storage, const MasterKey& key, const Options& options) {
  if (Status s = detail::sodium_ready(); !s.ok()) return s;
  if (!storage) return Status::invalid_argument("storage", "is null");
  if (key.data() == nullptr) return Status::key_error("master key: the key was moved from");
  std::string wanted_region = options.default_region;
  if (!wanted_region.empty()) {
    auto plan = PhoneNormalizer::for_region(wanted_region);
    if (!plan.ok()) return Status::invalid_argument("default_region", plan.status().message());
    wanted_region = plan->region();
  }
  auto ring = detail::open_key_ring(*storage, key, wanted_region.empty() ? "US" : wanted_region);
  if (!ring.ok()) return ring.status();
  auto default_region = detail::stored_default_region(*storage, wanted_region);
  if (!default_region.ok()) return default_region.status();
  auto state = std::make_shared<detail::DatabaseState>();
  state->storage = std::move(storage);
  state->ring = std::move(*ring);
  state->master = std::make_unique<MasterKey>(key.clone());
  state->default_region = std::move(*default_region);
  if (state->master->data() == nullptr) return Status::key_error("master key: no memory for a copy of the key");
  state->clock = options.clock ? options.clock : std::make_shared<SystemClock>();
  state->notifier = options.notifier;
  state->read_only = options.sqlite.read_only;
  state->cache_budget = std::make_shared<detail::CacheBudget>(options.cache_bytes, options.cache_decrypted);
  if (Status s = detail::tag_untagged_callers(*state); !s.ok()) return s.with_context("tagging callers");
  return Database(std::move(state));
}

Status Database::check_storage() const {
  if (!state_) return Status::invalid_argument("database", "the handle was moved from");
  auto ring = state_->storage->get_meta("", detail::kKeyRingKey);
  if (!ring.ok()) return ring.status();
  if (!*ring) return Status::storage_error("the database has lost its key ring");
  return ok_status();
}

Result<Tenant> Database::tenant(std::string_view tenant_id, const Actor& actor) const {
  if (!state_) return Status::invalid_argument("database", "the handle was moved from");
  if (Status s = detail::validate_tenant_id(tenant_id); !s.ok()) return s;
  if (Status s = detail::validate_actor_id(actor.id); !s.ok()) return s;
  if (static_cast<int>(actor.role) >= kRoleCount)
    return Status::invalid_argument("actor.role", "is not a role");
  std::shared_ptr<detail::TenantContext> ctx;
  {
    std::unique_lock<std::mutex> g(state_->tenants_mu);
    auto it = state_->tenants.find(tenant_id);
    if (it == state_->tenants.end()) {
      // Derive the keys without tenants_mu: keys_mu comes first in the lock order.
      g.unlock();
      auto settings = detail::load_settings(*state_->storage, tenant_id, state_->default_region);
      if (!settings.ok()) return settings.status();
      auto keys = state_->keys_for(tenant_id);
      if (!keys.ok()) return keys.status();
      try {
        g.lock();
        if (state_->tenants.size() >= state_->sweep_at) state_->sweep_tenants();
        it = state_->tenants.find(tenant_id);
        if (it == state_->tenants.end()) {  // else the one a racer added
          std::shared_ptr<detail::TenantCounters> counters;
          if (auto idle = state_->idle_counters.find(tenant_id); idle != state_->idle_counters.end()) {
            counters = idle->second;  // served before: go on counting where it left off
            state_->idle_counters.erase(idle);
          } else {
            counters = std::make_shared<detail::TenantCounters>();
          }
          auto created = std::make_shared<detail::TenantContext>(std::string(tenant_id), std::move(*keys), *settings,
                                                                 std::move(counters), state_->cache_budget);
          it = state_->tenants.emplace(std::string(tenant_id), std::move(created)).first;
        }
      } catch (const std::bad_alloc&) {
        return Status::storage_error("out of memory opening the tenant scope");
      }
    }
    ctx = it->second;
  }
  // Settings changed by another process (vipctl) since the context was made.
  if (auto synced = ctx->sync(*state_->storage, state_->default_region); !synced.ok()) return synced.status();
  auto ts = std::make_shared<detail::TenantState>();
  ts->db = state_;
  ts->ctx = std::move(ctx);
  ts->actor = actor;
  return Tenant(std::move(ts));
}

std::vector<MetricsSnapshot> Database::metrics() const {
  std::vector<MetricsSnapshot> out;
  if (!state_) return out;
  std::lock_guard<std::mutex> g(state_->tenants_mu);
  // In tenant order: the tenants served now (with their caches), and those
  // whose contexts were dropped (counters only).
  std::map<std::string_view, MetricsSnapshot> all;
  for (const auto& [id, ctx] : state_->tenants) all.emplace(id, ctx->snapshot());
  for (const auto& [id, counters] : state_->idle_counters) all.emplace(id, counters->snapshot(id));
  for (auto& [id, m] : all) out.push_back(std::move(m));
  return out;
}

}  // namespace vipcore
