// vipcore.h, "escalation" (checks): the escalation check of a waiting call,
// and its result.
#include <string_view>

#include "capi_internal.hpp"

using namespace vipcore::capi;

namespace {

std::string_view call_id_of(const char* call_id) noexcept {
  return call_id == nullptr ? std::string_view() : std::string_view(call_id);
}

const std::vector<vipcore::TriggeredRule>* triggered(const vipcore_escalation* e) noexcept {
  return e == nullptr ? nullptr : &e->r.triggered_rules;
}
const std::vector<vipcore::NotificationFailure>* failures(const vipcore_escalation* e) noexcept {
  return e == nullptr ? nullptr : &e->r.notification_failures;
}

}  // namespace

extern "C" {

int vipcore_escalation_check(vipcore_escalation** out, vipcore_tenant* tenant, const char* caller_id, int wait_seconds,
                             int queue_position, const char* call_id) {
  return api_call({output(out), given(tenant, "tenant"), given(caller_id, "caller_id")}, [&]() -> Status {
    return give(out, tenant->tenant.check_escalation(caller_id, wait_seconds, queue_position, call_id_of(call_id)));
  });
}

int vipcore_escalation_check_caller(vipcore_escalation** out, vipcore_tenant* tenant, const vipcore_identification* who,
                                    int wait_seconds, int queue_position, const char* call_id) {
  return api_call({output(out), given(tenant, "tenant"), who_arg(who),
                   {who == nullptr || who->is_vip != 0, "who", "is not a VIP: there is nothing to escalate"}},
                  [&]() -> Status {
                    vipcore::Identification id;
                    if (Status s = to_identification(*who, &id); !s.ok()) return s;
                    return give(out, tenant->tenant.check_escalation(id.caller, wait_seconds, queue_position,
                                                                     call_id_of(call_id)));
                  });
}

int vipcore_escalation_should_escalate(const vipcore_escalation* e) { return e && e->r.should_escalate ? 1 : 0; }
int vipcore_escalation_highest_tier(const vipcore_escalation* e) { return e ? e->r.highest_tier : 0; }
const char* vipcore_escalation_highest_type(const vipcore_escalation* e) {
  return e ? e->r.highest_escalation_type.c_str() : "";
}
int vipcore_escalation_sla_breached(const vipcore_escalation* e) { return e && e->r.sla_breached ? 1 : 0; }
size_t vipcore_escalation_triggered_count(const vipcore_escalation* e) { return e ? e->r.triggered_rules.size() : 0; }
const char* vipcore_escalation_triggered_rule_id(const vipcore_escalation* e, size_t i) {
  return read_at(triggered(e), i, [](const auto* t) { return t->rule_id.c_str(); }, "");
}
const char* vipcore_escalation_triggered_rule_name(const vipcore_escalation* e, size_t i) {
  return read_at(triggered(e), i, [](const auto* t) { return t->rule_name.c_str(); }, "");
}
int vipcore_escalation_triggered_tier(const vipcore_escalation* e, size_t i) {
  return read_at(triggered(e), i, [](const auto* t) { return t->tier; }, 0);
}
int vipcore_escalation_triggered_already(const vipcore_escalation* e, size_t i) {
  return read_at(triggered(e), i, [](const auto* t) { return t->already_triggered ? 1 : 0; }, 0);
}
int vipcore_escalation_triggered_notified(const vipcore_escalation* e, size_t i) {
  return read_at(triggered(e), i, [](const auto* t) { return t->notified ? 1 : 0; }, 0);
}
int vipcore_escalation_triggered_wait_exceeded(const vipcore_escalation* e, size_t i) {
  return read_at(triggered(e), i, [](const auto* t) { return t->wait_exceeded ? 1 : 0; }, 0);
}
int vipcore_escalation_triggered_position_exceeded(const vipcore_escalation* e, size_t i) {
  return read_at(triggered(e), i, [](const auto* t) { return t->position_exceeded ? 1 : 0; }, 0);
}
size_t vipcore_escalation_notification_failures(const vipcore_escalation* e) {
  return e ? e->r.notification_failures.size() : 0;
}
const char* vipcore_escalation_failure_rule_id(const vipcore_escalation* e, size_t i) {
  return read_at(failures(e), i, [](const auto* f) { return f->rule_id.c_str(); }, "");
}
int vipcore_escalation_failure_code(const vipcore_escalation* e, size_t i) {
  return read_at(
      failures(e), i, [](const auto* f) { return -static_cast<int>(f->error.code()); }, VIPCORE_OK);
}
const char* vipcore_escalation_failure_message(const vipcore_escalation* e, size_t i) {
  return read_at(failures(e), i, [](const auto* f) { return f->error.message().c_str(); }, "");
}
void vipcore_escalation_free(vipcore_escalation* e) { delete e; }

}  // extern "C"
