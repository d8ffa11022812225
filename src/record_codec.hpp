// The record codec: a caller between its plaintext API form (VipCaller,
// NewCaller, CallerUpdate) and the record storage keeps (CallerRecord:
// numbers hashed, sensitive fields sealed, clear fields tagged). Private.
#ifndef VIPCORE_SRC_RECORD_CODEC_HPP
#define VIPCORE_SRC_RECORD_CODEC_HPP

#include <string>
#include <string_view>

#include "crypto.hpp"
#include "validate.hpp"
#include "vipcore/caller.hpp"
#include "vipcore/clock.hpp"
#include "vipcore/settings.hpp"
#include "vipcore/status.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::detail {

/// Seals a validated new caller into a record with a new id, created now.
CallerRecord seal_new_caller(const ValidCaller& caller, const TenantKeys& keys, std::string_view tenant_id,
                             std::string id, Timestamp now);

/// Validates `update` and applies it to `record` (sealing changed fields),
/// setting updated_at to `now`. On error `record` may be partly changed and
/// must be discarded.
Status apply_update(const CallerUpdate& update, const NumberRules& numbers, const TenantKeys& keys,
                    std::string_view tenant_id, Timestamp now, CallerRecord* record);

/// Re-seals every sealed field of a record that is not under the current
/// key version; true when anything changed.
Result<bool> reseal_caller(CallerRecord& record, const TenantKeys& keys, std::string_view tenant_id);

/// Code::integrity naming the caller: its clear fields do not match its tag.
Status tampered_caller(std::string_view id);

/// Opens a record into the API type; Code::integrity when a sealed field or
/// the integrity tag of the clear fields does not match.
Status open_caller(const CallerRecord& record, const TenantKeys& keys, std::string_view tenant_id,
                   const TenantSettings& settings, VipCaller* out);

}  // namespace vipcore::detail

#endif
