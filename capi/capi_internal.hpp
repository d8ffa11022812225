// What the files of the C API share: the handles behind vipcore.h's opaque
// types, the entry-point frame api_call(), and the conversions between the
// C structs and the C++ API's types. Internal: never installed.
#ifndef VIPCORE_CAPI_INTERNAL_HPP
#define VIPCORE_CAPI_INTERNAL_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <new>
#include <optional>
#include <type_traits>
#include <string>
#include <utility>
#include <vector>

#include "vipcore.h"
#include "vipcore/vipcore.hpp"

// ------------------------------------------------------------------ handles

struct vipcore_db {
  vipcore::Database db;
};
struct vipcore_tenant {
  vipcore::Tenant tenant;
};
struct vipcore_caller {
  vipcore::VipCaller c;
};
struct vipcore_caller_list {
  std::vector<vipcore_caller> items;
  std::vector<std::string> damaged;  // ids of callers left out: their stored data fails authentication
};
struct vipcore_import_report {
  vipcore::ImportReport r;
};
struct vipcore_rule {
  vipcore::EscalationRule r;
  std::string business_hours;  // r.business_hours in text form, "" when none
};
struct vipcore_rule_list {
  std::vector<vipcore_rule> items;
};
struct vipcore_escalation {
  vipcore::EscalationResult r;
};
struct vipcore_call_list {
  std::vector<vipcore::CallHistoryEntry> items;
};
struct vipcore_alert_list {
  std::vector<vipcore::Alert> items;
};
struct vipcore_audit_list {
  std::vector<vipcore::AuditEntry> items;
  std::vector<std::string> fields;  // each entry's field names, comma-separated
};

