#include "vipcore/status.hpp"

namespace vipcore {

std::string_view to_string(Code code) noexcept {
  switch (code) {
    case Code::ok: return "ok";
    case Code::invalid_argument: return "invalid argument";
    case Code::not_found: return "not found";
    case Code::already_exists: return "already exists";
    case Code::permission_denied: return "permission denied";
    case Code::storage: return "storage error";
    case Code::busy: return "busy";
    case Code::key: return "key error";
    case Code::integrity: return "integrity error";
    case Code::version: return "version error";
    case Code::notifier: return "notifier error";
    case Code::internal: return "internal error";
  }
  return "unknown error";
}

Status::Status(Code code, std::string_view field, std::string_view message) : code_(code), field_(field) {
  if (!field.empty()) {
    message_.reserve(field.size() + 2 + message.size());
    message_.append(field).append(": ");
  }
  message_.append(message);
}

Status Status::invalid_argument(std::string_view field, std::string_view message) {
  return Status(Code::invalid_argument, field, message);
}
Status Status::not_found(std::string_view message) { return Status(Code::not_found, {}, message); }
Status Status::already_exists(std::string_view field, std::string_view message) {
  return Status(Code::already_exists, field, message);
}
Status Status::permission_denied(std::string_view message) { return Status(Code::permission_denied, {}, message); }
Status Status::storage_error(std::string_view message) { return Status(Code::storage, {}, message); }
Status Status::busy(std::string_view message) { return Status(Code::busy, {}, message); }
Status Status::key_error(std::string_view message) { return Status(Code::key, {}, message); }
Status Status::integrity_error(std::string_view message) { return Status(Code::integrity, {}, message); }
Status Status::version_error(std::string_view message) { return Status(Code::version, {}, message); }
Status Status::notifier_error(std::string_view message) { return Status(Code::notifier, {}, message); }
Status Status::internal_error(std::string_view message) { return Status(Code::internal, {}, message); }

std::string Status::to_string() const {
  if (ok()) return "ok";
  std::string out(vipcore::to_string(code_));
  out.append(": ").append(message_);
  return out;
}

Status Status::with_context(std::string_view context) const {
  if (ok()) return *this;
  Status s = *this;
  std::string m(context);
  m.append(": ").append(message_);
  s.message_ = std::move(m);
  return s;
}

}  // namespace vipcore
