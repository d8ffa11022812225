// Escalation rules: Tenant::create_rule, get_rule, update_rule, remove_rule,
// list_rules; their validation, their sealed stored form, and the per-tenant
// cache of the rules in evaluation order.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "crypto.hpp"
#include "rules.hpp"
#include "state.hpp"
#include "tenant_ops.hpp"
#include "text.hpp"
#include "validate.hpp"
#include "vipcore/escalation.hpp"
#include "vipcore/tenant.hpp"

namespace vipcore {

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
  if (Status s = detail::validate_display_text("name", r.name, 128, false); !s.ok()) return s;
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
    if (Status s = detail::validate_email(fmt::format("notify.emails[{}]", i), n.emails[i]); !s.ok()) return s;
  for (std::size_t i = 0; i < n.sms_numbers.size(); ++i) {
    PhoneNumber p;
    if (Status s = detail::normalize_for_write(numbers, n.sms_numbers[i], fmt::format("notify.sms_numbers[{}]", i), &p);
        !s.ok())
      return s;
    n.sms_numbers[i] = std::string(p.e164());
  }
  for (std::size_t i = 0; i < n.internal_alerts.size(); ++i) {
    const std::string field = fmt::format("notify.internal_alerts[{}]", i);
    if (detail::trim(n.internal_alerts[i]).empty()) return Status::invalid_argument(field, "must not be empty");
    if (Status s = detail::validate_text(field, n.internal_alerts[i], 128, false); !s.ok()) return s;
  }
  if (r.priority < 1 || r.priority > kMaxRulePriority)
    return Status::invalid_argument("priority", fmt::format("must be 1 (first) to {}", kMaxRulePriority));
  if (static_cast<int>(r.schedule) > 2) return Status::invalid_argument("schedule", "is not a schedule");
  if (r.business_hours)
    if (Status s = r.business_hours->validate("business_hours"); !s.ok()) return s;
  return ok_status();
}

RuleRecord seal_rule(const EscalationRule& r, const detail::TenantKeys& keys, std::string_view tenant_id) {
  RuleRecord rec;
  rec.id = r.id;
  rec.name = r.name;
  rec.level_mask = detail::level_mask(r.vip_levels);
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
    if (Status s = detail::open(keys, tenant_id, rec.id, kNotifyField, rec.notify, &text); !s.ok()) return s;
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

}  // namespace

// The tenant's rules in evaluation order, from the context while the
// tenant's change generation is the one they were read at (every rule write
// moves it, in whichever process it commits).
Result<std::shared_ptr<const detail::RuleSet>> detail::current_rules(const TenantState& t) {
  auto generation = t.ctx->sync(t.storage(), t.db->default_region);
  if (!generation.ok()) return generation.status();
  if (auto cached = t.ctx->rules(); cached && *generation != 0 && cached->generation == *generation) return cached;
  auto records = t.storage().list_rules(t.tenant_id());
  if (!records.ok()) return records.status();
  auto set = std::make_shared<detail::RuleSet>();
  set->generation = *generation;
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

namespace {

Status rule_not_found(const TenantState& t, std::string_view id) {
  return Status::not_found(fmt::format("no escalation rule {} in tenant {}", id, t.tenant_id()));
}

// Writes a rule change with its audit entry.
template <typename Change>
Status write_rule_change(const TenantState& t, std::string_view action, std::string_view id,
                         std::vector<std::string> fields, Change&& change) {
  auto txn = t.storage().begin_write();
  if (!txn.ok()) return txn.status();
  if (Status s = change(**txn); !s.ok()) return s.is_not_found() ? rule_not_found(t, id) : s;
  const auto entry = detail::audit_entry(t, t.db->now(), action, "escalation_rule", id, std::move(fields), "ok");
  return detail::commit_with_audit(**txn, entry);
}

}  // namespace

Result<bool> detail::reseal_rule(RuleRecord& rule, const TenantKeys& keys, std::string_view tenant_id) {
  if (rule.notify.empty() || sealed_version(rule.notify) == keys.current_version()) return false;
  std::string plain;
  if (Status s = detail::open(keys, tenant_id, rule.id, kNotifyField, rule.notify, &plain); !s.ok()) return s;
  rule.notify = detail::seal(keys, tenant_id, rule.id, kNotifyField, plain);
  return true;
}

Result<EscalationRule> Tenant::create_rule(const EscalationRule& rule) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::manage_rules); !s.ok()) return s;
  EscalationRule r = rule;
  if (Status s = validate_rule(r, detail::number_rules(t)); !s.ok()) return s;
  r.id = detail::new_uuid();
  r.created_at = r.updated_at = t.db->now();
  const RuleRecord rec = seal_rule(r, t.ctx->keys(), t.tenant_id());
  std::vector<std::string> fields = {"name", "vip_levels", "max_wait_time", "max_queue_position", "escalation_type",
                                     "tier", "notify", "is_active", "priority", "schedule", "business_hours"};
  Status s = write_rule_change(t, "create_rule", r.id, std::move(fields),
                               [&](WriteTransaction& txn) { return txn.insert_rule(t.tenant_id(), rec); });
  if (!s.ok()) return s;
  return r;
}

Result<EscalationRule> Tenant::get_rule(std::string_view id) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::read_rules); !s.ok()) return s;
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
  if (Status s = t.authorize(Operation::manage_rules); !s.ok()) return s;
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
    if (Status v = validate_rule(*r, detail::number_rules(t)); !v.ok()) return v;
    r->updated_at = t.db->now();
    updated = *r;
    return txn.replace_rule(t.tenant_id(), seal_rule(*r, t.ctx->keys(), t.tenant_id()));
  });
  if (!s.ok()) return s;
  return updated;
}

Status Tenant::remove_rule(std::string_view id) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::manage_rules); !s.ok()) return s;
  auto rid = detail::canonical_caller_id(id, "id");
  if (!rid.ok()) return rid.status();
  return write_rule_change(t, "delete_rule", *rid, {},
                           [&](WriteTransaction& txn) { return txn.delete_rule(t.tenant_id(), *rid); });
}

Result<std::vector<EscalationRule>> Tenant::list_rules() const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::read_rules); !s.ok()) return s;
  auto rules = current_rules(t);
  if (!rules.ok()) return rules.status();
  return (*rules)->rules;
}

}  // namespace vipcore
