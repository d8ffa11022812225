#include "vipcore/tenant.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include "state.hpp"
#include "tenant_ops.hpp"
#include "text.hpp"
#include "validate.hpp"

namespace vipcore {

using detail::TenantState;

namespace detail {

AuditEntry audit_entry(const TenantState& t, Timestamp at, std::string_view action, std::string_view entity_type,
                       std::string_view entity_id, std::vector<std::string> fields, std::string outcome) {
  AuditEntry e;
  e.tenant_id = t.tenant_id();
  e.at = at;
  e.actor_id = t.actor.id;
  e.role = t.actor.role;
  e.action = std::string(action);
  e.entity_type = std::string(entity_type);
  e.entity_id = std::string(entity_id);
  e.fields = std::move(fields);
  e.outcome = std::move(outcome);
  return e;
}

NumberRules number_rules(const TenantState& t) {
  return NumberRules{t.ctx->plan(), t.ctx->settings().number_validation};
}

std::vector<std::string> field_names(const NewCaller& in) {
  std::vector<std::string> out;
  auto add = [&out](bool set, const char* name) {
    if (set) out.emplace_back(name);
  };
  add(!in.phone_number.empty(), "phone_number");
  add(!in.alternative_phone_numbers.empty(), "alternative_phone_numbers");
  add(!in.caller_name.empty(), "caller_name");
  add(!in.company_name.empty(), "company_name");
  add(in.vip_level.has_value(), "vip_level");
  add(in.status.has_value(), "status");
  add(!in.preferred_agent_id.empty(), "preferred_agent_id");
  add(!in.preferred_department_id.empty(), "preferred_department_id");
  add(!in.handling_rules.empty(), "handling_rules");
  add(!in.custom_greeting.empty(), "custom_greeting");
  add(in.max_wait_time.has_value(), "max_wait_time");
  add(in.callback_priority.has_value(), "callback_priority");
  add(!in.email.empty(), "email");
  add(!in.account_number.empty(), "account_number");
  add(in.account_value.has_value(), "account_value");
  add(!in.notes.empty(), "notes");
  add(!in.tags.empty(), "tags");
  add(in.valid_from.has_value(), "valid_from");
  add(in.valid_until.has_value(), "valid_until");
  return out;
}

Status check_phones_free(WriteTransaction& txn, std::string_view tenant_id, const CallerRecord& r,
                         const std::string* own_id) {
  for (std::size_t i = 0; i < r.phones.size(); ++i) {
    auto owner = txn.find_phone_owner(tenant_id, r.phones[i].hash);
    if (!owner.ok()) return owner.status();
    if (*owner && (own_id == nullptr || **owner != *own_id)) {
      const std::string field = i == 0 ? std::string("phone_number") : fmt::format("alternative_phone_numbers[{}]", i - 1);
      return Status::already_exists(field, fmt::format("the number already belongs to VIP {}", **owner));
    }
  }
  return ok_status();
}

Status commit_with_audit(WriteTransaction& txn, const AuditEntry& entry) {
  if (Status s = txn.append_audit(entry); !s.ok()) return s;
  return txn.commit();
}

Status log_access(const TenantState& t, std::string_view action, std::string_view entity_id,
                  std::vector<std::string> fields, std::string outcome) {
  if (t.actor.role == Role::system) return ok_status();
  // A database opened read-only cannot take the entry; the read goes on
  // (see SqliteOptions::read_only).
  if (t.db->read_only) return ok_status();
  auto txn = t.storage().begin_write();
  if (!txn.ok()) return txn.status();
  return commit_with_audit(**txn, audit_entry(t, t.db->now(), action, "vip_caller", entity_id, std::move(fields),
                                              std::move(outcome)));
}

std::vector<std::string> changed_settings(const TenantSettings& before, const TenantSettings& after) {
  std::vector<std::string> out;
  const auto add = [&out](bool changed, const char* name) {
    if (changed) out.emplace_back(name);
  };
  const DynamicPriorityPolicy& bd = before.dynamic_priority;
  const DynamicPriorityPolicy& ad = after.dynamic_priority;
  const AlertThresholds& ba = before.alerts;
  const AlertThresholds& aa = after.alerts;
  add(before.level_waits != after.level_waits, "level_waits");
  add(before.priority.level_base != after.priority.level_base, "priority.level_base");
  add(before.priority.rule_bonus != after.priority.rule_bonus, "priority.rule_bonus");
  add(bd.rise_start != ad.rise_start || bd.exponent != ad.exponent, "dynamic_priority");
  add(before.time_zone != after.time_zone, "time_zone");
  add(before.business_hours != after.business_hours, "business_hours");
  add(ba.max_escalation_rate != aa.max_escalation_rate || ba.wait_factor != aa.wait_factor ||
          ba.max_failed_identification_rate != aa.max_failed_identification_rate ||
          ba.min_identifications != aa.min_identifications || ba.max_quality_drop != aa.max_quality_drop ||
          ba.min_calls != aa.min_calls,
      "alerts");
  add(before.region != after.region, "region");
  add(before.number_validation != after.number_validation, "number_validation");
  return out;
}

namespace {
// The fields get() and list() return: what an access entry says was read.
std::vector<std::string> caller_fields() {
  return {"caller_name", "company_name", "email", "account_number", "account_value", "notes", "custom_greeting",
          "phones", "tags", "preferred_agent_id", "preferred_department_id"};
}
}  // namespace

Status caller_not_found(const TenantState& t, std::string_view id) {
  return Status::not_found(fmt::format("no VIP caller {} in tenant {}", id, t.tenant_id()));
}

Result<CallerRecord> read_caller(const TenantState& t, std::string_view id) {
  auto record = t.storage().get_caller(t.tenant_id(), id);
  if (!record.ok()) return record.status();
  if (!*record) return caller_not_found(t, id);
  return std::move(**record);
}

}  // namespace detail

namespace {

Status not_found(const TenantState& t, std::string_view id) { return detail::caller_not_found(t, id); }

// Reads the clock only for callers with a validity window: most have none.
Match evaluate(const IdentifyRecord& rec, const Clock& clock) noexcept {
  if (rec.status == CallerStatus::inactive) return Match::inactive;
  if (rec.status == CallerStatus::suspended) return Match::suspended;
  if (!rec.valid_from && !rec.valid_until) return Match::vip;
  const Timestamp now = clock.now();
  if (rec.valid_from && now < *rec.valid_from) return Match::not_yet_valid;
  if (rec.valid_until && now >= *rec.valid_until) return Match::expired;
  return Match::vip;
}

Status identify_number(const TenantState& t, std::uint64_t generation, std::string_view number, Identification* out);

// A caller whose sealed data does not open: with `damaged`, its id is noted
// and the scan goes on (true); without, *failure names it and the scan stops.
bool note_damaged(const std::string& id, Status error, std::vector<std::string>* damaged, Status* failure) {
  if (damaged != nullptr && error.is_integrity_error()) {
    damaged->push_back(id);
    return true;
  }
  *failure = error.with_context(fmt::format("VIP caller {}", id));
  return false;
}

// The tenant's callers that match `filter`, in id order, each decrypted for
// `visit` until it returns false. Damaged callers: see note_damaged.
Status scan_callers(const TenantState& t, const CallerFilter& filter, const std::function<bool(VipCaller&&)>& visit,
                    std::vector<std::string>* damaged) {
  const detail::TenantKeys& keys = t.ctx->keys();
  const TenantSettings& settings = t.ctx->settings();
  Status failure;
  Status s = t.storage().scan_callers(t.tenant_id(), filter, [&](CallerRecord&& r) {
    VipCaller c;
    if (Status opened = detail::open_caller(r, keys, t.tenant_id(), settings, &c); !opened.ok())
      return note_damaged(r.id, std::move(opened), damaged, &failure);
    return visit(std::move(c));
  });
  return s.ok() ? failure : s;
}

// " (N damaged callers skipped)" for an access entry's outcome, or "".
std::string skipped_note(const std::vector<std::string>* damaged) {
  if (damaged == nullptr || damaged->empty()) return "";
  return fmt::format(", skipped {} damaged", damaged->size());
}

Status check_list_query(const ListQuery& query) {
  if (query.limit < 1 || query.limit > ListQuery::kMaxLimit)
    return Status::invalid_argument("limit", fmt::format("must be 1 to {}", ListQuery::kMaxLimit));
  if (query.search.size() > 256) return Status::invalid_argument("search", "is longer than 256 bytes");
  if (!detail::is_clean_utf8(query.search, false))
    return Status::invalid_argument("search", "must be UTF-8 text without control characters");
  return ok_status();
}

CallerFilter list_filter(const ListQuery& query) {
  CallerFilter filter;
  filter.vip_level = query.vip_level;
  filter.status = query.status;
  return filter;
}

// The names of a list's parameters (never their values), for its access entry.
std::vector<std::string> list_params(const ListQuery& query, std::string_view search) {
  std::vector<std::string> params;
  if (query.vip_level) params.emplace_back("vip_level");
  if (query.status) params.emplace_back("status");
  if (!search.empty()) params.emplace_back("search");
  return params;
}

// Whether a stored caller owns the searched number (when the search reads
// as one), or has a name, company or e-mail that contains the search: those
// are opened into *text.
Result<bool> matches_search(const TenantState& t, const CallerRecord& r, const std::optional<PhoneHash>& phone,
                            std::string_view search, std::string* text) {
  if (phone)
    for (const StoredPhone& p : r.phones)
      if (detail::same_hash(p.hash, *phone)) return true;
  const std::pair<std::string_view, const Sealed*> fields[] = {
      {"caller_name", &r.caller_name}, {"company_name", &r.company_name}, {"email", &r.email}};
  for (const auto& [field, sealed] : fields) {
    if (sealed->empty()) continue;
    if (Status opened = detail::open(t.ctx->keys(), t.tenant_id(), r.id, field, *sealed, text); !opened.ok())
      return opened;
    if (detail::icontains(*text, search)) return true;
  }
  return false;
}

// A page of the callers that match a search: the first query.skip matches
// are passed over, at most query.limit kept. Names, companies and e-mails
// are sealed, so the search runs here, over the tenant's callers, not in the
// storage: its cost grows with the tenant. Damaged callers: see note_damaged.
Status search_callers(const TenantState& t, const ListQuery& query, std::string_view search,
                      std::vector<std::string>* damaged, std::vector<VipCaller>* out) {
  // A search that reads as a phone number also matches the callers who own it.
  std::optional<PhoneHash> phone;
  if (PhoneNumber n; t.ctx->plan().normalize(search, &n, "search").ok()) {
    phone.emplace();
    detail::hash_phone(t.ctx->keys(), n.e164(), &*phone);
  }
  std::uint64_t skipped = 0;
  std::string text;
  Status failure;
  Status s = t.storage().scan_callers(t.tenant_id(), list_filter(query), [&](CallerRecord&& r) {
    auto hit = matches_search(t, r, phone, search, &text);
    if (!hit.ok()) return note_damaged(r.id, hit.status(), damaged, &failure);
    if (!*hit) return true;
    if (skipped < query.skip) {
      ++skipped;
      return true;
    }
    VipCaller c;
    if (Status opened = detail::open_caller(r, t.ctx->keys(), t.tenant_id(), t.ctx->settings(), &c); !opened.ok())
      return note_damaged(r.id, std::move(opened), damaged, &failure);
    out->push_back(std::move(c));
    return out->size() < query.limit;
  });
  sodium_memzero(text.data(), text.size());  // the last decrypted name, company or e-mail
  return s.ok() ? failure : s;
}

void reset(Identification* out) noexcept {
  out->is_vip = false;
  out->match = Match::not_found;
  out->routing_priority = 0;
  CallerSummary& c = out->caller;
  c.id.clear();
  c.caller_name.clear();
  c.custom_greeting.clear();
  c.preferred_agent_id.clear();
  c.preferred_department_id.clear();
  c.vip_level = Level::standard;
  c.handling_rules = HandlingRules();
  c.max_wait_time = 0;
  c.callback_priority = 1;
}

}  // namespace

Tenant::Tenant(std::shared_ptr<const TenantState> state) noexcept : state_(std::move(state)) {}

const std::string& Tenant::id() const noexcept { return state_->tenant_id(); }
const Actor& Tenant::actor() const noexcept { return state_->actor; }

Result<VipCaller> Tenant::create(const NewCaller& caller) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::create_caller); !s.ok()) return s;
  auto valid = detail::validate_new_caller(caller, detail::number_rules(t));
  if (!valid.ok()) return valid.status();
  const Timestamp now = t.db->now();
  std::vector<CallerRecord> records;
  records.push_back(detail::seal_new_caller(*valid, t.ctx->keys(), t.tenant_id(), detail::new_uuid(), now));
  const CallerRecord& r = records.front();

  auto txn = t.storage().begin_write();
  if (!txn.ok()) return txn.status();
  if (Status s = detail::check_phones_free(**txn, t.tenant_id(), r, nullptr); !s.ok()) return s;
  if (Status s = (*txn)->insert_callers(t.tenant_id(), records); !s.ok()) return s;
  const auto entry = detail::audit_entry(t, now, "create", "vip_caller", r.id, detail::field_names(caller), "ok");
  if (Status s = detail::commit_with_audit(**txn, entry); !s.ok()) return s;

  VipCaller out;
  if (Status s = detail::open_caller(r, t.ctx->keys(), t.tenant_id(), t.ctx->settings(), &out); !s.ok()) return s;
  return out;
}

