#include "numbering.hpp"

#include <fmt/format.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>

namespace vipcore {
namespace {

using i18n::phonenumbers::PhoneNumberUtil;
using LibNumber = i18n::phonenumbers::PhoneNumber;

const PhoneNumberUtil& util() { return *PhoneNumberUtil::GetInstance(); }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string digits_of(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c >= '0' && c <= '9') out += c;
  return out;
}

// A libphonenumber number from a country code and national digits (leading
// zeros kept as libphonenumber keeps them).
LibNumber make_number(int cc, std::string_view national) {
  LibNumber n;
  n.set_country_code(cc);
  std::size_t zeros = 0;
  while (zeros + 1 < national.size() && national[zeros] == '0') ++zeros;
  if (zeros > 0) {
    n.set_italian_leading_zero(true);
    n.set_number_of_leading_zeros(static_cast<std::int32_t>(zeros));
  }
  std::uint64_t v = 0;
  for (char c : national) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  n.set_national_number(v);
  return n;
}

// The national lengths libphonenumber calls possible for the region's
// country code, for a number of any type (not counting local-only lengths,
// which need an area code that is not dialled).
std::uint32_t national_lengths(int cc) {
  std::uint32_t mask = 0;
  for (std::size_t len = 1; len <= 17; ++len) {
    const LibNumber n = make_number(cc, std::string(len, '5'));
    for (int type = 0; type <= PhoneNumberUtil::VOICEMAIL; ++type)
      if (util().IsPossibleNumberForTypeWithReason(n, static_cast<PhoneNumberUtil::PhoneNumberType>(type)) ==
          PhoneNumberUtil::IS_POSSIBLE)
        mask |= 1u << len;
  }
  return mask;
}

// The exit prefixes of a region: the one libphonenumber dials with (from
// its out-of-country format of a foreign number), or, when the region has
// several and no preferred one, every prefix of up to 5 digits that
// libphonenumber reads as an exit prefix.
std::vector<std::string> exit_prefixes(const std::string& region, int cc) {
  LibNumber foreign;
  util().GetExampleNumber(cc == 44 ? "US" : "GB", &foreign);
  std::string formatted;
  util().FormatOutOfCountryCallingNumber(foreign, region, &formatted);
  if (!formatted.empty() && formatted[0] != '+') {
    const std::string prefix = digits_of(formatted.substr(0, formatted.find(' ')));
    if (!prefix.empty()) return {prefix};
  }
  std::string national;
  util().GetNationalSignificantNumber(foreign, &national);
  const std::string rest = std::to_string(foreign.country_code()) + national;
  std::vector<std::string> found;
  for (int len = 2; len <= 5; ++len) {
    int limit = 1;
    for (int i = 1; i < len; ++i) limit *= 10;
    for (int i = 0; i < limit; ++i) {
      const std::string candidate = "0" + fmt::format("{:0{}}", i, len - 1);
      LibNumber parsed;
      if (util().ParseAndKeepRawInput(candidate + rest, region, &parsed) != PhoneNumberUtil::NO_PARSING_ERROR) continue;
      if (parsed.country_code_source() == LibNumber::FROM_NUMBER_WITH_IDD &&
          parsed.country_code() == foreign.country_code() && parsed.national_number() == foreign.national_number())
        found.push_back(candidate);
    }
  }
  return found;
}

Result<PhoneOptions> region_options(const std::string& region) {
  std::set<std::string> regions;
  util().GetSupportedRegions(&regions);
  if (regions.count(region) == 0) {
    const bool printable = region.size() <= 8 && std::all_of(region.begin(), region.end(), [](char c) {
                             return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                           });
    return Status::invalid_argument(
        "region", fmt::format("{} is not a region libphonenumber knows (ISO 3166-1 alpha-2, e.g. US, GB, DE)",
                              region.empty() ? std::string("an empty code") : printable ? "'" + region + "'" : "the code"));
  }
  PhoneOptions o;
  o.default_country_code = util().GetCountryCodeForRegion(region);
  util().GetNddPrefixForRegion(region, true, &o.trunk_prefix);
  o.national_lengths = national_lengths(o.default_country_code);
  o.international_prefixes = exit_prefixes(region, o.default_country_code);
  return o;
}

// Answers of libphonenumber that depend on a country code (and a length)
// alone, remembered: every number written asks them, and a bulk import asks
// them a million times (each costs microseconds: strings, maps, protobufs).
// Entries are 0 until known, then the answer + 1; threads that race store
// the same answer.
constexpr std::size_t kMaxNationalLength = 17;
std::atomic<std::uint8_t> g_country_code_known[1000];
std::atomic<std::uint8_t> g_possible_reason[1000][kMaxNationalLength + 1];

// Whether libphonenumber knows `cc` (0 < cc < 1000) as a country code.
bool known_country_code(int cc) {
  std::atomic<std::uint8_t>& slot = g_country_code_known[cc];
  if (const std::uint8_t v = slot.load(std::memory_order_relaxed); v != 0) return v == 2;
  std::string region;
  util().GetRegionCodeForCountryCode(cc, &region);
  const bool known = region != "ZZ";
  slot.store(known ? 2 : 1, std::memory_order_relaxed);
  return known;
}

// libphonenumber's IsPossibleNumberWithReason for a number of country code
// `cc` with these national digits. Its answer depends on the country code
// and the length of the national significant number alone (TestNumberLength
// compares lengths), so it is asked once per (cc, length).
PhoneNumberUtil::ValidationResult possible_reason(int cc, std::string_view national) {
  // make_number keeps at least one digit: an empty national part reads as "0".
  const std::size_t length = std::max<std::size_t>(national.size(), 1);
  if (cc <= 0 || cc >= 1000 || length > kMaxNationalLength)
    return util().IsPossibleNumberWithReason(make_number(cc, national));
  std::atomic<std::uint8_t>& slot = g_possible_reason[cc][length];
  if (const std::uint8_t v = slot.load(std::memory_order_relaxed); v != 0)
    return static_cast<PhoneNumberUtil::ValidationResult>(v - 1);
  const auto why = util().IsPossibleNumberWithReason(make_number(cc, national));
  slot.store(static_cast<std::uint8_t>(why + 1), std::memory_order_relaxed);
  return why;
}

// The country code that starts `digits` (E.164 codes are prefix-free), or 0.
int country_code_of(std::string_view digits) {
  for (std::size_t len = 1; len <= 3 && len < digits.size(); ++len) {
    int cc = 0;
    for (std::size_t i = 0; i < len; ++i) cc = cc * 10 + (digits[i] - '0');
    if (known_country_code(cc)) return cc;
  }
  return 0;
}

}  // namespace

