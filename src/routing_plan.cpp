// Routing plans and PBX priorities: Tenant::routing_plan, queue_priority,
// pbx_priorities, inside_business_hours.
#include <fmt/format.h>

#include <algorithm>

#include "state.hpp"
#include "vipcore/tenant.hpp"

namespace vipcore {
namespace {

int standard_target(const TenantSettings& s) noexcept { return s.level_waits[static_cast<std::size_t>(Level::standard)]; }

PbxPriorities priorities(const Identification& who, const TenantSettings& s) noexcept {
  PbxPriorities p;
  if (!who.is_vip) return p;
  p.asterisk_queue_prio = who.routing_priority;
  // Every caller's score reaches the longest target when their own target is
  // reached, so a queue ordered by score serves the earliest deadline first.
  const int longest = *std::max_element(s.level_waits.begin(), s.level_waits.end());
  p.freeswitch_base_score = std::max(0, longest - who.caller.max_wait_time);
  p.queue_age_bonus_seconds = p.freeswitch_base_score;
  return p;
}

void transfer(RoutingPlan& p, const std::string& agent, std::string reason) {
  p.action = RouteAction::transfer;
  p.target_agent_id = agent;
  p.reason = std::move(reason);
}

void enqueue(RoutingPlan& p, std::string reason) {
  p.action = RouteAction::queue;
  p.reason = std::move(reason);
}

// Where the agents are: who is free, and whether the caller's preferred agent is.
struct Agents {
  const std::vector<std::string>& free;
  bool preferred_free;
};

// IMMEDIATE_TRANSFER: the preferred agent if free, else the first free
// agent, else the front of the queue. `hours` notes a call served outside
// business hours.
void route_immediate(RoutingPlan& p, const CallerSummary& c, const Agents& agents, const std::string& hours) {
  // With DEDICATED_AGENT too but nobody named, say so: the first free agent is the fallback.
  const std::string nobody = c.handling_rules.has(HandlingRule::dedicated_agent) && c.preferred_agent_id.empty()
                                 ? " (DEDICATED_AGENT: the caller has no preferred agent)"
                                 : "";
  if (agents.preferred_free)
    transfer(p, c.preferred_agent_id, "IMMEDIATE_TRANSFER: the preferred agent is free" + hours);
  else if (!agents.free.empty())
    transfer(p, agents.free.front(), "IMMEDIATE_TRANSFER: the first free agent" + nobody + hours);
  else {
    p.front_of_queue = true;
    enqueue(p, "IMMEDIATE_TRANSFER: no agent is free; the front of the queue" + nobody + hours);
  }
}

// DEDICATED_AGENT: the dedicated agent if free, else wait for them up to the
// caller's max_wait_time, then the first free agent, else the queue.
void route_dedicated(RoutingPlan& p, const CallerSummary& c, const Agents& agents, int waited,
                     const std::string& hours) {
  const auto& free = agents.free;
  if (c.preferred_agent_id.empty()) {
    // Nobody to wait for: the fallback of a dedicated agent who stays busy.
    const std::string why = c.preferred_department_id.empty()
                                ? "DEDICATED_AGENT: the caller has no preferred agent"
                                : "DEDICATED_AGENT: the caller has no preferred agent (only a preferred department)";
    if (!free.empty()) transfer(p, free.front(), why + "; the first free agent" + hours);
    else enqueue(p, why + " and no agent is free; the queue" + hours);
  } else if (agents.preferred_free) {
    transfer(p, c.preferred_agent_id, "DEDICATED_AGENT: the dedicated agent is free" + hours);
  } else if (waited < c.max_wait_time) {
    p.action = RouteAction::wait_for_agent;
    p.target_agent_id = c.preferred_agent_id;
    p.wait_seconds = c.max_wait_time - waited;
    p.reason = fmt::format("DEDICATED_AGENT: the dedicated agent is busy; wait up to {} s more{}", p.wait_seconds,
                           hours);
  } else if (!free.empty()) {
    transfer(p, free.front(), "DEDICATED_AGENT: waited max_wait_time for the dedicated agent; the first free agent" +
                                  hours);
  } else {
    enqueue(p, "DEDICATED_AGENT: waited max_wait_time for the dedicated agent and no agent is free; the queue" + hours);
  }
}

RoutingPlan plan(const Identification& who, const PbxState& state, bool open, const TenantSettings& settings) {
  RoutingPlan p;
  const int waited = std::max(0, state.waited_seconds);
  p.is_vip = who.is_vip;
  if (!who.is_vip) {
    p.queue_priority = dynamic_priority(0, waited, standard_target(settings), settings.dynamic_priority);
    if (open) enqueue(p, "not a VIP: the regular queue");
    else {
      p.action = RouteAction::after_hours;
      p.reason = "not a VIP, outside business hours";
    }
    return p;
  }

  const CallerSummary& c = who.caller;
  const HandlingRules rules = c.handling_rules;
  p.pbx = priorities(who, settings);
  p.queue_priority = dynamic_priority(who.routing_priority, waited, c.max_wait_time, settings.dynamic_priority);
  p.front_of_queue = rules.has(HandlingRule::priority_queue);
  if (rules.has(HandlingRule::custom_greeting)) p.greeting = c.custom_greeting;
  if (rules.has(HandlingRule::callback_priority)) {
    p.offer_callback = true;
    p.callback_priority = c.callback_priority;
  }
  if (!open && !rules.has(HandlingRule::extended_hours)) {
    p.action = RouteAction::after_hours;
    p.reason = "outside business hours, and the caller has no EXTENDED_HOURS";
    return p;
  }
  const std::string hours = open ? "" : " (EXTENDED_HOURS: served outside business hours)";
  const auto& free = state.free_agents;
  const Agents agents{free, !c.preferred_agent_id.empty() &&
                                std::find(free.begin(), free.end(), c.preferred_agent_id) != free.end()};
  if (rules.has(HandlingRule::immediate_transfer)) route_immediate(p, c, agents, hours);
  else if (rules.has(HandlingRule::dedicated_agent)) route_dedicated(p, c, agents, waited, hours);
  else if (p.front_of_queue) enqueue(p, "PRIORITY_QUEUE: the front of the queue" + hours);
  else enqueue(p, "VIP: queued by priority" + hours);
  return p;
}

}  // namespace

Result<bool> Tenant::inside_business_hours() const {
  const detail::TenantState& t = *state_;
  const TenantSettings& s = t.fresh_settings();
  return within_hours(s.business_hours, s.time_zone, t.db->now());
}

Result<RoutingPlan> Tenant::routing_plan(const Identification& who, const PbxState& state) const {
  const detail::TenantState& t = *state_;
  if (Status s = t.authorize(Operation::route_call); !s.ok()) return s;
  if (state.waited_seconds < 0) return Status::invalid_argument("waited_seconds", "must not be negative");
  bool open = true;
  if (state.inside_business_hours) {
    open = *state.inside_business_hours;
  } else {
    auto computed = inside_business_hours();
    if (!computed.ok()) return computed.status();
    open = *computed;
  }
  return plan(who, state, open, t.ctx->settings());
}

int Tenant::queue_priority(const Identification& who, int waited_seconds) const noexcept {
  const TenantSettings& s = state_->fresh_settings();
  if (!who.is_vip) return dynamic_priority(0, waited_seconds, standard_target(s), s.dynamic_priority);
  return dynamic_priority(who.routing_priority, waited_seconds, who.caller.max_wait_time, s.dynamic_priority);
}

PbxPriorities Tenant::pbx_priorities(const Identification& who) const noexcept {
  return priorities(who, state_->fresh_settings());
}

}  // namespace vipcore