namespace vipcore::capi {

// For the entry points, which use this namespace.
using vipcore::ok_status;
using vipcore::Result;
using vipcore::Status;

// ------------------------------------------------- errors and the entry frame

/// This thread's last error, as vipcore_last_error() returns it.
struct LastError {
  std::string message;
  std::string field;
};
LastError& last_error() noexcept;
/// Makes `message` and `field` this thread's last error.
void remember(const char* message, const char* field) noexcept;
/// Records a failed status as the last error; returns its VIPCORE_E* code.
int fail(const Status& s) noexcept;

/// One argument check of an entry point: it fails when `ok` is false, with
/// VIPCORE_EINVAL naming `field` ("<field>: <what>"). Checks are plain
/// values (no allocation); the helpers below make them.
struct Arg {
  bool ok;
  const char* field;
  const char* what;
};

/// A pointer argument that must not be NULL.
inline Arg given(const void* p, const char* field) noexcept { return {p != nullptr, field, "is NULL"}; }
/// A role argument: a vipcore_role.
inline Arg role_arg(int role) noexcept {
  return {role >= 0 && role < kRoleCount, "role", "is not a vipcore_role"};
}
/// A required output pointer, set to NULL (or 0) at once, so that it reads
/// "nothing" whatever fails later.
template <typename T>
Arg output(T* out, const char* field = "out") noexcept {
  if (out != nullptr) *out = T{};
  return given(out, field);
}
/// An optional output pointer, set to NULL at once when given.
template <typename T>
Arg optional_output(T** out) noexcept {
  if (out != nullptr) *out = nullptr;
  return {true, "out", ""};
}

// A struct from the caller must reach at least to the end of the fields the
// first version of its header had (VIPCORE_V1_SIZE): a program built against
// a later header passes a larger struct_size and its extra fields are
// ignored; fields added later are read only when they fit in struct_size.
#define VIPCORE_V1_SIZE(type, last_field) (offsetof(type, last_field) + sizeof(static_cast<type*>(nullptr)->last_field))

constexpr std::size_t kCallerInputV1 = VIPCORE_V1_SIZE(vipcore_caller_input, valid_until_ms);
constexpr std::size_t kRuleInputV1 = VIPCORE_V1_SIZE(vipcore_rule_input, business_hours);
constexpr std::size_t kIdentificationV1 = VIPCORE_V1_SIZE(vipcore_identification, preferred_department_id);
constexpr std::size_t kAuditQueryV1 = VIPCORE_V1_SIZE(vipcore_audit_query, limit);
constexpr std::size_t kSettingsV1 = VIPCORE_V1_SIZE(vipcore_settings, alert_min_calls);

/// An input struct: not NULL, and initialized (struct_size reaches its first
/// version's fields).
template <typename Struct>
Arg input(const Struct* s, std::size_t v1_size, const char* field) noexcept {
  if (s == nullptr) return {false, field, "is NULL"};
  return {s->struct_size >= v1_size, field, "struct_size is too small: initialize it with its _init function"};
}

/// An output struct from the caller: it must reach the end of its first
/// version's fields (`hint` says how to get that right); what fits in
/// struct_size is zeroed at once (struct_size kept) and then given to
/// `reset` (which sets what "nothing" reads as when it is not all zeroes),
/// so that a failure leaves it so, as the conventions promise.
template <typename Struct, typename Reset = void (*)(Struct*)>
Arg output_struct(Struct* out, std::size_t v1_size, const char* hint, Reset reset = [](Struct*) {}) noexcept {
  if (out == nullptr) return {false, "out", "is NULL"};
  if (out->struct_size < v1_size) return {false, "out", hint};
  const uint32_t size = out->struct_size;
  std::memset(static_cast<void*>(out), 0, std::min<std::size_t>(size, sizeof *out));
  out->struct_size = size;
  reset(out);
  return {true, "out", ""};
}

/// The identification a routing or escalation call is given: as
/// vipcore_identify filled it.
inline Arg who_arg(const vipcore_identification* who) noexcept {
  return {who != nullptr && who->struct_size >= kIdentificationV1, "who", "is NULL or not filled by vipcore_identify"};
}

/// The frame of every C entry point that returns a result code, in the
/// manner of ONNX Runtime's API_IMPL_BEGIN/END. The entry point lists its
/// argument checks (made, and outputs reset, as the list is built); the
/// frame reports the first that fails, in the order written, then runs `body`,
/// which returns a Status. No exception crosses it: out of memory is
/// VIPCORE_ENOMEM, any other exception VIPCORE_EINTERNAL. A failed Status
/// becomes this thread's last error and its VIPCORE_E* code; success is
/// VIPCORE_OK and leaves the last error as it was.
template <typename Body>
int api_call(std::initializer_list<Arg> args, Body&& body) noexcept {
  try {
    for (const Arg& a : args)
      if (!a.ok) return fail(Status::invalid_argument(a.field, a.what));
    const Status s = body();
    return s.ok() ? VIPCORE_OK : fail(s);
  } catch (const std::bad_alloc&) {
    remember("out of memory", "");
    return VIPCORE_ENOMEM;
  } catch (const std::exception& e) {
    remember(e.what(), "");
    return VIPCORE_EINTERNAL;
  } catch (...) {
    remember("unknown exception inside vipcore", "");
    return VIPCORE_EINTERNAL;
  }
}

/// The result's error, or *out set to a new handle made from its value by
/// `make` (by default Handle{value}); an optional output may be NULL.
template <typename Handle, typename T, typename Make>
Status give(Handle** out, Result<T>&& r, Make make) {
  if (!r.ok()) return r.status();
  if (out != nullptr) *out = new Handle(make(std::move(*r)));
  return ok_status();
}
template <typename Handle, typename T>
Status give(Handle** out, Result<T>&& r) {
  return give(out, std::move(r), [](T&& value) { return Handle{std::move(value)}; });
}

// ------------------------------------------------------------- conversions

/// Output structs may be smaller (built against an older header): only the
/// fields that fit in struct_size are written.
template <typename Struct, typename Field>
bool fits(const Struct* s, const Field* field) noexcept {
  const auto offset = reinterpret_cast<const char*>(field) - reinterpret_cast<const char*>(s);
  return static_cast<std::size_t>(offset) + sizeof(Field) <= s->struct_size;
}

/// Copies `s` into a fixed buffer, truncating on a UTF-8 boundary if it ever
/// had to (validation keeps fields within these sizes).
void copy_out(char* dst, std::size_t size, const std::string& s) noexcept;
/// A C string as a std::string; NULL is "".
std::string text(const char* s);
/// An array of C strings with its count; `field` names it in errors.
Status strings(const char* const* items, std::size_t count, const char* field, std::vector<std::string>* out);
Status level_of(int value, const char* field, Level* out);
Status status_of(int value, CallerStatus* out);
/// The same for a value that may be absent: -1 leaves *out empty.
Status level_or_none(int value, const char* field, std::optional<Level>* out);
Status status_or_none(int value, std::optional<CallerStatus>* out);
/// Milliseconds since the epoch, 0 meaning "not set", and back.
std::optional<Timestamp> time_of(int64_t ms);
int64_t ms_of(const std::optional<Timestamp>& t);
/// start_ms <= at < end_ms.
Result<DateRange> range_of(int64_t start_ms, int64_t end_ms);
/// A key from a file or from bytes: exactly one of them.
Result<MasterKey> key_of(const char* file, const uint8_t* bytes, std::size_t len, const char* field);
/// A vipcore_identification back into the C++ type, for routing and escalation.
Status to_identification(const vipcore_identification& in, Identification* out);
/// A caller's fields for create and import.
Status to_new_caller(const vipcore_caller_input& in, NewCaller* out);

/// The i-th element of a handle's list, or NULL out of range.
template <typename T>
const T* item(const std::vector<T>& v, std::size_t i) noexcept {
  return i < v.size() ? &v[i] : nullptr;
}
inline const char* c_str(const std::string* s) noexcept { return s == nullptr ? "" : s->c_str(); }

/// What an accessor of a list handle returns: `get` of a pointer to the
/// i-th element of *v, or `none` when the handle was NULL (v is NULL) or i
/// is out of range.
template <typename T, typename Get, typename R = std::invoke_result_t<Get, const T*>>
R read_at(const std::vector<T>* v, std::size_t i, Get get, std::common_type_t<R> none) {
  const T* x = v == nullptr ? nullptr : item(*v, i);
  return x == nullptr ? none : get(x);
}
/// The items of a list handle; NULL for a NULL handle.
template <typename List>
auto items_of(const List* list) noexcept -> const decltype(list->items)* {
  return list == nullptr ? nullptr : &list->items;
}

}  // namespace vipcore::capi

#endif  // VIPCORE_CAPI_INTERNAL_HPP
