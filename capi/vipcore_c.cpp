// The C API: a thin wrapper over the C++ API. Every entry point runs its body
// through guard(), so no exception ever crosses extern "C".
#include "vipcore.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "vipcore/vipcore.hpp"

namespace {

// Calls the integrator's C callback for each escalation notice.
class CNotifier final : public vipcore::Notifier {
 public:
  CNotifier(vipcore_notify_fn fn, void* user_data) : fn_(fn), user_data_(user_data) {}

  vipcore::Status notify(const vipcore::EscalationNotice& n) override {
    const auto pointers = [](const std::vector<std::string>& v) {
      std::vector<const char*> out;
      for (const std::string& s : v) out.push_back(s.c_str());
      return out;
    };
    const std::vector<const char*> emails = pointers(n.rule.notify.emails);
    const std::vector<const char*> sms = pointers(n.rule.notify.sms_numbers);
    const std::vector<const char*> alerts = pointers(n.rule.notify.internal_alerts);
    vipcore_escalation_notice c{};
    c.struct_size = sizeof c;
    c.tenant_id = n.tenant_id.c_str();
    c.call_id = n.call_id.c_str();
    c.rule_id = n.rule.rule_id.c_str();
    c.rule_name = n.rule.rule_name.c_str();
    c.escalation_type = n.rule.escalation_type.c_str();
    c.tier = n.rule.tier;
    c.emails = emails.data();
    c.email_count = emails.size();
    c.sms_numbers = sms.data();
    c.sms_count = sms.size();
    c.internal_alerts = alerts.data();
    c.internal_alert_count = alerts.size();
    c.caller_id = n.caller.id.c_str();
    c.caller_name = n.caller.caller_name.c_str();
    c.vip_level = static_cast<int>(n.caller.vip_level);
    c.wait_seconds = n.wait_seconds;
    c.queue_position = n.queue_position;
    c.at_ms = vipcore::to_unix_ms(n.at);
    const int rc = fn_(user_data_, &c);
    if (rc == 0) return vipcore::ok_status();
    return vipcore::Status::notifier_error("the notifier callback returned " + std::to_string(rc));
  }

 private:
  vipcore_notify_fn fn_;
  void* user_data_;
};

// Reads the integrator's C clock.
class CClock final : public vipcore::Clock {
 public:
  CClock(vipcore_now_fn fn, void* user_data) : fn_(fn), user_data_(user_data) {}
  vipcore::Timestamp now() const noexcept override { return vipcore::from_unix_ms(fn_(user_data_)); }

 private:
  vipcore_now_fn fn_;
  void* user_data_;
};

}  // namespace

struct vipcore_db {
  vipcore::Database db;
};
struct vipcore_tenant {
  vipcore::Tenant tenant;
};
struct vipcore_caller {
  vipcore::VipCaller c;
};
struct vipcore_caller_list {
  std::vector<vipcore_caller> items;
  std::vector<std::string> damaged;  // ids of callers left out: their stored data fails authentication
};
struct vipcore_import_report {
  vipcore::ImportReport r;
};
struct vipcore_rule {
  vipcore::EscalationRule r;
  std::string business_hours;  // r.business_hours in text form, "" when none
};
struct vipcore_rule_list {
  std::vector<vipcore_rule> items;
};
struct vipcore_escalation {
  vipcore::EscalationResult r;
};
struct vipcore_call_list {
  std::vector<vipcore::CallHistoryEntry> items;
};
struct vipcore_alert_list {
  std::vector<vipcore::Alert> items;
};
struct vipcore_audit_list {
  std::vector<vipcore::AuditEntry> items;
  std::vector<std::string> fields;  // each entry's field names, comma-separated
};

namespace {

using vipcore::Result;
using vipcore::Status;
using vipcore::ok_status;

struct LastError {
  std::string message;
  std::string field;
};

LastError& last_error() noexcept {
  thread_local LastError e;
  return e;
}

void remember(const char* message, const char* field) noexcept {
  LastError& e = last_error();
  try {
    e.message = message;
    e.field = field;
  } catch (...) {
    e.message.clear();  // out of memory: an empty message beats none at all
    e.field.clear();
  }
}

int fail(const Status& s) noexcept {
  remember(s.message().c_str(), s.field().c_str());
  return -static_cast<int>(s.code());
}

int fail_invalid(const char* field, const char* what) noexcept {
  std::string message;
  try {
    message = std::string(field) + ": " + what;
  } catch (...) {
  }
  remember(message.c_str(), field);
  return VIPCORE_EINVAL;
}

// Runs `body` (returning an int result code) so that no exception escapes.
template <typename F>
int guard(F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    remember("out of memory", "");
    return VIPCORE_ENOMEM;
  } catch (const std::exception& e) {
    remember(e.what(), "");
    return VIPCORE_EINTERNAL;
  } catch (...) {
    remember("unknown exception inside vipcore", "");
    return VIPCORE_EINTERNAL;
  }
}

// A struct from the caller must reach at least to the end of the fields the
// first version of its header had (VIPCORE_V1_SIZE): a program built against
// a later header passes a larger struct_size and its extra fields are
// ignored; fields added later are read only when they fit in struct_size.
#define VIPCORE_V1_SIZE(type, last_field) (offsetof(type, last_field) + sizeof(static_cast<type*>(nullptr)->last_field))

constexpr std::size_t kCallerInputV1 = VIPCORE_V1_SIZE(vipcore_caller_input, valid_until_ms);
constexpr std::size_t kRuleInputV1 = VIPCORE_V1_SIZE(vipcore_rule_input, business_hours);
constexpr std::size_t kIdentificationV1 = VIPCORE_V1_SIZE(vipcore_identification, preferred_department_id);
constexpr std::size_t kAuditQueryV1 = VIPCORE_V1_SIZE(vipcore_audit_query, limit);
constexpr std::size_t kSettingsV1 = VIPCORE_V1_SIZE(vipcore_settings, alert_min_calls);

template <typename Struct>
int check_input(const Struct* s, std::size_t v1_size, const char* field) noexcept {
  if (s == nullptr) return fail_invalid(field, "is NULL");
  if (s->struct_size < v1_size)
    return fail_invalid(field, "struct_size is too small: initialize it with its _init function");
  return VIPCORE_OK;
}

// Output structs may be smaller (built against an older header): only the
// fields that fit in struct_size are written.
template <typename Struct, typename Field>
bool fits(const Struct* s, const Field* field) noexcept {
  const auto offset = reinterpret_cast<const char*>(field) - reinterpret_cast<const char*>(s);
  return static_cast<std::size_t>(offset) + sizeof(Field) <= s->struct_size;
}

// An output struct from the caller: it must reach the end of its first
// version's fields; what fits in struct_size is zeroed (struct_size kept),
// so that a failure leaves it zeroed as the conventions promise.
template <typename Struct>
int reset_output(Struct* out, std::size_t v1_size, const char* hint) noexcept {
  if (out == nullptr) return fail_invalid("out", "is NULL");
  if (out->struct_size < v1_size) return fail_invalid("out", hint);
  const uint32_t size = out->struct_size;
  std::memset(out, 0, std::min<std::size_t>(size, sizeof *out));
  out->struct_size = size;
  return VIPCORE_OK;
}

