// vipcore.h, "metrics": a tenant's counters, and every tenant's in
// Prometheus text format.
#include <cstdlib>

#include "capi_internal.hpp"

using namespace vipcore::capi;

namespace {

void fill_metrics(const vipcore::MetricsSnapshot& m, vipcore_metrics* out) noexcept {
  out->identify_attempted = m.identify_attempted;
  out->identify_matched = m.identify_matched;
  out->identify_not_vip = m.identify_not_vip;
  out->identify_failed = m.identify_failed;
  out->escalation_checks = m.escalation_checks;
  out->notification_failures = m.notification_failures;
  for (std::size_t l = 0; l < 5; ++l) {
    out->escalations_by_level[l] = m.escalations_by_level[l];
    out->calls_recorded_by_level[l] = m.calls_recorded_by_level[l];
    out->wait_seconds_sum_by_level[l] = m.wait_seconds_sum_by_level[l];
  }
  if (fits(out, &out->cache_bytes)) {
    out->identify_cache_hits = m.identify_cache_hits;
    out->cache_entries = m.cache_entries;
    out->cache_bytes = m.cache_bytes;
  }
}

}  // namespace

extern "C" {

int vipcore_metrics_get(vipcore_metrics* out, vipcore_tenant* tenant) {
  return api_call({output_struct(out, VIPCORE_V1_SIZE(vipcore_metrics, wait_seconds_sum_by_level),
                                 "struct_size is too small: set it to sizeof(vipcore_metrics)"),
                   given(tenant, "tenant")},
                  [&]() -> Status {
                    auto m = tenant->tenant.metrics();
                    if (!m.ok()) return m.status();
                    fill_metrics(*m, out);
                    return ok_status();
                  });
}

int vipcore_metrics_prometheus(char** out, vipcore_db* db) {
  return api_call({output(out), given(db, "db")}, [&]() -> Status {
    const std::string text_out = vipcore::to_prometheus(db->db.metrics());
    char* copy = static_cast<char*>(std::malloc(text_out.size() + 1));
    if (copy == nullptr) throw std::bad_alloc();
    std::memcpy(copy, text_out.c_str(), text_out.size() + 1);
    *out = copy;
    return ok_status();
  });
}

}  // extern "C"
