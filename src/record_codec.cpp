// The record codec: sealing a new caller, applying an update to a stored
// record, resealing under a new key version, and opening a record into the
// API type (record_codec.hpp).
#include "record_codec.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <charconv>
#include <utility>
#include <vector>

namespace vipcore::detail {
namespace {

StoredPhone store_phone(const TenantKeys& keys, const PhoneNumber& n) {
  StoredPhone p;
  hash_phone(keys, n.e164(), &p.hash);
  p.masked = n.masked();
  return p;
}

Sealed seal_optional(const TenantKeys& keys, std::string_view tenant_id, std::string_view id, std::string_view field,
                     std::string_view value) {
  return value.empty() ? Sealed() : seal(keys, tenant_id, id, field, value);
}

Sealed seal_account_value(const TenantKeys& keys, std::string_view tenant_id, std::string_view id,
                          const std::optional<double>& v) {
  return v ? seal(keys, tenant_id, id, kAccountValue, fmt::format("{}", *v)) : Sealed();
}

// The stored numbers after an update: the new primary and the new
// alternatives where the update gives them, the stored ones otherwise.
// A number may stand once among a caller's numbers.
Status update_phones(const CallerUpdate& u, const NumberRules& number_rules, const TenantKeys& keys,
                     std::vector<StoredPhone>* stored) {
  if (!u.phone_number && !u.alternative_phone_numbers) return ok_status();
  std::vector<StoredPhone> phones;
  if (u.phone_number) {
    std::vector<PhoneNumber> numbers;
    if (Status s = normalize_numbers(number_rules, *u.phone_number, nullptr, &numbers); !s.ok()) return s;
    phones.push_back(store_phone(keys, numbers[0]));
  } else {
    phones.push_back(stored->at(0));
  }
  if (u.alternative_phone_numbers) {
    const auto& alts = *u.alternative_phone_numbers;
    if (alts.size() > Limits::kMaxAlternativeNumbers)
      return Status::invalid_argument("alternative_phone_numbers",
                                      fmt::format("at most {} alternative numbers", Limits::kMaxAlternativeNumbers));
    for (std::size_t i = 0; i < alts.size(); ++i) {
      const std::string field = fmt::format("alternative_phone_numbers[{}]", i);
      PhoneNumber n;
      if (Status s = normalize_for_write(number_rules, alts[i], field, &n); !s.ok()) return s;
      StoredPhone p = store_phone(keys, n);
      for (const StoredPhone& earlier : phones)
        if (same_hash(earlier.hash, p.hash))
          return Status::invalid_argument(field, "repeats another of the caller's numbers");
      phones.push_back(std::move(p));
    }
  } else {
    for (std::size_t i = 1; i < stored->size(); ++i) {
      if (same_hash((*stored)[i].hash, phones[0].hash))
        return Status::invalid_argument("phone_number", "is already one of the caller's alternative numbers");
      phones.push_back((*stored)[i]);
    }
  }
  *stored = std::move(phones);
  return ok_status();
}

// Sets the fields an update gives (already validated), sealing the sensitive ones.
void set_fields(const CallerUpdate& u, const TenantKeys& keys, std::string_view tenant_id, CallerRecord* r) {
  const std::string& id = r->id;
  if (u.caller_name) r->caller_name = seal(keys, tenant_id, id, kName, *u.caller_name);
  if (u.company_name) r->company_name = seal_optional(keys, tenant_id, id, kCompany, *u.company_name);
  if (u.vip_level) r->vip_level = *u.vip_level;
  if (u.status) r->status = *u.status;
  if (u.preferred_agent_id) r->preferred_agent_id = *u.preferred_agent_id;
  if (u.preferred_department_id) r->preferred_department_id = *u.preferred_department_id;
  if (u.handling_rules) r->handling_rules = *u.handling_rules;
  if (u.custom_greeting) r->custom_greeting = seal_optional(keys, tenant_id, id, kGreeting, *u.custom_greeting);
  if (u.max_wait_time) r->max_wait_time = *u.max_wait_time;
  if (u.callback_priority) r->callback_priority = *u.callback_priority;
  if (u.email) r->email = seal_optional(keys, tenant_id, id, kEmail, *u.email);
  if (u.account_number) r->account_number = seal_optional(keys, tenant_id, id, kAccountNumber, *u.account_number);
  if (u.account_value) r->account_value = seal_account_value(keys, tenant_id, id, *u.account_value);
  if (u.notes) r->notes = seal_optional(keys, tenant_id, id, kNotes, *u.notes);
  if (u.tags) r->tags = *u.tags;
  if (u.valid_from) r->valid_from = *u.valid_from;
  if (u.valid_until) r->valid_until = *u.valid_until;
}

}  // namespace

CallerRecord seal_new_caller(const ValidCaller& v, const TenantKeys& keys, std::string_view tenant_id, std::string id,
                             Timestamp now) {
  const NewCaller& in = *v.input;
  CallerRecord r;
  r.id = std::move(id);
  r.vip_level = in.vip_level.value_or(Level::standard);
  r.status = in.status.value_or(CallerStatus::active);
  r.handling_rules = in.handling_rules;
  r.preferred_agent_id = in.preferred_agent_id;
  r.preferred_department_id = in.preferred_department_id;
  r.max_wait_time = in.max_wait_time;
  r.callback_priority = in.callback_priority.value_or(1);
  r.tags = in.tags;
  r.valid_from = in.valid_from;
  r.valid_until = in.valid_until;
  r.created_at = now;
  r.updated_at = now;
  r.caller_name = seal(keys, tenant_id, r.id, kName, in.caller_name);
  r.company_name = seal_optional(keys, tenant_id, r.id, kCompany, in.company_name);
  r.email = seal_optional(keys, tenant_id, r.id, kEmail, in.email);
  r.account_number = seal_optional(keys, tenant_id, r.id, kAccountNumber, in.account_number);
  r.account_value = seal_account_value(keys, tenant_id, r.id, in.account_value);
  r.notes = seal_optional(keys, tenant_id, r.id, kNotes, in.notes);
  r.custom_greeting = seal_optional(keys, tenant_id, r.id, kGreeting, in.custom_greeting);
  r.phones.reserve(v.phones.size());
  for (const PhoneNumber& n : v.phones) r.phones.push_back(store_phone(keys, n));
  r.integrity = integrity_tag(keys, r);
  return r;
}

Status apply_update(const CallerUpdate& u, const NumberRules& number_rules, const TenantKeys& keys,
                    std::string_view tenant_id, Timestamp now, CallerRecord* r) {
  // Never re-tag fields someone changed outside vipcore.
  if (!integrity_ok(keys, *r)) return tampered_caller(r->id);
  if (Status s = update_phones(u, number_rules, keys, &r->phones); !s.ok()) return s;
  if (Status s = validate_update_fields(u); !s.ok()) return s;
  set_fields(u, keys, tenant_id, r);
  if (Status s = validate_record(*r); !s.ok()) return s;
  r->updated_at = now;
  r->integrity = integrity_tag(keys, *r);
  return ok_status();
}

Result<bool> reseal_caller(CallerRecord& r, const TenantKeys& keys, std::string_view tenant_id) {
  const std::uint32_t current = keys.current_version();
  bool changed = false;
  std::string plain;
  const std::pair<std::string_view, Sealed*> fields[] = {
      {kName, &r.caller_name},     {kCompany, &r.company_name}, {kEmail, &r.email}, {kAccountNumber, &r.account_number},
      {kAccountValue, &r.account_value}, {kNotes, &r.notes},   {kGreeting, &r.custom_greeting}};
  for (const auto& [field, sealed] : fields) {
    if (sealed->empty() || sealed_version(*sealed) == current) continue;
    if (Status s = open(keys, tenant_id, r.id, field, *sealed, &plain); !s.ok()) return s;
    *sealed = seal(keys, tenant_id, r.id, field, plain);
    changed = true;
  }
  sodium_memzero(plain.data(), plain.size());
  return changed;
}

Status tampered_caller(std::string_view id) {
  return Status::integrity_error(fmt::format(
      "caller {}: its level, status, handling rules, preferred agent or department, max wait time, callback "
      "priority or validity window do not match their integrity tag (changed outside vipcore)",
      id));
}

Status open_caller(const CallerRecord& r, const TenantKeys& keys, std::string_view tenant_id,
                   const TenantSettings& settings, VipCaller* out) {
  auto open_optional = [&](std::string_view field, const Sealed& sealed, std::string* value) -> Status {
    if (sealed.empty()) {
      value->clear();
      return ok_status();
    }
    return open(keys, tenant_id, r.id, field, sealed, value);
  };
  if (!integrity_ok(keys, r)) return tampered_caller(r.id);
  out->id = r.id;
  out->tenant_id = std::string(tenant_id);
  if (Status s = open(keys, tenant_id, r.id, kName, r.caller_name, &out->caller_name); !s.ok()) return s;
  const std::pair<std::string_view, std::pair<const Sealed*, std::string*>> fields[] = {
      {kCompany, {&r.company_name, &out->company_name}},
      {kEmail, {&r.email, &out->email}},
      {kAccountNumber, {&r.account_number, &out->account_number}},
      {kNotes, {&r.notes, &out->notes}},
      {kGreeting, {&r.custom_greeting, &out->custom_greeting}},
  };
  for (const auto& [field, io] : fields)
    if (Status s = open_optional(field, *io.first, io.second); !s.ok()) return s;
  std::string value;
  if (Status s = open_optional(kAccountValue, r.account_value, &value); !s.ok()) return s;
  out->account_value.reset();
  if (!value.empty()) {
    double v = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || end != value.data() + value.size())
      return Status::integrity_error("a stored account_value is not a number");
    out->account_value = v;
  }
  out->vip_level = r.vip_level;
  out->status = r.status;
  out->preferred_agent_id = r.preferred_agent_id;
  out->preferred_department_id = r.preferred_department_id;
  out->handling_rules = r.handling_rules;
  out->max_wait_time_is_default = !r.max_wait_time.has_value();
  out->max_wait_time = r.max_wait_time.value_or(settings.level_waits[static_cast<std::size_t>(r.vip_level)]);
  out->callback_priority = r.callback_priority;
  out->tags = r.tags;
  out->total_calls = r.total_calls;
  out->satisfaction_score = r.satisfaction_score;
  out->valid_from = r.valid_from;
  out->valid_until = r.valid_until;
  out->created_at = r.created_at;
  out->updated_at = r.updated_at;
  out->phones.clear();
  for (std::size_t i = 0; i < r.phones.size(); ++i) out->phones.push_back(MaskedPhone{r.phones[i].masked, i == 0});
  return ok_status();
}

}  // namespace vipcore::detail