// Copies `s` into a fixed buffer, truncating on a UTF-8 boundary if it ever
// had to (validation keeps fields within these sizes).
void copy_out(char* dst, std::size_t size, const std::string& s) noexcept {
  std::size_t n = s.size() < size - 1 ? s.size() : size - 1;
  while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

std::string text(const char* s) { return s == nullptr ? std::string() : std::string(s); }

Status strings(const char* const* items, std::size_t count, const char* field, std::vector<std::string>* out) {
  out->clear();
  if (count == 0) return ok_status();
  if (items == nullptr) return Status::invalid_argument(field, "is NULL but its count is not 0");
  for (std::size_t i = 0; i < count; ++i) {
    if (items[i] == nullptr) return Status::invalid_argument(field, "holds a NULL string");
    out->emplace_back(items[i]);
  }
  return ok_status();
}

Status level_of(int value, const char* field, vipcore::Level* out) {
  if (value < 0 || value >= vipcore::kLevelCount) return Status::invalid_argument(field, "is not a vipcore_level");
  *out = static_cast<vipcore::Level>(value);
  return ok_status();
}

Status status_of(int value, vipcore::CallerStatus* out) {
  if (value < 0 || value > 2) return Status::invalid_argument("status", "is not a vipcore_status");
  *out = static_cast<vipcore::CallerStatus>(value);
  return ok_status();
}

std::optional<vipcore::Timestamp> time_of(int64_t ms) {
  if (ms == 0) return std::nullopt;
  return vipcore::from_unix_ms(ms);
}
int64_t ms_of(const std::optional<vipcore::Timestamp>& t) { return t ? vipcore::to_unix_ms(*t) : 0; }

Status to_new_caller(const vipcore_caller_input& in, vipcore::NewCaller* out) {
  out->phone_number = text(in.phone_number);
  if (Status s = strings(in.alternative_phone_numbers, in.alternative_phone_count, "alternative_phone_numbers",
                         &out->alternative_phone_numbers);
      !s.ok())
    return s;
  out->caller_name = text(in.caller_name);
  out->company_name = text(in.company_name);
  if (in.vip_level != -1) {
    vipcore::Level l = vipcore::Level::standard;
    if (Status s = level_of(in.vip_level, "vip_level", &l); !s.ok()) return s;
    out->vip_level = l;
  }
  if (in.status != -1) {
    vipcore::CallerStatus st = vipcore::CallerStatus::active;
    if (Status s = status_of(in.status, &st); !s.ok()) return s;
    out->status = st;
  }
  out->preferred_agent_id = text(in.preferred_agent_id);
  out->preferred_department_id = text(in.preferred_department_id);
  out->handling_rules = vipcore::HandlingRules::from_bits(in.handling_rules);
  if (in.handling_rules >= (1u << vipcore::kHandlingRuleCount))
    return Status::invalid_argument("handling_rules", "has bits that name no handling rule");
  out->custom_greeting = text(in.custom_greeting);
  if (in.max_wait_time != 0) out->max_wait_time = in.max_wait_time;
  if (in.callback_priority != 0) out->callback_priority = in.callback_priority;
  out->email = text(in.email);
  out->account_number = text(in.account_number);
  if (in.has_account_value) out->account_value = in.account_value;
  out->notes = text(in.notes);
  if (Status s = strings(in.tags, in.tag_count, "tags", &out->tags); !s.ok()) return s;
  out->valid_from = time_of(in.valid_from_ms);
  out->valid_until = time_of(in.valid_until_ms);
  return ok_status();
}

Status to_update(const vipcore_caller_input& in, vipcore::CallerUpdate* u) {
  const uint32_t f = in.fields;
  if (f >= (1u << 19)) return Status::invalid_argument("fields", "has bits that name no field");
  if (f & VIPCORE_FIELD_PHONE_NUMBER) u->phone_number = text(in.phone_number);
  if (f & VIPCORE_FIELD_ALTERNATIVE_PHONE_NUMBERS) {
    u->alternative_phone_numbers.emplace();
    if (Status s = strings(in.alternative_phone_numbers, in.alternative_phone_count, "alternative_phone_numbers",
                           &*u->alternative_phone_numbers);
        !s.ok())
      return s;
  }
  if (f & VIPCORE_FIELD_CALLER_NAME) u->caller_name = text(in.caller_name);
  if (f & VIPCORE_FIELD_COMPANY_NAME) u->company_name = text(in.company_name);
  if (f & VIPCORE_FIELD_VIP_LEVEL) {
    vipcore::Level l = vipcore::Level::standard;
    if (Status s = level_of(in.vip_level, "vip_level", &l); !s.ok()) return s;
    u->vip_level = l;
  }
  if (f & VIPCORE_FIELD_STATUS) {
    vipcore::CallerStatus st = vipcore::CallerStatus::active;
    if (Status s = status_of(in.status, &st); !s.ok()) return s;
    u->status = st;
  }
  if (f & VIPCORE_FIELD_PREFERRED_AGENT_ID) u->preferred_agent_id = text(in.preferred_agent_id);
  if (f & VIPCORE_FIELD_PREFERRED_DEPARTMENT_ID) u->preferred_department_id = text(in.preferred_department_id);
  if (f & VIPCORE_FIELD_HANDLING_RULES) {
    if (in.handling_rules >= (1u << vipcore::kHandlingRuleCount))
      return Status::invalid_argument("handling_rules", "has bits that name no handling rule");
    u->handling_rules = vipcore::HandlingRules::from_bits(in.handling_rules);
  }
  if (f & VIPCORE_FIELD_CUSTOM_GREETING) u->custom_greeting = text(in.custom_greeting);
  if (f & VIPCORE_FIELD_MAX_WAIT_TIME)
    u->max_wait_time = in.max_wait_time == 0 ? std::optional<int>() : std::optional<int>(in.max_wait_time);
  if (f & VIPCORE_FIELD_CALLBACK_PRIORITY) u->callback_priority = in.callback_priority == 0 ? 1 : in.callback_priority;
  if (f & VIPCORE_FIELD_EMAIL) u->email = text(in.email);
  if (f & VIPCORE_FIELD_ACCOUNT_NUMBER) u->account_number = text(in.account_number);
  if (f & VIPCORE_FIELD_ACCOUNT_VALUE)
    u->account_value = in.has_account_value ? std::optional<double>(in.account_value) : std::nullopt;
  if (f & VIPCORE_FIELD_NOTES) u->notes = text(in.notes);
  if (f & VIPCORE_FIELD_TAGS) {
    u->tags.emplace();
    if (Status s = strings(in.tags, in.tag_count, "tags", &*u->tags); !s.ok()) return s;
  }
  if (f & VIPCORE_FIELD_VALID_FROM) u->valid_from = time_of(in.valid_from_ms);
  if (f & VIPCORE_FIELD_VALID_UNTIL) u->valid_until = time_of(in.valid_until_ms);
  return ok_status();
}

Status to_rule(const vipcore_rule_input& in, vipcore::EscalationRule* r) {
  r->name = text(in.name);
  if (in.level_mask >= (1u << vipcore::kLevelCount)) return Status::invalid_argument("vip_levels", "has bits that name no level");
  for (int l = 0; l < vipcore::kLevelCount; ++l)
    if (in.level_mask & (1u << l)) r->vip_levels.push_back(static_cast<vipcore::Level>(l));
  if (in.max_wait_time != -1) r->max_wait_time = in.max_wait_time;
  if (in.max_queue_position != -1) r->max_queue_position = in.max_queue_position;
  if (in.escalation_type != nullptr) r->escalation_type = in.escalation_type;
  r->tier = in.tier;
  if (Status s = strings(in.emails, in.email_count, "notify.emails", &r->notify.emails); !s.ok()) return s;
  if (Status s = strings(in.sms_numbers, in.sms_count, "notify.sms_numbers", &r->notify.sms_numbers); !s.ok()) return s;
  if (Status s = strings(in.internal_alerts, in.internal_alert_count, "notify.internal_alerts",
                         &r->notify.internal_alerts);
      !s.ok())
    return s;
  r->is_active = in.is_active != 0;
  r->priority = in.priority;
  if (in.schedule < 0 || in.schedule > 2) return Status::invalid_argument("schedule", "is not a vipcore_schedule");
  r->schedule = static_cast<vipcore::RuleSchedule>(in.schedule);
  if (in.business_hours != nullptr) {
    auto hours = vipcore::parse_weekly_hours(in.business_hours);
    if (!hours.ok()) return hours.status();
    r->business_hours = *hours;
  }
  return ok_status();
}

Status to_rule_update(const vipcore_rule_input& in, vipcore::EscalationRuleUpdate* u) {
  if (in.fields >= (1u << 11)) return Status::invalid_argument("fields", "has bits that name no field");
  vipcore::EscalationRule r;
  if (Status s = to_rule(in, &r); !s.ok()) return s;
  const uint32_t f = in.fields;
  if (f & VIPCORE_RULE_FIELD_NAME) u->name = r.name;
  if (f & VIPCORE_RULE_FIELD_VIP_LEVELS) u->vip_levels = r.vip_levels;
  if (f & VIPCORE_RULE_FIELD_MAX_WAIT_TIME) u->max_wait_time = r.max_wait_time;
  if (f & VIPCORE_RULE_FIELD_MAX_QUEUE_POSITION) u->max_queue_position = r.max_queue_position;
  if (f & VIPCORE_RULE_FIELD_ESCALATION_TYPE) u->escalation_type = r.escalation_type;
  if (f & VIPCORE_RULE_FIELD_TIER) u->tier = r.tier;
  if (f & VIPCORE_RULE_FIELD_NOTIFY) u->notify = r.notify;
  if (f & VIPCORE_RULE_FIELD_IS_ACTIVE) u->is_active = r.is_active;
  if (f & VIPCORE_RULE_FIELD_PRIORITY) u->priority = r.priority;
  if (f & VIPCORE_RULE_FIELD_SCHEDULE) u->schedule = r.schedule;
  if (f & VIPCORE_RULE_FIELD_BUSINESS_HOURS) u->business_hours = r.business_hours;
  return ok_status();
}

// A vipcore_identification back into the C++ type, for routing.
Status to_identification(const vipcore_identification& in, vipcore::Identification* out) {
  if (in.match < 0 || in.match > 5) return Status::invalid_argument("who.match", "is not a vipcore_match");
  out->is_vip = in.is_vip != 0;
  out->match = static_cast<vipcore::Match>(in.match);
  out->routing_priority = in.routing_priority;
  if (out->is_vip) {
    if (Status s = level_of(in.level, "who.level", &out->caller.vip_level); !s.ok()) return s;
  }
  out->caller.handling_rules = vipcore::HandlingRules::from_bits(in.handling_rules);
  out->caller.max_wait_time = in.max_wait_time;
  out->caller.callback_priority = in.callback_priority;
  out->caller.id = in.caller_id;
  out->caller.caller_name = in.caller_name;
  out->caller.custom_greeting = in.custom_greeting;
  out->caller.preferred_agent_id = in.preferred_agent_id;
  out->caller.preferred_department_id = in.preferred_department_id;
  return ok_status();
}

void fill_stats(const vipcore::CallStats& s, vipcore_call_stats* out) {
  const auto opt = [](const std::optional<double>& v) { return v ? *v : -1.0; };
  out->calls = s.calls;
  out->wait_average = s.wait.average;
  out->wait_max = s.wait.max;
  out->wait_p50 = s.wait.p50;
  out->wait_p90 = s.wait.p90;
  out->sla_met = s.sla_met;
  out->sla_met_rate = opt(s.sla_met_rate);
  out->escalations = s.escalations;
  out->escalation_rate = opt(s.escalation_rate);
  out->rated_calls = s.rated_calls;
  out->average_satisfaction = opt(s.average_satisfaction);
  out->scored_calls = s.scored_calls;
  out->average_quality = opt(s.average_quality);
  for (std::size_t i = 0; i < 6; ++i) out->handling_rules_applied[i] = s.handling_rules_applied[i];
}

Result<vipcore::DateRange> range_of(int64_t start_ms, int64_t end_ms) {
  if (start_ms >= end_ms) return Status::invalid_argument("range", "start must be before end");
  return vipcore::DateRange{vipcore::from_unix_ms(start_ms), vipcore::from_unix_ms(end_ms)};
}

// Fetches one key: from a file or from bytes, exactly one of them.
Result<vipcore::MasterKey> key_of(const char* file, const uint8_t* bytes, std::size_t len, const char* field) {
  if ((file != nullptr) == (bytes != nullptr))
    return Status::invalid_argument(field, "give exactly one of a key file and key bytes");
  return file != nullptr ? vipcore::MasterKey::from_file(file) : vipcore::MasterKey::from_bytes(bytes, len);
}

template <typename T>
const T* item(const std::vector<T>& v, std::size_t i) noexcept {
  return i < v.size() ? &v[i] : nullptr;
}

const char* c_str(const std::string* s) noexcept { return s == nullptr ? "" : s->c_str(); }

vipcore_rule rule_handle(vipcore::EscalationRule&& r) {
  vipcore_rule h{std::move(r), std::string()};
  if (h.r.business_hours) h.business_hours = vipcore::format_weekly_hours(*h.r.business_hours);
  return h;
}

// A fixed char array of a struct from the caller must hold a NUL.
Result<std::string> bounded(const char* chars, std::size_t size, const char* field) {
  const void* nul = std::memchr(chars, '\0', size);
  if (nul == nullptr) return Status::invalid_argument(field, "is not NUL-terminated within its array");
  return std::string(chars, static_cast<const char*>(nul));
}

void fill_settings(const vipcore::TenantSettings& in, vipcore_settings* out) {
  for (std::size_t l = 0; l < 5; ++l) {
    out->level_waits[l] = in.level_waits[l];
    out->level_priority[l] = in.priority.level_base[l];
    out->alert_max_escalation_rate[l] = in.alerts.max_escalation_rate[l];
  }
  for (std::size_t r = 0; r < 6; ++r) out->rule_bonus[r] = in.priority.rule_bonus[r];
  out->dynamic_rise_start = in.dynamic_priority.rise_start;
  out->dynamic_exponent = in.dynamic_priority.exponent;
  copy_out(out->time_zone, sizeof out->time_zone, in.time_zone);  // IANA names are short
  // Validation keeps the text form under VIPCORE_HOURS_SIZE (WeeklyHours::kMaxRangesPerDay).
  copy_out(out->business_hours, sizeof out->business_hours, vipcore::format_weekly_hours(in.business_hours));
  out->alert_wait_factor = in.alerts.wait_factor;
  out->alert_max_failed_identification_rate = in.alerts.max_failed_identification_rate;
  out->alert_min_identifications = in.alerts.min_identifications;
  out->alert_max_quality_drop = in.alerts.max_quality_drop;
  out->alert_min_calls = in.alerts.min_calls;
  if (fits(out, &out->region)) copy_out(out->region, sizeof out->region, in.region);
  if (fits(out, &out->number_validation))
    out->number_validation = in.number_validation == vipcore::NumberValidation::e164 ? VIPCORE_NUMBER_VALIDATION_E164
                                                                                      : VIPCORE_NUMBER_VALIDATION_STRICT;
}

Status to_settings(const vipcore_settings& in, vipcore::TenantSettings* out) {
  for (std::size_t l = 0; l < 5; ++l) {
    out->level_waits[l] = in.level_waits[l];
    out->priority.level_base[l] = in.level_priority[l];
    out->alerts.max_escalation_rate[l] = in.alert_max_escalation_rate[l];
  }
  for (std::size_t r = 0; r < 6; ++r) out->priority.rule_bonus[r] = in.rule_bonus[r];
  out->dynamic_priority.rise_start = in.dynamic_rise_start;
  out->dynamic_priority.exponent = in.dynamic_exponent;
  auto zone = bounded(in.time_zone, sizeof in.time_zone, "time_zone");
  if (!zone.ok()) return zone.status();
  out->time_zone = std::move(*zone);
  auto hours_text = bounded(in.business_hours, sizeof in.business_hours, "business_hours");
  if (!hours_text.ok()) return hours_text.status();
  auto hours = vipcore::parse_weekly_hours(*hours_text, "business_hours");
  if (!hours.ok()) return hours.status();
  out->business_hours = std::move(*hours);
  out->alerts.wait_factor = in.alert_wait_factor;
  out->alerts.max_failed_identification_rate = in.alert_max_failed_identification_rate;
  out->alerts.min_identifications = in.alert_min_identifications;
  out->alerts.max_quality_drop = in.alert_max_quality_drop;
  out->alerts.min_calls = in.alert_min_calls;
  if (fits(&in, &in.region)) {
    auto region = bounded(in.region, sizeof in.region, "region");
    if (!region.ok()) return region.status();
    out->region = std::move(*region);
  }
  if (fits(&in, &in.number_validation)) {
    if (in.number_validation == VIPCORE_NUMBER_VALIDATION_STRICT) out->number_validation = vipcore::NumberValidation::strict;
    else if (in.number_validation == VIPCORE_NUMBER_VALIDATION_E164) out->number_validation = vipcore::NumberValidation::e164;
    else return Status::invalid_argument("number_validation", "must be VIPCORE_NUMBER_VALIDATION_STRICT or _E164");
  }
  return ok_status();
}

vipcore::AuditQuery to_audit_query(const vipcore_audit_query& in) {
  vipcore::AuditQuery q;
  q.from = time_of(in.from_ms);
  q.until = time_of(in.until_ms);
  if (in.actor_id != nullptr) q.actor_id = in.actor_id;
  if (in.entity_id != nullptr) q.entity_id = in.entity_id;
  q.limit = in.limit;
  return q;
}

int audit_list(Result<std::vector<vipcore::AuditEntry>>&& entries, vipcore_audit_list** out) {
  if (!entries.ok()) return fail(entries.status());
  auto list = std::make_unique<vipcore_audit_list>();
  list->items = std::move(*entries);
  for (const vipcore::AuditEntry& e : list->items) {
    std::string joined;
    for (const std::string& f : e.fields) joined += (joined.empty() ? "" : ",") + f;
    list->fields.push_back(std::move(joined));
  }
  *out = list.release();
  return VIPCORE_OK;
}

}  // namespace

