// What the escalation rules share with the rest of the library: the stored
// level mask, the tenant's cached rules and resealing. Private.
#ifndef VIPCORE_SRC_RULES_HPP
#define VIPCORE_SRC_RULES_HPP

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "state.hpp"
#include "vipcore/caller.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::detail {

/// The levels a rule applies to as a bit mask: bit n = Level n; 0 = all
/// levels (RuleRecord::level_mask).
inline std::uint32_t level_mask(const std::vector<Level>& levels) noexcept {
  std::uint32_t mask = 0;
  for (Level l : levels) mask |= 1u << static_cast<unsigned>(l);
  return mask;
}

/// The tenant's escalation rules in evaluation order, from the tenant's
/// cache while the stored rules version is unchanged (src/rules.cpp).
Result<std::shared_ptr<const RuleSet>> current_rules(const TenantState& t);

/// Re-seals a rule's notification targets when they are not under the
/// current key version; true when anything changed.
Result<bool> reseal_rule(RuleRecord& rule, const TenantKeys& keys, std::string_view tenant_id);

}  // namespace vipcore::detail

#endif