Result<VipCaller> Tenant::get(std::string_view id) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::read_caller); !s.ok()) return s;
  auto cid = detail::canonical_caller_id(id);
  if (!cid.ok()) return cid.status();
  auto record = detail::read_caller(t, *cid);
  if (!record.ok()) return record.status();
  VipCaller out;
  if (Status s = detail::open_caller(*record, t.ctx->keys(), t.tenant_id(), t.ctx->settings(), &out); !s.ok())
    return s;
  if (Status s = detail::log_access(t, "read", *cid, detail::caller_fields(), "ok"); !s.ok()) return s;
  return out;
}

Result<VipCaller> Tenant::update(std::string_view id, const CallerUpdate& update) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::update_caller); !s.ok()) return s;
  auto cid = detail::canonical_caller_id(id);
  if (!cid.ok()) return cid.status();
  std::vector<std::string> fields = update.field_names();
  if (fields.empty()) return Status::invalid_argument("update", "sets no field");

  auto txn = t.storage().begin_write();
  if (!txn.ok()) return txn.status();
  auto record = (*txn)->get_caller(t.tenant_id(), *cid);
  if (!record.ok()) return record.status();
  if (!*record) return not_found(t, *cid);
  CallerRecord r = std::move(**record);
  const Timestamp now = t.db->now();
  if (Status s = detail::apply_update(update, detail::number_rules(t), t.ctx->keys(), t.tenant_id(), now, &r); !s.ok())
    return s;
  if (Status s = detail::check_phones_free(**txn, t.tenant_id(), r, &r.id); !s.ok()) return s;
  if (Status s = (*txn)->replace_caller(t.tenant_id(), r); !s.ok()) return s;
  const auto entry = detail::audit_entry(t, now, "update", "vip_caller", r.id, std::move(fields), "ok");
  if (Status s = detail::commit_with_audit(**txn, entry); !s.ok()) return s;

  VipCaller out;
  if (Status s = detail::open_caller(r, t.ctx->keys(), t.tenant_id(), t.ctx->settings(), &out); !s.ok()) return s;
  return out;
}

