// vipcore — the VIP caller: levels, statuses, handling rules and the caller record.
//
// Field names follow the JSON names of the VIP API vipcore was modelled on
// (caller_name, vip_level, max_wait_time...), and error messages use them too.
#ifndef VIPCORE_CALLER_HPP
#define VIPCORE_CALLER_HPP

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vipcore/clock.hpp"
#include "vipcore/export.h"
#include "vipcore/status.hpp"

namespace vipcore {

/// VIP level. A higher value is a more important caller.
enum class Level : std::uint8_t { standard = 0, silver = 1, gold = 2, platinum = 3, diamond = 4 };
inline constexpr int kLevelCount = 5;

/// "STANDARD", "SILVER", "GOLD", "PLATINUM", "DIAMOND".
VIPCORE_EXPORT std::string_view to_string(Level level) noexcept;
/// Parses a level name, ignoring case. `field` names the input in the error.
VIPCORE_EXPORT Result<Level> parse_level(std::string_view text, std::string_view field = "vip_level");
/// The level the account value suggests: >500k DIAMOND, >100k PLATINUM,
/// >50k GOLD, >10k SILVER, otherwise STANDARD. Values are in the account's currency.
VIPCORE_EXPORT Level suggest_level(double account_value) noexcept;

/// Whether a VIP is currently enabled. Only ACTIVE callers are identified as VIP.
enum class CallerStatus : std::uint8_t { active = 0, inactive = 1, suspended = 2 };
/// "ACTIVE", "INACTIVE", "SUSPENDED".
VIPCORE_EXPORT std::string_view to_string(CallerStatus status) noexcept;
VIPCORE_EXPORT Result<CallerStatus> parse_caller_status(std::string_view text, std::string_view field = "status");

/// Special handling a VIP receives.
enum class HandlingRule : std::uint8_t {
  immediate_transfer = 0,  ///< route straight to an agent, no queue
  dedicated_agent = 1,     ///< wait for the preferred agent (up to max_wait_time)
  priority_queue = 2,      ///< jump to the front of the queue
  custom_greeting = 3,     ///< play custom_greeting
  extended_hours = 4,      ///< serve outside business hours
  callback_priority = 5,   ///< preferred callback scheduling
};
inline constexpr int kHandlingRuleCount = 6;
/// "IMMEDIATE_TRANSFER", "DEDICATED_AGENT", ...
VIPCORE_EXPORT std::string_view to_string(HandlingRule rule) noexcept;
VIPCORE_EXPORT Result<HandlingRule> parse_handling_rule(std::string_view text,
                                                        std::string_view field = "handling_rules");

/// A set of handling rules, stored as a bit mask (bit n = HandlingRule n).
class HandlingRules {
 public:
  constexpr HandlingRules() noexcept = default;
  constexpr HandlingRules(std::initializer_list<HandlingRule> rules) noexcept {
    for (HandlingRule r : rules) add(r);
  }
  /// REQUIRES: bits < (1 << kHandlingRuleCount); other bits are dropped.
  static constexpr HandlingRules from_bits(std::uint32_t bits) noexcept {
    HandlingRules r;
    r.bits_ = static_cast<std::uint8_t>(bits & ((1u << kHandlingRuleCount) - 1));
    return r;
  }
  constexpr std::uint32_t bits() const noexcept { return bits_; }
  constexpr bool has(HandlingRule r) const noexcept { return (bits_ >> static_cast<unsigned>(r)) & 1u; }
  constexpr void add(HandlingRule r) noexcept {
    bits_ = static_cast<std::uint8_t>(bits_ | (1u << static_cast<unsigned>(r)));
  }
  constexpr void remove(HandlingRule r) noexcept {
    bits_ = static_cast<std::uint8_t>(bits_ & ~(1u << static_cast<unsigned>(r)));
  }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  /// The rules in the set, in enum order.
  std::vector<HandlingRule> to_vector() const {
    std::vector<HandlingRule> out;
    for (int i = 0; i < kHandlingRuleCount; ++i)
      if (has(static_cast<HandlingRule>(i))) out.push_back(static_cast<HandlingRule>(i));
    return out;
  }
  friend constexpr bool operator==(HandlingRules a, HandlingRules b) noexcept { return a.bits_ == b.bits_; }
  friend constexpr bool operator!=(HandlingRules a, HandlingRules b) noexcept { return a.bits_ != b.bits_; }

