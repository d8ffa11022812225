// Roles and operations, the permission table, and the check every tenant
// operation makes against it (TenantState::authorize).
#include "vipcore/roles.hpp"

#include <fmt/format.h>

#include "state.hpp"
#include "text.hpp"

namespace vipcore {
namespace {

constexpr std::string_view kRoleNames[kRoleCount] = {"ADMIN", "MANAGER", "AGENT", "SYSTEM", "AUDITOR"};
constexpr std::string_view kOperationNames[] = {"identify",       "read_caller",    "list_callers",
                                                "create_caller",  "update_caller",  "delete_caller",
                                                "import_callers", "read_settings",  "update_settings",
                                                "read_audit",     "route_call",     "read_rules",
                                                "manage_rules",   "check_escalation", "purge",
                                                "record_call",    "read_analytics", "read_metrics",
                                                "rotate_key",     "manage_tokens"};
static_assert(std::size(kOperationNames) == static_cast<std::size_t>(Operation::kCount));

// The permission table: one row per operation, one column per role
// (ADMIN, MANAGER, AGENT, SYSTEM, AUDITOR). The README reproduces it.
constexpr bool kAllowed[static_cast<std::size_t>(Operation::kCount)][kRoleCount] = {
    //               ADMIN  MANAGER AGENT  SYSTEM AUDITOR
    /* identify */        {true, true, true, true, false},
    /* read_caller */     {true, true, true, false, false},
    /* list_callers */    {true, true, true, false, false},
    /* create_caller */   {true, true, false, false, false},
    /* update_caller */   {true, true, false, false, false},
    /* delete_caller */   {true, true, false, false, false},
    /* import_callers */  {true, true, false, false, false},
    /* read_settings */   {true, true, false, false, true},
    /* update_settings */ {true, false, false, false, false},
    /* read_audit */      {true, false, false, false, true},
    /* route_call */      {true, true, true, true, false},
    /* read_rules */      {true, true, true, false, true},
    /* manage_rules */    {true, true, false, false, false},
    /* check_escalation */{true, true, true, true, false},
    /* purge */           {true, false, false, false, false},
    /* record_call */     {true, true, false, true, false},
    /* read_analytics */  {true, true, false, false, true},
    /* read_metrics */    {true, true, false, true, true},
    /* rotate_key */      {true, false, false, false, false},
    /* manage_tokens */   {true, false, false, false, false},
};

}  // namespace

std::string_view to_string(Role role) noexcept {
  const auto i = static_cast<std::size_t>(role);
  return i < kRoleCount ? kRoleNames[i] : "UNKNOWN";
}

Result<Role> parse_role(std::string_view text, std::string_view field) {
  const std::string_view t = detail::trim(text);
  for (std::size_t i = 0; i < kRoleCount; ++i)
    if (detail::iequals(t, kRoleNames[i])) return static_cast<Role>(i);
  return Status::invalid_argument(field, "unknown role (expected one of ADMIN, MANAGER, AGENT, SYSTEM, AUDITOR)");
}

std::string_view to_string(Operation op) noexcept {
  const auto i = static_cast<std::size_t>(op);
  return i < std::size(kOperationNames) ? kOperationNames[i] : "unknown";
}

bool is_allowed(Role role, Operation op) noexcept {
  const auto r = static_cast<std::size_t>(role);
  const auto o = static_cast<std::size_t>(op);
  return r < kRoleCount && o < static_cast<std::size_t>(Operation::kCount) && kAllowed[o][r];
}

Status detail::TenantState::authorize(Operation op, std::uint64_t* generation) const {
  if (!is_allowed(actor.role, op))
    return Status::permission_denied(
        fmt::format("role {} may not {} (actor {})", to_string(actor.role), to_string(op), actor.id));
  auto synced = ctx->sync(*db->storage, db->default_region);
  if (!synced.ok()) return synced.status();
  if (generation != nullptr) *generation = *synced;
  return ok_status();
}

const TenantSettings& detail::TenantState::fresh_settings() const noexcept {
  try {
    static_cast<void>(ctx->sync(*db->storage, db->default_region));
  } catch (const std::exception&) {
    // Out of memory reading them: the last ones read.
  }
  return ctx->settings();
}

}  // namespace vipcore
