// Pieces shared by the Tenant operations (tenant.cpp, import.cpp). Private.
#ifndef VIPCORE_SRC_TENANT_OPS_HPP
#define VIPCORE_SRC_TENANT_OPS_HPP

#include <string>
#include <string_view>
#include <vector>

#include "state.hpp"
#include "vipcore/audit.hpp"
#include "vipcore/caller.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::detail {

AuditEntry audit_entry(const TenantState& t, Timestamp at, std::string_view action, std::string_view entity_type,
                       std::string_view entity_id, std::vector<std::string> fields, std::string outcome);
/// The names of the fields a new caller sets.
std::vector<std::string> field_names(const NewCaller& in);
/// Code::already_exists, naming the field, when one of the record's numbers
/// belongs to a caller other than `own_id` (null: to any caller).
Status check_phones_free(WriteTransaction& txn, std::string_view tenant_id, const CallerRecord& r,
                         const std::string* own_id);
/// Appends the audit entry and commits.
Status commit_with_audit(WriteTransaction& txn, const AuditEntry& entry);

}  // namespace vipcore::detail

#endif