Status Tenant::remove(std::string_view id) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::delete_caller); !s.ok()) return s;
  auto cid = detail::canonical_caller_id(id);
  if (!cid.ok()) return cid.status();
  auto txn = t.storage().begin_write();
  if (!txn.ok()) return txn.status();
  if (Status s = (*txn)->delete_caller(t.tenant_id(), *cid); !s.ok())
    return s.is_not_found() ? not_found(t, *cid) : s;
  const auto entry = detail::audit_entry(t, t.db->now(), "delete", "vip_caller", *cid, {}, "ok");
  return detail::commit_with_audit(**txn, entry);
}

Result<std::vector<VipCaller>> Tenant::list(const ListQuery& query) const { return list(query, nullptr); }

Result<std::vector<VipCaller>> Tenant::list(const ListQuery& query, std::vector<std::string>* damaged) const {
  const TenantState& t = *state_;
  if (damaged != nullptr) damaged->clear();
  if (Status s = t.authorize(Operation::list_callers); !s.ok()) return s;
  if (Status s = check_list_query(query); !s.ok()) return s;
  const std::string_view search = detail::trim(query.search);
  std::vector<VipCaller> out;
  Status s;
  if (search.empty()) {
    CallerFilter filter = list_filter(query);
    filter.offset = query.skip;
    filter.limit = query.limit;
    s = scan_callers(
        t, filter,
        [&out](VipCaller&& c) {
          out.push_back(std::move(c));
          return true;
        },
        damaged);
  } else {
    s = search_callers(t, query, search, damaged, &out);
  }
  if (!s.ok()) return s;
  // The access entry names the query's parameters, never their values.
  if (Status logged = detail::log_access(t, "list", "", list_params(query, search),
                                         fmt::format("returned {} callers{}", out.size(), skipped_note(damaged)));
      !logged.ok())
    return logged;
  return out;
}