extern "C" {

const char* vipcore_version(void) { return VIPCORE_VERSION; }
int vipcore_version_number(void) { return VIPCORE_VERSION_NUMBER; }
const char* vipcore_last_error(void) { return last_error().message.c_str(); }
const char* vipcore_last_error_field(void) { return last_error().field.c_str(); }
void vipcore_free(void* p) { std::free(p); }

const char* vipcore_strerror(int code) {
  if (code > 0 || code < VIPCORE_ENOMEM) return "not a vipcore result code";
  if (code == VIPCORE_ENOMEM) return "out of memory";
  const auto c = static_cast<vipcore::Code>(-code);
  if (c > vipcore::Code::internal) return "not a vipcore result code";
  return vipcore::to_string(c).data();  // the names are string literals: NUL-terminated
}

int vipcore_parse_time(int64_t* out_ms, const char* text_in) {
  return guard([&]() -> int {
    if (out_ms == nullptr) return fail_invalid("out_ms", "is NULL");
    *out_ms = 0;
    if (text_in == nullptr) return fail_invalid("text", "is NULL");
    auto t = vipcore::parse_timestamp(text_in, "text");
    if (!t.ok()) return fail(t.status());
    *out_ms = vipcore::to_unix_ms(*t);
    return VIPCORE_OK;
  });
}

// ------------------------------------------------------------ database, tenant

void vipcore_open_options_init(vipcore_open_options* options) {
  if (options == nullptr) return;
  *options = vipcore_open_options{};
  options->struct_size = sizeof(vipcore_open_options);
  options->busy_timeout_ms = vipcore::SqliteOptions().busy_timeout_ms;
  options->create_if_missing = 1;
  options->file_mode = vipcore::SqliteOptions().file_mode;
}

namespace {

// What vipcore_open and vipcore_open_memory share: the options, checked.
int open_with(vipcore_db** out, const vipcore_open_options* options, vipcore::Options* o,
              std::optional<vipcore::MasterKey>* key) {
  if (out == nullptr) return fail_invalid("out", "is NULL");
  *out = nullptr;
  if (options == nullptr) return fail_invalid("options", "is NULL (a key is required)");
  if (int rc = check_input(options, VIPCORE_V1_SIZE(vipcore_open_options, notifier_user_data), "options");
      rc != VIPCORE_OK)
    return rc;
  if ((options->key_file != nullptr) == (options->key != nullptr))
    return fail_invalid("options", "give exactly one of key_file and key");
  auto k = key_of(options->key_file, options->key, options->key_len, "options");
  if (!k.ok()) return fail(k.status());
  key->emplace(std::move(*k));
  if (options->default_region != nullptr) o->default_region = options->default_region;
  o->sqlite.busy_timeout_ms = options->busy_timeout_ms;
  o->sqlite.create_if_missing = options->create_if_missing != 0;
  if (options->notifier != nullptr)
    o->notifier = std::make_shared<CNotifier>(options->notifier, options->notifier_user_data);
  if (fits(options, &options->clock_user_data) && options->clock != nullptr)
    o->clock = std::make_shared<CClock>(options->clock, options->clock_user_data);
  if (fits(options, &options->read_only)) o->sqlite.read_only = options->read_only != 0;
  if (fits(options, &options->file_mode)) o->sqlite.file_mode = options->file_mode;
  return VIPCORE_OK;
}

int opened(vipcore_db** out, Result<vipcore::Database>&& db) {
  if (!db.ok()) return fail(db.status());
  *out = new vipcore_db{std::move(*db)};
  return VIPCORE_OK;
}

}  // namespace

int vipcore_open(vipcore_db** out, const char* path, const vipcore_open_options* options) {
  return guard([&]() -> int {
    if (out != nullptr) *out = nullptr;
    if (path == nullptr) return fail_invalid("path", "is NULL");
    vipcore::Options o;
    std::optional<vipcore::MasterKey> key;
    if (int rc = open_with(out, options, &o, &key); rc != VIPCORE_OK) return rc;
    return opened(out, vipcore::Database::open(path, *key, o));
  });
}

int vipcore_open_memory(vipcore_db** out, const vipcore_open_options* options) {
  return guard([&]() -> int {
    vipcore::Options o;
    std::optional<vipcore::MasterKey> key;
    if (int rc = open_with(out, options, &o, &key); rc != VIPCORE_OK) return rc;
    return opened(out, vipcore::Database::open(vipcore::new_memory_storage(), *key, o));
  });
}

void vipcore_close(vipcore_db* db) { delete db; }

int vipcore_tenant_open(vipcore_tenant** out, vipcore_db* db, const char* tenant_id, const char* actor_id, int role) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (db == nullptr) return fail_invalid("db", "is NULL");
    if (tenant_id == nullptr) return fail_invalid("tenant_id", "is NULL");
    if (actor_id == nullptr) return fail_invalid("actor_id", "is NULL");
    if (role < 0 || role >= vipcore::kRoleCount) return fail_invalid("role", "is not a vipcore_role");
    auto t = db->db.tenant(tenant_id, {actor_id, static_cast<vipcore::Role>(role)});
    if (!t.ok()) return fail(t.status());
    *out = new vipcore_tenant{std::move(*t)};
    return VIPCORE_OK;
  });
}

