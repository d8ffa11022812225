// Numbering plans per region: the fast normalizer that lookups use agrees
// with libphonenumber, the reference every telephony stack uses.
#include <doctest/doctest.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <map>
#include <string>
#include <vector>

#include "vipcore/phone.hpp"

using namespace vipcore;
using i18n::phonenumbers::PhoneNumberUtil;
using LibNumber = i18n::phonenumbers::PhoneNumber;

namespace {

const PhoneNumberUtil& util() { return *PhoneNumberUtil::GetInstance(); }

const PhoneNormalizer& plan(const std::string& region) {
  static std::map<std::string, PhoneNormalizer> plans;
  auto it = plans.find(region);
  if (it == plans.end()) {
    auto p = PhoneNormalizer::for_region(region);
    REQUIRE_MESSAGE(p.ok(), region, ": ", p.status().to_string());
    it = plans.emplace(region, *p).first;
  }
  return it->second;
}

// libphonenumber's reading of `input` dialled in `region`, as E.164.
std::string library(const std::string& input, const std::string& region) {
  LibNumber n;
  if (util().Parse(input, region, &n) != PhoneNumberUtil::NO_PARSING_ERROR) return "unparsable";
  std::string out;
  util().Format(n, PhoneNumberUtil::E164, &out);
  return out;
}

std::string fast(const std::string& input, const std::string& region) {
  auto r = plan(region).normalize(input);
  return r.ok() ? std::string(r->e164()) : "error: " + r.status().message();
}

constexpr PhoneNumberUtil::PhoneNumberType kTypes[] = {
    PhoneNumberUtil::FIXED_LINE,   PhoneNumberUtil::MOBILE,          PhoneNumberUtil::TOLL_FREE,
    PhoneNumberUtil::PREMIUM_RATE, PhoneNumberUtil::SHARED_COST,     PhoneNumberUtil::VOIP,
    PhoneNumberUtil::PERSONAL_NUMBER, PhoneNumberUtil::PAGER,       PhoneNumberUtil::UAN,
    PhoneNumberUtil::VOICEMAIL};

// Where calls dialled from abroad arrive: the out-of-country forms are tried from these.
const char* const kCallingRegions[] = {"US", "GB", "DE", "AU", "JP", "ZA", "BR", "RU", "IN", "FR"};

}  // namespace

