#include "validate.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <charconv>
#include <cmath>
#include <set>

#include "numbering.hpp"
#include "tenant_ops.hpp"
#include "text.hpp"

namespace vipcore::detail {
namespace {

// The names of sealed fields double as their associated-data labels.
constexpr std::string_view kName = "caller_name";
constexpr std::string_view kCompany = "company_name";
constexpr std::string_view kEmail = "email";
constexpr std::string_view kAccountNumber = "account_number";
constexpr std::string_view kAccountValue = "account_value";
constexpr std::string_view kNotes = "notes";
constexpr std::string_view kGreeting = "custom_greeting";

Status check_text(std::string_view field, std::string_view value, std::size_t max, bool allow_newlines) {
  if (value.size() > max) return Status::invalid_argument(field, fmt::format("is longer than {} bytes", max));
  if (!is_clean_utf8(value, allow_newlines))
    return Status::invalid_argument(field, "must be UTF-8 text without control characters");
  return ok_status();
}

// Text shown to people in tables and on the PBX: no invisible characters
// that reorder or hide what is displayed around them.
Status check_display_text(std::string_view field, std::string_view value, std::size_t max, bool allow_newlines) {
  if (Status s = check_text(field, value, max, allow_newlines); !s.ok()) return s;
  if (has_invisible_controls(value))
    return Status::invalid_argument(field, "must not contain bidirectional control characters (U+200E, U+200F, "
                                           "U+202A-U+202E, U+2066-U+2069, U+061C) or other invisible controls");
  return ok_status();
}

Status check_name(std::string_view value) {
  if (trim(value).empty()) return Status::invalid_argument(kName, "must not be empty");
  return check_display_text(kName, value, Limits::kMaxNameBytes, false);
}

Status check_email(std::string_view value) {
  if (value.empty()) return ok_status();
  return validate_email(kEmail, value);
}

}  // namespace

Status validate_text(std::string_view field, std::string_view value, std::size_t max, bool allow_newlines) {
  return check_text(field, value, max, allow_newlines);
}

Status validate_display_text(std::string_view field, std::string_view value, std::size_t max, bool allow_newlines) {
  return check_display_text(field, value, max, allow_newlines);
}

Status validate_email(std::string_view field, std::string_view value) {
  if (value.empty()) return Status::invalid_argument(field, "is empty");
  if (Status s = check_text(field, value, Limits::kMaxEmailBytes, false); !s.ok()) return s;
  const std::size_t at = value.find('@');
  if (at == std::string_view::npos || at == 0 || value.find('@', at + 1) != std::string_view::npos)
    return Status::invalid_argument(field, "is not an e-mail address (expected name@domain)");
  if (at > 64) return Status::invalid_argument(field, "has a local part longer than 64 characters");
  const std::string_view local = value.substr(0, at);
  const std::string_view domain = value.substr(at + 1);
  for (char c : local)
    if (c == ' ' || c == '"' || c == '(' || c == ')' || c == ',' || c == ':' || c == ';' || c == '<' || c == '>' ||
        c == '[' || c == ']' || c == '\\')
      return Status::invalid_argument(field, "has a character not allowed before the '@'");
  if (domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos)
    return Status::invalid_argument(field, "has no valid domain after the '@' (expected e.g. example.com)");
  for (char c : domain) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || static_cast<unsigned char>(c) >= 0x80;
    if (!ok) return Status::invalid_argument(field, "has a character not allowed in a domain name");
  }
  return ok_status();
}