void vipcore_tenant_close(vipcore_tenant* tenant) { delete tenant; }

// -------------------------------------------------------------------- identify

int vipcore_identify(vipcore_tenant* tenant, const char* number, vipcore_identification* out) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    if (out->struct_size < offsetof(vipcore_identification, caller_id))
      return fail_invalid("out", "struct_size is too small: initialize with VIPCORE_IDENTIFICATION_INIT");
    // Reset to "not a VIP" first, so that a failure still routes the call.
    const uint32_t size = out->struct_size;
    std::memset(out, 0, size < sizeof(*out) ? size : sizeof(*out));
    out->struct_size = size;
    out->match = VIPCORE_MATCH_NOT_FOUND;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (number == nullptr) return fail_invalid("phone_number", "is NULL");

    // One Identification per thread keeps its strings' capacity: no
    // allocation once warm.
    thread_local vipcore::Identification who;
    if (Status s = tenant->tenant.identify(number, &who); !s.ok()) return fail(s);
    out->is_vip = who.is_vip ? 1 : 0;
    out->match = static_cast<int>(who.match);
    out->routing_priority = who.routing_priority;
    out->level = static_cast<int>(who.caller.vip_level);
    out->handling_rules = who.caller.handling_rules.bits();
    out->max_wait_time = who.caller.max_wait_time;
    out->callback_priority = who.caller.callback_priority;
    if (fits(out, &out->caller_id)) copy_out(out->caller_id, sizeof out->caller_id, who.caller.id);
    if (fits(out, &out->caller_name)) copy_out(out->caller_name, sizeof out->caller_name, who.caller.caller_name);
    if (fits(out, &out->custom_greeting))
      copy_out(out->custom_greeting, sizeof out->custom_greeting, who.caller.custom_greeting);
    if (fits(out, &out->preferred_agent_id))
      copy_out(out->preferred_agent_id, sizeof out->preferred_agent_id, who.caller.preferred_agent_id);
    if (fits(out, &out->preferred_department_id))
      copy_out(out->preferred_department_id, sizeof out->preferred_department_id, who.caller.preferred_department_id);
    return VIPCORE_OK;
  });
}

int vipcore_routing_priority(int* out, vipcore_tenant* tenant, int level, uint32_t handling_rules) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = 0;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    vipcore::Level l = vipcore::Level::standard;
    if (Status s = level_of(level, "level", &l); !s.ok()) return fail(s);
    *out = tenant->tenant.routing_priority(l, vipcore::HandlingRules::from_bits(handling_rules));
    return VIPCORE_OK;
  });
}

// --------------------------------------------------------------------- routing

void vipcore_pbx_state_init(vipcore_pbx_state* state) {
  if (state == nullptr) return;
  *state = vipcore_pbx_state{};
  state->struct_size = sizeof *state;
  state->inside_business_hours = -1;
}

int vipcore_plan_route(vipcore_routing_plan* out, vipcore_tenant* tenant, const vipcore_identification* who,
                       const vipcore_pbx_state* state) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    if (out->struct_size < offsetof(vipcore_routing_plan, target_agent_id))
      return fail_invalid("out", "struct_size is too small: initialize with VIPCORE_ROUTING_PLAN_INIT");
    const uint32_t size = out->struct_size;
    std::memset(out, 0, size < sizeof(*out) ? size : sizeof(*out));
    out->struct_size = size;
    out->action = VIPCORE_ROUTE_QUEUE;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (who == nullptr || who->struct_size < kIdentificationV1)
      return fail_invalid("who", "is NULL or not filled by vipcore_identify");
    if (int rc = check_input(state, VIPCORE_V1_SIZE(vipcore_pbx_state, waited_seconds), "state"); rc != VIPCORE_OK)
      return rc;
    vipcore::Identification id;
    if (Status s = to_identification(*who, &id); !s.ok()) return fail(s);
    vipcore::PbxState st;
    if (Status s = strings(state->free_agents, state->free_agent_count, "free_agents", &st.free_agents); !s.ok())
      return fail(s);
    if (state->inside_business_hours != -1) st.inside_business_hours = state->inside_business_hours != 0;
    st.waited_seconds = state->waited_seconds;
    auto plan = tenant->tenant.routing_plan(id, st);
    if (!plan.ok()) return fail(plan.status());
    out->action = static_cast<int>(plan->action);
    out->is_vip = plan->is_vip ? 1 : 0;
    if (fits(out, &out->target_agent_id)) copy_out(out->target_agent_id, sizeof out->target_agent_id, plan->target_agent_id);
    if (fits(out, &out->wait_seconds)) out->wait_seconds = plan->wait_seconds;
    if (fits(out, &out->front_of_queue)) out->front_of_queue = plan->front_of_queue ? 1 : 0;
    if (fits(out, &out->queue_priority)) out->queue_priority = plan->queue_priority;
    if (fits(out, &out->asterisk_queue_prio)) out->asterisk_queue_prio = plan->pbx.asterisk_queue_prio;
    if (fits(out, &out->freeswitch_base_score)) out->freeswitch_base_score = plan->pbx.freeswitch_base_score;
    if (fits(out, &out->queue_age_bonus_seconds)) out->queue_age_bonus_seconds = plan->pbx.queue_age_bonus_seconds;
    if (fits(out, &out->greeting)) copy_out(out->greeting, sizeof out->greeting, plan->greeting);
    if (fits(out, &out->offer_callback)) out->offer_callback = plan->offer_callback ? 1 : 0;
    if (fits(out, &out->callback_priority)) out->callback_priority = plan->callback_priority;
    if (fits(out, &out->reason)) copy_out(out->reason, sizeof out->reason, plan->reason);
    return VIPCORE_OK;
  });
}

int vipcore_queue_priority(int* out, vipcore_tenant* tenant, const vipcore_identification* who, int waited_seconds) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = 0;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (who == nullptr || who->struct_size < kIdentificationV1)
      return fail_invalid("who", "is NULL or not filled by vipcore_identify");
    if (waited_seconds < 0) return fail_invalid("waited_seconds", "must not be negative");
    vipcore::Identification id;
    if (Status s = to_identification(*who, &id); !s.ok()) return fail(s);
    *out = tenant->tenant.queue_priority(id, waited_seconds);
    return VIPCORE_OK;
  });
}

// -------------------------------------------------------------------- settings

void vipcore_settings_init(vipcore_settings* settings) {
  if (settings == nullptr) return;
  *settings = vipcore_settings{};
  settings->struct_size = sizeof *settings;
  try {
    fill_settings(vipcore::TenantSettings{}, settings);
  } catch (...) {  // out of memory: zeroes, which vipcore_settings_set refuses by name
    *settings = vipcore_settings{};
    settings->struct_size = sizeof *settings;
  }
}

int vipcore_settings_get(vipcore_settings* out, vipcore_tenant* tenant) {
  return guard([&]() -> int {
    if (int rc = reset_output(out, kSettingsV1,
                              "struct_size is too small: initialize it with vipcore_settings_init");
        rc != VIPCORE_OK)
      return rc;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    auto settings = tenant->tenant.settings();
    if (!settings.ok()) return fail(settings.status());
    fill_settings(*settings, out);
    return VIPCORE_OK;
  });
}

int vipcore_settings_set(vipcore_tenant* tenant, const vipcore_settings* settings) {
  return guard([&]() -> int {
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (int rc = check_input(settings, kSettingsV1, "settings"); rc != VIPCORE_OK) return rc;
    // Over the stored settings, so that a field a later header adds (beyond
    // this caller's struct_size) keeps its value.
    auto s = tenant->tenant.settings();
    if (!s.ok()) return fail(s.status());
    if (Status st = to_settings(*settings, &*s); !st.ok()) return fail(st);
    if (Status st = tenant->tenant.update_settings(*s); !st.ok()) return fail(st);
    return VIPCORE_OK;
  });
}

