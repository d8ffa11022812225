// Call history, analytics, alerts, metrics and retention: Tenant::record_call
// ... Tenant::purge.
#include "vipcore/analytics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "state.hpp"
#include "tenant_ops.hpp"
#include "text.hpp"
#include "validate.hpp"
#include "vipcore/storage.hpp"
#include "vipcore/tenant.hpp"

namespace vipcore {

std::string_view to_string(AlertKind kind) noexcept {
  switch (kind) {
    case AlertKind::escalation_rate: return "ESCALATION_RATE";
    case AlertKind::wait_time: return "WAIT_TIME";
    case AlertKind::failed_identifications: return "FAILED_IDENTIFICATIONS";
    case AlertKind::quality_drop: return "QUALITY_DROP";
  }
  return "UNKNOWN";
}

Status AlertThresholds::validate() const {
  for (int l = 0; l < kLevelCount; ++l) {
    const double r = max_escalation_rate[static_cast<std::size_t>(l)];
    if (!(r >= 0.0 && r <= 1.0))
      return Status::invalid_argument(fmt::format("alerts.max_escalation_rate[{}]", to_string(static_cast<Level>(l))),
                                      "must lie in 0..1");
  }
  if (!(wait_factor > 0.0 && wait_factor <= 100.0))
    return Status::invalid_argument("alerts.wait_factor", "must lie in (0, 100]");
  if (!(max_failed_identification_rate >= 0.0 && max_failed_identification_rate <= 1.0))
    return Status::invalid_argument("alerts.max_failed_identification_rate", "must lie in 0..1");
  if (!(max_quality_drop >= 0.0 && max_quality_drop <= 100.0))
    return Status::invalid_argument("alerts.max_quality_drop", "must lie in 0..100");
  return ok_status();
}

namespace {

using detail::TenantState;

constexpr int kMaxCallWait = 86400;

Status check_range(const DateRange& range) {
  if (Status s = check_timestamp(range.start, "range.start"); !s.ok()) return s;
  if (Status s = check_timestamp(range.end, "range.end"); !s.ok()) return s;
  if (!(range.start < range.end)) return Status::invalid_argument("range", "start must be before end");
  return ok_status();
}

// Nearest rank: the smallest wait that at least `p` of the calls did not exceed.
int percentile(const std::vector<std::pair<int, std::uint64_t>>& histogram, std::uint64_t calls, double p) {
  const auto rank = static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(calls)));
  std::uint64_t seen = 0;
  for (const auto& [wait, n] : histogram) {
    seen += n;
    if (seen >= std::max<std::uint64_t>(rank, 1)) return wait;
  }
  return histogram.empty() ? 0 : histogram.back().first;
}

std::optional<double> ratio(double part, std::uint64_t whole) {
  if (whole == 0) return std::nullopt;
  return part / static_cast<double>(whole);
}

CallStats stats_of(const CallAggregate& a) {
  CallStats s;
  s.calls = a.calls;
  if (a.calls == 0) return s;
  s.wait.average = a.wait_sum / static_cast<double>(a.calls);
  s.wait.max = a.wait_max;
  s.wait.p50 = percentile(a.wait_histogram, a.calls, 0.5);
  s.wait.p90 = percentile(a.wait_histogram, a.calls, 0.9);
  s.sla_met = a.sla_met;
  s.sla_met_rate = ratio(static_cast<double>(a.sla_met), a.calls);
  s.escalations = a.escalations;
  s.escalation_rate = ratio(static_cast<double>(a.escalations), a.calls);
  s.rated_calls = a.rated;
  s.average_satisfaction = ratio(a.rating_sum, a.rated);
  s.scored_calls = a.scored;
  s.average_quality = ratio(a.quality_sum, a.scored);
  s.handling_rules_applied = a.rules;
  return s;
}

CallAggregate combine(const LevelAggregates& levels) {
  CallAggregate all;
  std::map<int, std::uint64_t> histogram;
  for (const CallAggregate& a : levels) {
    all.calls += a.calls;
    all.sla_met += a.sla_met;
    all.escalations += a.escalations;
    all.rated += a.rated;
    all.rating_sum += a.rating_sum;
    all.scored += a.scored;
    all.quality_sum += a.quality_sum;
    all.wait_sum += a.wait_sum;
    all.wait_max = std::max(all.wait_max, a.wait_max);
    for (std::size_t r = 0; r < all.rules.size(); ++r) all.rules[r] += a.rules[r];
    for (const auto& [wait, n] : a.wait_histogram) histogram[wait] += n;
  }
  all.wait_histogram.assign(histogram.begin(), histogram.end());
  return all;
}

