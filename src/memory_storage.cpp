// The in-memory storage backend: for integrators' tests and vipcore's own.
//
// Committed state lives in maps guarded by a shared_mutex. A write
// transaction holds the writer mutex for its whole life and keeps its changes
// in an overlay, so readers see only committed state and commit() applies
// the overlay under the exclusive lock in one step.
#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <tuple>
#include <unordered_set>

#include "generation.hpp"
#include "vipcore/storage.hpp"

namespace vipcore {
namespace {

using Callers = std::map<std::string, CallerRecord, std::less<>>;
using Phones = std::unordered_map<PhoneHash, std::string, PhoneHashHasher>;

using Rules = std::map<std::string, RuleRecord, std::less<>>;
using TriggerKey = std::pair<std::string, std::string>;  // (call id, rule id)
using Triggers = std::map<TriggerKey, TriggerRecord>;

using Calls = std::map<std::string, CallRow, std::less<>>;  // by call id

struct TenantData {
  Callers callers;
  Phones phones;
  Rules rules;
  Triggers triggers;
  Calls calls;
};

using MetaKey = std::pair<std::string, std::string>;

bool matches(const CallerRecord& c, const CallerFilter& f) noexcept {
  return (!f.vip_level || c.vip_level == *f.vip_level) && (!f.status || c.status == *f.status) &&
         (f.after_id.empty() || c.id > f.after_id);
}

void fill_identify(const CallerRecord& c, IdentifyRecord* out) {
  out->caller_id.assign(c.id);
  out->vip_level = c.vip_level;
  out->status = c.status;
  out->handling_rules = c.handling_rules;
  out->max_wait_time = c.max_wait_time;
  out->callback_priority = c.callback_priority;
  out->valid_from = c.valid_from;
  out->valid_until = c.valid_until;
  out->preferred_agent_id.assign(c.preferred_agent_id);
  out->preferred_department_id.assign(c.preferred_department_id);
  out->caller_name.assign(c.caller_name);
  out->custom_greeting.assign(c.custom_greeting);
  out->integrity = c.integrity;
}

// Applies a transaction's changes to a table (nullopt: deleted).
template <typename Changed, typename Table>
void apply_changes(Changed& changed, Table& table) {
  for (auto& [key, entry] : changed) {
    if (entry) table[key] = std::move(*entry);
    else table.erase(key);
  }
}

class MemoryStorage;

class MemoryTransaction final : public WriteTransaction {
 public:
  MemoryTransaction(MemoryStorage& storage, std::unique_lock<std::mutex> writer)
      : storage_(storage), writer_(std::move(writer)) {}

  Result<std::optional<CallerRecord>> get_caller(std::string_view tenant_id, std::string_view id) override {
    if (const CallerRecord* c = find_caller(tenant_id, id)) return std::optional<CallerRecord>(*c);
    return std::optional<CallerRecord>();
  }

  Result<std::optional<std::string>> find_phone_owner(std::string_view tenant_id, const PhoneHash& hash) override {
    if (const std::string* owner = phone_owner(tenant_id, hash)) return std::optional<std::string>(*owner);
    return std::optional<std::string>();
  }

  Status insert_callers(std::string_view tenant_id, const std::vector<CallerRecord>& callers,
                        const std::function<bool(std::size_t, std::size_t)>& progress) override {
    if (Status s = usable(); !s.ok()) return s;
    changes_.touch(detail::GenerationTable::slot_of(tenant_id));
    if (progress && !progress(callers.size(), callers.size()))
      return Status::invalid_argument("import", "cancelled by the progress callback; nothing was written");
    std::vector<const CallerRecord*> all;
    all.reserve(callers.size());
    for (const CallerRecord& c : callers) all.push_back(&c);
    return insert_bulk_callers(tenant_id, all);
  }

  // Nothing is held back: the numbers are indexed at once.
  Status insert_bulk_callers(std::string_view tenant_id, const std::vector<const CallerRecord*>& callers) override {
    if (Status s = usable(); !s.ok()) return s;
    changes_.touch(detail::GenerationTable::slot_of(tenant_id));
    std::unordered_set<PhoneHash, PhoneHashHasher> batch_phones;
    std::unordered_set<std::string_view> batch_ids;
    for (const CallerRecord* c : callers) {
      if (find_caller(tenant_id, c->id) != nullptr || !batch_ids.insert(c->id).second)
        return Status::already_exists("id", "a caller with this id already exists");
      for (const StoredPhone& p : c->phones)
        if (phone_owner(tenant_id, p.hash) != nullptr || !batch_phones.insert(p.hash).second)
          return Status::already_exists("phone_number", "the number already belongs to another VIP of the tenant");
    }
    Overlay& o = overlay_[std::string(tenant_id)];
    const std::size_t slot = detail::GenerationTable::slot_of(tenant_id);
    for (const CallerRecord* c : callers) {
      changes_.touch_numbers(slot, c->phones);
      for (const StoredPhone& p : c->phones) o.phones[p.hash] = c->id;
      o.callers[c->id] = *c;
    }
    return ok_status();
  }

