// vipcore — the error model of the C++ API.
//
// vipcore reports every failure through Status (for calls that return nothing)
// or Result<T> (for calls that return a value). The library does not throw:
// no vipcore function lets an exception escape, except std::bad_alloc when
// memory runs out. A caller checks ok() and, when it is false, reads code(),
// field() and message().
//
// Messages name what is wrong ("caller_name: must not be empty") and never
// contain a key, a phone number or a decrypted field.
//
// Threading: Status and Result are values; distinct objects may be used from
// different threads, one object needs external synchronization.
#ifndef VIPCORE_STATUS_HPP
#define VIPCORE_STATUS_HPP

#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "vipcore/export.h"

namespace vipcore {

/// The kind of a failure. The numeric values are those of the C API's
/// VIPCORE_E* codes with the sign removed, and never change.
enum class Code : int {
  ok = 0,
  invalid_argument = 1,   ///< a bad input; field() names it
  not_found = 2,          ///< no such caller, rule, call...
  already_exists = 3,     ///< a duplicate phone number, call id...
  permission_denied = 4,  ///< the actor's role may not do this
  storage = 5,            ///< the storage backend failed (I/O, corrupt file, full disk)
  busy = 6,               ///< the database stayed locked past the busy timeout
  key = 7,                ///< wrong, missing or malformed key
  integrity = 8,          ///< a ciphertext failed authentication (tampered or swapped data)
  version = 9,            ///< a database written by a newer vipcore, or not a vipcore database
  notifier = 10,          ///< an escalation notifier failed
  internal = 11,          ///< a bug in vipcore; please report it
};

/// The name of a code, e.g. "invalid argument".
VIPCORE_EXPORT std::string_view to_string(Code code) noexcept;

// Status and Result are [[nodiscard]]: an error that is ignored does not
// compile silently. (GCC does not accept [[nodiscard]] beside an
// __attribute__ in a class head, so visibility is spelled as an attribute.)
#if defined(_WIN32)
#  define VIPCORE_RESULT_CLASS [[nodiscard]] VIPCORE_EXPORT
#elif defined(__GNUC__) || defined(__clang__)
#  define VIPCORE_RESULT_CLASS [[nodiscard, gnu::visibility("default")]]
#else
#  define VIPCORE_RESULT_CLASS [[nodiscard]]
#endif

/// The outcome of an operation: ok, or a code with a message.
class VIPCORE_RESULT_CLASS Status {
 public:
  /// An ok status. Creating and copying an ok status does not allocate.
  Status() noexcept = default;

  /// A bad input. `field` names it with the API's field name (for example
  /// "phone_number" or "alternative_phone_numbers[2]").
  static Status invalid_argument(std::string_view field, std::string_view message);
  static Status not_found(std::string_view message);
  static Status already_exists(std::string_view field, std::string_view message);
  static Status permission_denied(std::string_view message);
  static Status storage_error(std::string_view message);
  static Status busy(std::string_view message);
  static Status key_error(std::string_view message);
  static Status integrity_error(std::string_view message);
  static Status version_error(std::string_view message);
  static Status notifier_error(std::string_view message);
  static Status internal_error(std::string_view message);

  /// True on success. Result<T> has the same predicate.
  bool ok() const noexcept { return code_ == Code::ok; }
  bool is_invalid_argument() const noexcept { return code_ == Code::invalid_argument; }
  bool is_not_found() const noexcept { return code_ == Code::not_found; }
  bool is_already_exists() const noexcept { return code_ == Code::already_exists; }
  bool is_permission_denied() const noexcept { return code_ == Code::permission_denied; }
  bool is_storage_error() const noexcept { return code_ == Code::storage; }
  bool is_busy() const noexcept { return code_ == Code::busy; }
  bool is_key_error() const noexcept { return code_ == Code::key; }
  bool is_integrity_error() const noexcept { return code_ == Code::integrity; }
  bool is_version_error() const noexcept { return code_ == Code::version; }

  Code code() const noexcept { return code_; }
  /// The field a bad input was found in, or "" when the failure has no field.
  const std::string& field() const noexcept { return field_; }
  /// What went wrong, without the code's name; includes the field when there is one.
  const std::string& message() const noexcept { return message_; }
  /// "<code name>: <message>", or "ok".
  std::string to_string() const;

  /// Returns a copy whose message starts with `context` and ": ".
  Status with_context(std::string_view context) const;

 private:
  Status(Code code, std::string_view field, std::string_view message);

  Code code_ = Code::ok;
  std::string field_;
  std::string message_;
};

/// An ok status: `return ok_status();`. The same as `Status()`; allocates nothing.
inline Status ok_status() noexcept { return Status(); }

/// A value of type T, or the Status that explains why there is none.
///
/// REQUIRES for value(), operator* and operator->: ok(). Calling them on an
/// error is a programming error and aborts the process.
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_same_v<std::decay_t<T>, Status>, "use Status directly");

 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : state_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    if (std::get<1>(state_).ok()) {
      // An ok Status carries no value: make that a visible bug, not a crash later.
      std::get<1>(state_) = Status::internal_error("an ok status was returned without a value");
    }
  }

  bool ok() const noexcept { return state_.index() == 0; }
  /// The status: ok when there is a value.
  const Status& status() const noexcept {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(state_);
  }

  T& value() & { check(); return std::get<0>(state_); }
  const T& value() const& { check(); return std::get<0>(state_); }
  /// On a temporary Result the value is moved out, not referenced, so that
  /// `for (auto& x : *tenant.list(q))` does not dangle.
  T value() && { check(); return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void check() const {
    if (!ok()) std::abort();
  }
  std::variant<T, Status> state_;
};

}  // namespace vipcore

#endif  // VIPCORE_STATUS_HPP
