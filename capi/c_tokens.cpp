// C API: API tokens.
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "capi_internal.hpp"

using namespace vipcore::capi;

namespace {

// A new C string (freed with vipcore_free) holding `s`.
char* new_c_string(const std::string& s) {
  char* copy = static_cast<char*>(std::malloc(s.size() + 1));
  if (copy == nullptr) throw std::bad_alloc();
  std::memcpy(copy, s.c_str(), s.size() + 1);
  return copy;
}

}  // namespace

extern "C" {

int vipcore_api_token_create(char** out_token, char** out_id, vipcore_tenant* tenant, const char* holder_id,
                             int holder_role) {
  return api_call({output(out_token, "out_token"), output(out_id, "out_id"), given(tenant, "tenant"),
                   given(holder_id, "holder_id"), role_arg(holder_role)},
                  [&]() -> Status {
                    auto issued = tenant->tenant.create_api_token(
                        vipcore::Actor{holder_id, static_cast<vipcore::Role>(holder_role)});
                    if (!issued.ok()) return issued.status();
                    char* token = new_c_string(issued->secret);
                    try {
                      *out_id = new_c_string(issued->token.id);
                    } catch (...) {
                      std::free(token);
                      throw;
                    }
                    *out_token = token;
                    return ok_status();
                  });
}

int vipcore_api_token_revoke(vipcore_tenant* tenant, const char* id) {
  return api_call({given(tenant, "tenant"), given(id, "id")},
                  [&]() -> Status { return tenant->tenant.revoke_api_token(id); });
}

int vipcore_tenant_open_with_token(vipcore_tenant** out, vipcore_db* db, const char* token) {
  return api_call({output(out), given(db, "db"), given(token, "token")},
                  [&]() -> Status { return give(out, db->db.tenant_for_api_token(token)); });
}

}  // extern "C"
