// vipcore.h, "keys": master key rotation.
#include "capi_internal.hpp"

using namespace vipcore::capi;

extern "C" {

int vipcore_rotate_master_key(vipcore_db* db, const char* new_key_file, const uint8_t* new_key, size_t new_key_len,
                              const char* actor_id, int role) {
  return api_call({given(db, "db"), given(actor_id, "actor_id"), role_arg(role)}, [&]() -> Status {
    auto key = key_of(new_key_file, new_key, new_key_len, "new_key");
    if (!key.ok()) return key.status();
    return db->db.rotate_master_key(*key, {actor_id, static_cast<vipcore::Role>(role)}).status();
  });
}

}  // extern "C"
