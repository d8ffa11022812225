// Escalation rules and the escalation check: Tenant::create_rule ...
// Tenant::check_escalation, Tenant::purge_escalation_triggers.
#include "vipcore/escalation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "crypto.hpp"
#include "state.hpp"
#include "tenant_ops.hpp"
#include "text.hpp"
#include "validate.hpp"
#include "vipcore/tenant.hpp"

namespace vipcore {

Notifier::~Notifier() = default;

std::string_view to_string(RuleSchedule schedule) noexcept {
  switch (schedule) {
    case RuleSchedule::always: return "ALWAYS";
    case RuleSchedule::inside_business_hours: return "INSIDE_BUSINESS_HOURS";
    case RuleSchedule::outside_business_hours: return "OUTSIDE_BUSINESS_HOURS";
  }
  return "UNKNOWN";
}

Result<RuleSchedule> parse_rule_schedule(std::string_view text, std::string_view field) {
  const std::string_view t = detail::trim(text);
  for (RuleSchedule s :
       {RuleSchedule::always, RuleSchedule::inside_business_hours, RuleSchedule::outside_business_hours})
    if (detail::iequals(t, to_string(s))) return s;
  return Status::invalid_argument(field,
                                  "unknown schedule (expected ALWAYS, INSIDE_BUSINESS_HOURS or OUTSIDE_BUSINESS_HOURS)");
}

std::vector<std::string> EscalationRuleUpdate::field_names() const {
  std::vector<std::string> out;
  auto add = [&out](bool set, const char* field) {
    if (set) out.emplace_back(field);
  };
  add(name.has_value(), "name");
  add(vip_levels.has_value(), "vip_levels");
  add(max_wait_time.has_value(), "max_wait_time");
  add(max_queue_position.has_value(), "max_queue_position");
  add(escalation_type.has_value(), "escalation_type");
  add(tier.has_value(), "tier");
  add(notify.has_value(), "notify");
  add(is_active.has_value(), "is_active");
  add(priority.has_value(), "priority");
  add(schedule.has_value(), "schedule");
  add(business_hours.has_value(), "business_hours");
  return out;
}

namespace {

using detail::TenantState;

constexpr std::string_view kNotifyField = "notify";
constexpr std::string_view kRulesVersionKey = "rules_version";
constexpr std::size_t kMaxTargets = 20;
constexpr int kMaxRuleWait = 86400;
constexpr int kMaxRulePosition = 100000;
constexpr int kMaxRulePriority = 1000;
constexpr std::string_view kBuiltInTypes[] = {"agent", "supervisor", "manager"};

int built_in_tier(std::string_view type) noexcept {
  for (std::size_t i = 0; i < std::size(kBuiltInTypes); ++i)
    if (type == kBuiltInTypes[i]) return static_cast<int>(i) + 1;
  return 0;
}

// Validates a rule in place: canonical escalation type, derived tier,
// normalized SMS numbers. The first bad field is the error.
Status validate_rule(EscalationRule& r, const detail::NumberRules& numbers) {
  if (detail::trim(r.name).empty()) return Status::invalid_argument("name", "must not be empty");
  if (Status s = detail::validate_display_text("name", r.name, 128, false); !s.is_ok()) return s;
  for (std::size_t i = 0; i < r.vip_levels.size(); ++i)
    if (static_cast<int>(r.vip_levels[i]) >= kLevelCount)
      return Status::invalid_argument(fmt::format("vip_levels[{}]", i), "is not a VIP level");
  if (!r.max_wait_time && !r.max_queue_position)
    return Status::invalid_argument("max_wait_time",
                                    "a rule needs a condition: max_wait_time, max_queue_position or both");
  if (r.max_wait_time && (*r.max_wait_time < 0 || *r.max_wait_time > kMaxRuleWait))
    return Status::invalid_argument("max_wait_time", fmt::format("must be 0 to {} seconds", kMaxRuleWait));
  if (r.max_queue_position && (*r.max_queue_position < 0 || *r.max_queue_position > kMaxRulePosition))
    return Status::invalid_argument("max_queue_position", fmt::format("must be 0 to {}", kMaxRulePosition));

  std::string type(detail::trim(r.escalation_type));
  for (char& c : type) c = detail::ascii_lower(c);
  if (type.empty() || type.size() > 32 ||
      !std::all_of(type.begin(), type.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      }))
    return Status::invalid_argument("escalation_type",
                                    "must be agent, supervisor, manager or a custom name of 1 to 32 letters, "
                                    "digits, _ and -");
  r.escalation_type = type;
  if (r.tier == 0) r.tier = built_in_tier(type);
  if (r.tier == 0)
    return Status::invalid_argument("tier", fmt::format("is required for the custom escalation type '{}' (1 to {})",
                                                        type, kMaxTier));
  if (r.tier < 1 || r.tier > kMaxTier) return Status::invalid_argument("tier", fmt::format("must be 1 to {}", kMaxTier));