Status check_call(const CallRecord& c) {
  if (c.call_id.empty()) return Status::invalid_argument("call_id", "must not be empty");
  if (Status s = detail::validate_text("call_id", c.call_id, Limits::kMaxIdBytes, false); !s.ok()) return s;
  if (c.vip_level_at_call && static_cast<int>(*c.vip_level_at_call) >= kLevelCount)
    return Status::invalid_argument("vip_level_at_call", "is not a VIP level");
  if (c.wait_seconds < 0 || c.wait_seconds > kMaxCallWait)
    return Status::invalid_argument("wait_seconds", fmt::format("must be 0 to {} seconds", kMaxCallWait));
  if (c.satisfaction_rating && (*c.satisfaction_rating < 1 || *c.satisfaction_rating > 5))
    return Status::invalid_argument("satisfaction_rating", fmt::format("must be 1 to 5, got {}", *c.satisfaction_rating));
  if (c.service_quality_score &&
      !(std::isfinite(*c.service_quality_score) && *c.service_quality_score >= 0 && *c.service_quality_score <= 100))
    return Status::invalid_argument("service_quality_score", "must be a number from 0 to 100");
  if (c.at)
    if (Status s = check_timestamp(*c.at, "at"); !s.ok()) return s;
  return ok_status();
}

// A stored call as the API reports it.
CallHistoryEntry history_entry(CallRow&& row) {
  CallHistoryEntry e;
  e.call_id = std::move(row.call_id);
  e.caller_id = std::move(row.caller_id);
  e.vip_level = row.vip_level;
  e.handling_rules_applied = row.handling_rules_applied;
  e.wait_seconds = row.wait_seconds;
  e.max_wait_time = row.max_wait_time;
  e.escalation_triggered = row.escalation_triggered;
  e.satisfaction_rating = row.satisfaction_rating;
  e.service_quality_score = row.service_quality_score;
  e.at = row.at;
  return e;
}

// "7.5%"; two decimals for small rates, so that 1.04% does not read as 1.0%.
std::string percent(double v) { return fmt::format(v < 0.1 ? "{:.2f}%" : "{:.1f}%", v * 100); }

}  // namespace

// The arithmetic of every call figure: Storage::aggregate_calls's default and
// any backend's streamed aggregation add calls up here, and stats_of turns
// the sums into the API's figures.
Status CallAggregator::add(const CallRow& c) {
  const auto level = static_cast<std::size_t>(c.vip_level);
  if (level >= levels_.size()) return Status::storage_error("a stored call's vip_level is out of range");
  if (c.wait_seconds < 0 || c.wait_seconds > kMaxCallWait)
    return Status::storage_error("a stored call's wait_seconds is out of range");
  CallAggregate& a = levels_[level];
  ++a.calls;
  if (c.wait_seconds <= c.max_wait_time) ++a.sla_met;
  if (c.escalation_triggered) ++a.escalations;
  if (c.satisfaction_rating) {
    ++a.rated;
    a.rating_sum += static_cast<double>(*c.satisfaction_rating);
  }
  if (c.service_quality_score) {
    ++a.scored;
    a.quality_sum += *c.service_quality_score;
  }
  for (int r = 0; r < kHandlingRuleCount; ++r)
    if (c.handling_rules_applied.has(static_cast<HandlingRule>(r))) ++a.rules[static_cast<std::size_t>(r)];
  a.wait_sum += static_cast<double>(c.wait_seconds);
  a.wait_max = std::max(a.wait_max, c.wait_seconds);
  std::vector<std::uint64_t>& counts = waits_[level];
  const auto w = static_cast<std::size_t>(c.wait_seconds);
  if (w >= counts.size())
    counts.resize(std::min<std::size_t>(std::max(w + 1, counts.size() * 2), static_cast<std::size_t>(kMaxCallWait) + 1));
  ++counts[w];
  return ok_status();
}

LevelAggregates CallAggregator::result() const {
  LevelAggregates out = levels_;
  for (std::size_t l = 0; l < out.size(); ++l) {
    out[l].wait_histogram.clear();
    const std::vector<std::uint64_t>& counts = waits_[l];
    for (std::size_t w = 0; w < counts.size(); ++w)
      if (counts[w] != 0) out[l].wait_histogram.emplace_back(static_cast<int>(w), counts[w]);
  }
  return out;
}