int vipcore_inside_business_hours(int* out, vipcore_tenant* tenant) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = 0;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    auto open = tenant->tenant.inside_business_hours();
    if (!open.ok()) return fail(open.status());
    *out = *open ? 1 : 0;
    return VIPCORE_OK;
  });
}

// --------------------------------------------------------------------- callers

void vipcore_caller_input_init(vipcore_caller_input* input) {
  if (input == nullptr) return;
  *input = vipcore_caller_input{};
  input->struct_size = sizeof *input;
  input->vip_level = -1;
  input->status = -1;
}

int vipcore_caller_create(vipcore_caller** out, vipcore_tenant* tenant, const vipcore_caller_input* input) {
  return guard([&]() -> int {
    if (out != nullptr) *out = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (int rc = check_input(input, kCallerInputV1, "input"); rc != VIPCORE_OK) return rc;
    vipcore::NewCaller c;
    if (Status s = to_new_caller(*input, &c); !s.ok()) return fail(s);
    auto created = tenant->tenant.create(c);
    if (!created.ok()) return fail(created.status());
    if (out != nullptr) *out = new vipcore_caller{std::move(*created)};
    return VIPCORE_OK;
  });
}

int vipcore_caller_get(vipcore_caller** out, vipcore_tenant* tenant, const char* id) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (id == nullptr) return fail_invalid("id", "is NULL");
    auto c = tenant->tenant.get(id);
    if (!c.ok()) return fail(c.status());
    *out = new vipcore_caller{std::move(*c)};
    return VIPCORE_OK;
  });
}

int vipcore_caller_update(vipcore_caller** out, vipcore_tenant* tenant, const char* id,
                          const vipcore_caller_input* changes) {
  return guard([&]() -> int {
    if (out != nullptr) *out = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (id == nullptr) return fail_invalid("id", "is NULL");
    if (int rc = check_input(changes, kCallerInputV1, "changes"); rc != VIPCORE_OK) return rc;
    vipcore::CallerUpdate u;
    if (Status s = to_update(*changes, &u); !s.ok()) return fail(s);
    auto c = tenant->tenant.update(id, u);
    if (!c.ok()) return fail(c.status());
    if (out != nullptr) *out = new vipcore_caller{std::move(*c)};
    return VIPCORE_OK;
  });
}

int vipcore_caller_delete(vipcore_tenant* tenant, const char* id) {
  return guard([&]() -> int {
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (id == nullptr) return fail_invalid("id", "is NULL");
    if (Status s = tenant->tenant.remove(id); !s.ok()) return fail(s);
    return VIPCORE_OK;
  });
}

void vipcore_caller_free(vipcore_caller* caller) { delete caller; }

const char* vipcore_caller_id(const vipcore_caller* c) { return c ? c->c.id.c_str() : ""; }
const char* vipcore_caller_name(const vipcore_caller* c) { return c ? c->c.caller_name.c_str() : ""; }
const char* vipcore_caller_company(const vipcore_caller* c) { return c ? c->c.company_name.c_str() : ""; }
int vipcore_caller_level(const vipcore_caller* c) { return c ? static_cast<int>(c->c.vip_level) : 0; }
int vipcore_caller_status(const vipcore_caller* c) { return c ? static_cast<int>(c->c.status) : 0; }
uint32_t vipcore_caller_handling_rules(const vipcore_caller* c) { return c ? c->c.handling_rules.bits() : 0; }
const char* vipcore_caller_greeting(const vipcore_caller* c) { return c ? c->c.custom_greeting.c_str() : ""; }
const char* vipcore_caller_preferred_agent(const vipcore_caller* c) { return c ? c->c.preferred_agent_id.c_str() : ""; }
const char* vipcore_caller_preferred_department(const vipcore_caller* c) {
  return c ? c->c.preferred_department_id.c_str() : "";
}
int vipcore_caller_max_wait_time(const vipcore_caller* c) { return c ? c->c.max_wait_time : 0; }
int vipcore_caller_callback_priority(const vipcore_caller* c) { return c ? c->c.callback_priority : 0; }
const char* vipcore_caller_email(const vipcore_caller* c) { return c ? c->c.email.c_str() : ""; }
const char* vipcore_caller_account_number(const vipcore_caller* c) { return c ? c->c.account_number.c_str() : ""; }
int vipcore_caller_account_value(const vipcore_caller* c, double* out) {
  if (c == nullptr || !c->c.account_value) return 0;
  if (out != nullptr) *out = *c->c.account_value;
  return 1;
}
const char* vipcore_caller_notes(const vipcore_caller* c) { return c ? c->c.notes.c_str() : ""; }
size_t vipcore_caller_tag_count(const vipcore_caller* c) { return c ? c->c.tags.size() : 0; }
const char* vipcore_caller_tag(const vipcore_caller* c, size_t i) { return c ? c_str(item(c->c.tags, i)) : ""; }
size_t vipcore_caller_phone_count(const vipcore_caller* c) { return c ? c->c.phones.size() : 0; }
const char* vipcore_caller_phone_masked(const vipcore_caller* c, size_t i) {
  if (c == nullptr || i >= c->c.phones.size()) return "";
  return c->c.phones[i].masked.c_str();
}
int64_t vipcore_caller_total_calls(const vipcore_caller* c) { return c ? c->c.total_calls : 0; }
int vipcore_caller_satisfaction(const vipcore_caller* c, double* out) {
  if (c == nullptr || !c->c.satisfaction_score) return 0;
  if (out != nullptr) *out = *c->c.satisfaction_score;
  return 1;
}
int64_t vipcore_caller_valid_from(const vipcore_caller* c) { return c ? ms_of(c->c.valid_from) : 0; }
int64_t vipcore_caller_valid_until(const vipcore_caller* c) { return c ? ms_of(c->c.valid_until) : 0; }
int64_t vipcore_caller_created_at(const vipcore_caller* c) { return c ? vipcore::to_unix_ms(c->c.created_at) : 0; }
int64_t vipcore_caller_updated_at(const vipcore_caller* c) { return c ? vipcore::to_unix_ms(c->c.updated_at) : 0; }

void vipcore_list_query_init(vipcore_list_query* query) {
  if (query == nullptr) return;
  *query = vipcore_list_query{};
  query->struct_size = sizeof *query;
  query->limit = 100;
  query->vip_level = -1;
  query->status = -1;
}

int vipcore_caller_list_get(vipcore_caller_list** out, vipcore_tenant* tenant, const vipcore_list_query* query) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (int rc = check_input(query, VIPCORE_V1_SIZE(vipcore_list_query, search), "query"); rc != VIPCORE_OK) return rc;
    vipcore::ListQuery q;
    q.skip = query->skip;
    q.limit = query->limit;
    if (query->vip_level != -1) {
      vipcore::Level l = vipcore::Level::standard;
      if (Status s = level_of(query->vip_level, "vip_level", &l); !s.ok()) return fail(s);
      q.vip_level = l;
    }
    if (query->status != -1) {
      vipcore::CallerStatus st = vipcore::CallerStatus::active;
      if (Status s = status_of(query->status, &st); !s.ok()) return fail(s);
      q.status = st;
    }
    q.search = text(query->search);
    auto list = std::make_unique<vipcore_caller_list>();
    auto callers = tenant->tenant.list(q, &list->damaged);
    if (!callers.ok()) return fail(callers.status());
    for (vipcore::VipCaller& c : *callers) list->items.push_back(vipcore_caller{std::move(c)});
    *out = list.release();
    return VIPCORE_OK;
  });
}

size_t vipcore_caller_list_count(const vipcore_caller_list* list) { return list ? list->items.size() : 0; }
const vipcore_caller* vipcore_caller_list_at(const vipcore_caller_list* list, size_t i) {
  return list ? item(list->items, i) : nullptr;
}
size_t vipcore_caller_list_damaged_count(const vipcore_caller_list* list) { return list ? list->damaged.size() : 0; }
const char* vipcore_caller_list_damaged_id(const vipcore_caller_list* list, size_t i) {
  return list && i < list->damaged.size() ? list->damaged[i].c_str() : nullptr;
}
void vipcore_caller_list_free(vipcore_caller_list* list) { delete list; }

int vipcore_caller_foreach(vipcore_tenant* tenant, vipcore_caller_fn visit, void* user_data) {
  return guard([&]() -> int {
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (visit == nullptr) return fail_invalid("visit", "is NULL");
    vipcore_caller handle;
    Status s = tenant->tenant.for_each_caller([&](const vipcore::VipCaller& c) {
      handle.c = c;
      return visit(user_data, &handle) == 0;
    });
    if (!s.ok()) return fail(s);
    return VIPCORE_OK;
  });
}

// ---------------------------------------------------------------------- import

void vipcore_import_options_init(vipcore_import_options* options) {
  if (options == nullptr) return;
  *options = vipcore_import_options{};
  options->struct_size = sizeof *options;
  options->progress_every = 1000;
}