  Status finish_bulk_callers(std::string_view, const std::function<bool(std::size_t, std::size_t)>& progress) override {
    if (Status s = usable(); !s.ok()) return s;
    if (progress && !progress(1, 1))
      return Status::invalid_argument("import", "cancelled by the progress callback; nothing was written");
    return ok_status();
  }

  Status replace_caller(std::string_view tenant_id, const CallerRecord& caller) override {
    if (Status s = usable(); !s.ok()) return s;
    changes_.touch(detail::GenerationTable::slot_of(tenant_id));
    const CallerRecord* old = find_caller(tenant_id, caller.id);
    if (old == nullptr) return Status::not_found("no VIP caller with this id in the tenant");
    for (const StoredPhone& p : caller.phones) {
      const std::string* owner = phone_owner(tenant_id, p.hash);
      if (owner != nullptr && *owner != caller.id)
        return Status::already_exists("phone_number", "the number already belongs to another VIP of the tenant");
    }
    Overlay& o = overlay_[std::string(tenant_id)];
    const std::size_t slot = detail::GenerationTable::slot_of(tenant_id);
    changes_.touch_numbers(slot, old->phones);
    changes_.touch_numbers(slot, caller.phones);
    for (const StoredPhone& p : old->phones) o.phones[p.hash] = std::nullopt;
    for (const StoredPhone& p : caller.phones) o.phones[p.hash] = caller.id;
    // The counters are count_call's: a replace leaves them as stored.
    CallerRecord replaced = caller;
    replaced.total_calls = old->total_calls;
    replaced.rated_calls = old->rated_calls;
    replaced.satisfaction_score = old->satisfaction_score;
    o.callers[caller.id] = std::move(replaced);  // may invalidate `old`: not used after this
    return ok_status();
  }

  Status delete_caller(std::string_view tenant_id, std::string_view id) override {
    if (Status s = usable(); !s.ok()) return s;
    changes_.touch(detail::GenerationTable::slot_of(tenant_id));
    const CallerRecord* old = find_caller(tenant_id, id);
    if (old == nullptr) return Status::not_found("no VIP caller with this id in the tenant");
    Overlay& o = overlay_[std::string(tenant_id)];
    changes_.touch_numbers(detail::GenerationTable::slot_of(tenant_id), old->phones);
    for (const StoredPhone& p : old->phones) o.phones[p.hash] = std::nullopt;
    o.callers[std::string(id)] = std::nullopt;
    return ok_status();
  }

  Result<std::optional<RuleRecord>> get_rule(std::string_view tenant_id, std::string_view id) override {
    if (const RuleRecord* r = find_rule(tenant_id, id)) return std::optional<RuleRecord>(*r);
    return std::optional<RuleRecord>();
  }

  Status insert_rule(std::string_view tenant_id, const RuleRecord& rule) override {
    if (Status s = usable(); !s.ok()) return s;
    changes_.touch(detail::GenerationTable::slot_of(tenant_id));
    if (find_rule(tenant_id, rule.id) != nullptr) return Status::already_exists("id", "a rule with this id already exists");
    overlay_[std::string(tenant_id)].rules[rule.id] = rule;
    return ok_status();
  }

  Status replace_rule(std::string_view tenant_id, const RuleRecord& rule) override {
    if (Status s = usable(); !s.ok()) return s;
    changes_.touch(detail::GenerationTable::slot_of(tenant_id));
    if (find_rule(tenant_id, rule.id) == nullptr) return Status::not_found("no escalation rule with this id in the tenant");
    overlay_[std::string(tenant_id)].rules[rule.id] = rule;
    return ok_status();
  }

  Status delete_rule(std::string_view tenant_id, std::string_view id) override {
    if (Status s = usable(); !s.ok()) return s;
    changes_.touch(detail::GenerationTable::slot_of(tenant_id));
    if (find_rule(tenant_id, id) == nullptr) return Status::not_found("no escalation rule with this id in the tenant");
    overlay_[std::string(tenant_id)].rules[std::string(id)] = std::nullopt;
    return ok_status();
  }