namespace {

Status check_ref_id(std::string_view field, std::string_view value) {
  if (Status s = check_text(field, value, Limits::kMaxIdBytes, false); !s.ok()) return s;
  if (trim(value).size() != value.size())
    return Status::invalid_argument(field, "must not start or end with whitespace");
  return ok_status();
}

Status check_wait(const std::optional<int>& wait) {
  if (wait && (*wait < 1 || *wait > Limits::kMaxWaitSeconds))
    return Status::invalid_argument("max_wait_time",
                                    fmt::format("must be 1 to {} seconds, got {}", Limits::kMaxWaitSeconds, *wait));
  return ok_status();
}

Status check_callback_priority(int p) {
  if (p < 1 || p > Limits::kMaxCallbackPriority)
    return Status::invalid_argument("callback_priority",
                                    fmt::format("must be 1 (first) to {}, got {}", Limits::kMaxCallbackPriority, p));
  return ok_status();
}

Status check_account_value(const std::optional<double>& v) {
  if (!v) return ok_status();
  if (!std::isfinite(*v)) return Status::invalid_argument(kAccountValue, "must be a finite number");
  if (*v < 0) return Status::invalid_argument(kAccountValue, "must not be negative");
  if (*v > Limits::kMaxAccountValue) return Status::invalid_argument(kAccountValue, "is implausibly large (over 1e15)");
  return ok_status();
}

Status check_tags(const std::vector<std::string>& tags) {
  if (tags.size() > Limits::kMaxTags)
    return Status::invalid_argument("tags", fmt::format("at most {} tags", Limits::kMaxTags));
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const std::string field = fmt::format("tags[{}]", i);
    if (trim(tags[i]).empty()) return Status::invalid_argument(field, "must not be empty");
    if (Status s = check_text(field, tags[i], Limits::kMaxTagBytes, false); !s.ok()) return s;
    if (!seen.insert(tags[i]).second) return Status::invalid_argument(field, "repeats an earlier tag");
  }
  return ok_status();
}

Status check_window(const std::optional<Timestamp>& from, const std::optional<Timestamp>& until) {
  if (from)
    if (Status s = check_timestamp(*from, "valid_from"); !s.ok()) return s;
  if (until)
    if (Status s = check_timestamp(*until, "valid_until"); !s.ok()) return s;
  if (from && until && !(*from < *until))
    return Status::invalid_argument("valid_until", "must be later than valid_from");
  return ok_status();
}

// Rules that need a field to be acted on.
// (DEDICATED_AGENT needs no preferred agent: the routing plan says plainly
// that there is none and falls back as for a busy agent.)
Status check_rule_requirements(HandlingRules rules, bool has_greeting) {
  if (rules.has(HandlingRule::custom_greeting) && !has_greeting)
    return Status::invalid_argument(kGreeting, "is required when handling_rules includes CUSTOM_GREETING");
  return ok_status();
}

// Normalizes the primary and alternative numbers; rejects repeats.
Status normalize_numbers(const NumberRules& numbers, std::string_view primary,
                         const std::vector<std::string>* alternatives, std::vector<PhoneNumber>* out) {
  if (alternatives != nullptr && alternatives->size() > Limits::kMaxAlternativeNumbers)
    return Status::invalid_argument("alternative_phone_numbers",
                                    fmt::format("at most {} alternative numbers", Limits::kMaxAlternativeNumbers));
  out->clear();
  PhoneNumber n;
  if (Status s = normalize_for_write(numbers, primary, "phone_number", &n); !s.ok()) return s;
  out->push_back(n);
  if (alternatives == nullptr) return ok_status();
  for (std::size_t i = 0; i < alternatives->size(); ++i) {
    const std::string field = fmt::format("alternative_phone_numbers[{}]", i);
    if (Status s = normalize_for_write(numbers, (*alternatives)[i], field, &n); !s.ok()) return s;
    for (const PhoneNumber& earlier : *out)
      if (earlier == n) return Status::invalid_argument(field, "repeats another of the caller's numbers");
    out->push_back(n);
  }
  return ok_status();
}

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

}  // namespace

Status validate_tenant_id(std::string_view id) {
  if (id.empty()) return Status::invalid_argument("tenant_id", "must not be empty");
  if (id.size() > Limits::kMaxIdBytes)
    return Status::invalid_argument("tenant_id", fmt::format("is longer than {} characters", Limits::kMaxIdBytes));
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '@' || c == '-';
    if (!ok) return Status::invalid_argument("tenant_id", "may contain only letters, digits and . _ : @ -");
  }
  return ok_status();
}