int vipcore_import(vipcore_import_report** report, vipcore_tenant* tenant, const vipcore_caller_input* rows,
                   size_t count, const vipcore_import_options* options) {
  return guard([&]() -> int {
    if (report == nullptr) return fail_invalid("report", "is NULL");
    *report = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (rows == nullptr && count > 0) return fail_invalid("rows", "is NULL but count is not 0");
    if (int rc = check_input(options, VIPCORE_V1_SIZE(vipcore_import_options, progress_every), "options");
        rc != VIPCORE_OK)
      return rc;
    if (options->mode < 0 || options->mode > 1) return fail_invalid("mode", "is not a vipcore_import_mode");
    if (options->on_duplicate < 0 || options->on_duplicate > 2)
      return fail_invalid("on_duplicate", "is not a vipcore_duplicates");
    // Rows the C layer cannot read (a struct that is too small, an enum value
    // out of range) are reported like rows that fail validation.
    std::vector<vipcore::NewCaller> callers;
    std::vector<std::size_t> original;  // callers[k] is rows[original[k]]
    std::vector<vipcore::ImportRowError> unreadable;
    callers.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      vipcore::NewCaller c;
      Status s = rows[i].struct_size < kCallerInputV1
                     ? Status::invalid_argument("struct_size", "is too small: initialize rows with vipcore_caller_input_init")
                     : to_new_caller(rows[i], &c);
      if (!s.ok()) {
        unreadable.push_back(vipcore::ImportRowError{i, std::move(s)});
        continue;
      }
      callers.push_back(std::move(c));
      original.push_back(i);
    }
    vipcore::ImportOptions o;
    o.mode = static_cast<vipcore::ImportMode>(options->mode);
    o.on_duplicate = static_cast<vipcore::DuplicatePolicy>(options->on_duplicate);
    o.progress_every = options->progress_every;
    if (options->progress != nullptr) {
      const vipcore_progress_fn fn = options->progress;
      void* user_data = options->progress_user_data;
      o.progress = [fn, user_data](std::size_t done, std::size_t total) { return fn(user_data, done, total) == 0; };
    }
    auto r = std::make_unique<vipcore_import_report>();
    Status s;
    if (!unreadable.empty() && o.mode == vipcore::ImportMode::all_or_nothing) {
      s = Status::invalid_argument("import", std::to_string(unreadable.size()) + " of " + std::to_string(count) +
                                                 " rows could not be read (first: row " +
                                                 std::to_string(unreadable.front().index) + ": " +
                                                 unreadable.front().error.message() + "); nothing was written");
    } else {
      s = tenant->tenant.import_callers(callers, o, &r->r);
      for (vipcore::ImportRowError& e : r->r.errors) e.index = original[e.index];
    }
    // Merge, in row order, and count the unreadable rows as failed ones.
    r->r.total = count;
    r->r.failed += unreadable.size();
    r->r.errors.insert(r->r.errors.end(), unreadable.begin(), unreadable.end());
    std::stable_sort(r->r.errors.begin(), r->r.errors.end(),
                     [](const vipcore::ImportRowError& a, const vipcore::ImportRowError& b) { return a.index < b.index; });
    *report = r.release();
    return s.ok() ? VIPCORE_OK : fail(s);
  });
}

size_t vipcore_import_report_created(const vipcore_import_report* r) { return r ? r->r.created : 0; }
size_t vipcore_import_report_updated(const vipcore_import_report* r) { return r ? r->r.updated : 0; }
size_t vipcore_import_report_skipped(const vipcore_import_report* r) { return r ? r->r.skipped : 0; }
size_t vipcore_import_report_failed(const vipcore_import_report* r) { return r ? r->r.failed : 0; }
int vipcore_import_report_committed(const vipcore_import_report* r) { return r && r->r.committed ? 1 : 0; }
size_t vipcore_import_report_error_count(const vipcore_import_report* r) { return r ? r->r.errors.size() : 0; }
size_t vipcore_import_report_error_row(const vipcore_import_report* r, size_t i) {
  const auto* e = r ? item(r->r.errors, i) : nullptr;
  return e ? e->index : 0;
}
int vipcore_import_report_error_code(const vipcore_import_report* r, size_t i) {
  const auto* e = r ? item(r->r.errors, i) : nullptr;
  return e ? -static_cast<int>(e->error.code()) : VIPCORE_OK;
}
const char* vipcore_import_report_error_field(const vipcore_import_report* r, size_t i) {
  const auto* e = r ? item(r->r.errors, i) : nullptr;
  return e ? e->error.field().c_str() : "";
}
const char* vipcore_import_report_error_message(const vipcore_import_report* r, size_t i) {
  const auto* e = r ? item(r->r.errors, i) : nullptr;
  return e ? e->error.message().c_str() : "";
}
void vipcore_import_report_free(vipcore_import_report* r) { delete r; }

// ------------------------------------------------------------------ escalation

void vipcore_rule_input_init(vipcore_rule_input* input) {
  if (input == nullptr) return;
  *input = vipcore_rule_input{};
  input->struct_size = sizeof *input;
  input->max_wait_time = -1;
  input->max_queue_position = -1;
  input->is_active = 1;
  input->priority = 1;
}

int vipcore_rule_create(vipcore_rule** out, vipcore_tenant* tenant, const vipcore_rule_input* input) {
  return guard([&]() -> int {
    if (out != nullptr) *out = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (int rc = check_input(input, kRuleInputV1, "input"); rc != VIPCORE_OK) return rc;
    vipcore::EscalationRule r;
    if (Status s = to_rule(*input, &r); !s.ok()) return fail(s);
    auto created = tenant->tenant.create_rule(r);
    if (!created.ok()) return fail(created.status());
    if (out != nullptr) *out = new vipcore_rule(rule_handle(std::move(*created)));
    return VIPCORE_OK;
  });
}

int vipcore_rule_get(vipcore_rule** out, vipcore_tenant* tenant, const char* id) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (id == nullptr) return fail_invalid("id", "is NULL");
    auto r = tenant->tenant.get_rule(id);
    if (!r.ok()) return fail(r.status());
    *out = new vipcore_rule(rule_handle(std::move(*r)));
    return VIPCORE_OK;
  });
}

int vipcore_rule_update(vipcore_rule** out, vipcore_tenant* tenant, const char* id, const vipcore_rule_input* changes) {
  return guard([&]() -> int {
    if (out != nullptr) *out = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (id == nullptr) return fail_invalid("id", "is NULL");
    if (int rc = check_input(changes, kRuleInputV1, "changes"); rc != VIPCORE_OK) return rc;
    vipcore::EscalationRuleUpdate u;
    if (Status s = to_rule_update(*changes, &u); !s.ok()) return fail(s);
    auto r = tenant->tenant.update_rule(id, u);
    if (!r.ok()) return fail(r.status());
    if (out != nullptr) *out = new vipcore_rule(rule_handle(std::move(*r)));
    return VIPCORE_OK;
  });
}

int vipcore_rule_delete(vipcore_tenant* tenant, const char* id) {
  return guard([&]() -> int {
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (id == nullptr) return fail_invalid("id", "is NULL");
    if (Status s = tenant->tenant.remove_rule(id); !s.ok()) return fail(s);
    return VIPCORE_OK;
  });
}

void vipcore_rule_free(vipcore_rule* rule) { delete rule; }
const char* vipcore_rule_id(const vipcore_rule* r) { return r ? r->r.id.c_str() : ""; }
const char* vipcore_rule_name(const vipcore_rule* r) { return r ? r->r.name.c_str() : ""; }
uint32_t vipcore_rule_level_mask(const vipcore_rule* r) {
  uint32_t mask = 0;
  if (r != nullptr)
    for (vipcore::Level l : r->r.vip_levels) mask |= 1u << static_cast<unsigned>(l);
  return mask;
}
int vipcore_rule_max_wait_time(const vipcore_rule* r) { return r && r->r.max_wait_time ? *r->r.max_wait_time : -1; }
int vipcore_rule_max_queue_position(const vipcore_rule* r) {
  return r && r->r.max_queue_position ? *r->r.max_queue_position : -1;
}
const char* vipcore_rule_escalation_type(const vipcore_rule* r) { return r ? r->r.escalation_type.c_str() : ""; }
int vipcore_rule_tier(const vipcore_rule* r) { return r ? r->r.tier : 0; }
int vipcore_rule_is_active(const vipcore_rule* r) { return r && r->r.is_active ? 1 : 0; }
int vipcore_rule_priority(const vipcore_rule* r) { return r ? r->r.priority : 0; }
int vipcore_rule_schedule(const vipcore_rule* r) { return r ? static_cast<int>(r->r.schedule) : 0; }
size_t vipcore_rule_email_count(const vipcore_rule* r) { return r ? r->r.notify.emails.size() : 0; }
const char* vipcore_rule_email(const vipcore_rule* r, size_t i) { return r ? c_str(item(r->r.notify.emails, i)) : ""; }
size_t vipcore_rule_sms_count(const vipcore_rule* r) { return r ? r->r.notify.sms_numbers.size() : 0; }
const char* vipcore_rule_sms(const vipcore_rule* r, size_t i) { return r ? c_str(item(r->r.notify.sms_numbers, i)) : ""; }
size_t vipcore_rule_internal_alert_count(const vipcore_rule* r) { return r ? r->r.notify.internal_alerts.size() : 0; }
const char* vipcore_rule_internal_alert(const vipcore_rule* r, size_t i) {
  return r ? c_str(item(r->r.notify.internal_alerts, i)) : "";
}
const char* vipcore_rule_business_hours(const vipcore_rule* r) { return r ? r->business_hours.c_str() : ""; }

int vipcore_rule_list_get(vipcore_rule_list** out, vipcore_tenant* tenant) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    auto rules = tenant->tenant.list_rules();
    if (!rules.ok()) return fail(rules.status());
    auto list = std::make_unique<vipcore_rule_list>();
    for (vipcore::EscalationRule& r : *rules) list->items.push_back(rule_handle(std::move(r)));
    *out = list.release();
    return VIPCORE_OK;
  });
}
size_t vipcore_rule_list_count(const vipcore_rule_list* list) { return list ? list->items.size() : 0; }
const vipcore_rule* vipcore_rule_list_at(const vipcore_rule_list* list, size_t i) {
  return list ? item(list->items, i) : nullptr;
}
void vipcore_rule_list_free(vipcore_rule_list* list) { delete list; }

