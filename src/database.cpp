#include "vipcore/database.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <new>

#include <nlohmann/json.hpp>

#include "state.hpp"
#include "validate.hpp"

namespace vipcore {
namespace detail {

namespace {
constexpr std::string_view kSettingsKey = "settings";
}  // namespace

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
  if (Status s = ring.load_into(tenant_id, *keys); !s.is_ok()) return s;
  return keys;
}

Status DatabaseState::install_ring(KeyRing new_ring) {
  ring = std::move(new_ring);
  std::lock_guard<std::mutex> g(tenants_mu);
  Status result;
  for (auto& [id, ctx] : tenants)
    if (Status s = ring.load_into(id, ctx->keys()); !s.is_ok() && result.is_ok()) result = s;
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
  bool none = zero(c.identify_attempted) && zero(c.escalation_checks) && zero(c.notification_failures);
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
                             std::shared_ptr<TenantCounters> counters)
    : counters_(std::move(counters)), id_(std::move(id)), keys_(std::move(keys)) {
  versions_.push_back(std::make_unique<const TenantSettings>(std::move(settings)));
  settings_.store(versions_.back().get(), std::memory_order_release);
}

void TenantContext::publish(const TenantSettings& settings) {
  std::lock_guard<std::mutex> g(versions_mu_);
  if (encode_settings(*settings_.load(std::memory_order_acquire)) == encode_settings(settings)) return;
  versions_.push_back(std::make_unique<const TenantSettings>(settings));
  settings_.store(versions_.back().get(), std::memory_order_release);
}

std::shared_ptr<const RuleSet> TenantContext::rules() const {
  std::lock_guard<std::mutex> g(rules_mu_);
  return rules_;
}

void TenantContext::set_rules(std::shared_ptr<const RuleSet> rules) {
  std::lock_guard<std::mutex> g(rules_mu_);
  rules_ = std::move(rules);
}

Status TenantState::authorize(Operation op) const {
  if (is_allowed(actor.role, op)) return Status::ok();
  return Status::permission_denied(
      fmt::format("role {} may not {} (actor {})", to_string(actor.role), to_string(op), actor.id));
}

std::string encode_settings(const TenantSettings& s) {
  nlohmann::json j;
  j["level_waits"] = s.level_waits;
  j["priority"]["level_base"] = s.priority.level_base;
  j["priority"]["rule_bonus"] = s.priority.rule_bonus;
  j["dynamic_priority"]["rise_start"] = s.dynamic_priority.rise_start;
  j["dynamic_priority"]["exponent"] = s.dynamic_priority.exponent;
  j["time_zone"] = s.time_zone;
  j["business_hours"] = format_weekly_hours(s.business_hours);
  j["alerts"]["max_escalation_rate"] = s.alerts.max_escalation_rate;
  j["alerts"]["wait_factor"] = s.alerts.wait_factor;
  j["alerts"]["max_failed_identification_rate"] = s.alerts.max_failed_identification_rate;
  j["alerts"]["min_identifications"] = s.alerts.min_identifications;
  j["alerts"]["max_quality_drop"] = s.alerts.max_quality_drop;
  j["alerts"]["min_calls"] = s.alerts.min_calls;
  return j.dump();
}

Result<TenantSettings> load_settings(Storage& storage, std::string_view tenant_id) {
  auto stored = storage.get_meta(tenant_id, kSettingsKey);
  if (!stored.ok()) return stored.status();
  TenantSettings s;
  if (!*stored) return s;
  const auto j = nlohmann::json::parse(**stored, nullptr, false);
  auto read_array = [&j](const nlohmann::json::json_pointer& ptr, auto& out) {
    if (!j.contains(ptr)) return true;  // a setting added later: keep its default
    const auto& a = j.at(ptr);
    if (!a.is_array() || a.size() != out.size()) return false;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!a[i].is_number()) return false;
      out[i] = a[i].template get<std::decay_t<decltype(out[i])>>();
    }
    return true;
  };
  auto read_count = [&j](const nlohmann::json::json_pointer& ptr, std::uint64_t& out) {
    if (!j.contains(ptr)) return true;
    if (!j.at(ptr).is_number_unsigned()) return false;
    out = j.at(ptr).get<std::uint64_t>();
    return true;
  };
  // A setting added in a later version keeps its default when absent.
  auto read_number = [&j](const nlohmann::json::json_pointer& ptr, double& out) {
    if (!j.contains(ptr)) return true;
    if (!j.at(ptr).is_number()) return false;
    out = j.at(ptr).get<double>();
    return true;
  };
  auto read_string = [&j](const nlohmann::json::json_pointer& ptr, std::string& out) {
    if (!j.contains(ptr)) return true;
    if (!j.at(ptr).is_string()) return false;
    out = j.at(ptr).get<std::string>();
    return true;
  };
  std::string hours = format_weekly_hours(s.business_hours);
  const auto malformed = Status::storage_error(fmt::format("the stored settings of tenant {} are malformed", tenant_id));
  if (j.is_discarded() || !j.is_object() || !read_array("/level_waits"_json_pointer, s.level_waits) ||
      !read_array("/priority/level_base"_json_pointer, s.priority.level_base) ||
      !read_array("/priority/rule_bonus"_json_pointer, s.priority.rule_bonus) ||
      !read_number("/dynamic_priority/rise_start"_json_pointer, s.dynamic_priority.rise_start) ||
      !read_number("/dynamic_priority/exponent"_json_pointer, s.dynamic_priority.exponent) ||
      !read_string("/time_zone"_json_pointer, s.time_zone) || !read_string("/business_hours"_json_pointer, hours) ||
      !read_array("/alerts/max_escalation_rate"_json_pointer, s.alerts.max_escalation_rate) ||
      !read_number("/alerts/wait_factor"_json_pointer, s.alerts.wait_factor) ||
      !read_number("/alerts/max_failed_identification_rate"_json_pointer, s.alerts.max_failed_identification_rate) ||
      !read_count("/alerts/min_identifications"_json_pointer, s.alerts.min_identifications) ||
      !read_number("/alerts/max_quality_drop"_json_pointer, s.alerts.max_quality_drop) ||
      !read_count("/alerts/min_calls"_json_pointer, s.alerts.min_calls))
    return malformed;
  auto parsed_hours = parse_weekly_hours(hours);
  if (!parsed_hours.ok()) return malformed;
  s.business_hours = std::move(*parsed_hours);
  if (Status v = s.validate(); !v.is_ok()) return v.with_context("stored settings");
  return s;
}

