// vipcore — phone number normalization to E.164, under a numbering plan.
//
// Every number is normalized before anything else, with the same rules on
// write (create, update, import) and on lookup (identify, search). Each
// tenant has a numbering plan: its region (ISO 3166-1 alpha-2, "US", "GB",
// "DE"...), a tenant setting (settings.hpp). The region's facts — its
// country code, national (trunk) prefix, international (exit) prefixes and
// the lengths its national numbers can have — come from Google's
// libphonenumber (PhoneNormalizer::for_region); nothing here re-types them.
// In a "GB" tenant "020 7946 0958", "+44 20 7946 0958" and
// "00 44 20 7946 0958" are the same caller, and "0113 496 0000" is a Leeds
// number, never the Spanish +34 960000.
//
// The rules, applied in this order to the input with separators removed:
//   1. Separators are spaces, tabs, '-', '.', '/', '(' and ')'; any other
//      non-digit (letters, '*', '#', an extension) is an error.
//   2. A leading '+' (only at the start) marks an international number.
//   3. Otherwise a leading exit prefix of the region ("011" in the US,
//      "00" in most of Europe, "0011" in Australia, "010" in Japan; the
//      longest that matches wins) marks an international number.
//   4. Otherwise the number is national. When the region's national
//      lengths are known: digits that start with the country code and
//      are a possible national number without it, but not with it, are
//      read as international without a prefix ("442079460958" in GB);
//      else a leading trunk prefix is dropped when what remains is a
//      possible national number; what is left must be a possible length.
//      The country code is put in front.
//   5. An international number must have 5 to 15 digits and a country
//      code that does not start with 0.
//
// A plan made by for_region() hands the rare national inputs that these
// rules cannot settle to libphonenumber itself (about 10 µs, allocating):
// digits that read both as a national number and as one with the country
// code in front, and every national input of the few regions whose national
// prefixes are patterns rather than fixed digits (Argentina's "15" mobile
// prefix, Belarus's "80"), which the plan finds when it is made by reading
// the region's example numbers both ways.
//
// This is not a validator: lookups run it on every call, so it costs tens
// of nanoseconds and allocates nothing. Writes add libphonenumber's own
// check (settings.hpp: NumberValidation) and a test proves, for every
// region libphonenumber knows, that this normalizer and libphonenumber read
// the region's example numbers in every form to the same E.164 number.
//
// Threading: PhoneNormalizer is immutable after construction and safe for
// concurrent access from multiple threads.
#ifndef VIPCORE_PHONE_HPP
#define VIPCORE_PHONE_HPP

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vipcore/export.h"
#include "vipcore/status.hpp"

namespace vipcore {

/// How national numbers are read. PhoneNormalizer::for_region() fills one
/// from libphonenumber; see the rules at the top of this file.
struct PhoneOptions {
  int default_country_code = 1;                        ///< 1 to 999
  std::string trunk_prefix = "1";                      ///< 0 to 3 digits; "" for none
  std::vector<std::string> international_prefixes = {"011"};  ///< 1 to 8 digits each, at most 4096
  /// Bit n set: a national significant number of n digits is possible
  /// (n < 32). 0: any length (no country-code reading, trunk always dropped).
  std::uint32_t national_lengths = 1u << 10;
};

/// How a number was written.
enum class PhoneForm : std::uint8_t {
  international,  ///< with '+', an exit prefix, or the country code in front
  national,       ///< in the region's national form
};

/// A number in E.164 form, held in place (no heap allocation).
class PhoneNumber {
 public:
  static constexpr std::size_t kMaxDigits = 15;
  static constexpr std::size_t kMinDigits = 5;

  /// "+12345678900"; empty for a default-constructed number.
  std::string_view e164() const noexcept { return std::string_view(buf_.data(), len_); }
  /// The digits without the '+'.
  std::string_view digits() const noexcept {
    return len_ ? std::string_view(buf_.data() + 1, len_ - 1u) : std::string_view();
  }
  /// How the input was written.
  PhoneForm form() const noexcept { return form_; }
  /// The display form kept in the database: every digit but the last four
  /// replaced by '*', e.g. "*******8900".
  VIPCORE_EXPORT std::string masked() const;

  friend bool operator==(const PhoneNumber& a, const PhoneNumber& b) noexcept { return a.e164() == b.e164(); }
  friend bool operator!=(const PhoneNumber& a, const PhoneNumber& b) noexcept { return !(a == b); }

 private:
  friend class PhoneNormalizer;
  std::array<char, kMaxDigits + 1> buf_{};
  std::uint8_t len_ = 0;
  PhoneForm form_ = PhoneForm::international;
};

/// Normalizes numbers under one numbering plan.
class VIPCORE_EXPORT PhoneNormalizer {
 public:
  /// The "US" plan (country code 1, trunk prefix "1", exit prefix "011",
  /// 10-digit national numbers), equal to for_region("US") (a test says so).
  PhoneNormalizer();
  /// Checks the options; an invalid option is an error naming it.
  static Result<PhoneNormalizer> create(const PhoneOptions& options);
  /// The plan of `region` (ISO 3166-1 alpha-2, any case) from libphonenumber;
  /// an unknown region is Code::invalid_argument naming "region". Built once
  /// per region and process (the first call for a region costs up to a few
  /// milliseconds), then copied.
  static Result<PhoneNormalizer> for_region(std::string_view region);

  /// Normalizes `input` into `*out`. On error `*out` is unchanged and the
  /// status names `field`; the message never repeats the number. Allocates
  /// only to build an error.
  Status normalize(std::string_view input, PhoneNumber* out, std::string_view field = "phone_number") const;
  Result<PhoneNumber> normalize(std::string_view input, std::string_view field = "phone_number") const;

  int default_country_code() const noexcept { return country_code_; }
  /// The region this plan was made for ("" for create()).
  const std::string& region() const noexcept { return region_; }

 private:
  struct Prefix {
    std::array<char, 8> digits{};
    std::uint8_t len = 0;
    std::string_view view() const noexcept { return {digits.data(), len}; }
  };
  Status national(std::string_view input, const char* d, std::size_t len, std::string_view field, PhoneNumber* result,
                  std::size_t* pos) const;
  // libphonenumber's reading; with valid_only, only a number it calls valid in region_.
  Status by_library(std::string_view input, std::string_view field, PhoneNumber* out, bool valid_only = false) const;

  int country_code_ = 1;
  std::array<char, 3> country_digits_{};
  std::uint8_t country_len_ = 0;
  Prefix trunk_;
  std::uint32_t national_lengths_ = 0;
  std::vector<Prefix> international_;   // sorted by length (longest first), then digits
  // The exit prefixes of n digits are international_[prefix_begin_[n], prefix_end_[n]).
  std::array<std::uint16_t, 9> prefix_begin_{};
  std::array<std::uint16_t, 9> prefix_end_{};
  void index_prefixes() noexcept;
  std::string region_;
  bool library_fallback_ = false;     // for_region plans: hard national inputs go to libphonenumber
  bool national_by_library_ = false;  // every national input does
};

/// The regions libphonenumber knows (ISO 3166-1 alpha-2, sorted), e.g. for
/// a settings screen.
VIPCORE_EXPORT std::vector<std::string> supported_regions();

}  // namespace vipcore

#endif  // VIPCORE_PHONE_HPP