int vipcore_escalation_check(vipcore_escalation** out, vipcore_tenant* tenant, const char* caller_id, int wait_seconds,
                             int queue_position, const char* call_id) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (caller_id == nullptr) return fail_invalid("caller_id", "is NULL");
    auto r = tenant->tenant.check_escalation(caller_id, wait_seconds, queue_position,
                                             call_id == nullptr ? std::string_view() : std::string_view(call_id));
    if (!r.ok()) return fail(r.status());
    *out = new vipcore_escalation{std::move(*r)};
    return VIPCORE_OK;
  });
}

int vipcore_escalation_check_caller(vipcore_escalation** out, vipcore_tenant* tenant, const vipcore_identification* who,
                                    int wait_seconds, int queue_position, const char* call_id) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (who == nullptr || who->struct_size < kIdentificationV1)
      return fail_invalid("who", "is NULL or not filled by vipcore_identify");
    if (!who->is_vip) return fail_invalid("who", "is not a VIP: there is nothing to escalate");
    vipcore::Identification id;
    if (Status s = to_identification(*who, &id); !s.ok()) return fail(s);
    auto r = tenant->tenant.check_escalation(id.caller, wait_seconds, queue_position,
                                             call_id == nullptr ? std::string_view() : std::string_view(call_id));
    if (!r.ok()) return fail(r.status());
    *out = new vipcore_escalation{std::move(*r)};
    return VIPCORE_OK;
  });
}

int vipcore_escalation_should_escalate(const vipcore_escalation* e) { return e && e->r.should_escalate ? 1 : 0; }
int vipcore_escalation_highest_tier(const vipcore_escalation* e) { return e ? e->r.highest_tier : 0; }
const char* vipcore_escalation_highest_type(const vipcore_escalation* e) {
  return e ? e->r.highest_escalation_type.c_str() : "";
}
int vipcore_escalation_sla_breached(const vipcore_escalation* e) { return e && e->r.sla_breached ? 1 : 0; }
size_t vipcore_escalation_triggered_count(const vipcore_escalation* e) { return e ? e->r.triggered_rules.size() : 0; }
const char* vipcore_escalation_triggered_rule_id(const vipcore_escalation* e, size_t i) {
  const auto* t = e ? item(e->r.triggered_rules, i) : nullptr;
  return t ? t->rule_id.c_str() : "";
}
const char* vipcore_escalation_triggered_rule_name(const vipcore_escalation* e, size_t i) {
  const auto* t = e ? item(e->r.triggered_rules, i) : nullptr;
  return t ? t->rule_name.c_str() : "";
}
int vipcore_escalation_triggered_tier(const vipcore_escalation* e, size_t i) {
  const auto* t = e ? item(e->r.triggered_rules, i) : nullptr;
  return t ? t->tier : 0;
}
int vipcore_escalation_triggered_already(const vipcore_escalation* e, size_t i) {
  const auto* t = e ? item(e->r.triggered_rules, i) : nullptr;
  return t && t->already_triggered ? 1 : 0;
}
int vipcore_escalation_triggered_notified(const vipcore_escalation* e, size_t i) {
  const auto* t = e ? item(e->r.triggered_rules, i) : nullptr;
  return t && t->notified ? 1 : 0;
}
int vipcore_escalation_triggered_wait_exceeded(const vipcore_escalation* e, size_t i) {
  const auto* t = e ? item(e->r.triggered_rules, i) : nullptr;
  return t && t->wait_exceeded ? 1 : 0;
}
int vipcore_escalation_triggered_position_exceeded(const vipcore_escalation* e, size_t i) {
  const auto* t = e ? item(e->r.triggered_rules, i) : nullptr;
  return t && t->position_exceeded ? 1 : 0;
}
size_t vipcore_escalation_notification_failures(const vipcore_escalation* e) {
  return e ? e->r.notification_failures.size() : 0;
}
const char* vipcore_escalation_failure_rule_id(const vipcore_escalation* e, size_t i) {
  const auto* f = e ? item(e->r.notification_failures, i) : nullptr;
  return f ? f->rule_id.c_str() : "";
}
int vipcore_escalation_failure_code(const vipcore_escalation* e, size_t i) {
  const auto* f = e ? item(e->r.notification_failures, i) : nullptr;
  return f ? -static_cast<int>(f->error.code()) : VIPCORE_OK;
}
const char* vipcore_escalation_failure_message(const vipcore_escalation* e, size_t i) {
  const auto* f = e ? item(e->r.notification_failures, i) : nullptr;
  return f ? f->error.message().c_str() : "";
}
void vipcore_escalation_free(vipcore_escalation* e) { delete e; }

// -------------------------------------------------- call history and analytics

void vipcore_call_input_init(vipcore_call_input* input) {
  if (input == nullptr) return;
  *input = vipcore_call_input{};
  input->struct_size = sizeof *input;
  input->vip_level_at_call = -1;
}

int vipcore_record_call(vipcore_tenant* tenant, const vipcore_call_input* call) {
  return guard([&]() -> int {
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (int rc = check_input(call, VIPCORE_V1_SIZE(vipcore_call_input, at_ms), "call"); rc != VIPCORE_OK) return rc;
    vipcore::CallRecord c;
    c.call_id = text(call->call_id);
    c.caller_id = text(call->caller_id);
    if (call->vip_level_at_call != -1) {
      vipcore::Level l = vipcore::Level::standard;
      if (Status s = level_of(call->vip_level_at_call, "vip_level_at_call", &l); !s.ok()) return fail(s);
      c.vip_level_at_call = l;
    }
    c.handling_rules_applied = vipcore::HandlingRules::from_bits(call->handling_rules_applied);
    c.wait_seconds = call->wait_seconds;
    c.escalation_triggered = call->escalation_triggered != 0;
    if (call->satisfaction_rating != 0) c.satisfaction_rating = call->satisfaction_rating;
    if (call->has_quality_score) c.service_quality_score = call->service_quality_score;
    c.at = time_of(call->at_ms);
    auto r = tenant->tenant.record_call(c);
    if (!r.ok()) return fail(r.status());
    return VIPCORE_OK;
  });
}

int vipcore_call_history_get(vipcore_call_list** out, vipcore_tenant* tenant, const char* caller_id, int64_t start_ms,
                             int64_t end_ms, uint64_t limit) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (caller_id == nullptr) return fail_invalid("caller_id", "is NULL");
    auto range = range_of(start_ms, end_ms);
    if (!range.ok()) return fail(range.status());
    auto calls = tenant->tenant.call_history(caller_id, *range, limit);
    if (!calls.ok()) return fail(calls.status());
    *out = new vipcore_call_list{std::move(*calls)};
    return VIPCORE_OK;
  });
}

size_t vipcore_call_list_count(const vipcore_call_list* list) { return list ? list->items.size() : 0; }
const char* vipcore_call_id(const vipcore_call_list* list, size_t i) {
  const auto* c = list ? item(list->items, i) : nullptr;
  return c ? c->call_id.c_str() : "";
}
int64_t vipcore_call_at(const vipcore_call_list* list, size_t i) {
  const auto* c = list ? item(list->items, i) : nullptr;
  return c ? vipcore::to_unix_ms(c->at) : 0;
}
int vipcore_call_level(const vipcore_call_list* list, size_t i) {
  const auto* c = list ? item(list->items, i) : nullptr;
  return c ? static_cast<int>(c->vip_level) : -1;
}
uint32_t vipcore_call_handling_rules(const vipcore_call_list* list, size_t i) {
  const auto* c = list ? item(list->items, i) : nullptr;
  return c ? c->handling_rules_applied.bits() : 0;
}
int vipcore_call_wait_seconds(const vipcore_call_list* list, size_t i) {
  const auto* c = list ? item(list->items, i) : nullptr;
  return c ? c->wait_seconds : 0;
}
int vipcore_call_max_wait_time(const vipcore_call_list* list, size_t i) {
  const auto* c = list ? item(list->items, i) : nullptr;
  return c ? c->max_wait_time : 0;
}
int vipcore_call_escalated(const vipcore_call_list* list, size_t i) {
  const auto* c = list ? item(list->items, i) : nullptr;
  return c && c->escalation_triggered ? 1 : 0;
}
int vipcore_call_rating(const vipcore_call_list* list, size_t i) {
  const auto* c = list ? item(list->items, i) : nullptr;
  return c && c->satisfaction_rating ? *c->satisfaction_rating : 0;
}
int vipcore_call_quality(const vipcore_call_list* list, size_t i, double* out) {
  const auto* c = list ? item(list->items, i) : nullptr;
  if (c == nullptr || !c->service_quality_score) return 0;
  if (out != nullptr) *out = *c->service_quality_score;
  return 1;
}
void vipcore_call_list_free(vipcore_call_list* list) { delete list; }

int vipcore_caller_analytics_get(vipcore_caller_analytics* out, vipcore_tenant* tenant, const char* caller_id,
                                 int64_t start_ms, int64_t end_ms) {
  return guard([&]() -> int {
    if (int rc = reset_output(out, VIPCORE_V1_SIZE(vipcore_caller_analytics, stats),
                              "struct_size is too small: set it to sizeof(vipcore_caller_analytics)");
        rc != VIPCORE_OK)
      return rc;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (caller_id == nullptr) return fail_invalid("caller_id", "is NULL");
    auto range = range_of(start_ms, end_ms);
    if (!range.ok()) return fail(range.status());
    auto a = tenant->tenant.caller_analytics(caller_id, *range);
    if (!a.ok()) return fail(a.status());
    fill_stats(a->stats, &out->stats);
    return VIPCORE_OK;
  });
}