Result<CallHistoryEntry> Tenant::record_call(const CallRecord& call) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::record_call); !s.ok()) return s;
  if (Status s = check_call(call); !s.ok()) return s;
  auto cid = detail::canonical_caller_id(call.caller_id, "caller_id");
  if (!cid.ok()) return cid.status();

  // The caller is read outside the transaction, and the transaction is an
  // activity one: it never waits for an administrator's long write (import).
  auto caller = detail::read_caller(t, *cid);
  if (!caller.ok()) return caller.status();
  const CallerRecord& c = *caller;
  if (!detail::integrity_ok(t.ctx->keys(), c)) return detail::tampered_caller(c.id);
  const TenantSettings& settings = t.ctx->settings();

  CallRow entry;
  entry.call_id = call.call_id;
  entry.caller_id = *cid;
  entry.vip_level = call.vip_level_at_call.value_or(c.vip_level);
  entry.handling_rules_applied = call.handling_rules_applied;
  entry.wait_seconds = call.wait_seconds;
  entry.max_wait_time = c.max_wait_time.value_or(settings.level_waits[static_cast<std::size_t>(c.vip_level)]);
  entry.escalation_triggered = call.escalation_triggered;
  entry.satisfaction_rating = call.satisfaction_rating;
  entry.service_quality_score = call.service_quality_score;
  entry.at = call.at.value_or(t.db->now());
  auto txn = t.storage().begin_activity_write();
  if (!txn.ok()) return txn.status();
  if (Status s = (*txn)->insert_call(t.tenant_id(), entry); !s.ok())
    return s.is_already_exists()
               ? Status::already_exists("call_id", fmt::format("call {} has already been recorded", call.call_id))
               : s;
  if (Status s = (*txn)->count_call(t.tenant_id(), *cid, call.satisfaction_rating); !s.ok()) return s;
  if (Status s = (*txn)->commit(); !s.ok()) return s;
  t.ctx->counters().record_wait(entry.vip_level, entry.wait_seconds);
  return history_entry(std::move(entry));
}

Result<DateRange> Tenant::date_range(std::string_view start, std::string_view end, std::string_view start_field,
                                     std::string_view end_field) const {
  return parse_date_range(start, end, state_->fresh_settings().time_zone, start_field, end_field);
}

Result<std::vector<CallHistoryEntry>> Tenant::call_history(std::string_view caller_id, const DateRange& range,
                                                           std::uint64_t limit) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::read_analytics); !s.ok()) return s;
  if (Status s = check_range(range); !s.ok()) return s;
  auto cid = detail::canonical_caller_id(caller_id, "caller_id");
  if (!cid.ok()) return cid.status();
  auto rows = t.storage().list_calls(t.tenant_id(), *cid, range.start, range.end, limit);
  if (!rows.ok()) return rows.status();
  std::vector<CallHistoryEntry> out;
  out.reserve(rows->size());
  for (CallRow& row : *rows) out.push_back(history_entry(std::move(row)));
  return out;
}

Result<CallerAnalytics> Tenant::caller_analytics(std::string_view caller_id, const DateRange& range) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::read_analytics); !s.ok()) return s;
  if (Status s = check_range(range); !s.ok()) return s;
  auto cid = detail::canonical_caller_id(caller_id, "caller_id");
  if (!cid.ok()) return cid.status();
  if (auto caller = detail::read_caller(t, *cid); !caller.ok()) return caller.status();
  auto levels = t.storage().aggregate_calls(t.tenant_id(), range.start, range.end, *cid);
  if (!levels.ok()) return levels.status();
  return CallerAnalytics{*cid, range, stats_of(combine(*levels))};
}

Result<OverviewAnalytics> Tenant::overview(const DateRange& range) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::read_analytics); !s.ok()) return s;
  if (Status s = check_range(range); !s.ok()) return s;
  auto counts = t.storage().count_callers_by_level_status(t.tenant_id());
  if (!counts.ok()) return counts.status();
  auto levels = t.storage().aggregate_calls(t.tenant_id(), range.start, range.end, {});
  if (!levels.ok()) return levels.status();
  OverviewAnalytics o;
  o.range = range;
  o.callers = *counts;
  for (const auto& by_status : o.callers)
    for (std::uint64_t n : by_status) o.total_callers += n;
  o.all = stats_of(combine(*levels));
  for (std::size_t l = 0; l < o.by_level.size(); ++l) o.by_level[l] = stats_of((*levels)[l]);
  return o;
}

