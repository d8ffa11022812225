// vipcore — who may do what: actors, roles and the permission table.
//
// Every tenant scope (Database::tenant) carries an Actor. Each operation of
// the API is one Operation below, and is_allowed() — a single table — decides
// whether the actor's role may perform it. A refused operation returns
// Code::permission_denied and changes nothing.
#ifndef VIPCORE_ROLES_HPP
#define VIPCORE_ROLES_HPP

#include <cstdint>
#include <string>
#include <string_view>

#include "vipcore/export.h"
#include "vipcore/status.hpp"

namespace vipcore {

enum class Role : std::uint8_t {
  admin = 0,    ///< everything in the tenant, settings included
  manager = 1,  ///< manages VIPs, rules and reports
  agent = 2,    ///< looks callers up while serving them
  system = 3,   ///< the PBX itself: identify, route, check escalations, record calls
  auditor = 4,  ///< reads the audit trail and analytics, changes nothing
};
inline constexpr int kRoleCount = 5;

/// "ADMIN", "MANAGER", "AGENT", "SYSTEM", "AUDITOR".
VIPCORE_EXPORT std::string_view to_string(Role role) noexcept;
VIPCORE_EXPORT Result<Role> parse_role(std::string_view text, std::string_view field = "role");

/// Who performs an operation: an id of the integrator's choosing (a user
/// name, a PBX node name) and a role.
struct Actor {
  std::string id;
  Role role = Role::agent;
};

/// Every operation that the permission table covers.
enum class Operation : std::uint8_t {
  identify = 0,        ///< identify a number, routing priority
  read_caller,         ///< get one caller's details
  list_callers,        ///< list and search callers
  create_caller,
  update_caller,
  delete_caller,
  import_callers,
  read_settings,
  update_settings,
  read_audit,          ///< query the audit trail
  route_call,          ///< routing plans and PBX priorities
  read_rules,          ///< get and list escalation rules
  manage_rules,        ///< create, update and delete escalation rules
  check_escalation,    ///< the escalation check of a waiting call
  purge,               ///< delete old triggers and call history
  record_call,         ///< record a VIP call in the history
  read_analytics,      ///< call history, per-VIP and overview analytics, alerts
  read_metrics,        ///< the in-memory counters
  rotate_key,          ///< rotate the master key (Database::rotate_master_key)
  manage_tokens,       ///< create, list and revoke API tokens (Tenant::create_api_token)
  kCount
};
VIPCORE_EXPORT std::string_view to_string(Operation op) noexcept;

/// The permission table. Total and constant: the same answer every time.
VIPCORE_EXPORT bool is_allowed(Role role, Operation op) noexcept;

}  // namespace vipcore

#endif  // VIPCORE_ROLES_HPP