  NotificationTargets& n = r.notify;
  if (n.emails.size() > kMaxTargets || n.sms_numbers.size() > kMaxTargets || n.internal_alerts.size() > kMaxTargets)
    return Status::invalid_argument("notify", fmt::format("at most {} targets of each kind", kMaxTargets));
  for (std::size_t i = 0; i < n.emails.size(); ++i)
    if (Status s = detail::validate_email(fmt::format("notify.emails[{}]", i), n.emails[i]); !s.is_ok()) return s;
  for (std::size_t i = 0; i < n.sms_numbers.size(); ++i) {
    PhoneNumber p;
    if (Status s = detail::normalize_for_write(numbers, n.sms_numbers[i], fmt::format("notify.sms_numbers[{}]", i), &p);
        !s.is_ok())
      return s;
    n.sms_numbers[i] = std::string(p.e164());
  }
  for (std::size_t i = 0; i < n.internal_alerts.size(); ++i) {
    const std::string field = fmt::format("notify.internal_alerts[{}]", i);
    if (detail::trim(n.internal_alerts[i]).empty()) return Status::invalid_argument(field, "must not be empty");
    if (Status s = detail::validate_text(field, n.internal_alerts[i], 128, false); !s.is_ok()) return s;
  }
  if (r.priority < 1 || r.priority > kMaxRulePriority)
    return Status::invalid_argument("priority", fmt::format("must be 1 (first) to {}", kMaxRulePriority));
  if (static_cast<int>(r.schedule) > 2) return Status::invalid_argument("schedule", "is not a schedule");
  if (r.business_hours)
    if (Status s = r.business_hours->validate("business_hours"); !s.is_ok()) return s;
  return Status::ok();
}

std::uint32_t level_mask(const std::vector<Level>& levels) noexcept {
  std::uint32_t mask = 0;
  for (Level l : levels) mask |= 1u << static_cast<unsigned>(l);
  return mask;
}

RuleRecord seal_rule(const EscalationRule& r, const detail::TenantKeys& keys, std::string_view tenant_id) {
  RuleRecord rec;
  rec.id = r.id;
  rec.name = r.name;
  rec.level_mask = level_mask(r.vip_levels);
  rec.max_wait_time = r.max_wait_time;
  rec.max_queue_position = r.max_queue_position;
  rec.escalation_type = r.escalation_type;
  rec.tier = r.tier;
  if (!r.notify.empty()) {
    const nlohmann::json j = {
        {"emails", r.notify.emails}, {"sms", r.notify.sms_numbers}, {"alerts", r.notify.internal_alerts}};
    rec.notify = detail::seal(keys, tenant_id, r.id, kNotifyField, j.dump());
  }
  rec.is_active = r.is_active;
  rec.priority = r.priority;
  rec.schedule = r.schedule;
  rec.business_hours = r.business_hours ? format_weekly_hours(*r.business_hours) : std::string();
  rec.created_at = r.created_at;
  rec.updated_at = r.updated_at;
  return rec;
}

Result<EscalationRule> open_rule(const RuleRecord& rec, const detail::TenantKeys& keys, std::string_view tenant_id) {
  EscalationRule r;
  r.id = rec.id;
  r.name = rec.name;
  for (int l = 0; l < kLevelCount; ++l)
    if (rec.level_mask & (1u << l)) r.vip_levels.push_back(static_cast<Level>(l));
  r.max_wait_time = rec.max_wait_time;
  r.max_queue_position = rec.max_queue_position;
  r.escalation_type = rec.escalation_type;
  r.tier = rec.tier;
  if (!rec.notify.empty()) {
    std::string text;
    if (Status s = detail::open(keys, tenant_id, rec.id, kNotifyField, rec.notify, &text); !s.is_ok()) return s;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    auto strings = [&j](const char* key, std::vector<std::string>* out) {
      if (!j.contains(key) || !j[key].is_array()) return false;
      for (const auto& v : j[key]) {
        if (!v.is_string()) return false;
        out->push_back(v.get<std::string>());
      }
      return true;
    };
    if (j.is_discarded() || !strings("emails", &r.notify.emails) || !strings("sms", &r.notify.sms_numbers) ||
        !strings("alerts", &r.notify.internal_alerts))
      return Status::integrity_error("the notification targets of an escalation rule are malformed");
  }
  r.is_active = rec.is_active;
  r.priority = rec.priority;
  r.schedule = rec.schedule;
  if (!rec.business_hours.empty()) {
    auto hours = parse_weekly_hours(rec.business_hours);
    if (!hours.ok()) return Status::storage_error("the business hours of an escalation rule are malformed");
    r.business_hours = std::move(*hours);
  }
  r.created_at = rec.created_at;
  r.updated_at = rec.updated_at;
  return r;
}

// Evaluation order: priority, then name, then id — stable and the same everywhere.
void sort_rules(std::vector<EscalationRule>& rules) {
  std::sort(rules.begin(), rules.end(), [](const EscalationRule& a, const EscalationRule& b) {
    return std::tie(a.priority, a.name, a.id) < std::tie(b.priority, b.name, b.id);
  });
}

// Bumps the tenant's rules version inside a rule-changing transaction, so
// that every process drops its cached rules.
Status bump_rules_version(WriteTransaction& txn, std::string_view tenant_id) {
  auto current = txn.get_meta(tenant_id, kRulesVersionKey);
  if (!current.ok()) return current.status();
  std::uint64_t v = 0;
  if (*current) v = std::strtoull((*current)->c_str(), nullptr, 10);
  return txn.put_meta(tenant_id, kRulesVersionKey, std::to_string(v + 1));
}

// The tenant's rules in evaluation order, from the cache while the stored
// rules version is unchanged. One metadata read per call otherwise.
Result<std::shared_ptr<const detail::RuleSet>> current_rules(const TenantState& t) {
  auto version = t.storage().get_meta(t.tenant_id(), kRulesVersionKey);
  if (!version.ok()) return version.status();
  const std::string v = version->value_or("0");
  if (auto cached = t.ctx->rules(); cached && cached->version == v) return cached;
  auto records = t.storage().list_rules(t.tenant_id());
  if (!records.ok()) return records.status();
  auto set = std::make_shared<detail::RuleSet>();
  set->version = v;
  for (const RuleRecord& rec : *records) {
    auto r = open_rule(rec, t.ctx->keys(), t.tenant_id());
    if (!r.ok()) return r.status();
    set->rules.push_back(std::move(*r));
  }
  sort_rules(set->rules);
  std::shared_ptr<const detail::RuleSet> shared = std::move(set);
  t.ctx->set_rules(shared);
  return shared;
}

Status rule_not_found(const TenantState& t, std::string_view id) {
  return Status::not_found(fmt::format("no escalation rule {} in tenant {}", id, t.tenant_id()));
}

// Writes a rule change with its audit entry and the version bump.
template <typename Change>
Status write_rule_change(const TenantState& t, std::string_view action, std::string_view id,
                         std::vector<std::string> fields, Change&& change) {
  auto txn = t.storage().begin_write();
  if (!txn.ok()) return txn.status();
  if (Status s = change(**txn); !s.is_ok()) return s.is_not_found() ? rule_not_found(t, id) : s;
  if (Status s = bump_rules_version(**txn, t.tenant_id()); !s.is_ok()) return s;
  const auto entry = detail::audit_entry(t, t.db->now(), action, "escalation_rule", id, std::move(fields), "ok");
  return detail::commit_with_audit(**txn, entry);
}

Status check_call_id(std::string_view call_id) {
  if (call_id.size() > Limits::kMaxIdBytes)
    return Status::invalid_argument("call_id", fmt::format("is longer than {} bytes", Limits::kMaxIdBytes));
  if (!detail::is_clean_utf8(call_id, false))
    return Status::invalid_argument("call_id", "must be UTF-8 text without control characters");
  return Status::ok();
}

Status call_notifier(Notifier& notifier, const EscalationNotice& notice) {
  try {
    Status s = notifier.notify(notice);
    if (s.is_ok()) return s;
    return Status::notifier_error(s.message());
  } catch (const std::exception& e) {
    return Status::notifier_error(fmt::format("the notifier threw: {}", e.what()));
  } catch (...) {
    return Status::notifier_error("the notifier threw an exception");
  }
}

}  // namespace