int vipcore_date_range(int64_t* start_ms, int64_t* end_ms, vipcore_tenant* tenant, const char* start,
                       const char* end) {
  return guard([&]() -> int {
    if (start_ms == nullptr) return fail_invalid("start_ms", "is NULL");
    if (end_ms == nullptr) return fail_invalid("end_ms", "is NULL");
    *start_ms = *end_ms = 0;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (start == nullptr) return fail_invalid("start", "is NULL");
    if (end == nullptr) return fail_invalid("end", "is NULL");
    auto range = tenant->tenant.date_range(start, end);
    if (!range.ok()) return fail(range.status());
    *start_ms = vipcore::to_unix_ms(range->start);
    *end_ms = vipcore::to_unix_ms(range->end);
    return VIPCORE_OK;
  });
}

int vipcore_overview_get(vipcore_overview* out, vipcore_tenant* tenant, int64_t start_ms, int64_t end_ms) {
  return guard([&]() -> int {
    if (int rc = reset_output(out, VIPCORE_V1_SIZE(vipcore_overview, by_level),
                              "struct_size is too small: set it to sizeof(vipcore_overview)");
        rc != VIPCORE_OK)
      return rc;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    auto range = range_of(start_ms, end_ms);
    if (!range.ok()) return fail(range.status());
    auto o = tenant->tenant.overview(*range);
    if (!o.ok()) return fail(o.status());
    for (std::size_t l = 0; l < 5; ++l)
      for (std::size_t s = 0; s < 3; ++s) out->callers[l][s] = o->callers[l][s];
    out->total_callers = o->total_callers;
    fill_stats(o->all, &out->all);
    for (std::size_t l = 0; l < 5; ++l) fill_stats(o->by_level[l], &out->by_level[l]);
    return VIPCORE_OK;
  });
}

int vipcore_alerts_get(vipcore_alert_list** out, vipcore_tenant* tenant, int64_t start_ms, int64_t end_ms) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    auto range = range_of(start_ms, end_ms);
    if (!range.ok()) return fail(range.status());
    auto alerts = tenant->tenant.evaluate_alerts(*range);
    if (!alerts.ok()) return fail(alerts.status());
    *out = new vipcore_alert_list{std::move(*alerts)};
    return VIPCORE_OK;
  });
}

size_t vipcore_alert_count(const vipcore_alert_list* list) { return list ? list->items.size() : 0; }
int vipcore_alert_kind(const vipcore_alert_list* list, size_t i) {
  const auto* a = list ? item(list->items, i) : nullptr;
  return a ? static_cast<int>(a->kind) : -1;
}
int vipcore_alert_level(const vipcore_alert_list* list, size_t i) {
  const auto* a = list ? item(list->items, i) : nullptr;
  return a && a->level ? static_cast<int>(*a->level) : -1;
}
double vipcore_alert_measured(const vipcore_alert_list* list, size_t i) {
  const auto* a = list ? item(list->items, i) : nullptr;
  return a ? a->measured : 0;
}
double vipcore_alert_threshold(const vipcore_alert_list* list, size_t i) {
  const auto* a = list ? item(list->items, i) : nullptr;
  return a ? a->threshold : 0;
}
const char* vipcore_alert_message(const vipcore_alert_list* list, size_t i) {
  const auto* a = list ? item(list->items, i) : nullptr;
  return a ? a->message.c_str() : "";
}
void vipcore_alert_list_free(vipcore_alert_list* list) { delete list; }

int vipcore_purge(vipcore_tenant* tenant, int64_t before_ms, uint64_t batch_size, uint64_t* calls_purged,
                  uint64_t* triggers_purged) {
  return guard([&]() -> int {
    if (calls_purged != nullptr) *calls_purged = 0;
    if (triggers_purged != nullptr) *triggers_purged = 0;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    auto r = tenant->tenant.purge(vipcore::from_unix_ms(before_ms), batch_size == 0 ? 10000 : batch_size);
    if (!r.ok()) return fail(r.status());
    if (calls_purged != nullptr) *calls_purged = r->calls;
    if (triggers_purged != nullptr) *triggers_purged = r->triggers;
    return VIPCORE_OK;
  });
}

// --------------------------------------------------------------------- metrics

int vipcore_metrics_get(vipcore_metrics* out, vipcore_tenant* tenant) {
  return guard([&]() -> int {
    if (int rc = reset_output(out, VIPCORE_V1_SIZE(vipcore_metrics, wait_seconds_sum_by_level),
                              "struct_size is too small: set it to sizeof(vipcore_metrics)");
        rc != VIPCORE_OK)
      return rc;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    auto m = tenant->tenant.metrics();
    if (!m.ok()) return fail(m.status());
    out->identify_attempted = m->identify_attempted;
    out->identify_matched = m->identify_matched;
    out->identify_not_vip = m->identify_not_vip;
    out->identify_failed = m->identify_failed;
    out->escalation_checks = m->escalation_checks;
    out->notification_failures = m->notification_failures;
    for (std::size_t l = 0; l < 5; ++l) {
      out->escalations_by_level[l] = m->escalations_by_level[l];
      out->calls_recorded_by_level[l] = m->calls_recorded_by_level[l];
      out->wait_seconds_sum_by_level[l] = m->wait_seconds_sum_by_level[l];
    }
    return VIPCORE_OK;
  });
}

int vipcore_metrics_prometheus(char** out, vipcore_db* db) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (db == nullptr) return fail_invalid("db", "is NULL");
    const std::string text_out = vipcore::to_prometheus(db->db.metrics());
    char* copy = static_cast<char*>(std::malloc(text_out.size() + 1));
    if (copy == nullptr) throw std::bad_alloc();
    std::memcpy(copy, text_out.c_str(), text_out.size() + 1);
    *out = copy;
    return VIPCORE_OK;
  });
}

// ----------------------------------------------------------------------- audit

void vipcore_audit_query_init(vipcore_audit_query* query) {
  if (query == nullptr) return;
  *query = vipcore_audit_query{};
  query->struct_size = sizeof *query;
  query->limit = 1000;
}

int vipcore_audit_get(vipcore_audit_list** out, vipcore_tenant* tenant, const vipcore_audit_query* query) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (int rc = check_input(query, kAuditQueryV1, "query"); rc != VIPCORE_OK) return rc;
    return audit_list(tenant->tenant.audit(to_audit_query(*query)), out);
  });
}

int vipcore_db_audit_get(vipcore_audit_list** out, vipcore_db* db, const vipcore_audit_query* query) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (db == nullptr) return fail_invalid("db", "is NULL");
    if (int rc = check_input(query, kAuditQueryV1, "query"); rc != VIPCORE_OK) return rc;
    return audit_list(db->db.database_audit(to_audit_query(*query)), out);
  });
}

size_t vipcore_audit_count(const vipcore_audit_list* list) { return list ? list->items.size() : 0; }
int64_t vipcore_audit_at(const vipcore_audit_list* list, size_t i) {
  const auto* e = list ? item(list->items, i) : nullptr;
  return e ? vipcore::to_unix_ms(e->at) : 0;
}
const char* vipcore_audit_actor(const vipcore_audit_list* list, size_t i) {
  const auto* e = list ? item(list->items, i) : nullptr;
  return e ? e->actor_id.c_str() : "";
}
int vipcore_audit_role(const vipcore_audit_list* list, size_t i) {
  const auto* e = list ? item(list->items, i) : nullptr;
  return e ? static_cast<int>(e->role) : -1;
}
const char* vipcore_audit_action(const vipcore_audit_list* list, size_t i) {
  const auto* e = list ? item(list->items, i) : nullptr;
  return e ? e->action.c_str() : "";
}
const char* vipcore_audit_entity_type(const vipcore_audit_list* list, size_t i) {
  const auto* e = list ? item(list->items, i) : nullptr;
  return e ? e->entity_type.c_str() : "";
}
const char* vipcore_audit_entity_id(const vipcore_audit_list* list, size_t i) {
  const auto* e = list ? item(list->items, i) : nullptr;
  return e ? e->entity_id.c_str() : "";
}
const char* vipcore_audit_fields(const vipcore_audit_list* list, size_t i) {
  return list ? c_str(item(list->fields, i)) : "";
}
const char* vipcore_audit_outcome(const vipcore_audit_list* list, size_t i) {
  const auto* e = list ? item(list->items, i) : nullptr;
  return e ? e->outcome.c_str() : "";
}
void vipcore_audit_list_free(vipcore_audit_list* list) { delete list; }

// ------------------------------------------------------------------------ keys

int vipcore_rotate_master_key(vipcore_db* db, const char* new_key_file, const uint8_t* new_key, size_t new_key_len,
                              const char* actor_id, int role) {
  return guard([&]() -> int {
    if (db == nullptr) return fail_invalid("db", "is NULL");
    if (actor_id == nullptr) return fail_invalid("actor_id", "is NULL");
    if (role < 0 || role >= vipcore::kRoleCount) return fail_invalid("role", "is not a vipcore_role");
    auto key = key_of(new_key_file, new_key, new_key_len, "new_key");
    if (!key.ok()) return fail(key.status());
    auto r = db->db.rotate_master_key(*key, {actor_id, static_cast<vipcore::Role>(role)});
    if (!r.ok()) return fail(r.status());
    return VIPCORE_OK;
  });
}

}  // extern "C"