TEST_SUITE("numbering") {
  TEST_CASE("every region's example numbers, in every form, read the same through the lookup and libphonenumber") {
    std::size_t agreed = 0;
    std::size_t regions = 0;
    std::vector<std::string> disagreements;
    auto compare = [&](const std::string& input, const std::string& region, const std::string& expected,
                       const char* form, const std::string& of) {
      const std::string lib = library(input, region);
      const std::string ours = fast(input, region);
      if (lib == ours && ours == expected) ++agreed;
      else disagreements.push_back(of + " " + form + " in " + region + ": '" + input + "' library " + lib + ", lookup " + ours + ", expected " + expected);
    };
    for (const std::string& region : supported_regions()) {
      ++regions;
      for (const auto type : kTypes) {
        LibNumber n;
        if (!util().GetExampleNumberForType(region, type, &n)) continue;
        std::string e164, international, national, digits;
        util().Format(n, PhoneNumberUtil::E164, &e164);
        util().Format(n, PhoneNumberUtil::INTERNATIONAL, &international);
        util().Format(n, PhoneNumberUtil::NATIONAL, &national);
        compare(e164, region, e164, "E.164", region);
        compare(international, region, e164, "international", region);
        // Some numbers (toll-free, UAN) cannot be dialled from abroad, and
        // some can only be dialled nationally without their trunk prefix.
        if (util().CanBeInternationallyDialled(n)) {
          for (const char* from : kCallingRegions) {
            if (util().GetCountryCodeForRegion(from) == n.country_code()) continue;
            std::string out_of_country;
            util().FormatOutOfCountryCallingNumber(n, from, &out_of_country);
            compare(out_of_country, from, e164, "dialled from abroad", region);
          }
        }
        compare(national, region, e164, "national", region);
        // The E.164 digits without '+': some regions read them as a national
        // number; the lookup must read them as libphonenumber does.
        compare(e164.substr(1), region, library(e164.substr(1), region), "digits without +", region);
      }
    }
    MESSAGE("lookup and libphonenumber agree on ", agreed, " numbers (", regions, " regions x example types x forms); ",
            disagreements.size(), " disagree");
    for (std::size_t i = 0; i < disagreements.size() && i < 2000; ++i) MESSAGE(disagreements[i]);
    CHECK(disagreements.empty());
  }

  TEST_CASE("each region's own forms: national with and without trunk prefix, +, its exit code, digits only") {
    for (const char* region : {"US", "CA", "GB", "DE", "FR", "IT", "ES", "NL", "ZA", "AU", "JP", "IN", "BR", "MX"}) {
      for (const auto type : {PhoneNumberUtil::FIXED_LINE, PhoneNumberUtil::MOBILE}) {
        LibNumber n;
        REQUIRE(util().GetExampleNumberForType(region, type, &n));
        std::string e164, national, nsn, intl;
        util().Format(n, PhoneNumberUtil::E164, &e164);
        util().Format(n, PhoneNumberUtil::NATIONAL, &national);
        util().Format(n, PhoneNumberUtil::INTERNATIONAL, &intl);
        util().GetNationalSignificantNumber(n, &nsn);
        CAPTURE(region);
        CAPTURE(e164);
        CHECK(fast(national, region) == e164);
        CHECK(fast(intl, region) == e164);
        CHECK(fast(e164, region) == e164);
        // The national significant number alone (no trunk prefix, digits only),
        // where libphonenumber reads it so too.
        if (library(nsn, region) == e164) CHECK(fast(nsn, region) == e164);
        // From abroad, with the exit code of where the call arrives.
        for (const char* from : kCallingRegions) {
          if (util().GetCountryCodeForRegion(from) == n.country_code()) continue;
          std::string dialled;
          util().FormatOutOfCountryCallingNumber(n, from, &dialled);
          CAPTURE(from);
          CHECK(fast(dialled, from) == e164);
          CHECK(fast(dialled, from) == library(dialled, from));
        }
      }
    }
  }

  TEST_CASE("exit codes and trunk prefixes are the region's own: a number from the wrong country is never read") {
    // Leeds dialled in the UK is not the Spanish +34 960000 ("00" is the UK's exit code, not "0").
    CHECK(fast("0113 496 0000", "GB") == "+441134960000");
    CHECK(fast("07400 123456", "GB") == "+447400123456");
    CHECK(fast("00 34 960 000 000", "GB") == "+34960000000");
    // Johannesburg: "011" is national in South Africa, where the exit code is "00".
    CHECK(fast("011 234 5678", "ZA") == "+27112345678");
    CHECK(fast("00 44 20 7946 0958", "ZA") == "+442079460958");
    // Australia dials out with 0011, Japan with 010, the US with 011.
    CHECK(fast("0011 44 20 7946 0958", "AU") == "+442079460958");
    CHECK(fast("010 44 20 7946 0958", "JP") == "+442079460958");
    CHECK(fast("011 44 20 7946 0958", "US") == "+442079460958");
    // ...and "00" is no exit code in the US.
    CHECK(fast("00 44 20 7946 0958", "US") != "+442079460958");
    // Germany: trunk prefix 0, exit 00.
    CHECK(fast("030 123456", "DE") == "+4930123456");
    CHECK(fast("0049 30 123456", "DE") == "+4930123456");
  }

  TEST_CASE("national forms the rules cannot read are libphonenumber's valid reading, and nothing else") {
    // Argentina's mobile numbers dialled nationally: "0" trunk prefix, area code, "15".
    CHECK(fast("011 15-2345-6789", "AR") == "+5491123456789");
    // Canada's 7-digit service numbers, with and without the leading 1.
    CHECK(fast("310-1234", "CA") == "+13101234");
    CHECK(fast("13101234", "CA") == "+13101234");
    // A 7-digit local number is not a number of the US or Canada: still refused.
    CHECK(fast("555-1234", "US").rfind("error: ", 0) == 0);
    CHECK(fast("555-1234", "CA").rfind("error: ", 0) == 0);
  }

  TEST_CASE("the default normalizer is the US plan of libphonenumber") {
    const PhoneNormalizer us;
    for (const char* input : {"+1 (201) 555-0123", "(201) 555-0123", "1 201 555 0123", "011 44 20 7946 0958",
                              "2015550123", "+44 20 7946 0958"}) {
      CAPTURE(input);
      auto r = us.normalize(input);
      REQUIRE_MESSAGE(r.ok(), r.status().to_string());
      CHECK(std::string(r->e164()) == fast(input, "US"));
      CHECK(std::string(r->e164()) == library(input, "US"));
    }
    // "00" is no exit code in the US: both plans refuse the number alike.
    auto r = us.normalize("00 44 20 7946 0958");
    REQUIRE_FALSE(r.ok());
    CHECK("error: " + r.status().message() == fast("00 44 20 7946 0958", "US"));
    CHECK(us.region() == "US");
  }

  TEST_CASE("what libphonenumber reads of a national input is a whole E.164 number, or an error") {
    // libphonenumber stops at the '~' and reads four digits: too short to be
    // a number (found by fuzzing: "+1125" did not normalize to itself).
    const PhoneNormalizer us;
    auto r = us.normalize("1 25~35407901");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().field() == "phone_number");
    CHECK(r.status().message().find("too short") != std::string::npos);
  }

  TEST_CASE("unknown regions are refused by name") {
    for (const char* bad : {"", "ZZ", "UK", "USA", "1"}) {
      CAPTURE(bad);
      auto p = PhoneNormalizer::for_region(bad);
      REQUIRE_FALSE(p.ok());
      CHECK(p.status().field() == "region");
    }
    CHECK(PhoneNormalizer::for_region("gb")->region() == "GB");
    CHECK(supported_regions().size() > 200);
  }
}
