// vipcore.h, "callers": create, read, update, delete, list and walk callers.
#include "capi_internal.hpp"

using namespace vipcore::capi;

namespace vipcore::capi {

Status to_new_caller(const vipcore_caller_input& in, NewCaller* out) {
  out->phone_number = text(in.phone_number);
  if (Status s = strings(in.alternative_phone_numbers, in.alternative_phone_count, "alternative_phone_numbers",
                         &out->alternative_phone_numbers);
      !s.ok())
    return s;
  out->caller_name = text(in.caller_name);
  out->company_name = text(in.company_name);
  if (Status s = level_or_none(in.vip_level, "vip_level", &out->vip_level); !s.ok()) return s;
  if (Status s = status_or_none(in.status, &out->status); !s.ok()) return s;
  out->preferred_agent_id = text(in.preferred_agent_id);
  out->preferred_department_id = text(in.preferred_department_id);
  out->handling_rules = HandlingRules::from_bits(in.handling_rules);
  if (in.handling_rules >= (1u << kHandlingRuleCount))
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

}  // namespace vipcore::capi

namespace {

// The fields of an update that are not plain text.
Status to_update_values(const vipcore_caller_input& in, vipcore::CallerUpdate* u) {
  const uint32_t f = in.fields;
  if (f & VIPCORE_FIELD_ALTERNATIVE_PHONE_NUMBERS) {
    u->alternative_phone_numbers.emplace();
    if (Status s = strings(in.alternative_phone_numbers, in.alternative_phone_count, "alternative_phone_numbers",
                           &*u->alternative_phone_numbers);
        !s.ok())
      return s;
  }
  if (f & VIPCORE_FIELD_VIP_LEVEL) {
    if (Status s = level_of(in.vip_level, "vip_level", &u->vip_level.emplace()); !s.ok()) return s;
  }
  if (f & VIPCORE_FIELD_STATUS) {
    if (Status s = status_of(in.status, &u->status.emplace()); !s.ok()) return s;
  }
  if (f & VIPCORE_FIELD_HANDLING_RULES) {
    if (in.handling_rules >= (1u << vipcore::kHandlingRuleCount))
      return Status::invalid_argument("handling_rules", "has bits that name no handling rule");
    u->handling_rules = vipcore::HandlingRules::from_bits(in.handling_rules);
  }
  if (f & VIPCORE_FIELD_TAGS) {
    u->tags.emplace();
    if (Status s = strings(in.tags, in.tag_count, "tags", &*u->tags); !s.ok()) return s;
  }
  return ok_status();
}

Status to_update(const vipcore_caller_input& in, vipcore::CallerUpdate* u) {
  const uint32_t f = in.fields;
  if (f >= (1u << 19)) return Status::invalid_argument("fields", "has bits that name no field");
  if (f & VIPCORE_FIELD_PHONE_NUMBER) u->phone_number = text(in.phone_number);
  if (f & VIPCORE_FIELD_CALLER_NAME) u->caller_name = text(in.caller_name);
  if (f & VIPCORE_FIELD_COMPANY_NAME) u->company_name = text(in.company_name);
  if (f & VIPCORE_FIELD_PREFERRED_AGENT_ID) u->preferred_agent_id = text(in.preferred_agent_id);
  if (f & VIPCORE_FIELD_PREFERRED_DEPARTMENT_ID) u->preferred_department_id = text(in.preferred_department_id);
  if (f & VIPCORE_FIELD_CUSTOM_GREETING) u->custom_greeting = text(in.custom_greeting);
  if (f & VIPCORE_FIELD_MAX_WAIT_TIME)
    u->max_wait_time = in.max_wait_time == 0 ? std::optional<int>() : std::optional<int>(in.max_wait_time);
  if (f & VIPCORE_FIELD_CALLBACK_PRIORITY) u->callback_priority = in.callback_priority == 0 ? 1 : in.callback_priority;
  if (f & VIPCORE_FIELD_EMAIL) u->email = text(in.email);
  if (f & VIPCORE_FIELD_ACCOUNT_NUMBER) u->account_number = text(in.account_number);
  if (f & VIPCORE_FIELD_ACCOUNT_VALUE)
    u->account_value = in.has_account_value ? std::optional<double>(in.account_value) : std::nullopt;
  if (f & VIPCORE_FIELD_NOTES) u->notes = text(in.notes);
  if (f & VIPCORE_FIELD_VALID_FROM) u->valid_from = time_of(in.valid_from_ms);
  if (f & VIPCORE_FIELD_VALID_UNTIL) u->valid_until = time_of(in.valid_until_ms);
  return to_update_values(in, u);
}

Status to_list_query(const vipcore_list_query& in, vipcore::ListQuery* q) {
  q->skip = in.skip;
  q->limit = in.limit;
  if (Status s = level_or_none(in.vip_level, "vip_level", &q->vip_level); !s.ok()) return s;
  if (Status s = status_or_none(in.status, &q->status); !s.ok()) return s;
  q->search = text(in.search);
  return ok_status();
}

}  // namespace

extern "C" {

void vipcore_caller_input_init(vipcore_caller_input* input) {
  if (input == nullptr) return;
  *input = vipcore_caller_input{};
  input->struct_size = sizeof *input;
  input->vip_level = -1;
  input->status = -1;
}

int vipcore_caller_create(vipcore_caller** out, vipcore_tenant* tenant, const vipcore_caller_input* input_in) {
  return api_call({optional_output(out), given(tenant, "tenant"), input(input_in, kCallerInputV1, "input")},
                  [&]() -> Status {
                    vipcore::NewCaller c;
                    if (Status s = to_new_caller(*input_in, &c); !s.ok()) return s;
                    return give(out, tenant->tenant.create(c));
                  });
}

int vipcore_caller_get(vipcore_caller** out, vipcore_tenant* tenant, const char* id) {
  return api_call({output(out), given(tenant, "tenant"), given(id, "id")},
                  [&]() -> Status { return give(out, tenant->tenant.get(id)); });
}

int vipcore_caller_update(vipcore_caller** out, vipcore_tenant* tenant, const char* id,
                          const vipcore_caller_input* changes) {
  return api_call({optional_output(out), given(tenant, "tenant"), given(id, "id"),
                   input(changes, kCallerInputV1, "changes")},
                  [&]() -> Status {
                    vipcore::CallerUpdate u;
                    if (Status s = to_update(*changes, &u); !s.ok()) return s;
                    return give(out, tenant->tenant.update(id, u));
                  });
}

int vipcore_caller_delete(vipcore_tenant* tenant, const char* id) {
  return api_call({given(tenant, "tenant"), given(id, "id")}, [&]() -> Status { return tenant->tenant.remove(id); });
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
  return api_call({output(out), given(tenant, "tenant"),
                   input(query, VIPCORE_V1_SIZE(vipcore_list_query, search), "query")},
                  [&]() -> Status {
                    vipcore::ListQuery q;
                    if (Status s = to_list_query(*query, &q); !s.ok()) return s;
                    auto list = std::make_unique<vipcore_caller_list>();
                    auto callers = tenant->tenant.list(q, &list->damaged);
                    if (!callers.ok()) return callers.status();
                    for (vipcore::VipCaller& c : *callers) list->items.push_back(vipcore_caller{std::move(c)});
                    *out = list.release();
                    return ok_status();
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
  return api_call({given(tenant, "tenant"), Arg{visit != nullptr, "visit", "is NULL"}}, [&]() -> Status {
    vipcore_caller handle;
    return tenant->tenant.for_each_caller([&](const vipcore::VipCaller& c) {
      handle.c = c;
      return visit(user_data, &handle) == 0;
    });
  });
}

}  // extern "C"
