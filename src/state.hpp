// The state behind Database and Tenant handles. Private to the library.
#ifndef VIPCORE_SRC_STATE_HPP
#define VIPCORE_SRC_STATE_HPP

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "crypto.hpp"
#include "vipcore/clock.hpp"
#include "vipcore/escalation.hpp"
#include "vipcore/phone.hpp"
#include "vipcore/roles.hpp"
#include "vipcore/settings.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::detail {

/// A tenant's escalation rules, opened and sorted in evaluation order, as of
/// one rules version. Immutable once built.
struct RuleSet {
  std::string version;
  std::vector<EscalationRule> rules;
};

/// What every handle on one tenant of one Database shares: the tenant's
/// keys, its current settings and its escalation rules.
///
/// Settings are read on the identify path, so they are published as an
/// immutable object behind an atomic pointer (one acquire load per read).
/// Replaced objects are kept until the context dies, so a reader never
/// sees one freed; settings change rarely, so that costs little.
class TenantContext {
 public:
  TenantContext(std::string id, TenantKeys keys, TenantSettings settings);

  const std::string& id() const noexcept { return id_; }
  const TenantKeys& keys() const noexcept { return keys_; }
  const TenantSettings& settings() const noexcept { return *settings_.load(std::memory_order_acquire); }
  void publish(const TenantSettings& settings);

  /// The cached rules (null before the first load) and their replacement.
  std::shared_ptr<const RuleSet> rules() const;
  void set_rules(std::shared_ptr<const RuleSet> rules);

 private:
  mutable std::mutex rules_mu_;
  std::shared_ptr<const RuleSet> rules_;

  std::string id_;
  TenantKeys keys_;
  std::atomic<const TenantSettings*> settings_;
  std::mutex versions_mu_;
  std::vector<std::unique_ptr<const TenantSettings>> versions_;
};

struct DatabaseState {
  std::unique_ptr<Storage> storage;
  KeyRing ring;
  PhoneNormalizer normalizer;
  std::shared_ptr<const Clock> clock;
  std::shared_ptr<Notifier> notifier;

  std::mutex tenants_mu;
  std::map<std::string, std::shared_ptr<TenantContext>, std::less<>> tenants;

  Timestamp now() const noexcept { return clock->now(); }
};

struct TenantState {
  std::shared_ptr<DatabaseState> db;
  std::shared_ptr<TenantContext> ctx;
  Actor actor;

  const std::string& tenant_id() const noexcept { return ctx->id(); }
  Storage& storage() const noexcept { return *db->storage; }
  /// Code::permission_denied unless the actor's role may perform `op`.
  Status authorize(Operation op) const;
};

/// Reads a tenant's settings from storage (defaults when none are stored).
Result<TenantSettings> load_settings(Storage& storage, std::string_view tenant_id);
std::string encode_settings(const TenantSettings& settings);

}  // namespace vipcore::detail

#endif
