// Tenant settings: their checks and their stored form.
#include "vipcore/settings.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "state.hpp"
#include "text.hpp"
#include "vipcore/phone.hpp"

namespace vipcore {

std::string_view to_string(NumberValidation v) noexcept {
  return v == NumberValidation::e164 ? "e164" : "strict";
}

Result<NumberValidation> parse_number_validation(std::string_view s, std::string_view field) {
  if (detail::iequals(s, "strict")) return NumberValidation::strict;
  if (detail::iequals(s, "e164")) return NumberValidation::e164;
  return Status::invalid_argument(field, "must be strict or e164");
}

Status TenantSettings::validate() const {
  for (int i = 0; i < kLevelCount; ++i) {
    const int w = level_waits[static_cast<std::size_t>(i)];
    if (w < 1 || w > Limits::kMaxWaitSeconds)
      return Status::invalid_argument(fmt::format("level_waits[{}]", to_string(static_cast<Level>(i))),
                                      fmt::format("must lie in 1..{} seconds", Limits::kMaxWaitSeconds));
  }
  if (Status s = priority.validate(); !s.ok()) return s;
  if (Status s = dynamic_priority.validate(); !s.ok()) return s;
  if (Status s = validate_time_zone(time_zone); !s.ok()) return s;
  if (Status s = business_hours.validate(); !s.ok()) return s;
  if (Status s = alerts.validate(); !s.ok()) return s;
  if (!region.empty())
    if (auto plan = PhoneNormalizer::for_region(region); !plan.ok()) return plan.status();
  return ok_status();
}

namespace detail {

std::string encode_settings(const TenantSettings& s) {
  nlohmann::json j;
  j["level_waits"] = s.level_waits;
  j["priority"]["level_base"] = s.priority.level_base;
  j["priority"]["rule_bonus"] = s.priority.rule_bonus;
  j["dynamic_priority"]["rise_start"] = s.dynamic_priority.rise_start;
  j["dynamic_priority"]["exponent"] = s.dynamic_priority.exponent;
  j["time_zone"] = s.time_zone;
  j["business_hours"] = format_weekly_hours(s.business_hours);
  j["alerts"]["max_escalation_rate"] = s.alerts.max_escalation_rate;
  j["alerts"]["wait_factor"] = s.alerts.wait_factor;
  j["alerts"]["max_failed_identification_rate"] = s.alerts.max_failed_identification_rate;
  j["alerts"]["min_identifications"] = s.alerts.min_identifications;
  j["alerts"]["max_quality_drop"] = s.alerts.max_quality_drop;
  j["alerts"]["min_calls"] = s.alerts.min_calls;
  if (!s.region.empty()) j["region"] = s.region;
  j["number_validation"] = std::string(to_string(s.number_validation));
  return j.dump();
}

Result<TenantSettings> load_settings(Storage& storage, std::string_view tenant_id, std::string_view default_region) {
  auto stored = storage.get_meta(tenant_id, kSettingsKey);
  if (!stored.ok()) return stored.status();
  TenantSettings s;
  s.region = std::string(default_region);
  if (!*stored) return s;
  const auto j = nlohmann::json::parse(**stored, nullptr, false);
  auto read_array = [&j](const nlohmann::json::json_pointer& ptr, auto& out) {
    if (!j.contains(ptr)) return true;  // a setting added later: keep its default
    const auto& a = j.at(ptr);
    if (!a.is_array() || a.size() != out.size()) return false;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!a[i].is_number()) return false;
      out[i] = a[i].template get<std::decay_t<decltype(out[i])>>();
    }
    return true;
  };
  auto read_count = [&j](const nlohmann::json::json_pointer& ptr, std::uint64_t& out) {
    if (!j.contains(ptr)) return true;
    if (!j.at(ptr).is_number_unsigned()) return false;
    out = j.at(ptr).get<std::uint64_t>();
    return true;
  };
  // A setting added in a later version keeps its default when absent.
  auto read_number = [&j](const nlohmann::json::json_pointer& ptr, double& out) {
    if (!j.contains(ptr)) return true;
    if (!j.at(ptr).is_number()) return false;
    out = j.at(ptr).get<double>();
    return true;
  };
  auto read_string = [&j](const nlohmann::json::json_pointer& ptr, std::string& out) {
    if (!j.contains(ptr)) return true;
    if (!j.at(ptr).is_string()) return false;
    out = j.at(ptr).get<std::string>();
    return true;
  };
  std::string hours = format_weekly_hours(s.business_hours);
  std::string validation(to_string(s.number_validation));
  std::string region;
  const auto malformed = Status::storage_error(fmt::format("the stored settings of tenant {} are malformed", tenant_id));
  if (j.is_discarded() || !j.is_object() || !read_array("/level_waits"_json_pointer, s.level_waits) ||
      !read_array("/priority/level_base"_json_pointer, s.priority.level_base) ||
      !read_array("/priority/rule_bonus"_json_pointer, s.priority.rule_bonus) ||
      !read_number("/dynamic_priority/rise_start"_json_pointer, s.dynamic_priority.rise_start) ||
      !read_number("/dynamic_priority/exponent"_json_pointer, s.dynamic_priority.exponent) ||
      !read_string("/time_zone"_json_pointer, s.time_zone) || !read_string("/business_hours"_json_pointer, hours) ||
      !read_array("/alerts/max_escalation_rate"_json_pointer, s.alerts.max_escalation_rate) ||
      !read_number("/alerts/wait_factor"_json_pointer, s.alerts.wait_factor) ||
      !read_number("/alerts/max_failed_identification_rate"_json_pointer, s.alerts.max_failed_identification_rate) ||
      !read_count("/alerts/min_identifications"_json_pointer, s.alerts.min_identifications) ||
      !read_number("/alerts/max_quality_drop"_json_pointer, s.alerts.max_quality_drop) ||
      !read_count("/alerts/min_calls"_json_pointer, s.alerts.min_calls) ||
      !read_string("/region"_json_pointer, region) ||
      !read_string("/number_validation"_json_pointer, validation))
    return malformed;
  if (!region.empty()) s.region = region;
  auto parsed_validation = parse_number_validation(validation);
  if (!parsed_validation.ok()) return malformed;
  s.number_validation = *parsed_validation;
  auto parsed_hours = parse_weekly_hours(hours);
  if (!parsed_hours.ok()) return malformed;
  s.business_hours = std::move(*parsed_hours);
  if (Status v = s.validate(); !v.ok()) return v.with_context("stored settings");
  return s;
}

}  // namespace detail
}  // namespace vipcore
