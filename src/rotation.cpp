// Master key rotation: Database::rotate_master_key.
//
// 1. In one transaction: a new data-key version joins the key ring; the ring
//    is stored wrapped under the new master key ("keyring") and, for
//    processes that still run with the old one, under the old master key
//    ("keyring.previous"); a marker names the version being rotated to.
//    From here on new fields are sealed under the new version.
// 2. Tenant by tenant, callers in batches (one transaction each, with an
//    audit entry), then rules: every field under an older version is opened
//    and sealed again. A stop here is resumed by calling rotate again: the
//    fields say which version they are under.
// 3. In one transaction: the old-key copy of the ring and the marker go, and
//    the retired data-key versions leave the ring: every version older than
//    the one before the new version. Nothing is sealed under them any more
//    (step 2 re-encrypted everything); the version just before the new one
//    stays for processes still running with the previous master key, which
//    seal under it until they are restarted (the next rotation re-encrypts
//    what they wrote). So the ring holds two data keys after a rotation,
//    however many rotations there were, and key versions (32-bit numbers)
//    never run out in practice; if they did, rotate_master_key fails with
//    Code::key before it writes anything.
#include <fmt/format.h>

#include "rules.hpp"
#include "state.hpp"
#include "tenant_ops.hpp"
#include "vipcore/database.hpp"

