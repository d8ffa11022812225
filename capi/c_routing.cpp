// vipcore.h, "routing": the routing plan of a call and the dynamic priority.
#include "capi_internal.hpp"

using namespace vipcore::capi;

namespace {

Status to_pbx_state(const vipcore_pbx_state& in, vipcore::PbxState* out) {
  if (Status s = strings(in.free_agents, in.free_agent_count, "free_agents", &out->free_agents); !s.ok()) return s;
  if (in.inside_business_hours != -1) out->inside_business_hours = in.inside_business_hours != 0;
  out->waited_seconds = in.waited_seconds;
  return ok_status();
}

void fill_plan(const vipcore::RoutingPlan& plan, vipcore_routing_plan* out) noexcept {
  out->action = static_cast<int>(plan.action);
  out->is_vip = plan.is_vip ? 1 : 0;
  if (fits(out, &out->target_agent_id)) copy_out(out->target_agent_id, sizeof out->target_agent_id, plan.target_agent_id);
  if (fits(out, &out->wait_seconds)) out->wait_seconds = plan.wait_seconds;
  if (fits(out, &out->front_of_queue)) out->front_of_queue = plan.front_of_queue ? 1 : 0;
  if (fits(out, &out->queue_priority)) out->queue_priority = plan.queue_priority;
  if (fits(out, &out->asterisk_queue_prio)) out->asterisk_queue_prio = plan.pbx.asterisk_queue_prio;
  if (fits(out, &out->freeswitch_base_score)) out->freeswitch_base_score = plan.pbx.freeswitch_base_score;
  if (fits(out, &out->queue_age_bonus_seconds)) out->queue_age_bonus_seconds = plan.pbx.queue_age_bonus_seconds;
  if (fits(out, &out->greeting)) copy_out(out->greeting, sizeof out->greeting, plan.greeting);
  if (fits(out, &out->offer_callback)) out->offer_callback = plan.offer_callback ? 1 : 0;
  if (fits(out, &out->callback_priority)) out->callback_priority = plan.callback_priority;
  if (fits(out, &out->reason)) copy_out(out->reason, sizeof out->reason, plan.reason);
}

}  // namespace

extern "C" {

void vipcore_pbx_state_init(vipcore_pbx_state* state) {
  if (state == nullptr) return;
  *state = vipcore_pbx_state{};
  state->struct_size = sizeof *state;
  state->inside_business_hours = -1;
}

int vipcore_plan_route(vipcore_routing_plan* out, vipcore_tenant* tenant, const vipcore_identification* who,
                       const vipcore_pbx_state* state) {
  return api_call({output_struct(out, offsetof(vipcore_routing_plan, target_agent_id),
                                 "struct_size is too small: initialize with VIPCORE_ROUTING_PLAN_INIT",
                                 [](vipcore_routing_plan* o) { o->action = VIPCORE_ROUTE_QUEUE; }),
                   given(tenant, "tenant"), who_arg(who),
                   input(state, VIPCORE_V1_SIZE(vipcore_pbx_state, waited_seconds), "state")},
                  [&]() -> Status {
                    vipcore::Identification id;
                    if (Status s = to_identification(*who, &id); !s.ok()) return s;
                    vipcore::PbxState st;
                    if (Status s = to_pbx_state(*state, &st); !s.ok()) return s;
                    auto plan = tenant->tenant.routing_plan(id, st);
                    if (!plan.ok()) return plan.status();
                    fill_plan(*plan, out);
                    return ok_status();
                  });
}

int vipcore_queue_priority(int* out, vipcore_tenant* tenant, const vipcore_identification* who, int waited_seconds) {
  return api_call({output(out), given(tenant, "tenant"), who_arg(who),
                   {waited_seconds >= 0, "waited_seconds", "must not be negative"}},
                  [&]() -> Status {
                    vipcore::Identification id;
                    if (Status s = to_identification(*who, &id); !s.ok()) return s;
                    *out = tenant->tenant.queue_priority(id, waited_seconds);
                    return ok_status();
                  });
}

}  // extern "C"