  Status insert_trigger(std::string_view tenant_id, const TriggerRecord& trigger, bool* inserted) override {
    if (Status s = usable(); !s.ok()) return s;
    const TriggerKey key(trigger.call_id, trigger.rule_id);
    *inserted = find_trigger(tenant_id, key) == nullptr;
    if (*inserted) overlay_[std::string(tenant_id)].triggers[key] = trigger;
    return ok_status();
  }

  Status mark_notified(std::string_view tenant_id, std::string_view call_id, std::string_view rule_id,
                       Timestamp at) override {
    if (Status s = usable(); !s.ok()) return s;
    const TriggerKey key(call_id, rule_id);
    const TriggerRecord* t = find_trigger(tenant_id, key);
    if (t == nullptr) return Status::not_found("no such escalation trigger");
    TriggerRecord updated = *t;
    updated.notified_at = at;
    overlay_[std::string(tenant_id)].triggers[key] = std::move(updated);
    return ok_status();
  }

  Result<std::uint64_t> purge_triggers(std::string_view tenant_id, Timestamp before, std::uint64_t limit) override;

  Status insert_call(std::string_view tenant_id, const CallRow& call) override {
    if (Status s = usable(); !s.ok()) return s;
    if (find_call(tenant_id, call.call_id) != nullptr)
      return Status::already_exists("call_id", "this call has already been recorded");
    overlay_[std::string(tenant_id)].calls[call.call_id] = call;
    return ok_status();
  }

  Status count_call(std::string_view tenant_id, std::string_view caller_id,
                    std::optional<int> satisfaction_rating) override {
    if (Status s = usable(); !s.ok()) return s;
    const CallerRecord* c = find_caller(tenant_id, caller_id);
    if (c == nullptr) return ok_status();  // deleted since: its calls stay, counters go with it
    CallerRecord updated = *c;
    ++updated.total_calls;
    if (satisfaction_rating) {
      const double sum =
          updated.satisfaction_score.value_or(0) * static_cast<double>(updated.rated_calls) + *satisfaction_rating;
      ++updated.rated_calls;
      updated.satisfaction_score = sum / static_cast<double>(updated.rated_calls);
    }
    overlay_[std::string(tenant_id)].callers[updated.id] = std::move(updated);
    return ok_status();
  }

  Result<std::uint64_t> purge_calls(std::string_view tenant_id, Timestamp before, std::uint64_t limit) override;

  Result<std::optional<std::string>> get_meta(std::string_view scope, std::string_view key) override;

  Status put_meta(std::string_view scope, std::string_view key, std::string_view value) override {
    if (Status s = usable(); !s.ok()) return s;
    changes_.touch(detail::GenerationTable::slot_of(scope));
    meta_[MetaKey(scope, key)] = std::string(value);
    return ok_status();
  }

  Status delete_meta(std::string_view scope, std::string_view key) override {
    if (Status s = usable(); !s.ok()) return s;
    changes_.touch(detail::GenerationTable::slot_of(scope));
    meta_[MetaKey(scope, key)] = std::nullopt;
    return ok_status();
  }

  Status append_audit(const AuditEntry& entry) override {
    if (Status s = usable(); !s.ok()) return s;
    audit_.push_back(entry);
    return ok_status();
  }

  Status commit() override;

 private:
  detail::GenerationTable::Commit changes_;  // the slots whose cached data this transaction changes
  struct Overlay {  // nullopt: deleted
    std::map<std::string, std::optional<CallerRecord>, std::less<>> callers;
    std::unordered_map<PhoneHash, std::optional<std::string>, PhoneHashHasher> phones;
    std::map<std::string, std::optional<RuleRecord>, std::less<>> rules;
    std::map<TriggerKey, std::optional<TriggerRecord>> triggers;
    std::map<std::string, std::optional<CallRow>, std::less<>> calls;
  };

