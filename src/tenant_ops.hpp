// Pieces shared by the Tenant operations (tenant.cpp, import.cpp). Private.
#ifndef VIPCORE_SRC_TENANT_OPS_HPP
#define VIPCORE_SRC_TENANT_OPS_HPP

#include <string>
#include <string_view>
#include <vector>

#include "record_codec.hpp"
#include "state.hpp"
#include "validate.hpp"
#include "vipcore/audit.hpp"
#include "vipcore/caller.hpp"
#include "vipcore/settings.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::detail {

AuditEntry audit_entry(const TenantState& t, Timestamp at, std::string_view action, std::string_view entity_type,
                       std::string_view entity_id, std::vector<std::string> fields, std::string outcome);
/// The names of the fields a new caller sets.
std::vector<std::string> field_names(const NewCaller& in);
/// The names of the settings that differ between `before` and `after`
/// (never their values), for the audit entry of a settings change.
std::vector<std::string> changed_settings(const TenantSettings& before, const TenantSettings& after);
/// Code::already_exists, naming the field, when one of the record's numbers
/// belongs to a caller other than `own_id` (null: to any caller).
Status check_phones_free(WriteTransaction& txn, std::string_view tenant_id, const CallerRecord& r,
                         const std::string* own_id);
/// Code::not_found naming the caller and the tenant.
Status caller_not_found(const TenantState& t, std::string_view id);
/// The stored caller with this (canonical) id; Code::not_found when none.
Result<CallerRecord> read_caller(const TenantState& t, std::string_view id);
/// The number rules of the tenant's settings in force.
NumberRules number_rules(const TenantState& t);
/// Appends the audit entry and commits.
Status commit_with_audit(WriteTransaction& txn, const AuditEntry& entry);

/// Records that a person read callers' details (get, list, search, identify
/// by anyone but SYSTEM): an access entry in its own transaction. The PBX's
/// own lookups are counted in metrics instead. Fails closed: a read that
/// cannot be logged is refused with the storage's error.
Status log_access(const TenantState& t, std::string_view action, std::string_view entity_id,
                  std::vector<std::string> fields, std::string outcome);

}  // namespace vipcore::detail

#endif
