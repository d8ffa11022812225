#include "vipcore/phone.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "numbering.hpp"

namespace vipcore {
namespace {

constexpr bool is_separator(char c) noexcept {
  return c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')' || c == '\t' || c == '~';
}

bool all_digits(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

constexpr bool has_length(std::uint32_t lengths, std::size_t n) noexcept {
  return n < 32 && (lengths >> n & 1u) != 0;
}

// "10", "7, 9 or 10": the lengths of a mask, for an error message.
std::string describe_lengths(std::uint32_t lengths) {
  std::vector<std::string> parts;
  for (std::size_t n = 0; n < 32; ++n)
    if (has_length(lengths, n)) parts.push_back(std::to_string(n));
  if (parts.size() == 1) return parts[0];
  std::string out;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out + " or " + parts.back();
}

}  // namespace

std::string PhoneNumber::masked() const {
  const std::string_view d = digits();
  std::string out(d.size(), '*');
  const std::size_t keep = std::min<std::size_t>(4, d.size());
  std::copy(d.end() - static_cast<std::ptrdiff_t>(keep), d.end(), out.end() - static_cast<std::ptrdiff_t>(keep));
  return out;
}

PhoneNormalizer::PhoneNormalizer() {
  country_code_ = 1;
  country_digits_ = {'1', 0, 0};
  country_len_ = 1;
  trunk_.digits = {'1'};
  trunk_.len = 1;
  national_lengths_ = 1u << 10;
  Prefix exit;
  exit.digits = {'0', '1', '1'};
  exit.len = 3;
  international_.push_back(exit);
  index_prefixes();
  region_ = "US";
  library_fallback_ = true;
}

void PhoneNormalizer::index_prefixes() noexcept {
  prefix_begin_ = {};
  prefix_end_ = {};
  for (std::size_t i = 0; i < international_.size(); ++i) {
    const std::size_t n = international_[i].len;
    if (prefix_end_[n] == 0) prefix_begin_[n] = static_cast<std::uint16_t>(i);
    prefix_end_[n] = static_cast<std::uint16_t>(i + 1);
  }
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
  n.national_lengths_ = options.national_lengths;

  if (options.international_prefixes.size() > 4096)
    return Status::invalid_argument("international_prefixes", "at most 4096 prefixes");
  n.international_.clear();
  for (std::size_t i = 0; i < options.international_prefixes.size(); ++i) {
    const std::string& p = options.international_prefixes[i];
    if (p.empty() || p.size() > Prefix().digits.size() || !all_digits(p))
      return Status::invalid_argument(fmt::format("international_prefixes[{}]", i), "must be 1 to 8 digits");
    Prefix prefix;
    std::memcpy(prefix.digits.data(), p.data(), p.size());
    prefix.len = static_cast<std::uint8_t>(p.size());
    n.international_.push_back(prefix);
  }
  // Longest first, so that "0011" wins over "00" when both match; within a
  // length sorted, for a binary search.
  std::sort(n.international_.begin(), n.international_.end(), [](const Prefix& a, const Prefix& b) {
    return a.len != b.len ? a.len > b.len : a.view() < b.view();
  });
  n.international_.erase(std::unique(n.international_.begin(), n.international_.end(),
                                     [](const Prefix& a, const Prefix& b) { return a.view() == b.view(); }),
                         n.international_.end());
  n.index_prefixes();
  n.region_.clear();
  return n;
}

// Reads the national number d[0..len) into result (after the country code).
Status PhoneNormalizer::national(std::string_view input, const char* d, std::size_t len, std::string_view field,
                                 PhoneNumber* result, std::size_t* pos) const {
  const std::string_view digits(d, len);
  const std::string_view cc(country_digits_.data(), country_len_);
  const std::string_view trunk = trunk_.view();
  if (national_by_library_) return by_library(input, field, result);
  if (national_lengths_ != 0) {
    const bool with_cc = digits.substr(0, cc.size()) == cc && has_length(national_lengths_, len - cc.size());
    const bool with_trunk = trunk.size() && digits.substr(0, trunk.size()) == trunk &&
                            has_length(national_lengths_, len - trunk.size());
    const bool plain = has_length(national_lengths_, len);
    if (library_fallback_ && with_cc && (with_trunk || plain)) return by_library(input, field, result);
    if (with_cc && !with_trunk && !plain) {
      // The country code without a prefix: "442079460958" in GB.
      d += cc.size();
      len -= cc.size();
      result->form_ = PhoneForm::international;
    } else if (with_trunk) {
      d += trunk.size();
      len -= trunk.size();
    } else if (!plain) {
      // A national form the rules cannot read (Argentina's mobile "011 15-...",
      // whose trunk prefix is a pattern; Canada's 7-digit "310-1234"): what
      // libphonenumber reads as a valid number of the region.
      if (library_fallback_ && by_library(input, field, result, true).ok()) return ok_status();
      return Status::invalid_argument(
          field, fmt::format("is not a possible national number{}{} (those have {} digits)",
                             region_.empty() ? "" : " of ", region_, describe_lengths(national_lengths_)));
    }
  } else if (trunk.size() && len > trunk.size() && digits.substr(0, trunk.size()) == trunk) {
    d += trunk.size();
    len -= trunk.size();
  }
  if (country_len_ + len > PhoneNumber::kMaxDigits)
    return Status::invalid_argument(field, "has too many digits (E.164 allows 15)");
  std::memcpy(result->buf_.data() + *pos, country_digits_.data(), country_len_);
  *pos += country_len_;
  std::memcpy(result->buf_.data() + *pos, d, len);
  *pos += len;
  return ok_status();
}

// libphonenumber's reading, for the national inputs the rules cannot settle.
Status PhoneNormalizer::by_library(std::string_view input, std::string_view field, PhoneNumber* out,
                                   bool valid_only) const {
  auto e164 = detail::library_e164(input, region_, field, valid_only);
  if (!e164.ok()) return e164.status();
  // libphonenumber may read fewer digits than were given (it stops at a
  // character it does not take for punctuation): what it reads must still be
  // an E.164 number, one that normalizes to itself.
  if (e164->size() < PhoneNumber::kMinDigits + 1)
    return Status::invalid_argument(field, "is too short (E.164 numbers have 5 to 15 digits)");
  if (e164->size() > PhoneNumber::kMaxDigits + 1)
    return Status::invalid_argument(field, "has too many digits (E.164 allows 15)");
  std::memcpy(out->buf_.data(), e164->data(), e164->size());
  out->len_ = static_cast<std::uint8_t>(e164->size());
  out->form_ = PhoneForm::national;
  return ok_status();
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
    // Longest exit prefix first: one binary search per length that occurs.
    for (std::size_t plen = Prefix().digits.size(); plen > 0 && !international; --plen) {
      if (prefix_begin_[plen] == prefix_end_[plen] || len <= plen) continue;
      const std::string_view head(d, plen);
      const auto first = international_.begin() + prefix_begin_[plen];
      const auto last = international_.begin() + prefix_end_[plen];
      const auto it = std::lower_bound(first, last, head, [](const Prefix& p, std::string_view h) { return p.view() < h; });
      if (it != last && it->view() == head) {
        d += plen;
        len -= plen;
        international = true;
      }
    }
  }

  PhoneNumber result;
  result.buf_[0] = '+';
  std::size_t pos = 1;
  if (international) {
    if (len > PhoneNumber::kMaxDigits) return Status::invalid_argument(field, "has too many digits (E.164 allows 15)");
    if (d[0] == '0') return Status::invalid_argument(field, "country code cannot start with 0");
    std::memcpy(result.buf_.data() + pos, d, len);
    pos += len;
  } else {
    result.form_ = PhoneForm::national;
    if (Status s = national(input, d, len, field, &result, &pos); !s.ok()) return s;
    if (result.len_ != 0) {  // read by libphonenumber
      *out = result;
      return ok_status();
    }
  }
  if (pos - 1 < PhoneNumber::kMinDigits)
    return Status::invalid_argument(field, "is too short (E.164 numbers have 5 to 15 digits)");
  result.len_ = static_cast<std::uint8_t>(pos);
  *out = result;
  return ok_status();
}

Result<PhoneNumber> PhoneNormalizer::normalize(std::string_view input, std::string_view field) const {
  PhoneNumber number;
  Status s = normalize(input, &number, field);
  if (!s.ok()) return s;
  return number;
}

}  // namespace vipcore
