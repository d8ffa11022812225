// The shared parts of the C API: the thread's last error and the
// conversions that several sections of vipcore.h use.
#include "capi_internal.hpp"

namespace vipcore::capi {

LastError& last_error() noexcept {
  thread_local LastError e;
  return e;
}

void remember(const char* message, const char* field) noexcept {
  LastError& e = last_error();
  try {
    e.message = message;
    e.field = field;
  } catch (...) {
    e.message.clear();  // out of memory: an empty message beats none at all
    e.field.clear();
  }
}

int fail(const Status& s) noexcept {
  remember(s.message().c_str(), s.field().c_str());
  return -static_cast<int>(s.code());
}

void copy_out(char* dst, std::size_t size, const std::string& s) noexcept {
  std::size_t n = s.size() < size - 1 ? s.size() : size - 1;
  while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

std::string text(const char* s) { return s == nullptr ? std::string() : std::string(s); }

Status strings(const char* const* items, std::size_t count, const char* field, std::vector<std::string>* out) {
  out->clear();
  if (count == 0) return ok_status();
  if (items == nullptr) return Status::invalid_argument(field, "is NULL but its count is not 0");
  for (std::size_t i = 0; i < count; ++i) {
    if (items[i] == nullptr) return Status::invalid_argument(field, "holds a NULL string");
    out->emplace_back(items[i]);
  }
  return ok_status();
}

Status level_of(int value, const char* field, Level* out) {
  if (value < 0 || value >= kLevelCount) return Status::invalid_argument(field, "is not a vipcore_level");
  *out = static_cast<Level>(value);
  return ok_status();
}

Status status_of(int value, CallerStatus* out) {
  if (value < 0 || value > 2) return Status::invalid_argument("status", "is not a vipcore_status");
  *out = static_cast<CallerStatus>(value);
  return ok_status();
}

Status level_or_none(int value, const char* field, std::optional<Level>* out) {
  if (value == -1) return ok_status();
  Level l = Level::standard;
  if (Status s = level_of(value, field, &l); !s.ok()) return s;
  *out = l;
  return ok_status();
}

Status status_or_none(int value, std::optional<CallerStatus>* out) {
  if (value == -1) return ok_status();
  CallerStatus st = CallerStatus::active;
  if (Status s = status_of(value, &st); !s.ok()) return s;
  *out = st;
  return ok_status();
}

std::optional<Timestamp> time_of(int64_t ms) {
  if (ms == 0) return std::nullopt;
  return from_unix_ms(ms);
}

int64_t ms_of(const std::optional<Timestamp>& t) { return t ? to_unix_ms(*t) : 0; }

Result<DateRange> range_of(int64_t start_ms, int64_t end_ms) {
  if (start_ms >= end_ms) return Status::invalid_argument("range", "start must be before end");
  return DateRange{from_unix_ms(start_ms), from_unix_ms(end_ms)};
}

Result<MasterKey> key_of(const char* file, const uint8_t* bytes, std::size_t len, const char* field) {
  if ((file != nullptr) == (bytes != nullptr))
    return Status::invalid_argument(field, "give exactly one of a key file and key bytes");
  return file != nullptr ? MasterKey::from_file(file) : MasterKey::from_bytes(bytes, len);
}

Status to_identification(const vipcore_identification& in, Identification* out) {
  if (in.match < 0 || in.match > 5) return Status::invalid_argument("who.match", "is not a vipcore_match");
  out->is_vip = in.is_vip != 0;
  out->match = static_cast<Match>(in.match);
  out->routing_priority = in.routing_priority;
  if (out->is_vip) {
    if (Status s = level_of(in.level, "who.level", &out->caller.vip_level); !s.ok()) return s;
  }
  out->caller.handling_rules = HandlingRules::from_bits(in.handling_rules);
  out->caller.max_wait_time = in.max_wait_time;
  out->caller.callback_priority = in.callback_priority;
  out->caller.id = in.caller_id;
  out->caller.caller_name = in.caller_name;
  out->caller.custom_greeting = in.custom_greeting;
  out->caller.preferred_agent_id = in.preferred_agent_id;
  out->caller.preferred_department_id = in.preferred_department_id;
  return ok_status();
}

}  // namespace vipcore::capi
