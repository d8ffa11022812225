// vipcore.h, "errors": result codes, the thread's last error, the version,
// vipcore_free and time parsing.
#include <cstdlib>

#include "capi_internal.hpp"

using namespace vipcore::capi;

extern "C" {

const char* vipcore_version(void) { return VIPCORE_VERSION; }
int vipcore_version_number(void) { return VIPCORE_VERSION_NUMBER; }
const char* vipcore_last_error(void) { return last_error().message.c_str(); }
const char* vipcore_last_error_field(void) { return last_error().field.c_str(); }
void vipcore_clear_error(void) {
  LastError& e = last_error();
  e.message.clear();
  e.field.clear();
}
void vipcore_free(void* p) { std::free(p); }

const char* vipcore_strerror(int code) {
  if (code > 0 || code < VIPCORE_ENOMEM) return "not a vipcore result code";
  if (code == VIPCORE_ENOMEM) return "out of memory";
  const auto c = static_cast<vipcore::Code>(-code);
  if (c > vipcore::Code::internal) return "not a vipcore result code";
  return vipcore::to_string(c).data();  // the names are string literals: NUL-terminated
}

int vipcore_parse_time(int64_t* out_ms, const char* text_in) {
  return api_call({output(out_ms, "out_ms"), given(text_in, "text")}, [&]() -> Status {
    auto t = vipcore::parse_timestamp(text_in, "text");
    if (!t.ok()) return t.status();
    *out_ms = vipcore::to_unix_ms(*t);
    return ok_status();
  });
}

}  // extern "C"