 private:
  std::uint8_t bits_ = 0;
};

/// Parses rule names ("PRIORITY_QUEUE", ...). Duplicates are allowed and collapse.
VIPCORE_EXPORT Result<HandlingRules> parse_handling_rules(const std::vector<std::string>& names,
                                                          std::string_view field = "handling_rules");
/// Rule names in enum order, e.g. {"PRIORITY_QUEUE", "CUSTOM_GREETING"}.
VIPCORE_EXPORT std::vector<std::string> handling_rule_names(HandlingRules rules);

/// Limits that validation enforces. Inputs outside them are rejected with an
/// error naming the field.
struct Limits {
  static constexpr std::size_t kMaxNameBytes = 255;           ///< caller_name, company_name
  static constexpr std::size_t kMaxEmailBytes = 254;
  static constexpr std::size_t kMaxAccountNumberBytes = 64;
  static constexpr std::size_t kMaxGreetingBytes = 1024;
  static constexpr std::size_t kMaxNotesBytes = 4096;
  static constexpr std::size_t kMaxIdBytes = 128;             ///< agent, department, tenant, actor ids
  static constexpr std::size_t kMaxTags = 32;
  static constexpr std::size_t kMaxTagBytes = 64;
  static constexpr std::size_t kMaxAlternativeNumbers = 16;
  static constexpr int kMaxWaitSeconds = 3600;                ///< max_wait_time: 1 s to 1 hour
  static constexpr int kMaxCallbackPriority = 100;            ///< callback_priority: 1 (first) to 100
  static constexpr double kMaxAccountValue = 1e15;
};

/// A phone number as vipcore keeps it for display: only its last four digits.
struct MaskedPhone {
  std::string masked;    ///< e.g. "*******8900"
  bool primary = false;  ///< the caller's primary number
};

/// A VIP caller as read back from the database, decrypted.
struct VipCaller {
  std::string id;         ///< UUIDv4, assigned by vipcore
  std::string tenant_id;
  std::string caller_name;
  std::string company_name;  ///< "" when not set (same for the other text fields)
  Level vip_level = Level::standard;
  CallerStatus status = CallerStatus::active;
  std::string preferred_agent_id;
  std::string preferred_department_id;
  HandlingRules handling_rules;
  std::string custom_greeting;
  /// The target wait in seconds: the caller's own, or the tenant's default
  /// for the level when max_wait_time_is_default.
  int max_wait_time = 0;
  bool max_wait_time_is_default = true;
  int callback_priority = 1;
  std::string email;
  std::string account_number;
  std::optional<double> account_value;
  std::string notes;
  std::vector<std::string> tags;
  std::int64_t total_calls = 0;
  std::optional<double> satisfaction_score;  ///< average rating 1-5 over recorded calls
  std::optional<Timestamp> valid_from;       ///< identified as VIP only from this time...
  std::optional<Timestamp> valid_until;      ///< ...and before this time
  Timestamp created_at;
  Timestamp updated_at;
  std::vector<MaskedPhone> phones;  ///< primary first, then alternatives in the order given
};

/// The fields of a new VIP caller. Text fields left empty are not set;
/// optional fields left empty take the documented default.
struct NewCaller {
  std::string phone_number;                            ///< required; any format, see phone.hpp
  std::vector<std::string> alternative_phone_numbers;  ///< up to Limits::kMaxAlternativeNumbers
  std::string caller_name;                             ///< required
  std::string company_name;
  std::optional<Level> vip_level;                      ///< default STANDARD
  std::optional<CallerStatus> status;                  ///< default ACTIVE
  std::string preferred_agent_id;
  std::string preferred_department_id;
  HandlingRules handling_rules;
  std::string custom_greeting;
  std::optional<int> max_wait_time;                    ///< seconds; default: the tenant's target for the level
  std::optional<int> callback_priority;                ///< default 1
  std::string email;
  std::string account_number;
  std::optional<double> account_value;
  std::string notes;
  std::vector<std::string> tags;
  std::optional<Timestamp> valid_from;
  std::optional<Timestamp> valid_until;
};

/// A change to a VIP caller: only the fields that hold a value change.
///
/// For text fields an empty string clears the field (caller_name cannot be
/// cleared). For the doubly optional fields, an engaged outer optional holding
/// an empty inner one clears the field (max_wait_time then returns to the
/// level's default).
struct CallerUpdate {
  std::optional<std::string> phone_number;
  std::optional<std::vector<std::string>> alternative_phone_numbers;  ///< replaces all alternatives
  std::optional<std::string> caller_name;
  std::optional<std::string> company_name;
  std::optional<Level> vip_level;
  std::optional<CallerStatus> status;
  std::optional<std::string> preferred_agent_id;
  std::optional<std::string> preferred_department_id;
  std::optional<HandlingRules> handling_rules;
  std::optional<std::string> custom_greeting;
  std::optional<std::optional<int>> max_wait_time;
  std::optional<int> callback_priority;
  std::optional<std::string> email;
  std::optional<std::string> account_number;
  std::optional<std::optional<double>> account_value;
  std::optional<std::string> notes;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::optional<Timestamp>> valid_from;
  std::optional<std::optional<Timestamp>> valid_until;

  /// True when no field is set.
  VIPCORE_EXPORT bool empty() const noexcept;
  /// The names of the fields that are set, e.g. {"vip_level", "notes"}.
  VIPCORE_EXPORT std::vector<std::string> field_names() const;
};

/// Target wait per level in seconds (max_wait_time when a caller has none),
/// indexed by Level. Defaults: STANDARD 120, SILVER 90, GOLD 60, PLATINUM 30, DIAMOND 15.
using LevelWaits = std::array<int, kLevelCount>;
inline constexpr LevelWaits kDefaultLevelWaits = {120, 90, 60, 30, 15};

}  // namespace vipcore

#endif  // VIPCORE_CALLER_HPP
