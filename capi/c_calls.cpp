// vipcore.h, "call history, analytics" (calls): recording calls and reading
// a caller's call history.
#include "capi_internal.hpp"

using namespace vipcore::capi;

namespace {

Status to_call_record(const vipcore_call_input& in, vipcore::CallRecord* c) {
  c->call_id = text(in.call_id);
  c->caller_id = text(in.caller_id);
  if (Status s = level_or_none(in.vip_level_at_call, "vip_level_at_call", &c->vip_level_at_call); !s.ok()) return s;
  c->handling_rules_applied = vipcore::HandlingRules::from_bits(in.handling_rules_applied);
  c->wait_seconds = in.wait_seconds;
  c->escalation_triggered = in.escalation_triggered != 0;
  if (in.satisfaction_rating != 0) c->satisfaction_rating = in.satisfaction_rating;
  if (in.has_quality_score) c->service_quality_score = in.service_quality_score;
  c->at = time_of(in.at_ms);
  return ok_status();
}

}  // namespace

extern "C" {

void vipcore_call_input_init(vipcore_call_input* input) {
  if (input == nullptr) return;
  *input = vipcore_call_input{};
  input->struct_size = sizeof *input;
  input->vip_level_at_call = -1;
}

int vipcore_record_call(vipcore_tenant* tenant, const vipcore_call_input* call) {
  return api_call({given(tenant, "tenant"), input(call, VIPCORE_V1_SIZE(vipcore_call_input, at_ms), "call")},
                  [&]() -> Status {
                    vipcore::CallRecord c;
                    if (Status s = to_call_record(*call, &c); !s.ok()) return s;
                    return tenant->tenant.record_call(c).status();
                  });
}

int vipcore_call_history_get(vipcore_call_list** out, vipcore_tenant* tenant, const char* caller_id, int64_t start_ms,
                             int64_t end_ms, uint64_t limit) {
  return api_call({output(out), given(tenant, "tenant"), given(caller_id, "caller_id")}, [&]() -> Status {
    auto range = range_of(start_ms, end_ms);
    if (!range.ok()) return range.status();
    return give(out, tenant->tenant.call_history(caller_id, *range, limit));
  });
}

size_t vipcore_call_list_count(const vipcore_call_list* list) { return list ? list->items.size() : 0; }
const char* vipcore_call_id(const vipcore_call_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* c) { return c->call_id.c_str(); }, "");
}
int64_t vipcore_call_at(const vipcore_call_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* c) { return vipcore::to_unix_ms(c->at); }, 0);
}
int vipcore_call_level(const vipcore_call_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* c) { return static_cast<int>(c->vip_level); }, -1);
}
uint32_t vipcore_call_handling_rules(const vipcore_call_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* c) { return c->handling_rules_applied.bits(); }, 0);
}
int vipcore_call_wait_seconds(const vipcore_call_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* c) { return c->wait_seconds; }, 0);
}
int vipcore_call_max_wait_time(const vipcore_call_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* c) { return c->max_wait_time; }, 0);
}
int vipcore_call_escalated(const vipcore_call_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* c) { return c->escalation_triggered ? 1 : 0; }, 0);
}
int vipcore_call_rating(const vipcore_call_list* list, size_t i) {
  return read_at(
      items_of(list), i, [](const auto* c) { return c->satisfaction_rating ? *c->satisfaction_rating : 0; }, 0);
}
int vipcore_call_quality(const vipcore_call_list* list, size_t i, double* out) {
  const auto* c = list ? item(list->items, i) : nullptr;
  if (c == nullptr || !c->service_quality_score) return 0;
  if (out != nullptr) *out = *c->service_quality_score;
  return 1;
}
void vipcore_call_list_free(vipcore_call_list* list) { delete list; }

}  // extern "C"
