// Validation of callers and their fields, and of tenant and actor ids.
// Private to the library. The sealed record form is in record_codec.hpp.
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

/// The names of a caller's sealed fields: errors name them, and the record
/// codec binds each sealed value to its name (its associated data), so they
/// never change.
inline constexpr std::string_view kName = "caller_name";
inline constexpr std::string_view kCompany = "company_name";
inline constexpr std::string_view kEmail = "email";
inline constexpr std::string_view kAccountNumber = "account_number";
inline constexpr std::string_view kAccountValue = "account_value";
inline constexpr std::string_view kNotes = "notes";
inline constexpr std::string_view kGreeting = "custom_greeting";

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

/// Normalizes the primary and alternative numbers (null: none given);
/// refuses more than Limits::kMaxAlternativeNumbers and repeats.
Status normalize_numbers(const NumberRules& numbers, std::string_view primary,
                         const std::vector<std::string>* alternatives, std::vector<PhoneNumber>* out);

/// Checks each field an update sets, on its own, in the order of
/// validate_new_caller; the numbers are checked as the record codec applies
/// them, and what spans fields by validate_record.
Status validate_update_fields(const CallerUpdate& update);
/// The checks that span a record's fields: the validity window, and the
/// handling rules that need a field (CUSTOM_GREETING a greeting).
Status validate_record(const CallerRecord& record);

/// Turns a validated new caller into the update that would give an existing
/// caller its fields (used by imports that update duplicates).
CallerUpdate update_from_new(const NewCaller& input);

/// Tags the callers of a database migrated from before integrity tags (see
/// src/integrity.cpp); does nothing unless kIntegrityPendingKey is set.
struct DatabaseState;
inline constexpr std::string_view kIntegrityPendingKey = "integrity.pending";
Status tag_untagged_callers(DatabaseState& db);

}  // namespace vipcore::detail

#endif
