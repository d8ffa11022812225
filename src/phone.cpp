#include "vipcore/phone.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace vipcore {
namespace {

constexpr bool is_separator(char c) noexcept {
  return c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')' || c == '\t';
}

bool all_digits(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string PhoneNumber::masked() const {
  const std::string_view d = digits();
  std::string out(d.size(), '*');
  const std::size_t keep = std::min<std::size_t>(4, d.size());
  std::copy(d.end() - static_cast<std::ptrdiff_t>(keep), d.end(), out.end() - static_cast<std::ptrdiff_t>(keep));
  return out;
}

PhoneNormalizer::PhoneNormalizer() noexcept {
  country_code_ = 1;
  country_digits_ = {'1', 0, 0};
  country_len_ = 1;
  trunk_.digits = {'1', 0, 0, 0};
  trunk_.len = 1;
  international_[0].digits = {'0', '1', '1', 0};
  international_[0].len = 3;
  international_[1].digits = {'0', '0', 0, 0};
  international_[1].len = 2;
  international_count_ = 2;
}

Result<PhoneNormalizer> PhoneNormalizer::create(const PhoneOptions& options) {
  PhoneNormalizer n;
  if (options.default_country_code < 1 || options.default_country_code > 999)
    return Status::invalid_argument("default_country_code", "must be between 1 and 999");
  n.country_code_ = options.default_country_code;
  const std::string cc = std::to_string(options.default_country_code);
  n.country_digits_ = {};
  std::memcpy(n.country_digits_.data(), cc.data(), cc.size());
  n.country_len_ = static_cast<std::uint8_t>(cc.size());

  if (options.trunk_prefix.size() > 3 || !all_digits(options.trunk_prefix))
    return Status::invalid_argument("trunk_prefix", "must be 0 to 3 digits");
  n.trunk_ = {};
  std::memcpy(n.trunk_.digits.data(), options.trunk_prefix.data(), options.trunk_prefix.size());
  n.trunk_.len = static_cast<std::uint8_t>(options.trunk_prefix.size());

  if (options.international_prefixes.size() > n.international_.size())
    return Status::invalid_argument("international_prefixes", "at most 4 prefixes");
  std::vector<std::string> prefixes = options.international_prefixes;
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    if (prefixes[i].empty() || prefixes[i].size() > 4 || !all_digits(prefixes[i]))
      return Status::invalid_argument(fmt::format("international_prefixes[{}]", i), "must be 1 to 4 digits");
  }
  // Longest first, so that "011" wins over "0" or "01" when several match.
  std::stable_sort(prefixes.begin(), prefixes.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  n.international_ = {};
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    std::memcpy(n.international_[i].digits.data(), prefixes[i].data(), prefixes[i].size());
    n.international_[i].len = static_cast<std::uint8_t>(prefixes[i].size());
  }
  n.international_count_ = static_cast<std::uint8_t>(prefixes.size());
  return n;
}

Status PhoneNormalizer::normalize(std::string_view input, PhoneNumber* out, std::string_view field) const {
  // Collect the digits. 32 is more than any acceptable number has, so a longer
  // input fails below as "too many digits" without touching the heap.
  char digits[32];
  std::size_t n = 0;
  bool plus = false;
  bool too_long = false;
  for (std::size_t i = 0; i < input.size(); ++i) {
    const char c = input[i];
    if (c >= '0' && c <= '9') {
      if (n < sizeof digits) digits[n++] = c;
      else too_long = true;
    } else if (is_separator(c)) {
      continue;
    } else if (c == '+') {
      if (plus || n != 0) return Status::invalid_argument(field, "'+' may only start the number");
      plus = true;
    } else {
      return Status::invalid_argument(
          field, fmt::format("character {} is not a digit, '+' or a separator (space - . / ( ))", i + 1));
    }
  }
  if (input.empty()) return Status::invalid_argument(field, "is empty");
  if (n == 0) return Status::invalid_argument(field, "has no digits");
  if (too_long) return Status::invalid_argument(field, "has too many digits (E.164 allows 15)");

  const char* d = digits;
  std::size_t len = n;
  bool international = plus;
  if (!international) {
    for (std::uint8_t i = 0; i < international_count_; ++i) {
      const Prefix& p = international_[i];
      if (len > p.len && std::memcmp(d, p.digits.data(), p.len) == 0) {
        d += p.len;
        len -= p.len;
        international = true;
        break;
      }
    }
  }

  PhoneNumber result;
  result.buf_[0] = '+';
  std::size_t pos = 1;
  if (international) {
    if (len > PhoneNumber::kMaxDigits) return Status::invalid_argument(field, "has too many digits (E.164 allows 15)");
    if (d[0] == '0') return Status::invalid_argument(field, "country code cannot start with 0");
  } else {
    if (trunk_.len && len > trunk_.len && std::memcmp(d, trunk_.digits.data(), trunk_.len) == 0) {
      d += trunk_.len;
      len -= trunk_.len;
    }
    if (country_code_ == 1) {
      // North American numbering plan: a 10-digit national number whose area code starts with 2-9.
      if (len != 10) return Status::invalid_argument(field, "a North American number has 10 digits after the country code");
      if (d[0] < '2') return Status::invalid_argument(field, "a North American area code starts with 2-9");
    }
    if (country_len_ + len > PhoneNumber::kMaxDigits)
      return Status::invalid_argument(field, "has too many digits (E.164 allows 15)");
    std::memcpy(result.buf_.data() + pos, country_digits_.data(), country_len_);
    pos += country_len_;
  }
  std::memcpy(result.buf_.data() + pos, d, len);
  pos += len;
  if (pos - 1 < 8) return Status::invalid_argument(field, "is too short (E.164 numbers have 8 to 15 digits)");
  result.len_ = static_cast<std::uint8_t>(pos);
  *out = result;
  return Status::ok();
}

Result<PhoneNumber> PhoneNormalizer::normalize(std::string_view input, std::string_view field) const {
  PhoneNumber number;
  Status s = normalize(input, &number, field);
  if (!s.is_ok()) return s;
  return number;
}

}  // namespace vipcore