  Status usable() const {
    if (done_) return Status::internal_error("the write transaction has already been committed");
    return ok_status();
  }
  const CallerRecord* find_caller(std::string_view tenant_id, std::string_view id) const;
  const std::string* phone_owner(std::string_view tenant_id, const PhoneHash& hash) const;
  const RuleRecord* find_rule(std::string_view tenant_id, std::string_view id) const;
  const TriggerRecord* find_trigger(std::string_view tenant_id, const TriggerKey& key) const;
  const CallRow* find_call(std::string_view tenant_id, std::string_view call_id) const;
  // The live entry of `key` in one of a tenant's tables: as this transaction
  // changed it (nullopt there: deleted), else as committed.
  template <typename Changed, typename Table, typename Key>
  const typename Table::mapped_type* find_live(std::string_view tenant_id, Changed Overlay::*changed,
                                               Table TenantData::*table, const Key& key) const;
  // Deletes the live entries of a table older than `before` (at(entry)
  // gives an entry's time), oldest first, at most `limit`; how many.
  template <typename Changed, typename Table, typename At>
  std::uint64_t purge_older(std::string_view tenant_id, Changed Overlay::*changed, Table TenantData::*table,
                            Timestamp before, std::uint64_t limit, At&& at);

  MemoryStorage& storage_;
  std::unique_lock<std::mutex> writer_;
  std::map<std::string, Overlay, std::less<>> overlay_;
  std::map<MetaKey, std::optional<std::string>> meta_;  // nullopt: deleted
  std::vector<AuditEntry> audit_;
  bool done_ = false;
};

class MemoryStorage final : public Storage {
 public:
  std::string_view name() const noexcept override { return "memory"; }

  Status find_by_phone(std::string_view tenant_id, const PhoneHash& hash, IdentifyRecord* out,
                       bool* found) override {
    std::shared_lock lock(mu_);
    *found = false;
    const TenantData* t = tenant(tenant_id);
    if (t == nullptr) return ok_status();
    const auto p = t->phones.find(hash);
    if (p == t->phones.end()) return ok_status();
    const auto c = t->callers.find(p->second);
    if (c == t->callers.end()) return Status::internal_error("a phone entry points to no caller");
    fill_identify(c->second, out);
    *found = true;
    return ok_status();
  }

  Result<std::optional<CallerRecord>> get_caller(std::string_view tenant_id, std::string_view id) override {
    std::shared_lock lock(mu_);
    if (const TenantData* t = tenant(tenant_id)) {
      const auto c = t->callers.find(id);
      if (c != t->callers.end()) return std::optional<CallerRecord>(c->second);
    }
    return std::optional<CallerRecord>();
  }

  Status scan_callers(std::string_view tenant_id, const CallerFilter& filter,
                      const std::function<bool(CallerRecord&&)>& visit) override {
    std::shared_lock lock(mu_);
    const TenantData* t = tenant(tenant_id);
    if (t == nullptr) return ok_status();
    std::uint64_t skipped = 0, visited = 0;
    for (const auto& [id, c] : t->callers) {
      if (!matches(c, filter)) continue;
      if (skipped < filter.offset) {
        ++skipped;
        continue;
      }
      if (filter.limit != 0 && visited == filter.limit) break;
      ++visited;
      CallerRecord copy = c;
      if (!visit(std::move(copy))) break;
    }
    return ok_status();
  }

  Result<std::uint64_t> count_callers(std::string_view tenant_id, const CallerFilter& filter) override {
    std::shared_lock lock(mu_);
    std::uint64_t n = 0;
    if (const TenantData* t = tenant(tenant_id))
      for (const auto& entry : t->callers) n += matches(entry.second, filter) ? 1u : 0u;
    return n;
  }

  Result<std::vector<std::string>> list_tenants() override {
    std::shared_lock lock(mu_);
    std::vector<std::string> out;
    for (const auto& [id, t] : tenants_)
      if (!t.callers.empty() || !t.rules.empty()) out.push_back(id);
    return out;
  }

