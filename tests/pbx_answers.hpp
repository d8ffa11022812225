// What a PBX answers about a few numbers, as one string: the coherence
// tests compare it before and after a change, and with a reference.
#ifndef VIPCORE_TESTS_PBX_ANSWERS_HPP
#define VIPCORE_TESTS_PBX_ANSWERS_HPP

#include <fmt/format.h>

#include <string>

#include "vipcore/vipcore.hpp"

namespace vipcore::test {

inline constexpr const char* kJohn = "+1 (234) 567-8900";
inline constexpr const char* kSarah = "+1 345 678 9012";
inline constexpr const char* kNewcomer = "+1 456 789 0123";
inline constexpr const char* kMoved = "+1 212 555 0199";
inline constexpr const char* kProbes[] = {kJohn, kSarah, kNewcomer, kMoved};

// Everything a PBX asks, as one string: for each probe number, identify
// (and, for a VIP, the routing priority the tenant gives its level and rules
// and an escalation check at 120 s), then the priority of a plain GOLD caller.
inline std::string answers(const Tenant& pbx) {
  std::string out;
  for (const char* number : kProbes) {
    Identification id;
    if (Status s = pbx.identify(number, &id); !s.ok()) {
      out += fmt::format("{}: {}\n", number, s.to_string());
      continue;
    }
    // The name as a fingerprint, so that a failed check does not print it.
    out += fmt::format("{}: {} vip={} level={} priority={} name=#{:016x} greeting='{}' agent='{}' wait={}", number,
                       to_string(id.match), id.is_vip, to_string(id.caller.vip_level), id.routing_priority,
                       std::hash<std::string>()(id.caller.caller_name), id.caller.custom_greeting,
                       id.caller.preferred_agent_id, id.caller.max_wait_time);
    if (id.is_vip) {
      auto esc = pbx.check_escalation(id.caller, 120, 3);
      out += esc.ok() ? fmt::format(" escalate={} rules={}", esc->should_escalate, esc->triggered_rules.size())
                      : " escalation: " + esc.status().to_string();
    }
    out += "\n";
  }
  out += fmt::format("gold+priority_queue={}\n", pbx.routing_priority(Level::gold, {HandlingRule::priority_queue}));
  return out;
}

}  // namespace vipcore::test

#endif