Result<bool> detail::reseal_rule(RuleRecord& rule, const TenantKeys& keys, std::string_view tenant_id) {
  if (rule.notify.empty() || sealed_version(rule.notify) == keys.current_version()) return false;
  std::string plain;
  if (Status s = detail::open(keys, tenant_id, rule.id, kNotifyField, rule.notify, &plain); !s.is_ok()) return s;
  rule.notify = detail::seal(keys, tenant_id, rule.id, kNotifyField, plain);
  return true;
}

Result<EscalationRule> Tenant::create_rule(const EscalationRule& rule) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::manage_rules); !s.is_ok()) return s;
  EscalationRule r = rule;
  if (Status s = validate_rule(r, detail::number_rules(t)); !s.is_ok()) return s;
  r.id = detail::new_uuid();
  r.created_at = r.updated_at = t.db->now();
  const RuleRecord rec = seal_rule(r, t.ctx->keys(), t.tenant_id());
  std::vector<std::string> fields = {"name", "vip_levels", "max_wait_time", "max_queue_position", "escalation_type",
                                     "tier", "notify", "is_active", "priority", "schedule", "business_hours"};
  Status s = write_rule_change(t, "create_rule", r.id, std::move(fields),
                               [&](WriteTransaction& txn) { return txn.insert_rule(t.tenant_id(), rec); });
  if (!s.is_ok()) return s;
  return r;
}

