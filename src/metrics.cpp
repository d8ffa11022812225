// Metrics: the per-tenant counters and their Prometheus text form.
#include "vipcore/metrics.hpp"

#include <fmt/format.h>

#include "state.hpp"

namespace vipcore {
namespace detail {

void TenantCounters::record_wait(Level level, int wait_seconds) noexcept {
  const auto l = static_cast<std::size_t>(level);
  add(calls_recorded_by_level[l]);
  add(wait_seconds_sum_by_level[l], static_cast<std::uint64_t>(wait_seconds));
  std::size_t bucket = 0;
  while (bucket < kWaitBucketBounds.size() && wait_seconds > kWaitBucketBounds[bucket]) ++bucket;
  add(wait_buckets_by_level[l][bucket]);
}

TenantCounters::IdentifyStripe& TenantCounters::identify_stripe() noexcept {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed) % kIdentifyStripes;
  return identify[mine];
}

MetricsSnapshot TenantCounters::snapshot(const std::string& tenant_id) const {
  const auto get = [](const Counter& c) { return c.load(std::memory_order_relaxed); };
  MetricsSnapshot m;
  m.tenant_id = tenant_id;
  for (const IdentifyStripe& stripe : identify) {
    m.identify_matched += get(stripe.matched);
    m.identify_not_vip += get(stripe.not_vip);
    m.identify_failed += get(stripe.failed);
    m.identify_cache_hits += get(stripe.cache_hits);
    for (std::size_t l = 0; l < kLevelCount; ++l) m.identified_by_level[l] += get(stripe.by_level[l]);
  }
  m.identify_attempted = m.identify_matched + m.identify_not_vip + m.identify_failed;
  m.escalation_checks = get(escalation_checks);
  m.notification_failures = get(notification_failures);
  for (std::size_t l = 0; l < kLevelCount; ++l) {
    m.escalations_by_level[l] = get(escalations_by_level[l]);
    m.calls_recorded_by_level[l] = get(calls_recorded_by_level[l]);
    m.wait_seconds_sum_by_level[l] = get(wait_seconds_sum_by_level[l]);
    for (std::size_t b = 0; b < kWaitBuckets; ++b) m.wait_buckets_by_level[l][b] = get(wait_buckets_by_level[l][b]);
  }
  return m;
}

}  // namespace detail

namespace {

// Tenant ids are restricted to [A-Za-z0-9._:@-], so they need no escaping;
// the guard keeps the output valid should that ever change.
std::string label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// A counter (or a gauge) with one series per tenant.
template <typename Value>
void per_tenant(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                const std::vector<MetricsSnapshot>& snapshots, Value value) {
  family(out, name, type, help);
  for (const MetricsSnapshot& m : snapshots)
    fmt::format_to(std::back_inserter(out), "{}{{tenant=\"{}\"}} {}\n", name, label(m.tenant_id), value(m));
}
template <typename Value>
void counter(std::string& out, std::string_view name, std::string_view help,
             const std::vector<MetricsSnapshot>& snapshots, Value value) {
  per_tenant(out, name, "counter", help, snapshots, value);
}

// A counter with one series per tenant and level; `values` gives the array by level.
template <typename Values>
void counter_by_level(std::string& out, std::string_view name, std::string_view help,
                      const std::vector<MetricsSnapshot>& snapshots, Values values) {
  family(out, name, "counter", help);
  for (const MetricsSnapshot& m : snapshots)
    for (int l = 0; l < kLevelCount; ++l)
      fmt::format_to(std::back_inserter(out), "{}{{tenant=\"{}\",level=\"{}\"}} {}\n", name, label(m.tenant_id),
                     to_string(static_cast<Level>(l)), values(m)[static_cast<std::size_t>(l)]);
}

}  // namespace

std::string to_prometheus(const std::vector<MetricsSnapshot>& snapshots) {
  std::string out;
  family(out, "vipcore_identify_total", "counter", "Identify calls by result.");
  for (const MetricsSnapshot& m : snapshots)
    for (const auto& [result, n] : {std::pair<const char*, std::uint64_t>{"vip", m.identify_matched},
                                    {"not_vip", m.identify_not_vip},
                                    {"error", m.identify_failed}})
      fmt::format_to(std::back_inserter(out), "vipcore_identify_total{{tenant=\"{}\",result=\"{}\"}} {}\n",
                     label(m.tenant_id), result, n);
  counter_by_level(out, "vipcore_identified_vips_total", "Callers identified as VIP, by level.", snapshots,
                   [](const MetricsSnapshot& m) { return m.identified_by_level; });
  counter(out, "vipcore_identify_cache_hits_total", "Identify calls answered from the cache, without a storage read.",
          snapshots, [](const MetricsSnapshot& m) { return m.identify_cache_hits; });
  per_tenant(out, "vipcore_identify_cache_entries", "gauge", "Numbers the tenant's identify cache holds.", snapshots,
             [](const MetricsSnapshot& m) { return m.cache_entries; });
  per_tenant(out, "vipcore_identify_cache_bytes", "gauge", "Bytes the tenant's identify cache holds.", snapshots,
             [](const MetricsSnapshot& m) { return m.cache_bytes; });
  counter(out, "vipcore_escalation_checks_total", "Escalation checks made.", snapshots,
          [](const MetricsSnapshot& m) { return m.escalation_checks; });
  counter_by_level(out, "vipcore_escalations_total", "Escalation rules triggered (once per call and rule), by level.",
                   snapshots, [](const MetricsSnapshot& m) { return m.escalations_by_level; });
  counter(out, "vipcore_notification_failures_total", "Escalation notices the notifier failed to deliver.", snapshots,
          [](const MetricsSnapshot& m) { return m.notification_failures; });
  family(out, "vipcore_call_wait_seconds", "histogram", "Wait of recorded VIP calls, by level.");
  for (const MetricsSnapshot& m : snapshots) {
    const std::string t = label(m.tenant_id);
    for (int level = 0; level < kLevelCount; ++level) {
      const auto l = static_cast<std::size_t>(level);
      const std::string_view name = to_string(static_cast<Level>(level));
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b < kWaitBuckets; ++b) {
        cumulative += m.wait_buckets_by_level[l][b];
        const std::string le = b < kWaitBucketBounds.size() ? std::to_string(kWaitBucketBounds[b]) : "+Inf";
        fmt::format_to(std::back_inserter(out),
                       "vipcore_call_wait_seconds_bucket{{tenant=\"{}\",level=\"{}\",le=\"{}\"}} {}\n", t, name,
                       le, cumulative);
      }
      fmt::format_to(std::back_inserter(out), "vipcore_call_wait_seconds_sum{{tenant=\"{}\",level=\"{}\"}} {}\n", t,
                     name, m.wait_seconds_sum_by_level[l]);
      fmt::format_to(std::back_inserter(out), "vipcore_call_wait_seconds_count{{tenant=\"{}\",level=\"{}\"}} {}\n",
                     t, name, m.calls_recorded_by_level[l]);
    }
  }
  return out;
}

}  // namespace vipcore
