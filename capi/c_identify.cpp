// vipcore.h, "identify": the hot path, and the routing priority of a level.
#include "capi_internal.hpp"

using namespace vipcore::capi;

namespace {

void fill_identification(const vipcore::Identification& who, vipcore_identification* out) noexcept {
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
}

}  // namespace

extern "C" {

int vipcore_identify(vipcore_identification* out, vipcore_tenant* tenant, const char* number) {
  // Reset to "not a VIP" first, so that a failure still routes the call.
  return api_call({output_struct(out, offsetof(vipcore_identification, caller_id),
                                 "struct_size is too small: initialize with VIPCORE_IDENTIFICATION_INIT",
                                 [](vipcore_identification* o) { o->match = VIPCORE_MATCH_NOT_FOUND; }),
                   given(tenant, "tenant"), given(number, "phone_number")},
                  [&]() -> Status {
                    // One Identification per thread keeps its strings' capacity: no
                    // allocation once warm.
                    thread_local vipcore::Identification who;
                    if (Status s = tenant->tenant.identify(number, &who); !s.ok()) return s;
                    fill_identification(who, out);
                    return ok_status();
                  });
}

int vipcore_routing_priority(int* out, vipcore_tenant* tenant, int level, uint32_t handling_rules) {
  return api_call({output(out), given(tenant, "tenant")}, [&]() -> Status {
    vipcore::Level l = vipcore::Level::standard;
    if (Status s = level_of(level, "level", &l); !s.ok()) return s;
    *out = tenant->tenant.routing_priority(l, vipcore::HandlingRules::from_bits(handling_rules));
    return ok_status();
  });
}

}  // extern "C"
