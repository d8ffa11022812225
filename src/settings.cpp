// Tenant settings: their checks and their stored form.
#include "vipcore/settings.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <utility>

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

// The stored form (JSON): nlohmann-json's type macros write and read it,
// field by field, under the members' names. A setting added in a later
// version keeps its default when a stored form lacks it, so older databases
// read unchanged; load_settings checks the shape first, so that a wrong kind
// of value is refused rather than converted.

}  // namespace vipcore

namespace nlohmann {

// Business hours are stored as their text (format_weekly_hours), the number
// validation as its name; text that does not parse is an error.
template <>
struct adl_serializer<vipcore::WeeklyHours> {
  static void to_json(json& j, const vipcore::WeeklyHours& h) { j = vipcore::format_weekly_hours(h); }
  static void from_json(const json& j, vipcore::WeeklyHours& h) {
    auto parsed = vipcore::parse_weekly_hours(j.get<std::string>());
    if (!parsed.ok()) throw std::invalid_argument("business_hours");
    h = std::move(*parsed);
  }
};

template <>
struct adl_serializer<vipcore::NumberValidation> {
  static void to_json(json& j, vipcore::NumberValidation v) { j = std::string(vipcore::to_string(v)); }
  static void from_json(const json& j, vipcore::NumberValidation& v) {
    auto parsed = vipcore::parse_number_validation(j.get<std::string>());
    if (!parsed.ok()) throw std::invalid_argument("number_validation");
    v = *parsed;
  }
};

}  // namespace nlohmann

namespace vipcore {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PriorityPolicy, level_base, rule_bonus)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DynamicPriorityPolicy, rise_start, exponent)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(AlertThresholds, max_escalation_rate, wait_factor,
                                                max_failed_identification_rate, min_identifications, max_quality_drop,
                                                min_calls)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TenantSettings, level_waits, priority, dynamic_priority, time_zone,
                                                business_hours, alerts, region, number_validation)

namespace detail {
namespace {

// Whether a stored value has the shape of vipcore's own: the kinds of
// `model`'s values, arrays of its length, unsigned numbers where it has
// them. Keys `model` lacks are ignored; keys `stored` lacks keep their
// defaults (a setting added in a later version).
bool same_shape(const nlohmann::json& stored, const nlohmann::json& model) {
  if (model.is_object()) {
    if (!stored.is_object()) return false;
    for (const auto& [key, value] : model.items())
      if (stored.contains(key) && !same_shape(stored[key], value)) return false;
    return true;
  }
  if (model.is_array()) {
    if (!stored.is_array() || stored.size() != model.size()) return false;
    for (std::size_t i = 0; i < model.size(); ++i)
      if (!same_shape(stored[i], model[i])) return false;
    return true;
  }
  if (model.is_number_unsigned()) return stored.is_number_unsigned();
  if (model.is_number()) return stored.is_number();
  return stored.type() == model.type();
}

}  // namespace

std::string encode_settings(const TenantSettings& s) {
  nlohmann::json j = s;
  if (s.region.empty()) j.erase("region");  // the database's default region
  return j.dump();
}

Result<TenantSettings> load_settings(Storage& storage, std::string_view tenant_id, std::string_view default_region) {
  auto stored = storage.get_meta(tenant_id, kSettingsKey);
  if (!stored.ok()) return stored.status();
  TenantSettings s;
  if (!*stored) {
    s.region = std::string(default_region);
    return s;
  }
  const auto malformed = Status::storage_error(fmt::format("the stored settings of tenant {} are malformed", tenant_id));
  const auto j = nlohmann::json::parse(**stored, nullptr, false);
  if (j.is_discarded() || !same_shape(j, nlohmann::json(TenantSettings()))) return malformed;
  try {
    j.get_to(s);
  } catch (const std::exception&) {  // business hours or number validation that do not parse
    return malformed;
  }
  if (s.region.empty()) s.region = std::string(default_region);
  if (Status v = s.validate(); !v.ok()) return v.with_context("stored settings");
  return s;
}

}  // namespace detail
}  // namespace vipcore