Result<std::vector<Alert>> Tenant::evaluate_alerts(const DateRange& range) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::read_analytics); !s.ok()) return s;
  if (Status s = check_range(range); !s.ok()) return s;
  const TenantSettings& settings = t.ctx->settings();
  const AlertThresholds& th = settings.alerts;
  auto now = t.storage().aggregate_calls(t.tenant_id(), range.start, range.end, {});
  if (!now.ok()) return now.status();
  const DateRange previous{range.start - (range.end - range.start), range.start};
  auto before = t.storage().aggregate_calls(t.tenant_id(), previous.start, previous.end, {});
  if (!before.ok()) return before.status();

  std::vector<Alert> alerts;
  for (int l = 0; l < kLevelCount; ++l) {
    const auto level = static_cast<Level>(l);
    const std::string name(to_string(level));
    const CallStats s = stats_of((*now)[static_cast<std::size_t>(l)]);
    if (s.calls == 0 || s.calls < th.min_calls) continue;
    const double max_rate = th.max_escalation_rate[static_cast<std::size_t>(l)];
    if (*s.escalation_rate > max_rate)
      alerts.push_back({AlertKind::escalation_rate, level, *s.escalation_rate, max_rate,
                        fmt::format("{} escalation rate {} is above {}", name, percent(*s.escalation_rate),
                                    percent(max_rate))});
    const double max_wait = settings.level_waits[static_cast<std::size_t>(l)] * th.wait_factor;
    if (s.wait.average > max_wait)
      alerts.push_back({AlertKind::wait_time, level, s.wait.average, max_wait,
                        fmt::format("{} average wait {:.1f} s is above the target {:.1f} s", name, s.wait.average,
                                    max_wait)});
    const CallStats p = stats_of((*before)[static_cast<std::size_t>(l)]);
    if (s.scored_calls > 0 && p.scored_calls > 0 && s.scored_calls >= th.min_calls && p.scored_calls >= th.min_calls) {
      const double drop = *p.average_quality - *s.average_quality;
      if (drop > th.max_quality_drop)
        alerts.push_back({AlertKind::quality_drop, level, drop, th.max_quality_drop,
                          fmt::format("{} service quality fell by {:.1f} points ({:.1f} -> {:.1f})", name, drop,
                                      *p.average_quality, *s.average_quality)});
    }
  }
  const MetricsSnapshot m = t.ctx->counters().snapshot(t.tenant_id());
  if (m.identify_attempted >= th.min_identifications && m.identify_attempted > 0) {
    const double rate = static_cast<double>(m.identify_failed) / static_cast<double>(m.identify_attempted);
    if (rate > th.max_failed_identification_rate)
      alerts.push_back({AlertKind::failed_identifications, std::nullopt, rate, th.max_failed_identification_rate,
                        fmt::format("{} of {} identifications failed ({}, above {})", m.identify_failed,
                                    m.identify_attempted, percent(rate), percent(th.max_failed_identification_rate))});
  }
  return alerts;
}

Result<MetricsSnapshot> Tenant::metrics() const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::read_metrics); !s.ok()) return s;
  return t.ctx->snapshot();
}

Result<PurgeReport> Tenant::purge(Timestamp before, std::uint64_t batch_size) const {
  const TenantState& t = *state_;
  if (Status s = t.authorize(Operation::purge); !s.ok()) return s;
  if (batch_size == 0) return Status::invalid_argument("batch_size", "must be at least 1");
  if (Status s = check_timestamp(before, "before"); !s.ok()) return s;
  PurgeReport report;
  for (;;) {
    // One transaction per batch, so that the PBX's writes interleave.
    auto txn = t.storage().begin_write();
    if (!txn.ok()) return txn.status();
    auto purged = (*txn)->purge_calls(t.tenant_id(), before, batch_size);
    if (!purged.ok()) return purged.status();
    const auto entry = detail::audit_entry(t, t.db->now(), "purge_calls", "vip_call", "", {},
                                           fmt::format("deleted {} older than {}", *purged, format_timestamp(before)));
    if (Status s = detail::commit_with_audit(**txn, entry); !s.ok()) return s;
    report.calls += *purged;
    if (*purged < batch_size) break;
  }
  auto triggers = purge_escalation_triggers(before, batch_size);
  if (!triggers.ok()) return triggers.status();
  report.triggers = *triggers;
  return report;
}

}  // namespace vipcore