Result<EscalationRule> Tenant::get_rule(std::string_view id) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::read_rules); !s.is_ok()) return s;
  auto rid = detail::canonical_caller_id(id, "id");
  if (!rid.ok()) return rid.status();
  auto rules = current_rules(t);
  if (!rules.ok()) return rules.status();
  for (const EscalationRule& r : (*rules)->rules)
    if (r.id == *rid) return r;
  return rule_not_found(t, *rid);
}

Result<EscalationRule> Tenant::update_rule(std::string_view id, const EscalationRuleUpdate& u) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::manage_rules); !s.is_ok()) return s;
  auto rid = detail::canonical_caller_id(id, "id");
  if (!rid.ok()) return rid.status();
  std::vector<std::string> fields = u.field_names();
  if (fields.empty()) return Status::invalid_argument("update", "sets no field");
  EscalationRule updated;
  Status s = write_rule_change(t, "update_rule", *rid, std::move(fields), [&](WriteTransaction& txn) -> Status {
    auto rec = txn.get_rule(t.tenant_id(), *rid);
    if (!rec.ok()) return rec.status();
    if (!*rec) return Status::not_found("no such rule");
    auto r = open_rule(**rec, t.ctx->keys(), t.tenant_id());
    if (!r.ok()) return r.status();
    if (u.name) r->name = *u.name;
    if (u.vip_levels) r->vip_levels = *u.vip_levels;
    if (u.max_wait_time) r->max_wait_time = *u.max_wait_time;
    if (u.max_queue_position) r->max_queue_position = *u.max_queue_position;
    if (u.escalation_type) {
      r->escalation_type = *u.escalation_type;
      if (!u.tier) r->tier = 0;  // derive again from the new type
    }
    if (u.tier) r->tier = *u.tier;
    if (u.notify) r->notify = *u.notify;
    if (u.is_active) r->is_active = *u.is_active;
    if (u.priority) r->priority = *u.priority;
    if (u.schedule) r->schedule = *u.schedule;
    if (u.business_hours) r->business_hours = *u.business_hours;
    if (Status v = validate_rule(*r, detail::number_rules(t)); !v.is_ok()) return v;
    r->updated_at = t.db->now();
    updated = *r;
    return txn.replace_rule(t.tenant_id(), seal_rule(*r, t.ctx->keys(), t.tenant_id()));
  });
  if (!s.is_ok()) return s;
  return updated;
}