namespace {

// Loads the key ring, creating it in a new database. Two processes may open
// a new database at once: the check and the write share one transaction.
Result<KeyRing> open_key_ring(Storage& storage, const MasterKey& key) {
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
  if (Status s = (*txn)->put_meta("", kKeyRingKey, *wrapped); !s.is_ok()) return s;
  if (Status s = (*txn)->commit(); !s.is_ok()) return s;
  return ring;
}

}  // namespace
}  // namespace detail

Database::Database(std::shared_ptr<detail::DatabaseState> state) noexcept : state_(std::move(state)) {}
Database::Database(Database&&) noexcept = default;
Database& Database::operator=(Database&&) noexcept = default;
Database::~Database() = default;

Result<Database> Database::open(const std::string& path, const MasterKey& key, const Options& options) {
  if (Status s = detail::sodium_ready(); !s.is_ok()) return s;
  auto storage = open_sqlite_storage(path, options.sqlite);
  if (!storage.ok()) return storage.status();
  return open(std::move(*storage), key, options);
}

Result<Database> Database::open(std::unique_ptr<Storage> storage, const MasterKey& key, const Options& options) {
  if (Status s = detail::sodium_ready(); !s.is_ok()) return s;
  if (!storage) return Status::invalid_argument("storage", "is null");
  if (key.data() == nullptr) return Status::key_error("master key: the key was moved from");
  auto normalizer = PhoneNormalizer::create(options.phone);
  if (!normalizer.ok()) return normalizer.status().with_context("phone options");
  auto ring = detail::open_key_ring(*storage, key);
  if (!ring.ok()) return ring.status();
  auto state = std::make_shared<detail::DatabaseState>();
  state->storage = std::move(storage);
  state->ring = std::move(*ring);
  state->master = std::make_unique<MasterKey>(key.clone());
  if (state->master->data() == nullptr) return Status::key_error("master key: no memory for a copy of the key");
  state->normalizer = *normalizer;
  state->clock = options.clock ? options.clock : std::make_shared<SystemClock>();
  state->notifier = options.notifier;
  state->read_only = options.sqlite.read_only;
  if (Status s = detail::tag_untagged_callers(*state); !s.is_ok()) return s.with_context("tagging callers");
  return Database(std::move(state));
}

Result<Tenant> Database::tenant(std::string_view tenant_id, const Actor& actor) const {
  if (!state_) return Status::invalid_argument("database", "the handle was moved from");
  if (Status s = detail::validate_tenant_id(tenant_id); !s.is_ok()) return s;
  if (Status s = detail::validate_actor_id(actor.id); !s.is_ok()) return s;
  if (static_cast<int>(actor.role) >= kRoleCount)
    return Status::invalid_argument("actor.role", "is not a role");
  // Settings are re-read on every call, so that a long-running process picks
  // up a change made by another one (vipctl) when it asks for a scope again.
  auto settings = detail::load_settings(*state_->storage, tenant_id);
  if (!settings.ok()) return settings.status();

  std::shared_ptr<detail::TenantContext> ctx;
  {
    std::unique_lock<std::mutex> g(state_->tenants_mu);
    auto it = state_->tenants.find(tenant_id);
    if (it == state_->tenants.end()) {
      // Derive the keys without tenants_mu: keys_mu comes first in the lock order.
      g.unlock();
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
                                                                 std::move(counters));
          it = state_->tenants.emplace(std::string(tenant_id), std::move(created)).first;
        }
      } catch (const std::bad_alloc&) {
        return Status::storage_error("out of memory opening the tenant scope");
      }
    }
    it->second->publish(*settings);
    ctx = it->second;
  }
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
  std::map<std::string_view, const detail::TenantCounters*> all;  // in tenant order, as before
  for (const auto& [id, ctx] : state_->tenants) all.emplace(id, &ctx->counters());
  for (const auto& [id, counters] : state_->idle_counters) all.emplace(id, counters.get());
  for (const auto& [id, counters] : all) out.push_back(counters->snapshot(std::string(id)));
  return out;
}

Storage& Database::storage() const noexcept { return *state_->storage; }

}  // namespace vipcore
