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

MetricsSnapshot TenantCounters::snapshot(const std::string& tenant_id) const {
  const auto get = [](const Counter& c) { return c.load(std::memory_order_relaxed); };
  MetricsSnapshot m;
  m.tenant_id = tenant_id;
  m.identify_attempted = get(identify_attempted);
  m.identify_matched = get(identify_matched);
  m.identify_not_vip = get(identify_not_vip);
  m.identify_failed = get(identify_failed);
  m.escalation_checks = get(escalation_checks);
  m.notification_failures = get(notification_failures);
  for (std::size_t l = 0; l < kLevelCount; ++l) {
    m.identified_by_level[l] = get(identified_by_level[l]);
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

}  // namespace

std::string to_prometheus(const std::vector<MetricsSnapshot>& snapshots) {
  std::string out;
  auto each_level = [](auto&& f) {
    for (int l = 0; l < kLevelCount; ++l) f(static_cast<std::size_t>(l), to_string(static_cast<Level>(l)));
  };
  family(out, "vipcore_identify_total", "counter", "Identify calls by result.");
  for (const MetricsSnapshot& m : snapshots) {
    const std::string t = label(m.tenant_id);
    fmt::format_to(std::back_inserter(out), "vipcore_identify_total{{tenant=\"{}\",result=\"vip\"}} {}\n", t,
                   m.identify_matched);
    fmt::format_to(std::back_inserter(out), "vipcore_identify_total{{tenant=\"{}\",result=\"not_vip\"}} {}\n", t,
                   m.identify_not_vip);
    fmt::format_to(std::back_inserter(out), "vipcore_identify_total{{tenant=\"{}\",result=\"error\"}} {}\n", t,
                   m.identify_failed);
  }
  family(out, "vipcore_identified_vips_total", "counter", "Callers identified as VIP, by level.");
  for (const MetricsSnapshot& m : snapshots)
    each_level([&](std::size_t l, std::string_view name) {
      fmt::format_to(std::back_inserter(out), "vipcore_identified_vips_total{{tenant=\"{}\",level=\"{}\"}} {}\n",
                     label(m.tenant_id), name, m.identified_by_level[l]);
    });
  family(out, "vipcore_escalation_checks_total", "counter", "Escalation checks made.");
  for (const MetricsSnapshot& m : snapshots)
    fmt::format_to(std::back_inserter(out), "vipcore_escalation_checks_total{{tenant=\"{}\"}} {}\n",
                   label(m.tenant_id), m.escalation_checks);
  family(out, "vipcore_escalations_total", "counter", "Escalation rules triggered (once per call and rule), by level.");
  for (const MetricsSnapshot& m : snapshots)
    each_level([&](std::size_t l, std::string_view name) {
      fmt::format_to(std::back_inserter(out), "vipcore_escalations_total{{tenant=\"{}\",level=\"{}\"}} {}\n",
                     label(m.tenant_id), name, m.escalations_by_level[l]);
    });
  family(out, "vipcore_notification_failures_total", "counter", "Escalation notices the notifier failed to deliver.");
  for (const MetricsSnapshot& m : snapshots)
    fmt::format_to(std::back_inserter(out), "vipcore_notification_failures_total{{tenant=\"{}\"}} {}\n",
                   label(m.tenant_id), m.notification_failures);
  family(out, "vipcore_call_wait_seconds", "histogram", "Wait of recorded VIP calls, by level.");
  for (const MetricsSnapshot& m : snapshots)
    each_level([&](std::size_t l, std::string_view name) {
      const std::string t = label(m.tenant_id);
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b < kWaitBuckets; ++b) {
        cumulative += m.wait_buckets_by_level[l][b];
        const std::string le = b < kWaitBucketBounds.size() ? std::to_string(kWaitBucketBounds[b]) : "+Inf";
        fmt::format_to(std::back_inserter(out),
                       "vipcore_call_wait_seconds_bucket{{tenant=\"{}\",level=\"{}\",le=\"{}\"}} {}\n", t, name, le,
                       cumulative);
      }
      fmt::format_to(std::back_inserter(out), "vipcore_call_wait_seconds_sum{{tenant=\"{}\",level=\"{}\"}} {}\n", t,
                     name, m.wait_seconds_sum_by_level[l]);
      fmt::format_to(std::back_inserter(out), "vipcore_call_wait_seconds_count{{tenant=\"{}\",level=\"{}\"}} {}\n", t,
                     name, m.calls_recorded_by_level[l]);
    });
  return out;
}

}  // namespace vipcore
