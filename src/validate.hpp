// Validation of callers, and their conversion between the plaintext API
// types and the sealed records that storage keeps. Private to the library.
#ifndef VIPCORE_SRC_VALIDATE_HPP
#define VIPCORE_SRC_VALIDATE_HPP

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "state.hpp"
#include "vipcore/caller.hpp"
#include "vipcore/phone.hpp"
#include "vipcore/status.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::detail {

/// Validates a tenant or actor id: 1 to 128 characters. Tenant ids are
/// restricted to [A-Za-z0-9._:@-]; actor ids to printable UTF-8.
Status validate_tenant_id(std::string_view id);
Status validate_actor_id(std::string_view id);
/// A caller id must be a UUID; returns it in lower case.
Result<std::string> canonical_caller_id(std::string_view id, std::string_view field = "id");

/// An e-mail address: name@domain.tld, at most 254 bytes.
Status validate_email(std::string_view field, std::string_view value);
/// Text of at most `max` bytes: UTF-8 without control characters (newlines
/// and tabs allowed when allow_newlines).
Status validate_text(std::string_view field, std::string_view value, std::size_t max, bool allow_newlines);
/// validate_text, for text shown to people (names, greetings, rule names):
/// also refuses bidirectional controls and other invisible characters.
Status validate_display_text(std::string_view field, std::string_view value, std::size_t max, bool allow_newlines);

/// How a write reads and checks phone numbers: the tenant's plan and its
/// number_validation setting.
struct NumberRules {
  const PhoneNormalizer& plan;
  NumberValidation validation;
};
/// Normalizes a number being written and checks it (numbering.hpp).
Status normalize_for_write(const NumberRules& rules, std::string_view input, std::string_view field, PhoneNumber* out);

/// A new caller, validated, with its numbers normalized (primary first).
struct ValidCaller {
  const NewCaller* input = nullptr;
  std::vector<PhoneNumber> phones;
};
/// Validates every field of `input`; the first bad one is the error.
Result<ValidCaller> validate_new_caller(const NewCaller& input, const NumberRules& numbers);

/// Seals a validated new caller into a record with a new id, created now.
CallerRecord seal_new_caller(const ValidCaller& caller, const TenantKeys& keys, std::string_view tenant_id,
                             std::string id, Timestamp now);

/// Validates `update` and applies it to `record` (sealing changed fields),
/// setting updated_at to `now`. On error `record` may be partly changed and
/// must be discarded.
Status apply_update(const CallerUpdate& update, const NumberRules& numbers, const TenantKeys& keys,
                    std::string_view tenant_id, Timestamp now, CallerRecord* record);

/// Turns a validated new caller into the update that would give an existing
/// caller its fields (used by imports that update duplicates).
CallerUpdate update_from_new(const NewCaller& input);

/// Tags the callers of a database migrated from before integrity tags (see
/// src/integrity.cpp); does nothing unless kIntegrityPendingKey is set.
struct DatabaseState;
inline constexpr std::string_view kIntegrityPendingKey = "integrity.pending";
Status tag_untagged_callers(DatabaseState& db);

/// Code::integrity naming the caller: its clear fields do not match its tag.
Status tampered_caller(std::string_view id);

/// Opens a record into the API type; Code::integrity when a sealed field or
/// the integrity tag of the clear fields does not match.
Status open_caller(const CallerRecord& record, const TenantKeys& keys, std::string_view tenant_id,
                   const TenantSettings& settings, VipCaller* out);

}  // namespace vipcore::detail

#endif