  Result<std::optional<std::string>> get_meta(std::string_view scope, std::string_view key) override {
    std::shared_lock lock(mu_);
    const auto it = meta_.find(MetaKey(scope, key));
    if (it == meta_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Result<std::vector<RuleRecord>> list_rules(std::string_view tenant_id) override {
    std::shared_lock lock(mu_);
    std::vector<RuleRecord> out;
    if (const TenantData* t = tenant(tenant_id))
      for (const auto& entry : t->rules) out.push_back(entry.second);
    return out;
  }

  Result<std::vector<TriggerRecord>> get_triggers(std::string_view tenant_id, std::string_view call_id) override {
    std::shared_lock lock(mu_);
    std::vector<TriggerRecord> out;
    if (const TenantData* t = tenant(tenant_id))
      for (auto it = t->triggers.lower_bound(TriggerKey(call_id, "")); it != t->triggers.end() && it->first.first == call_id;
           ++it)
        out.push_back(it->second);
    return out;
  }

  Status scan_calls(std::string_view tenant_id, Timestamp from, Timestamp until, std::string_view caller_id,
                    const std::function<bool(const CallRow&)>& visit) override {
    std::shared_lock lock(mu_);
    if (const TenantData* t = tenant(tenant_id))
      for (const auto& entry : t->calls) {
        const CallRow& c = entry.second;
        if (c.at < from || !(c.at < until) || (!caller_id.empty() && c.caller_id != caller_id)) continue;
        if (!visit(c)) break;
      }
    return ok_status();
  }

  Result<std::vector<CallRow>> list_calls(std::string_view tenant_id, std::string_view caller_id, Timestamp from,
                                          Timestamp until, std::uint64_t limit) override {
    std::shared_lock lock(mu_);
    std::vector<CallRow> out;
    if (const TenantData* t = tenant(tenant_id))
      for (const auto& entry : t->calls)
        if (entry.second.caller_id == caller_id && !(entry.second.at < from) && entry.second.at < until)
          out.push_back(entry.second);
    std::stable_sort(out.begin(), out.end(), [](const CallRow& a, const CallRow& b) {
      return std::tie(a.at, a.call_id) < std::tie(b.at, b.call_id);
    });
    if (limit != 0 && out.size() > limit) out.resize(limit);
    return out;
  }

  Result<CallerCounts> count_callers_by_level_status(std::string_view tenant_id) override {
    std::shared_lock lock(mu_);
    CallerCounts out{};
    if (const TenantData* t = tenant(tenant_id))
      for (const auto& entry : t->callers)
        ++out[static_cast<std::size_t>(entry.second.vip_level)][static_cast<std::size_t>(entry.second.status)];
    return out;
  }

  Result<std::vector<AuditEntry>> query_audit(std::string_view tenant_id, const AuditQuery& q) override {
    std::shared_lock lock(mu_);
    std::vector<AuditEntry> out;
    for (const AuditEntry& e : audit_) {
      if (e.tenant_id != tenant_id) continue;
      if (q.from && e.at < *q.from) continue;
      if (q.until && e.at >= *q.until) continue;
      if (q.actor_id && e.actor_id != *q.actor_id) continue;
      if (q.entity_id && e.entity_id != *q.entity_id) continue;
      out.push_back(e);
      if (q.limit != 0 && out.size() == q.limit) break;
    }
    return out;
  }

  std::uint64_t change_generation(std::string_view tenant_id) const noexcept override {
    return generations_.read(tenant_id);
  }

  std::uint64_t number_generation(std::string_view tenant_id, const PhoneHash& hash) const noexcept override {
    return generations_.read_number(tenant_id, hash[0]);
  }

  Result<std::unique_ptr<WriteTransaction>> begin_write() override {
    return std::unique_ptr<WriteTransaction>(
        std::make_unique<MemoryTransaction>(*this, std::unique_lock<std::mutex>(writer_mu_)));
  }

 private:
  friend class MemoryTransaction;

  const TenantData* tenant(std::string_view id) const {
    const auto it = tenants_.find(id);
    return it == tenants_.end() ? nullptr : &it->second;
  }

  mutable std::shared_mutex mu_;  // guards the committed state below
  std::mutex writer_mu_;          // held by the one live write transaction
  std::map<std::string, TenantData, std::less<>> tenants_;
  std::map<MetaKey, std::string> meta_;
  std::vector<AuditEntry> audit_;
  std::int64_t next_sequence_ = 1;
  // Change generations; this process is the only user of the storage.
  std::array<std::uint64_t, detail::GenerationTable::kWords> generation_words_{};
  detail::GenerationTable generations_{generation_words_.data()};
};

// Committed state only changes under writer_mu_, which this transaction
// holds, so reading it here without mu_ is safe.
template <typename Changed, typename Table, typename Key>
const typename Table::mapped_type* MemoryTransaction::find_live(std::string_view tenant_id, Changed Overlay::*changed,
                                                                Table TenantData::*table, const Key& key) const {
  if (const auto o = overlay_.find(tenant_id); o != overlay_.end()) {
    const Changed& overlay = o->second.*changed;
    if (const auto it = overlay.find(key); it != overlay.end()) return it->second ? &*it->second : nullptr;
  }
  const TenantData* t = storage_.tenant(tenant_id);
  if (t == nullptr) return nullptr;
  const Table& committed = t->*table;
  const auto it = committed.find(key);
  return it == committed.end() ? nullptr : &it->second;
}

const CallerRecord* MemoryTransaction::find_caller(std::string_view tenant_id, std::string_view id) const {
  return find_live(tenant_id, &Overlay::callers, &TenantData::callers, id);
}

const std::string* MemoryTransaction::phone_owner(std::string_view tenant_id, const PhoneHash& hash) const {
  return find_live(tenant_id, &Overlay::phones, &TenantData::phones, hash);
}

const RuleRecord* MemoryTransaction::find_rule(std::string_view tenant_id, std::string_view id) const {
  return find_live(tenant_id, &Overlay::rules, &TenantData::rules, id);
}

const TriggerRecord* MemoryTransaction::find_trigger(std::string_view tenant_id, const TriggerKey& key) const {
  return find_live(tenant_id, &Overlay::triggers, &TenantData::triggers, key);
}

const CallRow* MemoryTransaction::find_call(std::string_view tenant_id, std::string_view call_id) const {
  return find_live(tenant_id, &Overlay::calls, &TenantData::calls, call_id);
}

template <typename Changed, typename Table, typename At>
std::uint64_t MemoryTransaction::purge_older(std::string_view tenant_id, Changed Overlay::*changed,
                                             Table TenantData::*table, Timestamp before, std::uint64_t limit, At&& at) {
  // The oldest first: gather the live entries (committed, as changed by this
  // transaction) that are old enough.
  std::vector<std::pair<Timestamp, typename Table::key_type>> old;
  if (const TenantData* t = storage_.tenant(tenant_id))
    for (const auto& [key, entry] : t->*table)
      if (at(entry) < before) old.emplace_back(at(entry), key);
  if (const auto o = overlay_.find(tenant_id); o != overlay_.end())
    for (const auto& [key, entry] : o->second.*changed)
      if (entry && at(*entry) < before) old.emplace_back(at(*entry), key);
  std::sort(old.begin(), old.end());
  old.erase(std::unique(old.begin(), old.end()), old.end());
  std::uint64_t purged = 0;
  Changed& overlay = overlay_[std::string(tenant_id)].*changed;
  for (const auto& [time, key] : old) {
    if (purged == limit) break;
    if (find_live(tenant_id, changed, table, key) == nullptr) continue;
    overlay[key] = std::nullopt;
    ++purged;
  }
  return purged;
}

Result<std::uint64_t> MemoryTransaction::purge_triggers(std::string_view tenant_id, Timestamp before,
                                                        std::uint64_t limit) {
  if (Status s = usable(); !s.ok()) return s;
  return purge_older(tenant_id, &Overlay::triggers, &TenantData::triggers, before, limit,
                     [](const TriggerRecord& t) { return t.triggered_at; });
}

Result<std::uint64_t> MemoryTransaction::purge_calls(std::string_view tenant_id, Timestamp before,
                                                     std::uint64_t limit) {
  if (Status s = usable(); !s.ok()) return s;
  return purge_older(tenant_id, &Overlay::calls, &TenantData::calls, before, limit,
                     [](const CallRow& c) { return c.at; });
}

Result<std::optional<std::string>> MemoryTransaction::get_meta(std::string_view scope, std::string_view key) {
  const MetaKey k(scope, key);
  if (const auto it = meta_.find(k); it != meta_.end()) return it->second;
  if (const auto it = storage_.meta_.find(k); it != storage_.meta_.end())
    return std::optional<std::string>(it->second);
  return std::optional<std::string>();
}

Status MemoryTransaction::commit() {
  if (Status s = usable(); !s.ok()) return s;
  changes_.begin(storage_.generations_);
  std::unique_lock lock(storage_.mu_);
  for (auto& [tenant_id, o] : overlay_) {
    TenantData& t = storage_.tenants_[tenant_id];
    apply_changes(o.phones, t.phones);
    apply_changes(o.callers, t.callers);
    apply_changes(o.rules, t.rules);
    apply_changes(o.triggers, t.triggers);
    apply_changes(o.calls, t.calls);
  }
  apply_changes(meta_, storage_.meta_);
  for (AuditEntry& e : audit_) {
    e.sequence = storage_.next_sequence_++;
    storage_.audit_.push_back(std::move(e));
  }
  lock.unlock();
  changes_.end(storage_.generations_);
  done_ = true;
  return ok_status();
}

}  // namespace

std::unique_ptr<Storage> new_memory_storage() { return std::make_unique<MemoryStorage>(); }

}  // namespace vipcore