Status Tenant::for_each_caller(const std::function<bool(const VipCaller&)>& visit) const {
  return for_each_caller(visit, nullptr);
}

Status Tenant::for_each_caller(const std::function<bool(const VipCaller&)>& visit,
                               std::vector<std::string>* damaged) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::list_callers); !s.ok()) return s;
  if (!visit) return Status::invalid_argument("visit", "is empty");
  if (damaged != nullptr) damaged->clear();
  std::uint64_t visited = 0;
  Status s = scan_callers(
      t, CallerFilter{},
      [&](VipCaller&& c) {
        ++visited;
        return visit(c);
      },
      damaged);
  if (!s.ok()) return s;
  return detail::log_access(t, "export", "", {},
                            fmt::format("returned {} callers{}", visited, skipped_note(damaged)));
}

Status Tenant::identify(std::string_view number, Identification* out) const {
  if (out == nullptr) return Status::invalid_argument("out", "is null");
  const TenantState& t = *state_;
  std::uint64_t generation = 0;
  if (Status s = t.authorize(Operation::identify, &generation); !s.ok()) {
    reset(out);
    return s;
  }
  detail::TenantCounters::IdentifyStripe& counters = t.ctx->counters().identify_stripe();
  Status s = identify_number(t, generation, number, out);
  if (!s.ok()) detail::TenantCounters::add(counters.failed);
  else if (!out->is_vip) detail::TenantCounters::add(counters.not_vip);
  else {
    detail::TenantCounters::add(counters.matched);
    detail::TenantCounters::add(counters.by_level[static_cast<std::size_t>(out->caller.vip_level)]);
  }
  // A person looking a number up is an access to log; the PBX's lookups
  // (SYSTEM) are only counted, log_access returns at once for them.
  if (s.ok() && t.actor.role != Role::system) {
    s = detail::log_access(t, "identify", out->caller.id, out->is_vip ? detail::caller_fields() : std::vector<std::string>{},
                           std::string(to_string(out->match)));
    if (!s.ok()) reset(out);
  }
  return s;
}

