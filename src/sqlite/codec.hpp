// Row codecs of the SQLite backend: how records are bound to statements and
// read back from rows, and the packed summary that identify reads.
#ifndef VIPCORE_SRC_SQLITE_CODEC_HPP
#define VIPCORE_SRC_SQLITE_CODEC_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "sqlite/sqlite_util.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::sqlite {

inline std::optional<std::int64_t> opt_ms(const std::optional<Timestamp>& t) {
  if (!t) return std::nullopt;
  return to_unix_ms(*t);
}
inline std::optional<Timestamp> opt_time(const std::optional<std::int64_t>& ms) {
  if (!ms) return std::nullopt;
  return from_unix_ms(*ms);
}
inline std::optional<std::int64_t> opt_int(const std::optional<int>& v) {
  if (!v) return std::nullopt;
  return *v;
}

/// An enum column; a value out of 0..count-1 reads as the enum's first value.
template <typename Enum>
Enum column_enum(const Statement& st, int col, int count) {
  const std::int64_t v = st.column_int(col);
  return static_cast<Enum>(v >= 0 && v < count ? v : 0);
}

/// Steps a statement that returns at most one row: nullopt when there is
/// none, else what read(st) makes of it (a T, or a Result<T>).
template <typename T, typename Read>
Result<std::optional<T>> read_one(Statement& st, std::string_view context, Read&& read) {
  auto row = st.step(context);
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<T>();
  auto value = read(st);
  if constexpr (std::is_same_v<decltype(value), Result<T>>) {
    if (!value.ok()) return value.status();
    return std::optional<T>(std::move(*value));
  } else {
    return std::optional<T>(std::move(value));
  }
}
/// Column 0 as a string.
inline std::string read_text(const Statement& st) { return std::string(st.column_view(0)); }

/// Binds ?1..?27 of kInsertCaller / kUpdateCaller. `scratch` keeps the
/// encoded strings alive until the statement runs.
void bind_caller(Statement& st, std::string_view tenant_id, const CallerRecord& c, std::string (&scratch)[3]);
/// A caller row of kCallerColumns or kCallerReadColumns.
Result<CallerRecord> read_caller(const Statement& st);

/// The summary column of vip_phone (see codec.cpp for its layout), into
/// `out`, reusing its capacity (imports encode one per number).
void encode_summary(const CallerRecord& c, std::string& out);
/// False when `blob` is not a summary this vipcore can read.
bool decode_summary(std::string_view blob, IdentifyRecord* out);
/// Binds ?1..?4 of kInsertPhone.
void bind_phone(Statement& st, std::string_view tenant_id, const CallerRecord& c, const PhoneHash& hash,
                const std::string& summary);

/// Binds ?1..?15 of kInsertRule / kUpdateRule.
void bind_rule(Statement& st, std::string_view tenant_id, const RuleRecord& r);
/// A rule row of kRuleColumns.
RuleRecord read_rule(const Statement& st);

/// Binds ?1..?6 of kInsertTrigger.
void bind_trigger(Statement& st, std::string_view tenant_id, const TriggerRecord& t);
/// A trigger row of kSelectTriggers.
TriggerRecord read_trigger(const Statement& st);

/// Binds ?1..?11 of kInsertCall.
void bind_call(Statement& st, std::string_view tenant_id, const CallRow& c);
/// A call row of kCallColumns.
CallRow read_call(const Statement& st);

/// Binds ?1..?9 of kInsertAudit; `fields` keeps the encoded field list alive
/// until the statement runs.
void bind_audit(Statement& st, const AuditEntry& e, std::string& fields);
/// An audit row of kSelectAudit, of tenant `tenant_id`.
AuditEntry read_audit(const Statement& st, std::string_view tenant_id);

}  // namespace vipcore::sqlite

#endif
