// The escalation check: Tenant::check_escalation evaluates the tenant's
// rules (compiled once per rule set, src/escalation_cache.cpp; the same
// evaluation as evaluate_escalation, a pure function of the rules, the
// caller, the wait, the position and the time), then, with a call id, stores
// each new (call, rule) trigger and tells the notifier, unless the process
// already knows them all stored and notified. Also
// Tenant::purge_escalation_triggers.
#include "vipcore/escalation.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "escalation_cache.hpp"
#include "rules.hpp"
#include "state.hpp"
#include "tenant_ops.hpp"
#include "text.hpp"
#include "validate.hpp"
#include "vipcore/tenant.hpp"

namespace vipcore {

Notifier::~Notifier() = default;

namespace {

using detail::TenantState;

Status check_call_id(std::string_view call_id) {
  if (call_id.size() > Limits::kMaxIdBytes)
    return Status::invalid_argument("call_id", fmt::format("is longer than {} bytes", Limits::kMaxIdBytes));
  if (!detail::is_clean_utf8(call_id, false))
    return Status::invalid_argument("call_id", "must be UTF-8 text without control characters");
  return ok_status();
}

Status call_notifier(Notifier& notifier, const EscalationNotice& notice) {
  try {
    Status s = notifier.notify(notice);
    if (s.ok()) return s;
    return Status::notifier_error(s.message());
  } catch (const std::exception& e) {
    return Status::notifier_error(fmt::format("the notifier threw: {}", e.what()));
  } catch (...) {
    return Status::notifier_error("the notifier threw an exception");
  }
}

}  // namespace

Result<EscalationResult> Tenant::check_escalation(std::string_view caller_id, int wait_seconds, int queue_position,
                                                  std::string_view call_id) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::check_escalation); !s.ok()) return s;
  auto cid = detail::canonical_caller_id(caller_id, "caller_id");
  if (!cid.ok()) return cid.status();
  auto record = detail::read_caller(t, *cid);
  if (!record.ok()) return record.status();
  VipCaller c;
  if (Status s = detail::open_caller(*record, t.ctx->keys(), t.tenant_id(), t.ctx->settings(), &c); !s.ok())
    return s;
  CallerSummary summary;
  summary.id = c.id;
  summary.caller_name = c.caller_name;
  summary.vip_level = c.vip_level;
  summary.handling_rules = c.handling_rules;
  summary.custom_greeting = c.custom_greeting;
  summary.preferred_agent_id = c.preferred_agent_id;
  summary.preferred_department_id = c.preferred_department_id;
  summary.max_wait_time = c.max_wait_time;
  summary.callback_priority = c.callback_priority;
  return check_escalation(summary, wait_seconds, queue_position, call_id);
}

Result<EscalationResult> evaluate_escalation(const std::vector<EscalationRule>& rules, const CallerSummary& caller,
                                             int wait_seconds, int queue_position, Timestamp now,
                                             const WeeklyHours& business_hours, std::string_view time_zone) {
  EscalationResult result;
  if (Status s = detail::evaluate_compiled(detail::compile_rules(rules), caller, wait_seconds, queue_position, now,
                                           business_hours, time_zone, &result);
      !s.ok())
    return s;
  return result;
}

namespace {

// Stores the triggers of a call not stored yet (once per (call, rule)) and
// marks in `result` which were already there; returns the rules whose
// notifier must be told: the new ones, and old ones never notified (an
// earlier notification failed: retry).
Result<std::vector<TriggeredRule*>> store_triggers(const TenantState& t, const CallerSummary& caller,
                                                   std::string_view call_id, Timestamp now, EscalationResult& result) {
  auto existing = t.storage().get_triggers(t.tenant_id(), call_id);
  if (!existing.ok()) return existing.status();
  std::vector<TriggeredRule*> to_notify;
  std::vector<TriggeredRule*> fresh;
  for (TriggeredRule& tr : result.triggered_rules) {
    const auto it = std::find_if(existing->begin(), existing->end(),
                                 [&tr](const TriggerRecord& e) { return e.rule_id == tr.rule_id; });
    if (it == existing->end()) {
      fresh.push_back(&tr);
      continue;
    }
    tr.already_triggered = true;
    tr.notified = it->notified_at.has_value();
    if (!tr.notified) to_notify.push_back(&tr);
  }
  if (fresh.empty()) return to_notify;
  auto txn = t.storage().begin_activity_write();
  if (!txn.ok()) return txn.status();
  std::size_t inserted_now = 0;
  for (TriggeredRule* tr : fresh) {
    TriggerRecord rec{std::string(call_id), tr->rule_id, caller.id, now, std::nullopt};
    bool inserted = false;
    if (Status s = (*txn)->insert_trigger(t.tenant_id(), rec, &inserted); !s.ok()) return s;
    if (inserted) {
      to_notify.push_back(tr);
      ++inserted_now;
    } else {
      tr->already_triggered = true;  // another thread or process got there first
    }
  }
  if (Status s = (*txn)->commit(); !s.ok()) return s;
  detail::TenantCounters::add(t.ctx->counters().escalations_by_level[static_cast<std::size_t>(caller.vip_level)],
                              inserted_now);
  return to_notify;
}

// Tells the notifier of each rule in `to_notify`, reports the failures in
// `result`, and marks the delivered ones notified.
Status notify_triggers(const TenantState& t, const CallerSummary& caller, std::string_view call_id, int wait_seconds,
                       int queue_position, Timestamp now, const std::vector<TriggeredRule*>& to_notify,
                       EscalationResult& result) {
  std::vector<TriggeredRule*> delivered;
  for (TriggeredRule* tr : to_notify) {
    EscalationNotice notice{t.tenant_id(), std::string(call_id), *tr, caller, wait_seconds, queue_position, now};
    Status s = call_notifier(*t.db->notifier, notice);
    if (s.ok()) delivered.push_back(tr);
    else result.notification_failures.push_back(NotificationFailure{tr->rule_id, std::move(s)});
  }
  detail::TenantCounters::add(t.ctx->counters().notification_failures, result.notification_failures.size());
  if (delivered.empty()) return ok_status();
  auto txn = t.storage().begin_activity_write();
  if (!txn.ok()) return txn.status();
  for (TriggeredRule* tr : delivered)
    if (Status s = (*txn)->mark_notified(t.tenant_id(), call_id, tr->rule_id, now); !s.ok()) return s;
  if (Status s = (*txn)->commit(); !s.ok()) return s;
  for (TriggeredRule* tr : delivered) tr->notified = true;
  return ok_status();
}

}  // namespace