namespace {

// The tenant's cache at `generation` (0: not to be used), else the storage,
// whose answer is then cached.
// The record of the VIP who owns `hash`, from the cache or the storage.
// With CacheHit::opened, the name and greeting are in `c` already.
Status find_owner(const TenantState& t, std::uint64_t generation, const PhoneHash& hash, IdentifyRecord* rec,
                  bool* found, CallerSummary* c, detail::CacheHit* hit) {
  if (generation != 0) {
    *hit = t.ctx->cache().find(hash, generation, rec, found, &c->caller_name, &c->custom_greeting);
    if (*hit != detail::CacheHit::none) {
      detail::TenantCounters::add(t.ctx->counters().identify_stripe().cache_hits);
      return ok_status();
    }
  }
  if (Status s = t.storage().find_by_phone(t.tenant_id(), hash, rec, found); !s.ok()) return s;
  // Level, status, rules, window...: the clear fields must be the ones vipcore wrote.
  if (*found && !detail::integrity_ok(t.ctx->keys(), *rec)) return detail::tampered_caller(rec->caller_id);
  return ok_status();
}

Status identify_number(const TenantState& t, std::uint64_t generation, std::string_view number, Identification* out) {
  reset(out);
  PhoneNumber n;
  if (Status s = t.ctx->plan().normalize(number, &n, "phone_number"); !s.ok()) return s;
  const detail::TenantKeys& keys = t.ctx->keys();
  PhoneHash hash;
  detail::hash_phone(keys, n.e164(), &hash);
  // The cache is validated by the number's own generation: changes to other
  // callers, the settings or the rules leave its entry valid.
  if (generation != 0) generation = t.storage().number_generation(t.tenant_id(), hash);

  // One record per thread, so that its strings keep their capacity.
  thread_local IdentifyRecord rec;
  bool found = false;
  CallerSummary& c = out->caller;
  auto hit = detail::CacheHit::none;
  if (Status s = find_owner(t, generation, hash, &rec, &found, &c, &hit); !s.ok()) return s;
  // Read from the storage: cached once known to be current (generation != 0).
  const bool fresh = hit == detail::CacheHit::none && generation != 0;
  if (found) {
    c.id.assign(rec.caller_id);
    out->match = evaluate(rec, *t.db->clock);
  }
  if (out->match != Match::vip) {
    c.caller_name.clear();  // set by an opened hit
    c.custom_greeting.clear();
    if (fresh) t.ctx->cache().store(hash, generation, found ? &rec : nullptr);
    return ok_status();
  }

  if (hit != detail::CacheHit::opened) {
    Status s = detail::open(keys, t.tenant_id(), rec.caller_id, "caller_name", rec.caller_name, &c.caller_name);
    if (s.ok() && !rec.custom_greeting.empty())
      s = detail::open(keys, t.tenant_id(), rec.caller_id, "custom_greeting", rec.custom_greeting,
                       &c.custom_greeting);
    if (!s.ok()) {
      reset(out);
      return s;
    }
  }
  if (fresh) t.ctx->cache().store(hash, generation, &rec, &c.caller_name, &c.custom_greeting);
  const TenantSettings& settings = t.ctx->settings();
  c.vip_level = rec.vip_level;
  c.handling_rules = rec.handling_rules;
  c.preferred_agent_id.assign(rec.preferred_agent_id);
  c.preferred_department_id.assign(rec.preferred_department_id);
  c.max_wait_time = rec.max_wait_time.value_or(settings.level_waits[static_cast<std::size_t>(rec.vip_level)]);
  c.callback_priority = rec.callback_priority;
  out->is_vip = true;
  out->routing_priority = vipcore::routing_priority(rec.vip_level, rec.handling_rules, settings.priority);
  return ok_status();
}

}  // namespace