Status Tenant::remove_rule(std::string_view id) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::manage_rules); !s.is_ok()) return s;
  auto rid = detail::canonical_caller_id(id, "id");
  if (!rid.ok()) return rid.status();
  return write_rule_change(t, "delete_rule", *rid, {},
                           [&](WriteTransaction& txn) { return txn.delete_rule(t.tenant_id(), *rid); });
}

Result<std::vector<EscalationRule>> Tenant::list_rules() const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::read_rules); !s.is_ok()) return s;
  auto rules = current_rules(t);
  if (!rules.ok()) return rules.status();
  return (*rules)->rules;
}

Result<EscalationResult> Tenant::check_escalation(std::string_view caller_id, int wait_seconds, int queue_position,
                                                  std::string_view call_id) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::check_escalation); !s.is_ok()) return s;
  auto cid = detail::canonical_caller_id(caller_id, "caller_id");
  if (!cid.ok()) return cid.status();
  auto record = t.storage().get_caller(t.tenant_id(), *cid);
  if (!record.ok()) return record.status();
  if (!*record) return Status::not_found(fmt::format("no VIP caller {} in tenant {}", *cid, t.tenant_id()));
  VipCaller c;
  if (Status s = detail::open_caller(**record, t.ctx->keys(), t.tenant_id(), t.ctx->settings(), &c); !s.is_ok())
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

