// vipcore — phone number normalization to E.164.
//
// Every number is normalized before anything else, with the same code on
// write (create, update, import) and on lookup (identify, search), so
// "+1 (234) 567-8900", "001 234 567 8900", "011 1 234 567 8900",
// "1-234-567-8900" and, with default country code 1, "2345678900" are the
// same caller.
//
// The rules, applied in this order to the input with separators removed:
//   1. Separators are spaces, '-', '.', '/', '(' and ')'; any other
//      non-digit (letters, '*', '#', an extension) is an error.
//   2. A leading '+' (only at the start) marks an international number.
//   3. Otherwise a leading international prefix (default "011" then "00";
//      the longest that matches wins) marks an international number.
//   4. Otherwise a leading trunk prefix (default "1", as in North America;
//      "0" in most other countries) is dropped and the default country code
//      is put in front; a number without a trunk prefix also gets it.
//   5. The result must have 8 to 15 digits and its country code must not
//      start with 0. A national number read with country code 1 must have
//      exactly 10 digits with an area code starting 2-9 (North American
//      numbering plan); numbers written with '+' or an international
//      prefix are taken as given.
//
// This is deliberately not a full numbering-plan validator (such as
// libphonenumber): it runs on every incoming call and must cost tens of
// nanoseconds and no allocation. Numbers that follow the rules above but
// do not exist are accepted and simply never match.
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

/// How national numbers are read. See the rules at the top of this file.
struct PhoneOptions {
  int default_country_code = 1;                              ///< 1 to 999
  std::string trunk_prefix = "1";                            ///< 0 to 3 digits; "" for none
  std::vector<std::string> international_prefixes = {"011", "00"};  ///< 1 to 4 digits each
};

/// A number in E.164 form, held in place (no heap allocation).
class PhoneNumber {
 public:
  static constexpr std::size_t kMaxDigits = 15;

  /// "+12345678900"; empty for a default-constructed number.
  std::string_view e164() const noexcept { return std::string_view(buf_.data(), len_); }
  /// The digits without the '+'.
  std::string_view digits() const noexcept {
    return len_ ? std::string_view(buf_.data() + 1, len_ - 1u) : std::string_view();
  }
  /// The display form kept in the database: every digit but the last four
  /// replaced by '*', e.g. "*******8900".
  VIPCORE_EXPORT std::string masked() const;

  friend bool operator==(const PhoneNumber& a, const PhoneNumber& b) noexcept { return a.e164() == b.e164(); }
  friend bool operator!=(const PhoneNumber& a, const PhoneNumber& b) noexcept { return !(a == b); }

 private:
  friend class PhoneNormalizer;
  std::array<char, kMaxDigits + 1> buf_{};
  std::uint8_t len_ = 0;
};

/// Normalizes numbers under one set of PhoneOptions.
class VIPCORE_EXPORT PhoneNormalizer {
 public:
  /// Default options: country code 1, trunk prefix "1", international prefixes "011" and "00".
  PhoneNormalizer() noexcept;
  /// Checks the options; an invalid option is an error naming it.
  static Result<PhoneNormalizer> create(const PhoneOptions& options);

  /// Normalizes `input` into `*out`. On error `*out` is unchanged and the
  /// status names `field`; the message never repeats the number. Allocates
  /// only to build an error.
  Status normalize(std::string_view input, PhoneNumber* out, std::string_view field = "phone_number") const;
  Result<PhoneNumber> normalize(std::string_view input, std::string_view field = "phone_number") const;

  int default_country_code() const noexcept { return country_code_; }

 private:
  struct Prefix {
    std::array<char, 4> digits{};
    std::uint8_t len = 0;
  };
  int country_code_ = 1;
  std::array<char, 3> country_digits_{};
  std::uint8_t country_len_ = 0;
  Prefix trunk_;
  std::array<Prefix, 4> international_{};
  std::uint8_t international_count_ = 0;
};

}  // namespace vipcore

#endif  // VIPCORE_PHONE_HPP
