// vipcore — per-tenant settings, stored in the database.
#ifndef VIPCORE_SETTINGS_HPP
#define VIPCORE_SETTINGS_HPP

#include "vipcore/analytics.hpp"
#include "vipcore/caller.hpp"
#include "vipcore/export.h"
#include "vipcore/routing.hpp"
#include "vipcore/schedule.hpp"
#include "vipcore/status.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace vipcore {

/// What a write checks of a phone number, beyond its E.164 shape.
enum class NumberValidation : std::uint8_t {
  /// libphonenumber's possible-number check: the length fits the country
  /// (the default; rejects the seed's placeholder "+1234567890", which has
  /// nine national digits).
  strict,
  /// Any E.164-shaped number (7 to 15 digits) with a known country code:
  /// what the seed's examples need.
  e164,
};

/// "strict", "e164".
VIPCORE_EXPORT std::string_view to_string(NumberValidation v) noexcept;
/// Parses "strict" or "e164" (any case); the error names `field`.
VIPCORE_EXPORT Result<NumberValidation> parse_number_validation(std::string_view s,
                                                                std::string_view field = "number_validation");

/// Settings of one tenant. A tenant that never saved any uses the defaults.
struct TenantSettings {
  /// max_wait_time of callers who have none, by level (seconds).
  LevelWaits level_waits = kDefaultLevelWaits;
  /// How identify scores the routing priority.
  PriorityPolicy priority;
  /// How the priority of a waiting caller rises (routing plans).
  DynamicPriorityPolicy dynamic_priority;
  /// The tenant's IANA time zone, in which business hours are read.
  std::string time_zone = "UTC";
  /// When the tenant is open: escalation schedules and routing plans use it.
  WeeklyHours business_hours = WeeklyHours::office_hours();
  /// When evaluate_alerts() raises an alert.
  AlertThresholds alerts;
  /// The numbering plan: the tenant's region (ISO 3166-1 alpha-2, "US",
  /// "GB"...), from which its country code, trunk and exit prefixes follow
  /// (phone.hpp). Tenant::settings() shows the region in force: the
  /// tenant's own, or the database's default (Options::default_region) for
  /// a tenant that never set one. In update_settings(), "" keeps the region
  /// in force. Numbers are stored as E.164 hashes, so a change only changes
  /// how national numbers are read from then on.
  std::string region;
  /// What create, update and import check of a number.
  NumberValidation number_validation = NumberValidation::strict;

  /// Each wait must lie in 1..Limits::kMaxWaitSeconds; the policies, the
  /// time zone, the hours and the region (empty or one libphonenumber
  /// knows) must be valid. The error names the offending entry, e.g.
  /// "level_waits[GOLD]" or "time_zone".
  VIPCORE_EXPORT Status validate() const;
};

}  // namespace vipcore

#endif  // VIPCORE_SETTINGS_HPP