Result<EscalationResult> Tenant::check_escalation(const CallerSummary& caller, int wait_seconds, int queue_position,
                                                  std::string_view call_id) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::check_escalation); !s.is_ok()) return s;
  if (wait_seconds < 0) return Status::invalid_argument("wait_seconds", "must not be negative");
  if (queue_position < 0) return Status::invalid_argument("queue_position", "must not be negative");
  if (static_cast<int>(caller.vip_level) >= kLevelCount) return Status::invalid_argument("vip_level", "is not a level");
  if (Status s = check_call_id(call_id); !s.is_ok()) return s;
  if (!call_id.empty() && caller.id.empty())
    return Status::invalid_argument("caller.id", "is required to record triggers for a call");

  auto rules = current_rules(t);
  if (!rules.ok()) return rules.status();
  detail::TenantCounters& counters = t.ctx->counters();
  detail::TenantCounters::add(counters.escalation_checks);
  const TenantSettings& settings = t.ctx->settings();
  const Timestamp now = t.db->now();
  std::optional<bool> tenant_open;  // computed at most once
  auto open_now = [&](const EscalationRule& r) -> Result<bool> {
    if (r.business_hours) return within_hours(*r.business_hours, settings.time_zone, now);
    if (!tenant_open) {
      auto open = within_hours(settings.business_hours, settings.time_zone, now);
      if (!open.ok()) return open.status();
      tenant_open = *open;
    }
    return *tenant_open;
  };

  EscalationResult result;
  result.max_wait_time = caller.max_wait_time;
  result.sla_breached = caller.max_wait_time > 0 && wait_seconds > caller.max_wait_time;
  const std::uint32_t level_bit = 1u << static_cast<unsigned>(caller.vip_level);
  for (const EscalationRule& r : (*rules)->rules) {
    if (!r.is_active) continue;
    const std::uint32_t mask = level_mask(r.vip_levels);
    if (mask != 0 && (mask & level_bit) == 0) continue;
    const bool wait_exceeded = r.max_wait_time && wait_seconds > *r.max_wait_time;
    const bool position_exceeded = r.max_queue_position && queue_position > *r.max_queue_position;
    if (!wait_exceeded && !position_exceeded) continue;
    if (r.schedule != RuleSchedule::always) {
      auto open = open_now(r);
      if (!open.ok()) return open.status();
      if (*open != (r.schedule == RuleSchedule::inside_business_hours)) continue;
    }
    TriggeredRule tr;
    tr.rule_id = r.id;
    tr.rule_name = r.name;
    tr.escalation_type = r.escalation_type;
    tr.tier = r.tier;
    tr.priority = r.priority;
    tr.notify = r.notify;
    tr.wait_exceeded = wait_exceeded;
    tr.position_exceeded = position_exceeded;
    if (tr.tier > result.highest_tier) {
      result.highest_tier = tr.tier;
      result.highest_escalation_type = tr.escalation_type;
    }
    result.triggered_rules.push_back(std::move(tr));
  }
  result.should_escalate = !result.triggered_rules.empty();
  // Without a call id the check only evaluates: nothing is stored, nobody is told.
  if (call_id.empty() || !result.should_escalate) return result;

  // Once per (call, rule): store new triggers; whoever inserts one notifies.
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
    if (!tr.notified) to_notify.push_back(&tr);  // an earlier notification failed: retry
  }
  if (!fresh.empty()) {
    auto txn = t.storage().begin_write();
    if (!txn.ok()) return txn.status();
    std::vector<TriggeredRule*> inserted_now;
    for (TriggeredRule* tr : fresh) {
      TriggerRecord rec{std::string(call_id), tr->rule_id, caller.id, now, std::nullopt};
      bool inserted = false;
      if (Status s = (*txn)->insert_trigger(t.tenant_id(), rec, &inserted); !s.is_ok()) return s;
      if (inserted) inserted_now.push_back(tr);
      else tr->already_triggered = true;  // another thread or process got there first
    }
    if (Status s = (*txn)->commit(); !s.is_ok()) return s;
    detail::TenantCounters::add(counters.escalations_by_level[static_cast<std::size_t>(caller.vip_level)],
                                inserted_now.size());
    to_notify.insert(to_notify.end(), inserted_now.begin(), inserted_now.end());
  }
  if (t.db->notifier == nullptr || to_notify.empty()) return result;

  std::vector<TriggeredRule*> delivered;
  for (TriggeredRule* tr : to_notify) {
    EscalationNotice notice{t.tenant_id(), std::string(call_id), *tr, caller, wait_seconds, queue_position, now};
    Status s = call_notifier(*t.db->notifier, notice);
    if (s.is_ok()) delivered.push_back(tr);
    else result.notification_failures.push_back(NotificationFailure{tr->rule_id, std::move(s)});
  }
  detail::TenantCounters::add(counters.notification_failures, result.notification_failures.size());
  if (!delivered.empty()) {
    auto txn = t.storage().begin_write();
    if (!txn.ok()) return txn.status();
    for (TriggeredRule* tr : delivered)
      if (Status s = (*txn)->mark_notified(t.tenant_id(), call_id, tr->rule_id, now); !s.is_ok()) return s;
    if (Status s = (*txn)->commit(); !s.is_ok()) return s;
    for (TriggeredRule* tr : delivered) tr->notified = true;
  }
  return result;
}

Result<std::uint64_t> Tenant::purge_escalation_triggers(Timestamp before, std::uint64_t batch_size) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::purge); !s.is_ok()) return s;
  if (batch_size == 0) return Status::invalid_argument("batch_size", "must be at least 1");
  if (Status s = check_timestamp(before, "before"); !s.is_ok()) return s;
  std::uint64_t total = 0;
  for (;;) {
    // One transaction per batch, so that the PBX's writes interleave.
    auto txn = t.storage().begin_write();
    if (!txn.ok()) return txn.status();
    auto purged = (*txn)->purge_triggers(t.tenant_id(), before, batch_size);
    if (!purged.ok()) return purged.status();
    const auto entry = detail::audit_entry(t, t.db->now(), "purge_triggers", "escalation_trigger", "",
                                           {}, fmt::format("deleted {} older than {}", *purged, format_timestamp(before)));
    if (Status s = detail::commit_with_audit(**txn, entry); !s.is_ok()) return s;
    total += *purged;
    if (*purged < batch_size) return total;
  }
}

}  // namespace vipcore
