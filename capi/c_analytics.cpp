// vipcore.h, "call history, analytics" (analytics): report ranges, a
// caller's analytics, the tenant's overview, alerts and purges.
#include "capi_internal.hpp"

using namespace vipcore::capi;

namespace {

void fill_stats(const vipcore::CallStats& s, vipcore_call_stats* out) {
  const auto opt = [](const std::optional<double>& v) { return v ? *v : -1.0; };
  out->calls = s.calls;
  out->wait_average = s.wait.average;
  out->wait_max = s.wait.max;
  out->wait_p50 = s.wait.p50;
  out->wait_p90 = s.wait.p90;
  out->sla_met = s.sla_met;
  out->sla_met_rate = opt(s.sla_met_rate);
  out->escalations = s.escalations;
  out->escalation_rate = opt(s.escalation_rate);
  out->rated_calls = s.rated_calls;
  out->average_satisfaction = opt(s.average_satisfaction);
  out->scored_calls = s.scored_calls;
  out->average_quality = opt(s.average_quality);
  for (std::size_t i = 0; i < 6; ++i) out->handling_rules_applied[i] = s.handling_rules_applied[i];
}

void fill_overview(const vipcore::OverviewAnalytics& o, vipcore_overview* out) {
  for (std::size_t l = 0; l < 5; ++l)
    for (std::size_t s = 0; s < 3; ++s) out->callers[l][s] = o.callers[l][s];
  out->total_callers = o.total_callers;
  fill_stats(o.all, &out->all);
  for (std::size_t l = 0; l < 5; ++l) fill_stats(o.by_level[l], &out->by_level[l]);
}

}  // namespace

extern "C" {

int vipcore_date_range(int64_t* start_ms, int64_t* end_ms, vipcore_tenant* tenant, const char* start,
                       const char* end) {
  return api_call({output(start_ms, "start_ms"), output(end_ms, "end_ms"), given(tenant, "tenant"),
                   given(start, "start"), given(end, "end")},
                  [&]() -> Status {
                    auto range = tenant->tenant.date_range(start, end);
                    if (!range.ok()) return range.status();
                    *start_ms = vipcore::to_unix_ms(range->start);
                    *end_ms = vipcore::to_unix_ms(range->end);
                    return ok_status();
                  });
}

int vipcore_caller_analytics_get(vipcore_caller_analytics* out, vipcore_tenant* tenant, const char* caller_id,
                                 int64_t start_ms, int64_t end_ms) {
  return api_call({output_struct(out, VIPCORE_V1_SIZE(vipcore_caller_analytics, stats),
                                 "struct_size is too small: set it to sizeof(vipcore_caller_analytics)"),
                   given(tenant, "tenant"), given(caller_id, "caller_id")},
                  [&]() -> Status {
                    auto range = range_of(start_ms, end_ms);
                    if (!range.ok()) return range.status();
                    auto a = tenant->tenant.caller_analytics(caller_id, *range);
                    if (!a.ok()) return a.status();
                    fill_stats(a->stats, &out->stats);
                    return ok_status();
                  });
}

int vipcore_overview_get(vipcore_overview* out, vipcore_tenant* tenant, int64_t start_ms, int64_t end_ms) {
  return api_call({output_struct(out, VIPCORE_V1_SIZE(vipcore_overview, by_level),
                                 "struct_size is too small: set it to sizeof(vipcore_overview)"),
                   given(tenant, "tenant")},
                  [&]() -> Status {
                    auto range = range_of(start_ms, end_ms);
                    if (!range.ok()) return range.status();
                    auto o = tenant->tenant.overview(*range);
                    if (!o.ok()) return o.status();
                    fill_overview(*o, out);
                    return ok_status();
                  });
}

int vipcore_alerts_get(vipcore_alert_list** out, vipcore_tenant* tenant, int64_t start_ms, int64_t end_ms) {
  return api_call({output(out), given(tenant, "tenant")}, [&]() -> Status {
    auto range = range_of(start_ms, end_ms);
    if (!range.ok()) return range.status();
    return give(out, tenant->tenant.evaluate_alerts(*range));
  });
}

size_t vipcore_alert_count(const vipcore_alert_list* list) { return list ? list->items.size() : 0; }
int vipcore_alert_kind(const vipcore_alert_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* a) { return static_cast<int>(a->kind); }, -1);
}
int vipcore_alert_level(const vipcore_alert_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* a) { return a->level ? static_cast<int>(*a->level) : -1; }, -1);
}
double vipcore_alert_measured(const vipcore_alert_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* a) { return a->measured; }, 0);
}
double vipcore_alert_threshold(const vipcore_alert_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* a) { return a->threshold; }, 0);
}
const char* vipcore_alert_message(const vipcore_alert_list* list, size_t i) {
  return read_at(items_of(list), i, [](const auto* a) { return a->message.c_str(); }, "");
}
void vipcore_alert_list_free(vipcore_alert_list* list) { delete list; }

int vipcore_purge(vipcore_tenant* tenant, int64_t before_ms, uint64_t batch_size, uint64_t* calls_purged,
                  uint64_t* triggers_purged) {
  if (calls_purged != nullptr) *calls_purged = 0;
  if (triggers_purged != nullptr) *triggers_purged = 0;
  return api_call({given(tenant, "tenant")}, [&]() -> Status {
    auto r = tenant->tenant.purge(vipcore::from_unix_ms(before_ms), batch_size == 0 ? 10000 : batch_size);
    if (!r.ok()) return r.status();
    if (calls_purged != nullptr) *calls_purged = r->calls;
    if (triggers_purged != nullptr) *triggers_purged = r->triggers;
    return ok_status();
  });
}

}  // extern "C"