namespace vipcore {
namespace {

AuditEntry database_entry(const Actor& actor, Timestamp at, std::string_view action, std::string outcome) {
  AuditEntry e;
  e.at = at;
  e.actor_id = actor.id;
  e.role = actor.role;
  e.action = std::string(action);
  e.entity_type = "key_ring";
  e.outcome = std::move(outcome);
  return e;
}

// Step 1: returns the ring to rotate to, new or (when resuming) stored.
Result<detail::KeyRing> begin_rotation(detail::DatabaseState& db, const MasterKey& new_key, const Actor& actor,
                                       bool* resumed) {
  auto txn = db.storage->begin_write();
  if (!txn.ok()) return txn.status();
  auto marker = (*txn)->get_meta("", detail::kRotationKey);
  if (!marker.ok()) return marker.status();
  if (*marker) {
    auto stored = (*txn)->get_meta("", detail::kKeyRingKey);
    if (!stored.ok()) return stored.status();
    if (!*stored) return Status::key_error("the database has no key ring");
    auto ring = detail::KeyRing::unwrap(new_key, **stored);
    if (!ring.ok())
      return Status::key_error("a rotation to another master key is in progress; finish it with that key");
    *resumed = true;
    return ring;
  }
  Result<detail::KeyRing> cloned = Status::internal_error("unset");
  {
    std::lock_guard<std::mutex> g(db.keys_mu);
    cloned = db.ring.clone();
  }
  if (!cloned.ok()) return cloned.status();
  detail::KeyRing ring = std::move(*cloned);
  // Fails, before anything is written, when the versions are used up.
  if (Status s = ring.add_random_version(); !s.ok()) return s;
  auto wrapped_new = ring.wrap(new_key);
  if (!wrapped_new.ok()) return wrapped_new.status();
  auto wrapped_old = ring.wrap(*db.master);
  if (!wrapped_old.ok()) return wrapped_old.status();
  Status s = (*txn)->put_meta("", detail::kKeyRingKey, *wrapped_new);
  if (s.ok()) s = (*txn)->put_meta("", detail::kPreviousKeyRingKey, *wrapped_old);
  if (s.ok()) s = (*txn)->put_meta("", detail::kRotationKey, std::to_string(ring.current_version));
  if (s.ok())
    s = detail::commit_with_audit(**txn, database_entry(actor, db.now(), "rotate_key_start",
                                                        fmt::format("new master key {}, data key version {}",
                                                                    new_key.fingerprint(), ring.current_version)));
  if (!s.ok()) return s;
  return ring;
}

// Step 2 for one tenant.
Status reencrypt_tenant(const detail::TenantState& t, std::uint64_t batch_size, KeyRotationReport* report) {
  const detail::TenantKeys& keys = t.ctx->keys();
  const std::string& tenant_id = t.tenant_id();
  CallerFilter filter;
  filter.limit = batch_size;
  for (;;) {
    std::vector<CallerRecord> batch;
    Status scan = t.storage().scan_callers(tenant_id, filter, [&](CallerRecord&& r) {
      batch.push_back(std::move(r));
      return true;
    });
    if (!scan.ok()) return scan;
    if (batch.empty()) break;
    filter.after_id = batch.back().id;
    auto txn = t.storage().begin_write();
    if (!txn.ok()) return txn.status();
    std::uint64_t changed = 0;
    for (CallerRecord& r : batch) {
      // Read again inside the transaction: a writer may have changed it since the scan.
      auto current = (*txn)->get_caller(tenant_id, r.id);
      if (!current.ok()) return current.status();
      if (!*current) continue;
      auto resealed = detail::reseal_caller(**current, keys, tenant_id);
      if (!resealed.ok()) return resealed.status();
      if (!*resealed) continue;
      if (Status s = (*txn)->replace_caller(tenant_id, **current); !s.ok()) return s;
      ++changed;
    }
    const auto entry = detail::audit_entry(t, t.db->now(), "rotate_key", "vip_caller", "", {},
                                           fmt::format("re-encrypted {} callers under key version {}", changed,
                                                       keys.current_version()));
    if (Status s = detail::commit_with_audit(**txn, entry); !s.ok()) return s;
    report->callers_reencrypted += changed;
    if (batch.size() < batch_size) break;
  }

  auto rules = t.storage().list_rules(tenant_id);
  if (!rules.ok()) return rules.status();
  auto txn = t.storage().begin_write();
  if (!txn.ok()) return txn.status();
  std::uint64_t changed = 0;
  for (RuleRecord& r : *rules) {
    auto resealed = detail::reseal_rule(r, keys, tenant_id);
    if (!resealed.ok()) return resealed.status();
    if (!*resealed) continue;
    if (Status s = (*txn)->replace_rule(tenant_id, r); !s.ok()) return s;
    ++changed;
  }
  const auto entry = detail::audit_entry(t, t.db->now(), "rotate_key", "escalation_rule", "", {},
                                         fmt::format("re-encrypted {} rules under key version {}", changed,
                                                     keys.current_version()));
  if (Status s = detail::commit_with_audit(**txn, entry); !s.ok()) return s;
  report->rules_reencrypted += changed;
  return ok_status();
}

// Step 3.
Status finish_rotation(detail::DatabaseState& db, const MasterKey& new_key, const Actor& actor,
                       const KeyRotationReport& report) {
  Result<detail::KeyRing> cloned = Status::internal_error("unset");
  {
    std::lock_guard<std::mutex> g(db.keys_mu);
    cloned = db.ring.clone();
  }
  if (!cloned.ok()) return cloned.status();
  detail::KeyRing ring = std::move(*cloned);
  ring.drop_retired_versions();
  auto wrapped = ring.wrap(new_key);
  if (!wrapped.ok()) return wrapped.status();
  auto new_master = std::make_unique<MasterKey>(new_key.clone());
  if (new_master->data() == nullptr) return Status::key_error("new master key: no memory for a copy of the key");

  auto txn = db.storage->begin_write();
  if (!txn.ok()) return txn.status();
  Status s = (*txn)->put_meta("", detail::kKeyRingKey, *wrapped);
  if (s.ok()) s = (*txn)->delete_meta("", detail::kPreviousKeyRingKey);
  if (s.ok()) s = (*txn)->delete_meta("", detail::kRotationKey);
  if (s.ok())
    s = detail::commit_with_audit(
        **txn, database_entry(actor, db.now(), "rotate_key_finish",
                              fmt::format("master key {}, data key version {}: re-encrypted {} callers and {} rules "
                                          "in {} tenants",
                                          new_key.fingerprint(), report.key_version, report.callers_reencrypted,
                                          report.rules_reencrypted, report.tenants)));
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> g(db.keys_mu);
  db.master = std::move(new_master);
  return db.install_ring(std::move(ring));
}

}  // namespace

Result<KeyRotationReport> Database::rotate_master_key(const MasterKey& new_key, const Actor& actor,
                                                      std::uint64_t batch_size) const {
  if (!state_) return Status::invalid_argument("database", "the handle was moved from");
  if (!is_allowed(actor.role, Operation::rotate_key))
    return Status::permission_denied(
        fmt::format("role {} may not {} (actor {})", to_string(actor.role), to_string(Operation::rotate_key), actor.id));
  if (new_key.data() == nullptr) return Status::key_error("new master key: the key was moved from");
  if (batch_size == 0) return Status::invalid_argument("batch_size", "must be at least 1");
  detail::DatabaseState& db = *state_;

  KeyRotationReport report;
  auto ring = begin_rotation(db, new_key, actor, &report.resumed);
  if (!ring.ok()) return ring.status();
  report.key_version = ring->current_version;
  {
    std::lock_guard<std::mutex> g(db.keys_mu);
    if (Status s = db.install_ring(std::move(*ring)); !s.ok()) return s;
  }

  auto tenants = db.storage->list_tenants();
  if (!tenants.ok()) return tenants.status();
  for (const std::string& id : *tenants) {
    auto t = tenant(id, actor);
    if (!t.ok()) return t.status();
    if (Status s = reencrypt_tenant(*t->state_, batch_size, &report); !s.ok()) return s;
    ++report.tenants;
  }
  if (Status s = finish_rotation(db, new_key, actor, report); !s.ok()) return s;
  return report;
}

Result<std::vector<AuditEntry>> Database::database_audit(const AuditQuery& query) const {
  if (!state_) return Status::invalid_argument("database", "the handle was moved from");
  return state_->storage->query_audit("", query);
}

}  // namespace vipcore
