// vipcore — the audit trail.
//
// Every change made through a Tenant (create, update, delete, import,
// settings) writes one AuditEntry in the same transaction as the change, so
// a change without its entry, or an entry without its change, cannot happen.
// Entries name the fields that changed, never their values. The trail is
// append-only: the API offers no way to change or delete an entry.
#ifndef VIPCORE_AUDIT_HPP
#define VIPCORE_AUDIT_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vipcore/clock.hpp"
#include "vipcore/roles.hpp"

namespace vipcore {

struct AuditEntry {
  std::int64_t sequence = 0;  ///< assigned by storage; increases with every entry
  std::string tenant_id;
  Timestamp at;
  std::string actor_id;
  Role role = Role::agent;
  std::string action;       ///< "create", "update", "delete", "import", "update_settings", "read", "list"
  std::string entity_type;  ///< "vip_caller", "settings"
  std::string entity_id;    ///< the caller id; "" for tenant-wide actions
  std::vector<std::string> fields;  ///< names of the fields changed or read, never values
  std::string outcome;      ///< "ok", or a short summary such as "created 998, skipped 2"
};

/// Which entries to return: all filters that are set must match. Entries
/// come back oldest first.
struct AuditQuery {
  std::optional<Timestamp> from;     ///< at >= from
  std::optional<Timestamp> until;    ///< at < until
  std::optional<std::string> actor_id;
  std::optional<std::string> entity_id;
  std::size_t limit = 1000;          ///< at most this many; 0 means no limit
};

}  // namespace vipcore

#endif  // VIPCORE_AUDIT_HPP