Result<PhoneNormalizer> PhoneNormalizer::for_region(std::string_view region_code) {
  static std::mutex mu;
  static std::map<std::string, PhoneNormalizer, std::less<>> plans;
  const std::string region = upper(region_code);
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = plans.find(region); it != plans.end()) return it->second;
  auto options = region_options(region);
  if (!options.ok()) return options.status();
  auto plan = create(*options);
  if (!plan.ok()) return plan.status().with_context(fmt::format("numbering plan of {}", region));
  plan->region_ = region;
  // Regions whose national prefix is a pattern: their example numbers in
  // national form read differently by the rules above than by libphonenumber.
  for (int type = 0; type <= PhoneNumberUtil::VOICEMAIL && !plan->national_by_library_; ++type) {
    LibNumber example;
    if (!util().GetExampleNumberForType(region, static_cast<PhoneNumberUtil::PhoneNumberType>(type), &example)) continue;
    std::string national, e164;
    util().Format(example, PhoneNumberUtil::NATIONAL, &national);
    util().Format(example, PhoneNumberUtil::E164, &e164);
    PhoneNumber fast;
    if (!plan->normalize(national, &fast).ok() || fast.e164() == e164) continue;
    auto reference = detail::library_e164(national, region, "phone_number");
    if (reference.ok() && *reference == e164) plan->national_by_library_ = true;
  }
  plan->library_fallback_ = true;
  plans.emplace(region, *plan);
  return *plan;
}

std::vector<std::string> supported_regions() {
  std::set<std::string> regions;
  util().GetSupportedRegions(&regions);
  return {regions.begin(), regions.end()};
}

namespace detail {

Result<std::string> library_e164(std::string_view input, std::string_view region, std::string_view field,
                                 bool valid_only) {
  LibNumber n;
  const auto error = util().Parse(std::string(input), std::string(region), &n);
  switch (error) {
    case PhoneNumberUtil::NO_PARSING_ERROR: break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return Status::invalid_argument(field, "has no known country code");
    case PhoneNumberUtil::TOO_SHORT_NSN:
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD: return Status::invalid_argument(field, "is too short");
    case PhoneNumberUtil::TOO_LONG_NSN: return Status::invalid_argument(field, "is too long");
    default: return Status::invalid_argument(field, "is not a phone number");
  }
  if (valid_only && !util().IsValidNumberForRegion(n, std::string(region)))
    return Status::invalid_argument(field, "is not a valid number of the region");
  std::string out;
  util().Format(n, PhoneNumberUtil::E164, &out);
  return out;
}

Status check_for_write(const PhoneNumber& n, std::string_view input, const PhoneNormalizer& plan,
                       NumberValidation validation, std::string_view field) {
  const std::string_view digits = n.digits();
  const int cc = country_code_of(digits);
  if (cc == 0) return Status::invalid_argument(field, "has no known country code");
  if (validation == NumberValidation::strict) {
    const std::size_t cc_digits = cc < 10 ? 1 : cc < 100 ? 2 : 3;
    const auto why = possible_reason(cc, digits.substr(cc_digits));
    if (why == PhoneNumberUtil::INVALID_COUNTRY_CODE) return Status::invalid_argument(field, "has no known country code");
    if (why != PhoneNumberUtil::IS_POSSIBLE) {
      std::string country_region;
      util().GetRegionCodeForCountryCode(cc, &country_region);
      const std::string country = fmt::format("country code +{} ({})", cc, country_region);
      const std::string what = why == PhoneNumberUtil::TOO_SHORT  ? "is too short for a number of " + country
                               : why == PhoneNumberUtil::TOO_LONG ? "is too long for a number of " + country
                                                                  : "has a length that no number of " + country + " has";
      return Status::invalid_argument(field, what + "; a tenant whose numbers need only be E.164-shaped can set "
                                                    "number_validation to e164");
    }
  }
  if (n.form() == PhoneForm::national && !plan.region().empty()) {
    auto reference = library_e164(input, plan.region(), field);
    if (!reference.ok()) return reference.status();
    if (*reference != n.e164())
      return Status::invalid_argument(
          field, fmt::format("is read differently by the numbering plan of {}; write it in international form, "
                             "with + and the country code",
                             plan.region()));
  }
  return ok_status();
}

}  // namespace detail
}  // namespace vipcore
