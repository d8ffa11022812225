// Validation of callers and their fields, of tenant and actor ids.
#include "validate.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "numbering.hpp"
#include "text.hpp"

namespace vipcore::detail {
namespace {

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

Status validate_update_fields(const CallerUpdate& u) {
  if (u.caller_name)
    if (Status s = check_name(*u.caller_name); !s.ok()) return s;
  if (u.company_name)
    if (Status s = check_display_text(kCompany, *u.company_name, Limits::kMaxNameBytes, false); !s.ok()) return s;
  if (u.preferred_agent_id)
    if (Status s = check_ref_id("preferred_agent_id", *u.preferred_agent_id); !s.ok()) return s;
  if (u.preferred_department_id)
    if (Status s = check_ref_id("preferred_department_id", *u.preferred_department_id); !s.ok()) return s;
  if (u.custom_greeting)
    if (Status s = check_display_text(kGreeting, *u.custom_greeting, Limits::kMaxGreetingBytes, true); !s.ok())
      return s;
  if (u.max_wait_time)
    if (Status s = check_wait(*u.max_wait_time); !s.ok()) return s;
  if (u.callback_priority)
    if (Status s = check_callback_priority(*u.callback_priority); !s.ok()) return s;
  if (u.email)
    if (Status s = check_email(*u.email); !s.ok()) return s;
  if (u.account_number)
    if (Status s = check_text(kAccountNumber, *u.account_number, Limits::kMaxAccountNumberBytes, false); !s.ok())
      return s;
  if (u.account_value)
    if (Status s = check_account_value(*u.account_value); !s.ok()) return s;
  if (u.notes)
    if (Status s = check_text(kNotes, *u.notes, Limits::kMaxNotesBytes, true); !s.ok()) return s;
  if (u.tags)
    if (Status s = check_tags(*u.tags); !s.ok()) return s;
  return ok_status();
}

Status validate_record(const CallerRecord& r) {
  if (Status s = check_window(r.valid_from, r.valid_until); !s.ok()) return s;
  return check_rule_requirements(r.handling_rules, !r.custom_greeting.empty());
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

}  // namespace vipcore::detail
