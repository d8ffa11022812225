// The C API: a thin wrapper over the C++ API. Every entry point runs its body
// through guard(), so no exception ever crosses extern "C".
#include "vipcore.h"

#include <cstring>
#include <new>
#include <string>

#include "vipcore/vipcore.hpp"

struct vipcore_db {
  vipcore::Database db;
};

struct vipcore_tenant {
  vipcore::Tenant tenant;
};

namespace {

struct LastError {
  std::string message;
  std::string field;
};

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

int fail(const vipcore::Status& s) noexcept {
  remember(s.message().c_str(), s.field().c_str());
  return -static_cast<int>(s.code());
}

int fail_invalid(const char* field, const char* what) noexcept {
  std::string message;
  try {
    message = std::string(field) + ": " + what;
  } catch (...) {
  }
  remember(message.c_str(), field);
  return VIPCORE_EINVAL;
}

// Runs `body` (returning an int result code) so that no exception escapes.
template <typename F>
int guard(F&& body) noexcept {
  try {
    return body();
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

// Copies `s` into a fixed buffer of `size` bytes, truncating on a UTF-8
// boundary if it ever had to (validation keeps fields within these sizes).
void copy_out(char* dst, std::size_t size, const std::string& s) noexcept {
  std::size_t n = s.size() < size - 1 ? s.size() : size - 1;
  while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

// True when `field` lies entirely within the first `struct_size` bytes of *s:
// a program built against an older, smaller struct is never written past.
template <typename Struct, typename Field>
bool fits(const Struct* s, const Field* field) noexcept {
  const auto offset = reinterpret_cast<const char*>(field) - reinterpret_cast<const char*>(s);
  return static_cast<std::size_t>(offset) + sizeof(Field) <= s->struct_size;
}

}  // namespace

extern "C" {

const char* vipcore_version(void) { return VIPCORE_VERSION; }
int vipcore_version_number(void) { return VIPCORE_VERSION_NUMBER; }
const char* vipcore_last_error(void) { return last_error().message.c_str(); }
const char* vipcore_last_error_field(void) { return last_error().field.c_str(); }

const char* vipcore_strerror(int code) {
  if (code > 0) return "not a vipcore result code";
  if (code == VIPCORE_ENOMEM) return "out of memory";
  const auto c = static_cast<vipcore::Code>(-code);
  if (c > vipcore::Code::internal) return "not a vipcore result code";
  return vipcore::to_string(c).data();  // the names are string literals: NUL-terminated
}

void vipcore_open_options_init(vipcore_open_options* options) {
  if (options == nullptr) return;
  *options = vipcore_open_options{};
  options->struct_size = sizeof(vipcore_open_options);
  options->default_country_code = 1;
  options->trunk_prefix = nullptr;
  options->busy_timeout_ms = vipcore::SqliteOptions().busy_timeout_ms;
  options->create_if_missing = 1;
}

int vipcore_open(vipcore_db** out, const char* path, const vipcore_open_options* options) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (path == nullptr) return fail_invalid("path", "is NULL");
    if (options == nullptr) return fail_invalid("options", "is NULL (a key is required)");
    if (options->struct_size < sizeof(vipcore_open_options))
      return fail_invalid("options", "struct_size is too small: call vipcore_open_options_init()");
    if ((options->key_file != nullptr) == (options->key != nullptr))
      return fail_invalid("options", "give exactly one of key_file and key");
    auto key = options->key_file != nullptr ? vipcore::MasterKey::from_file(options->key_file)
                                            : vipcore::MasterKey::from_bytes(options->key, options->key_len);
    if (!key.ok()) return fail(key.status());
    vipcore::Options o;
    o.phone.default_country_code = options->default_country_code;
    if (options->trunk_prefix != nullptr) o.phone.trunk_prefix = options->trunk_prefix;
    else if (options->default_country_code != 1) o.phone.trunk_prefix = "0";
    o.sqlite.busy_timeout_ms = options->busy_timeout_ms;
    o.sqlite.create_if_missing = options->create_if_missing != 0;
    auto db = vipcore::Database::open(path, *key, o);
    if (!db.ok()) return fail(db.status());
    *out = new vipcore_db{std::move(*db)};
    return VIPCORE_OK;
  });
}

void vipcore_close(vipcore_db* db) { delete db; }

int vipcore_tenant_open(vipcore_tenant** out, vipcore_db* db, const char* tenant_id, const char* actor_id,
                        int role) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    *out = nullptr;
    if (db == nullptr) return fail_invalid("db", "is NULL");
    if (tenant_id == nullptr) return fail_invalid("tenant_id", "is NULL");
    if (actor_id == nullptr) return fail_invalid("actor_id", "is NULL");
    if (role < 0 || role >= vipcore::kRoleCount)
      return fail_invalid("role", "is not a vipcore_role");
    auto t = db->db.tenant(tenant_id, {actor_id, static_cast<vipcore::Role>(role)});
    if (!t.ok()) return fail(t.status());
    *out = new vipcore_tenant{std::move(*t)};
    return VIPCORE_OK;
  });
}

void vipcore_tenant_close(vipcore_tenant* tenant) { delete tenant; }

int vipcore_identify(vipcore_tenant* tenant, const char* number, vipcore_identification* out) {
  return guard([&]() -> int {
    if (out == nullptr) return fail_invalid("out", "is NULL");
    if (out->struct_size < offsetof(vipcore_identification, caller_id))
      return fail_invalid("out", "struct_size is too small: initialize with VIPCORE_IDENTIFICATION_INIT");
    // Reset to "not a VIP" first, so that a failure still routes the call.
    const uint32_t size = out->struct_size;
    std::memset(out, 0, size < sizeof(*out) ? size : sizeof(*out));
    out->struct_size = size;
    out->match = VIPCORE_MATCH_NOT_FOUND;
    if (tenant == nullptr) return fail_invalid("tenant", "is NULL");
    if (number == nullptr) return fail_invalid("phone_number", "is NULL");

    // One Identification per thread keeps its strings' capacity: no
    // allocation once warm.
    thread_local vipcore::Identification who;
    if (vipcore::Status s = tenant->tenant.identify(number, &who); !s.is_ok()) return fail(s);
    out->is_vip = who.is_vip ? 1 : 0;
    out->match = static_cast<int>(who.match);
    out->routing_priority = who.routing_priority;
    out->level = static_cast<int>(who.caller.vip_level);
    out->handling_rules = who.caller.handling_rules.bits();
    out->max_wait_time = who.caller.max_wait_time;
    out->callback_priority = who.caller.callback_priority;
    if (fits(out, &out->caller_id)) copy_out(out->caller_id, sizeof out->caller_id, who.caller.id);
    if (fits(out, &out->caller_name)) copy_out(out->caller_name, sizeof out->caller_name, who.caller.caller_name);
    if (fits(out, &out->custom_greeting))
      copy_out(out->custom_greeting, sizeof out->custom_greeting, who.caller.custom_greeting);
    if (fits(out, &out->preferred_agent_id))
      copy_out(out->preferred_agent_id, sizeof out->preferred_agent_id, who.caller.preferred_agent_id);
    if (fits(out, &out->preferred_department_id))
      copy_out(out->preferred_department_id, sizeof out->preferred_department_id, who.caller.preferred_department_id);
    return VIPCORE_OK;
  });
}

}  // extern "C"