Status validate_actor_id(std::string_view id) {
  if (trim(id).empty()) return Status::invalid_argument("actor.id", "must not be empty");
  return check_text("actor.id", id, Limits::kMaxIdBytes, false);
}

Result<std::string> canonical_caller_id(std::string_view id, std::string_view field) {
  if (!is_uuid(id))
    return Status::invalid_argument(field, "is not a valid id (expected a UUID such as 3f2b8c1e-5d4a-4b6f-9e1d-0c2a7b8e9f10)");
  std::string out(id);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

Status normalize_for_write(const NumberRules& rules, std::string_view input, std::string_view field, PhoneNumber* out) {
  if (Status s = rules.plan.normalize(input, out, field); !s.ok()) return s;
  return check_for_write(*out, input, rules.plan, rules.validation, field);
}

Result<ValidCaller> validate_new_caller(const NewCaller& in, const NumberRules& numbers) {
  ValidCaller v;
  v.input = &in;
  Status checks[] = {
      normalize_numbers(numbers, in.phone_number, &in.alternative_phone_numbers, &v.phones),
      check_name(in.caller_name),
      check_display_text(kCompany, in.company_name, Limits::kMaxNameBytes, false),
      check_ref_id("preferred_agent_id", in.preferred_agent_id),
      check_ref_id("preferred_department_id", in.preferred_department_id),
      check_display_text(kGreeting, in.custom_greeting, Limits::kMaxGreetingBytes, true),
      check_wait(in.max_wait_time),
      check_callback_priority(in.callback_priority.value_or(1)),
      check_email(in.email),
      check_text(kAccountNumber, in.account_number, Limits::kMaxAccountNumberBytes, false),
      check_account_value(in.account_value),
      check_text(kNotes, in.notes, Limits::kMaxNotesBytes, true),
      check_tags(in.tags),
      check_window(in.valid_from, in.valid_until),
      check_rule_requirements(in.handling_rules, !in.custom_greeting.empty()),
  };
  for (Status& s : checks)
    if (!s.ok()) return std::move(s);
  return v;
}

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
  const std::string& id = r->id;
  // Never re-tag fields someone changed outside vipcore.
  if (!integrity_ok(keys, *r)) return tampered_caller(id);
  if (u.phone_number || u.alternative_phone_numbers) {
    std::vector<StoredPhone> phones;
    std::vector<PhoneNumber> numbers;
    if (u.phone_number) {
      if (Status s = normalize_numbers(number_rules, *u.phone_number, nullptr, &numbers); !s.ok()) return s;
      phones.push_back(store_phone(keys, numbers[0]));
    } else {
      phones.push_back(r->phones.at(0));
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
          if (same_hash(earlier.hash, p.hash)) return Status::invalid_argument(field, "repeats another of the caller's numbers");
        phones.push_back(std::move(p));
      }
    } else {
      for (std::size_t i = 1; i < r->phones.size(); ++i) {
        if (same_hash(r->phones[i].hash, phones[0].hash))
          return Status::invalid_argument("phone_number", "is already one of the caller's alternative numbers");
        phones.push_back(r->phones[i]);
      }
    }
    r->phones = std::move(phones);
  }
  if (u.caller_name) {
    if (Status s = check_name(*u.caller_name); !s.ok()) return s;
    r->caller_name = seal(keys, tenant_id, id, kName, *u.caller_name);
  }
  if (u.company_name) {
    if (Status s = check_display_text(kCompany, *u.company_name, Limits::kMaxNameBytes, false); !s.ok()) return s;
    r->company_name = seal_optional(keys, tenant_id, id, kCompany, *u.company_name);
  }
  if (u.vip_level) r->vip_level = *u.vip_level;
  if (u.status) r->status = *u.status;
  if (u.preferred_agent_id) {
    if (Status s = check_ref_id("preferred_agent_id", *u.preferred_agent_id); !s.ok()) return s;
    r->preferred_agent_id = *u.preferred_agent_id;
  }
  if (u.preferred_department_id) {
    if (Status s = check_ref_id("preferred_department_id", *u.preferred_department_id); !s.ok()) return s;
    r->preferred_department_id = *u.preferred_department_id;
  }
  if (u.handling_rules) r->handling_rules = *u.handling_rules;
  if (u.custom_greeting) {
    if (Status s = check_display_text(kGreeting, *u.custom_greeting, Limits::kMaxGreetingBytes, true); !s.ok()) return s;
    r->custom_greeting = seal_optional(keys, tenant_id, id, kGreeting, *u.custom_greeting);
  }
  if (u.max_wait_time) {
    if (Status s = check_wait(*u.max_wait_time); !s.ok()) return s;
    r->max_wait_time = *u.max_wait_time;
  }
  if (u.callback_priority) {
    if (Status s = check_callback_priority(*u.callback_priority); !s.ok()) return s;
    r->callback_priority = *u.callback_priority;
  }
  if (u.email) {
    if (Status s = check_email(*u.email); !s.ok()) return s;
    r->email = seal_optional(keys, tenant_id, id, kEmail, *u.email);
  }
  if (u.account_number) {
    if (Status s = check_text(kAccountNumber, *u.account_number, Limits::kMaxAccountNumberBytes, false); !s.ok())
      return s;
    r->account_number = seal_optional(keys, tenant_id, id, kAccountNumber, *u.account_number);
  }
  if (u.account_value) {
    if (Status s = check_account_value(*u.account_value); !s.ok()) return s;
    r->account_value = seal_account_value(keys, tenant_id, id, *u.account_value);
  }
  if (u.notes) {
    if (Status s = check_text(kNotes, *u.notes, Limits::kMaxNotesBytes, true); !s.ok()) return s;
    r->notes = seal_optional(keys, tenant_id, id, kNotes, *u.notes);
  }
  if (u.tags) {
    if (Status s = check_tags(*u.tags); !s.ok()) return s;
    r->tags = *u.tags;
  }
  if (u.valid_from) r->valid_from = *u.valid_from;
  if (u.valid_until) r->valid_until = *u.valid_until;
  if (Status s = check_window(r->valid_from, r->valid_until); !s.ok()) return s;
  if (Status s = check_rule_requirements(r->handling_rules, !r->custom_greeting.empty());
      !s.ok())
    return s;
  r->updated_at = now;
  r->integrity = integrity_tag(keys, *r);
  return ok_status();
}

CallerUpdate update_from_new(const NewCaller& in) {
  CallerUpdate u;
  auto text = [](const std::string& v) { return v.empty() ? std::optional<std::string>() : std::optional(v); };
  u.phone_number = in.phone_number;
  if (!in.alternative_phone_numbers.empty()) u.alternative_phone_numbers = in.alternative_phone_numbers;
  u.caller_name = in.caller_name;
  u.company_name = text(in.company_name);
  u.vip_level = in.vip_level;
  u.status = in.status;
  u.preferred_agent_id = text(in.preferred_agent_id);
  u.preferred_department_id = text(in.preferred_department_id);
  if (!in.handling_rules.empty()) u.handling_rules = in.handling_rules;
  u.custom_greeting = text(in.custom_greeting);
  if (in.max_wait_time) u.max_wait_time = in.max_wait_time;
  u.callback_priority = in.callback_priority;
  u.email = text(in.email);
  u.account_number = text(in.account_number);
  if (in.account_value) u.account_value = in.account_value;
  u.notes = text(in.notes);
  if (!in.tags.empty()) u.tags = in.tags;
  if (in.valid_from) u.valid_from = in.valid_from;
  if (in.valid_until) u.valid_until = in.valid_until;
  return u;
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
