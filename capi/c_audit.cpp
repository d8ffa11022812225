// vipcore.h, "audit": the tenant's and the database's audit trails.
#include "capi_internal.hpp"

using namespace vipcore::capi;

namespace {

vipcore::AuditQuery to_audit_query(const vipcore_audit_query& in) {
  vipcore::AuditQuery q;
  q.from = time_of(in.from_ms);
  q.until = time_of(in.until_ms);
  if (in.actor_id != nullptr) q.actor_id = in.actor_id;
  if (in.entity_id != nullptr) q.entity_id = in.entity_id;
  q.limit = in.limit;
  return q;
}

Status give_audit(vipcore_audit_list** out, Result<std::vector<vipcore::AuditEntry>>&& entries) {
  if (!entries.ok()) return entries.status();
  auto list = std::make_unique<vipcore_audit_list>();
  list->items = std::move(*entries);
  for (const vipcore::AuditEntry& e : list->items) {
    std::string joined;
    for (const std::string& f : e.fields) joined += (joined.empty() ? "" : ",") + f;
    list->fields.push_back(std::move(joined));
  }
  *out = list.release();
  return ok_status();
}

}  // namespace

extern "C" {

void vipcore_audit_query_init(vipcore_audit_query* query) {
  if (query == nullptr) return;
  *query = vipcore_audit_query{};
  query->struct_size = sizeof *query;
  query->limit = 1000;
}

int vipcore_audit_get(vipcore_audit_list** out, vipcore_tenant* tenant, const vipcore_audit_query* query) {
  return api_call({output(out), given(tenant, "tenant"), input(query, kAuditQueryV1, "query")}, [&]() -> Status {
    return give_audit(out, tenant->tenant.audit(to_audit_query(*query)));
  });
}

int vipcore_db_audit_get(vipcore_audit_list** out, vipcore_db* db, const vipcore_audit_query* query) {
  return api_call({output(out), given(db, "db"), input(query, kAuditQueryV1, "query")}, [&]() -> Status {
    return give_audit(out, db->db.database_audit(to_audit_query(*query)));
  });
}

size_t vipcore_audit_count(const vipcore_audit_list* list) { return list ? list->items.size() : 0; }
int64_t vipcore_audit_at(const vipcore_audit_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* e) { return vipcore::to_unix_ms(e->at); }, 0);
}
const char* vipcore_audit_actor(const vipcore_audit_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* e) { return e->actor_id.c_str(); }, "");
}
int vipcore_audit_role(const vipcore_audit_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* e) { return static_cast<int>(e->role); }, -1);
}
const char* vipcore_audit_action(const vipcore_audit_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* e) { return e->action.c_str(); }, "");
}
const char* vipcore_audit_entity_type(const vipcore_audit_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* e) { return e->entity_type.c_str(); }, "");
}
const char* vipcore_audit_entity_id(const vipcore_audit_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* e) { return e->entity_id.c_str(); }, "");
}
const char* vipcore_audit_fields(const vipcore_audit_list* list, size_t i) {
  return list ? c_str(item(list->fields, i)) : "";
}
const char* vipcore_audit_outcome(const vipcore_audit_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* e) { return e->outcome.c_str(); }, "");
}
void vipcore_audit_list_free(vipcore_audit_list* list) { delete list; }

}  // extern "C"
