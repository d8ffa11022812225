// vipcore.h, "settings": a tenant's settings as a C struct, and its business hours.
#include "capi_internal.hpp"

using namespace vipcore::capi;

namespace {

// A fixed char array of a struct from the caller must hold a NUL.
Result<std::string> bounded(const char* chars, std::size_t size, const char* field) {
  const void* nul = std::memchr(chars, '\0', size);
  if (nul == nullptr) return Status::invalid_argument(field, "is not NUL-terminated within its array");
  return std::string(chars, static_cast<const char*>(nul));
}

void fill_settings(const vipcore::TenantSettings& in, vipcore_settings* out) {
  for (std::size_t l = 0; l < 5; ++l) {
    out->level_waits[l] = in.level_waits[l];
    out->level_priority[l] = in.priority.level_base[l];
    out->alert_max_escalation_rate[l] = in.alerts.max_escalation_rate[l];
  }
  for (std::size_t r = 0; r < 6; ++r) out->rule_bonus[r] = in.priority.rule_bonus[r];
  out->dynamic_rise_start = in.dynamic_priority.rise_start;
  out->dynamic_exponent = in.dynamic_priority.exponent;
  copy_out(out->time_zone, sizeof out->time_zone, in.time_zone);  // IANA names are short
  // Validation keeps the text form under VIPCORE_HOURS_SIZE (WeeklyHours::kMaxRangesPerDay).
  copy_out(out->business_hours, sizeof out->business_hours, vipcore::format_weekly_hours(in.business_hours));
  out->alert_wait_factor = in.alerts.wait_factor;
  out->alert_max_failed_identification_rate = in.alerts.max_failed_identification_rate;
  out->alert_min_identifications = in.alerts.min_identifications;
  out->alert_max_quality_drop = in.alerts.max_quality_drop;
  out->alert_min_calls = in.alerts.min_calls;
  if (fits(out, &out->region)) copy_out(out->region, sizeof out->region, in.region);
  if (fits(out, &out->number_validation))
    out->number_validation = in.number_validation == vipcore::NumberValidation::e164 ? VIPCORE_NUMBER_VALIDATION_E164
                                                                                      : VIPCORE_NUMBER_VALIDATION_STRICT;
}

// The fields added after the first version, when they fit in struct_size.
Status to_later_settings(const vipcore_settings& in, vipcore::TenantSettings* out) {
  if (fits(&in, &in.region)) {
    auto region = bounded(in.region, sizeof in.region, "region");
    if (!region.ok()) return region.status();
    out->region = std::move(*region);
  }
  if (fits(&in, &in.number_validation)) {
    if (in.number_validation == VIPCORE_NUMBER_VALIDATION_STRICT) out->number_validation = vipcore::NumberValidation::strict;
    else if (in.number_validation == VIPCORE_NUMBER_VALIDATION_E164) out->number_validation = vipcore::NumberValidation::e164;
    else return Status::invalid_argument("number_validation", "must be VIPCORE_NUMBER_VALIDATION_STRICT or _E164");
  }
  return ok_status();
}

Status to_settings(const vipcore_settings& in, vipcore::TenantSettings* out) {
  for (std::size_t l = 0; l < 5; ++l) {
    out->level_waits[l] = in.level_waits[l];
    out->priority.level_base[l] = in.level_priority[l];
    out->alerts.max_escalation_rate[l] = in.alert_max_escalation_rate[l];
  }
  for (std::size_t r = 0; r < 6; ++r) out->priority.rule_bonus[r] = in.rule_bonus[r];
  out->dynamic_priority.rise_start = in.dynamic_rise_start;
  out->dynamic_priority.exponent = in.dynamic_exponent;
  auto zone = bounded(in.time_zone, sizeof in.time_zone, "time_zone");
  if (!zone.ok()) return zone.status();
  out->time_zone = std::move(*zone);
  auto hours_text = bounded(in.business_hours, sizeof in.business_hours, "business_hours");
  if (!hours_text.ok()) return hours_text.status();
  auto hours = vipcore::parse_weekly_hours(*hours_text, "business_hours");
  if (!hours.ok()) return hours.status();
  out->business_hours = std::move(*hours);
  out->alerts.wait_factor = in.alert_wait_factor;
  out->alerts.max_failed_identification_rate = in.alert_max_failed_identification_rate;
  out->alerts.min_identifications = in.alert_min_identifications;
  out->alerts.max_quality_drop = in.alert_max_quality_drop;
  out->alerts.min_calls = in.alert_min_calls;
  return to_later_settings(in, out);
}

}  // namespace

extern "C" {

void vipcore_settings_init(vipcore_settings* settings) {
  if (settings == nullptr) return;
  *settings = vipcore_settings{};
  settings->struct_size = sizeof *settings;
  try {
    fill_settings(vipcore::TenantSettings{}, settings);
  } catch (...) {  // out of memory: zeroes, which vipcore_settings_set refuses by name
    *settings = vipcore_settings{};
    settings->struct_size = sizeof *settings;
  }
}

int vipcore_settings_get(vipcore_settings* out, vipcore_tenant* tenant) {
  return api_call({output_struct(out, kSettingsV1, "struct_size is too small: initialize it with vipcore_settings_init"),
                   given(tenant, "tenant")},
                  [&]() -> Status {
                    auto settings = tenant->tenant.settings();
                    if (!settings.ok()) return settings.status();
                    fill_settings(*settings, out);
                    return ok_status();
                  });
}

int vipcore_settings_set(vipcore_tenant* tenant, const vipcore_settings* settings) {
  return api_call({given(tenant, "tenant"), input(settings, kSettingsV1, "settings")}, [&]() -> Status {
    // Over the stored settings, so that a field a later header adds (beyond
    // this caller's struct_size) keeps its value.
    auto s = tenant->tenant.settings();
    if (!s.ok()) return s.status();
    if (Status st = to_settings(*settings, &*s); !st.ok()) return st;
    return tenant->tenant.update_settings(*s);
  });
}

int vipcore_inside_business_hours(int* out, vipcore_tenant* tenant) {
  return api_call({output(out), given(tenant, "tenant")}, [&]() -> Status {
    auto open = tenant->tenant.inside_business_hours();
    if (!open.ok()) return open.status();
    *out = *open ? 1 : 0;
    return ok_status();
  });
}

}  // extern "C"