Result<EscalationResult> Tenant::check_escalation(const CallerSummary& caller, int wait_seconds, int queue_position,
                                                  std::string_view call_id) const {
  EscalationResult result;
  if (Status s = check_escalation(caller, wait_seconds, queue_position, call_id, &result); !s.ok()) return s;
  return result;
}

Status Tenant::check_escalation(const CallerSummary& caller, int wait_seconds, int queue_position,
                                std::string_view call_id, EscalationResult* out) const {
  const TenantState& t = *state_;
  if (out == nullptr) return Status::invalid_argument("out", "is null");
  if (Status s = t.authorize(Operation::check_escalation); !s.ok()) return s;
  if (Status s = check_call_id(call_id); !s.ok()) return s;
  if (!call_id.empty() && caller.id.empty())
    return Status::invalid_argument("caller.id", "is required to record triggers for a call");
  auto rules = detail::current_rules(t);
  if (!rules.ok()) return rules.status();
  const std::shared_ptr<const detail::CompiledRules> compiled = t.ctx->escalation.compiled(*rules);
  const TenantSettings& settings = t.ctx->settings();
  const Timestamp now = t.db->now();
  EscalationResult& result = *out;
  if (Status s = detail::evaluate_compiled(*compiled, caller, wait_seconds, queue_position, now,
                                           settings.business_hours, settings.time_zone, &result);
      !s.ok())
    return s;
  detail::TenantCounters::add(t.ctx->counters().escalation_checks);
  // Without a call id the check only evaluates: nothing is stored, nobody is told.
  if (call_id.empty() || !result.should_escalate) return ok_status();
  // A PBX polling a waiting call: when every rule that triggers is known
  // stored (and notified, with a notifier to retry), the storage would say
  // nothing new (TriggerMemory).
  detail::TriggerMemory& memory = t.ctx->escalation.triggers();
  if (memory.mark_known(call_id, result.triggered_rules, t.db->notifier != nullptr)) return ok_status();
  const std::uint64_t epoch = memory.epoch();
  auto to_notify = store_triggers(t, caller, call_id, now, result);
  if (!to_notify.ok()) return to_notify.status();
  if (t.db->notifier != nullptr && !to_notify->empty()) {
    if (Status s = notify_triggers(t, caller, call_id, wait_seconds, queue_position, now, *to_notify, result);
        !s.ok())
      return s;
  }
  memory.remember(call_id, epoch, result.triggered_rules);
  return ok_status();
}

Result<std::uint64_t> Tenant::purge_escalation_triggers(Timestamp before, std::uint64_t batch_size) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::purge); !s.ok()) return s;
  if (batch_size == 0) return Status::invalid_argument("batch_size", "must be at least 1");
  if (Status s = check_timestamp(before, "before"); !s.ok()) return s;
  std::uint64_t total = 0;
  for (;;) {
    // One transaction per batch, so that the PBX's writes interleave.
    auto txn = t.storage().begin_write();
    if (!txn.ok()) return txn.status();
    auto purged = (*txn)->purge_triggers(t.tenant_id(), before, batch_size);
    if (!purged.ok()) return purged.status();
    const auto entry = detail::audit_entry(t, t.db->now(), "purge_triggers", "escalation_trigger", "",
                                           {}, fmt::format("deleted {} older than {}", *purged, format_timestamp(before)));
    if (Status s = detail::commit_with_audit(**txn, entry); !s.ok()) return s;
    t.ctx->escalation.triggers().forget_all();  // what this process remembers may be gone now
    total += *purged;
    if (*purged < batch_size) return total;
  }
}

}  // namespace vipcore