Result<Identification> Tenant::identify(std::string_view number) const {
  Identification out;
  if (Status s = identify(number, &out); !s.ok()) return s;
  return out;
}

int Tenant::routing_priority(Level level, HandlingRules rules) const noexcept {
  return vipcore::routing_priority(level, rules, state_->fresh_settings().priority);
}

Result<TenantSettings> Tenant::settings() const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::read_settings); !s.ok()) return s;
  return detail::load_settings(t.storage(), t.tenant_id(), t.db->default_region);
}

Status Tenant::update_settings(const TenantSettings& wanted) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::update_settings); !s.ok()) return s;
  if (Status s = wanted.validate(); !s.ok()) return s;
  auto current = detail::load_settings(t.storage(), t.tenant_id(), t.db->default_region);
  if (!current.ok()) return current.status();
  TenantSettings settings = wanted;
  if (settings.region.empty()) settings.region = current->region;
  settings.region = PhoneNormalizer::for_region(settings.region)->region();  // canonical case
  std::vector<std::string> fields = detail::changed_settings(*current, settings);
  auto txn = t.storage().begin_write();
  if (!txn.ok()) return txn.status();
  if (Status s = (*txn)->put_meta(t.tenant_id(), detail::kSettingsKey, detail::encode_settings(settings)); !s.ok())
    return s;
  const auto entry = detail::audit_entry(t, t.db->now(), "update_settings", "settings", "", std::move(fields), "ok");
  if (Status s = detail::commit_with_audit(**txn, entry); !s.ok()) return s;
  t.ctx->publish(settings);
  return ok_status();
}

Result<std::vector<AuditEntry>> Tenant::audit(const AuditQuery& query) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::read_audit); !s.ok()) return s;
  if (query.from)
    if (Status s = check_timestamp(*query.from, "from"); !s.ok()) return s;
  if (query.until)
    if (Status s = check_timestamp(*query.until, "until"); !s.ok()) return s;
  return t.storage().query_audit(t.tenant_id(), query);
}

}  // namespace vipcore
