// vipcore_bench: PhoneNormalizer::normalize per numbering plan.
#include "bench.hpp"

namespace vipcore_bench {

// ---------------------------------------------------------- normalization

/// A fixed-line number of each region (libphonenumber's example number),
/// in national form and in international form, as a caller ID carries it.
struct RegionNumber {
  const char* region;
  const char* national;
  const char* international;
};
constexpr RegionNumber kRegionNumbers[] = {
    {"US", "(201) 555-0123", "+1 201-555-0123"},     {"CA", "(506) 234-5678", "+1 506-234-5678"},
    {"GB", "0121 234 5678", "+44 121 234 5678"},     {"DE", "030 123456", "+49 30 123456"},
    {"FR", "01 23 45 67 89", "+33 1 23 45 67 89"},   {"IT", "02 1234 5678", "+39 02 1234 5678"},
    {"ES", "810 12 34 56", "+34 810 12 34 56"},      {"NL", "010 123 4567", "+31 10 123 4567"},
    {"ZA", "010 123 4567", "+27 10 123 4567"},       {"AU", "(02) 1234 5678", "+61 2 1234 5678"},
    {"JP", "03-1234-5678", "+81 3-1234-5678"},       {"IN", "074104 10123", "+91 74104 10123"},
    {"BR", "(11) 2345-6789", "+55 11 2345-6789"},    {"MX", "200 123 4567", "+52 200 123 4567"},
};

/// ns per PhoneNormalizer::normalize of `number` with `plan` (best of `rounds`).
double time_normalize(const vipcore::PhoneNormalizer& plan, const char* number, std::size_t rounds) {
  constexpr std::size_t kCalls = 200'000;
  vipcore::PhoneNumber n;
  check_ok(plan.normalize(number, &n), "normalize");
  return best_of(rounds, [&] {
           for (std::size_t i = 0; i < kCalls; ++i) {
             const vipcore::Status s = plan.normalize(number, &n);
             g_sink = static_cast<unsigned char>(s.ok() ? n.e164()[1] : 0);
           }
         }) /
         kCalls;
}

/// Normalization per region, national and international form; the baseline
/// is the US plan reading a US number (what every identify measured above does).
void measure_normalization(std::size_t rounds) {
  progress("timing normalization per region");
  std::vector<std::pair<std::string, double>> rows;
  double us_national = 0;
  for (const RegionNumber& r : kRegionNumbers) {
    auto plan = vipcore::PhoneNormalizer::for_region(r.region);
    check_ok(plan.status(), "PhoneNormalizer::for_region");
    const double national = time_normalize(*plan, r.national, rounds);
    const double international = time_normalize(*plan, r.international, rounds);
    if (rows.empty()) us_national = national;
    rows.emplace_back(std::string("normalize_") + r.region + "_national", national);
    rows.emplace_back(std::string("normalize_") + r.region + "_international", international);
  }
  for (const auto& [name, ns] : rows) print_row(name, ns);
  std::printf("# normalize_<region>_<form>: PhoneNormalizer::for_region(<region>).normalize of a fixed-line\n"
              "#   number of the region; ratios against normalize_US_national (lower is better).\n");
  for (const auto& [name, ns] : rows)
    if (name != "normalize_US_national") print_ratio((name + "/normalize_US_national").c_str(), ns / us_national);
}

}  // namespace vipcore_bench
