// Fuzz harness: phone-number normalization, as identify and every write run it.
// Properties: never crashes; a normalized number normalizes to itself; errors
// never repeat the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vipcore/phone.hpp"

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
    if (!s.is_ok()) {
      if (input.size() >= 6 && s.message().find(input) != std::string::npos) std::abort();
      continue;
    }
    vipcore::PhoneNumber again;
    if (!n->normalize(number.e164(), &again).is_ok() || again != number) std::abort();
    if (number.masked().size() != number.digits().size()) std::abort();
  }
  return 0;
}
