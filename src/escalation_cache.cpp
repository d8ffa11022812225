// The escalation check's per-tenant state: compiled rules and the memory of
// known triggers (src/escalation_cache.hpp).
#include "escalation_cache.hpp"

#include <algorithm>
#include <climits>
#include <functional>
#include <optional>

#include "rules.hpp"
#include "schedule_local.hpp"
#include "state.hpp"

namespace vipcore::detail {

CompiledRules compile_rules(const std::vector<EscalationRule>& rules) {
  CompiledRules out;
  out.active.reserve(rules.size());
  for (const EscalationRule& r : rules) {
    if (!r.is_active) continue;
    CompiledRule c;
    const std::uint32_t mask = level_mask(r.vip_levels);
    c.levels = mask != 0 ? mask : ~std::uint32_t{0};
    c.max_wait = r.max_wait_time.value_or(INT_MAX);
    c.max_position = r.max_queue_position.value_or(INT_MAX);
    c.schedule = r.schedule;
    c.rule = &r;
    out.active.push_back(c);
  }
  return out;
}

Status evaluate_compiled(const CompiledRules& rules, const CallerSummary& caller, int wait_seconds, int queue_position,
                         Timestamp now, const WeeklyHours& business_hours, std::string_view time_zone,
                         EscalationResult* out) {
  if (wait_seconds < 0) return Status::invalid_argument("wait_seconds", "must not be negative");
  if (queue_position < 0) return Status::invalid_argument("queue_position", "must not be negative");
  if (static_cast<int>(caller.vip_level) >= kLevelCount) return Status::invalid_argument("vip_level", "is not a level");
  const std::uint32_t level_bit = 1u << static_cast<unsigned>(caller.vip_level);

  EscalationResult& result = *out;
  result.should_escalate = false;
  result.highest_tier = 0;
  result.highest_escalation_type.clear();
  result.max_wait_time = caller.max_wait_time;
  result.sla_breached = caller.max_wait_time > 0 && wait_seconds > caller.max_wait_time;
  result.notification_failures.clear();
  std::size_t n = 0;  // rules triggered; the vector's elements beyond are reused or dropped
  std::optional<LocalWeekMinute> local;  // `now` in the tenant's zone, computed at most once
  for (const CompiledRule& c : rules.active) {
    if ((c.levels & level_bit) == 0 || (wait_seconds <= c.max_wait && queue_position <= c.max_position)) continue;
    const EscalationRule& r = *c.rule;
    if (c.schedule != RuleSchedule::always) {
      if (!local) {
        auto at = local_week_minute(time_zone, now);
        if (!at.ok()) return at.status();
        local = *at;
      }
      const bool open = open_at(r.business_hours ? *r.business_hours : business_hours, *local);
      if (open != (c.schedule == RuleSchedule::inside_business_hours)) continue;
    }
    if (n == result.triggered_rules.size()) result.triggered_rules.emplace_back();
    TriggeredRule& tr = result.triggered_rules[n++];
    // assign() and vector copy-assignment reuse what the element holds.
    tr.rule_id.assign(r.id);
    tr.rule_name.assign(r.name);
    tr.escalation_type.assign(r.escalation_type);
    tr.tier = r.tier;
    tr.priority = r.priority;
    tr.notify = r.notify;
    tr.wait_exceeded = wait_seconds > c.max_wait;
    tr.position_exceeded = queue_position > c.max_position;
    tr.already_triggered = false;
    tr.notified = false;
    if (tr.tier > result.highest_tier) {
      result.highest_tier = tr.tier;
      result.highest_escalation_type.assign(tr.escalation_type);
    }
  }
  result.triggered_rules.resize(n);
  result.should_escalate = n != 0;
  return ok_status();
}

// ------------------------------------------------------------ TriggerMemory

std::uint64_t TriggerMemory::epoch() const {
  std::lock_guard<std::mutex> lock(mu_);
  return epoch_;
}

bool TriggerMemory::mark_known(std::string_view call_id, std::vector<TriggeredRule>& triggered,
                               bool need_notified) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = calls_.find(std::hash<std::string_view>{}(call_id));
  if (it == calls_.end() || it->second.call_id != call_id) return false;
  const std::vector<Known>& known = it->second.rules;
  // A steady poll triggers the rules it triggered last time, in the same
  // order: try the next remembered one first, then all of them.
  std::size_t next = 0;
  for (const TriggeredRule& tr : triggered) {
    if (next >= known.size() || known[next].rule_id != tr.rule_id) {
      const auto found = std::find_if(known.begin(), known.end(),
                                      [&tr](const Known& k) { return k.rule_id == tr.rule_id; });
      if (found == known.end()) return false;
      next = static_cast<std::size_t>(found - known.begin());
    }
    if (need_notified && !known[next].notified) return false;
    ++next;
  }
  next = 0;
  for (TriggeredRule& tr : triggered) {
    if (next >= known.size() || known[next].rule_id != tr.rule_id)
      next = static_cast<std::size_t>(std::find_if(known.begin(), known.end(),
                                                   [&tr](const Known& k) { return k.rule_id == tr.rule_id; }) -
                                      known.begin());
    tr.already_triggered = true;
    tr.notified = known[next].notified;
    ++next;
  }
  return true;
}

void TriggerMemory::remember(std::string_view call_id, std::uint64_t epoch,
                             const std::vector<TriggeredRule>& triggered) {
  std::vector<Known> rules;
  rules.reserve(std::min(triggered.size(), kMaxRulesPerCall));
  for (const TriggeredRule& tr : triggered)
    if (rules.size() < kMaxRulesPerCall) rules.push_back(Known{tr.rule_id, tr.notified});
  if (rules.empty()) return;
  const std::size_t key = std::hash<std::string_view>{}(call_id);
  std::lock_guard<std::mutex> lock(mu_);
  if (epoch != epoch_) return;  // a purge began after the triggers were read
  auto it = calls_.find(key);
  if (it != calls_.end() && it->second.call_id == call_id) {
    // Notified is final; and keep what was remembered before and did not
    // trigger this time (a position rule, once the caller moved up), after
    // this check's rules.
    for (Known& old : it->second.rules) {
      const auto same = std::find_if(rules.begin(), rules.end(),
                                     [&old](const Known& k) { return k.rule_id == old.rule_id; });
      if (same != rules.end()) same->notified = same->notified || old.notified;
      else if (rules.size() < kMaxRulesPerCall) rules.push_back(std::move(old));
    }
    it->second.rules = std::move(rules);
    return;
  }
  if (it == calls_.end()) {
    if (calls_.size() >= kMaxCalls) {
      calls_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(key);
    it = calls_.emplace(key, Call{}).first;
  }
  it->second.call_id = std::string(call_id);
  it->second.rules = std::move(rules);
}

void TriggerMemory::forget_all() {
  std::lock_guard<std::mutex> lock(mu_);
  ++epoch_;
  calls_.clear();
  order_.clear();
}

std::size_t TriggerMemory::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_.size();
}

// ---------------------------------------------------------- EscalationCache

std::shared_ptr<const CompiledRules> EscalationCache::compiled(const std::shared_ptr<const RuleSet>& rules) {
  std::lock_guard<std::mutex> lock(mu_);
  if (compiled_ && compiled_->source == rules) return compiled_;
  auto fresh = std::make_shared<CompiledRules>(compile_rules(rules->rules));
  fresh->source = rules;
  compiled_ = std::move(fresh);
  return compiled_;
}

}  // namespace vipcore::detail
