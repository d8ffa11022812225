// vipcore.h, "escalation" (rules): create, read, update, delete and list
// escalation rules.
#include "capi_internal.hpp"

using namespace vipcore::capi;

namespace {

Status to_rule_notify(const vipcore_rule_input& in, vipcore::EscalationRule* r) {
  if (Status s = strings(in.emails, in.email_count, "notify.emails", &r->notify.emails); !s.ok()) return s;
  if (Status s = strings(in.sms_numbers, in.sms_count, "notify.sms_numbers", &r->notify.sms_numbers); !s.ok()) return s;
  return strings(in.internal_alerts, in.internal_alert_count, "notify.internal_alerts", &r->notify.internal_alerts);
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
  if (Status s = to_rule_notify(in, r); !s.ok()) return s;
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

vipcore_rule rule_handle(vipcore::EscalationRule&& r) {
  vipcore_rule h{std::move(r), std::string()};
  if (h.r.business_hours) h.business_hours = vipcore::format_weekly_hours(*h.r.business_hours);
  return h;
}

}  // namespace

extern "C" {

void vipcore_rule_input_init(vipcore_rule_input* input) {
  if (input == nullptr) return;
  *input = vipcore_rule_input{};
  input->struct_size = sizeof *input;
  input->max_wait_time = -1;
  input->max_queue_position = -1;
  input->is_active = 1;
  input->priority = 1;
}

int vipcore_rule_create(vipcore_rule** out, vipcore_tenant* tenant, const vipcore_rule_input* input_in) {
  return api_call({optional_output(out), given(tenant, "tenant"), input(input_in, kRuleInputV1, "input")},
                  [&]() -> Status {
                    vipcore::EscalationRule r;
                    if (Status s = to_rule(*input_in, &r); !s.ok()) return s;
                    return give(out, tenant->tenant.create_rule(r), rule_handle);
                  });
}

int vipcore_rule_get(vipcore_rule** out, vipcore_tenant* tenant, const char* id) {
  return api_call({output(out), given(tenant, "tenant"), given(id, "id")},
                  [&]() -> Status { return give(out, tenant->tenant.get_rule(id), rule_handle); });
}

int vipcore_rule_update(vipcore_rule** out, vipcore_tenant* tenant, const char* id, const vipcore_rule_input* changes) {
  return api_call({optional_output(out), given(tenant, "tenant"), given(id, "id"),
                   input(changes, kRuleInputV1, "changes")},
                  [&]() -> Status {
                    vipcore::EscalationRuleUpdate u;
                    if (Status s = to_rule_update(*changes, &u); !s.ok()) return s;
                    return give(out, tenant->tenant.update_rule(id, u), rule_handle);
                  });
}

int vipcore_rule_delete(vipcore_tenant* tenant, const char* id) {
  return api_call({given(tenant, "tenant"), given(id, "id")},
                  [&]() -> Status { return tenant->tenant.remove_rule(id); });
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
  return api_call({output(out), given(tenant, "tenant")}, [&]() -> Status {
    auto rules = tenant->tenant.list_rules();
    if (!rules.ok()) return rules.status();
    auto list = std::make_unique<vipcore_rule_list>();
    for (vipcore::EscalationRule& r : *rules) list->items.push_back(rule_handle(std::move(r)));
    *out = list.release();
    return ok_status();
  });
}
size_t vipcore_rule_list_count(const vipcore_rule_list* list) { return list ? list->items.size() : 0; }
const vipcore_rule* vipcore_rule_list_at(const vipcore_rule_list* list, size_t i) {
  return list ? item(list->items, i) : nullptr;
}
void vipcore_rule_list_free(vipcore_rule_list* list) { delete list; }

}  // extern "C"
