// Fuzz harness: phone-number normalization, as identify and every write run it.
// Properties: never crashes; a normalized number normalizes to itself; errors
// never repeat the number.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vipcore/phone.hpp"

namespace {

// Errors name the field and what is wrong ("character 2 is not a digit"),
// never the number: they hold no run of more than four digits.
bool has_long_digit_run(std::string_view text) {
  std::size_t run = 0;
  for (char c : text) {
    run = (c >= '0' && c <= '9') ? run + 1 : 0;
    if (run > 4) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const vipcore::PhoneNormalizer plain;
  static const vipcore::PhoneNormalizer uk = [] {
    vipcore::PhoneOptions o;
    o.default_country_code = 44;
    o.trunk_prefix = "0";
    return *vipcore::PhoneNormalizer::create(o);
  }();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const vipcore::PhoneNormalizer* n : {&plain, &uk}) {
    vipcore::PhoneNumber number;
    const vipcore::Status s = n->normalize(input, &number);
    if (!s.ok()) {
      if (has_long_digit_run(s.message())) std::abort();  // it could be (part of) the number
      continue;
    }
    vipcore::PhoneNumber again;
    if (!n->normalize(number.e164(), &again).ok() || again != number) std::abort();
    if (number.masked().size() != number.digits().size()) std::abort();
  }
  return 0;
}
