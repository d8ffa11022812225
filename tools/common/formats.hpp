// vipcore JSON and CSV — VIP callers as files and request bodies (vipctl and vipd).
//
// Import reads, and export writes, two formats with the same field names:
// those of the VIP API's create request (phone_number, caller_name,
// company_name, vip_level, status, handling_rules, custom_greeting,
// max_wait_time, callback_priority, email, account_number, account_value,
// notes, tags) plus alternative_phone_numbers, preferred_agent_id,
// preferred_department_id, valid_from and valid_until.
//
//  - JSON: the API's bulk-import body, {"vip_callers": [{...}, ...]}. Lists
//    are arrays of strings, numbers are JSON numbers, null leaves a field unset.
//  - CSV (RFC 4180): a header row naming the columns, in any order, then one
//    caller per row. A list cell holds its items separated by '|' (e.g.
//    "PRIORITY_QUEUE|CUSTOM_GREETING"); '|' was chosen over ';' because
//    spreadsheets in many locales use ';' as the cell separator. An empty cell
//    leaves the field unset.
//
// Export writes every field but the phone numbers, which vipcore never stores
// (only their keyed hashes), and adds read-only fields that import ignores:
// id, phones_masked (e.g. "*******8900", primary first), total_calls,
// satisfaction_score, created_at and updated_at. max_wait_time is null when
// the caller follows the level's default, so that a re-import keeps doing so.
// To re-import an export, add phone_number (and alternative_phone_numbers)
// back, e.g. from the CRM the list came from.
#ifndef VIPCORE_JSON_FORMATS_HPP
#define VIPCORE_JSON_FORMATS_HPP

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vipcore/vipcore.hpp"

namespace vipcore::jsonmap {

enum class FileFormat { json, csv };

/// The format named by `name` ("json" or "csv"), or when `name` is empty,
/// by the extension of `path` (.json, .csv).
vipcore::Result<FileFormat> file_format(std::string_view name, std::string_view path);

/// The caller fields a JSON object holds, by the field names above: the
/// command line's add and update build such an object from their options,
/// and import reads one per row. Read-only export fields are ignored, an
/// unknown field is an error, and a bad value is an error naming its field.
vipcore::Result<vipcore::CallerUpdate> caller_fields(const nlohmann::json& object);
/// A new caller with these fields; those not set take vipcore's defaults.
vipcore::NewCaller new_caller(vipcore::CallerUpdate fields);

/// Where an import row came from, for the report.
struct RowOrigin {
  std::size_t line = 0;              ///< the line of the file the row starts on (1-based)
  std::optional<std::size_t> index;  ///< JSON only: the row's index in vip_callers
};
/// "line 7" (CSV) or "vip_callers[3] (line 12)" (JSON).
std::string to_string(const RowOrigin& origin);

struct RowError {
  RowOrigin origin;
  vipcore::Status error;
};

/// An import file, read.
struct ImportRows {
  std::vector<vipcore::NewCaller> callers;  ///< the rows that could be read...
  std::vector<RowOrigin> origins;           ///< ...and where each came from (same index)
  std::vector<RowError> errors;             ///< the rows that could not be read, in file order

  std::size_t rows() const noexcept { return callers.size() + errors.size(); }
};

/// Reads an import file. A row with a bad value (an unknown level, a number
/// where text belongs...) is reported in `errors` and the others are still
/// read; a file that is not JSON or CSV of the shape above at all is an error
/// (Code::invalid_argument) that names the line. Messages never repeat a
/// phone number or other cell contents beyond short labels.
vipcore::Result<ImportRows> read_import_file(std::string_view text, FileFormat format);

/// A caller as export, show and list --json write it.
nlohmann::ordered_json caller_to_json(const vipcore::VipCaller& caller);

/// Writes callers one at a time, so that exporting a large tenant never
/// holds it in memory. Call finish() after the last one.
class CallerWriter {
 public:
  CallerWriter(std::FILE* out, FileFormat format);
  /// Fails (Code::invalid_argument) only for CSV, on a list item holding
  /// the '|' separator, which CSV could not give back.
  vipcore::Status write(const vipcore::VipCaller& caller);
  void finish();

 private:
  std::FILE* out_;
  FileFormat format_;
  std::size_t written_ = 0;
};

}  // namespace vipcore::jsonmap

#endif  // VIPCORE_JSON_FORMATS_HPP
