#include <doctest/doctest.h>

#include "vipcore/phone.hpp"

using namespace vipcore;

namespace {
std::string e164(const PhoneNormalizer& n, std::string_view input) {
  auto r = n.normalize(input);
  REQUIRE_MESSAGE(r.ok(), r.status().to_string());
  return std::string(r->e164());
}
}  // namespace

TEST_SUITE("phone") {
  TEST_CASE("every common North American format gives the same E.164 number") {
    const PhoneNormalizer n;
    for (const char* input : {"+1 (234) 567-8900", "+12345678900", "+1 234 567 8900", "011 1 234 567 8900",
                              "1-234-567-8900", "(234) 567-8900", "2345678900", "234.567.8900", " 234/567 8900 ",
                              "+1\t234 567 8900"}) {
      CAPTURE(input);
      CHECK(e164(n, input) == "+12345678900");
    }
    // "00" is not the North American exit prefix (that is "011"): "001..." is no international number.
    auto r = n.normalize("001 234 567 8900");
    CHECK((!r.ok() || r->e164() != "+12345678900"));
  }

  TEST_CASE("international numbers are kept as given") {
    const PhoneNormalizer n;
    CHECK(e164(n, "+44 20 7946 0958") == "+442079460958");
    CHECK(e164(*PhoneNormalizer::for_region("GB"), "0044 20 7946 0958") == "+442079460958");
    CHECK(e164(n, "011 44 20 7946 0958") == "+442079460958");
    CHECK_FALSE(n.normalize("0044 20 7946 0958").ok());  // "00" dials out from the UK, not from the US
    CHECK(e164(n, "+1234567890") == "+1234567890");  // the seed's example number
  }

  TEST_CASE("another country's defaults: trunk prefix 0") {
    PhoneOptions o;
    o.default_country_code = 44;
    o.trunk_prefix = "0";
    o.international_prefixes = {"00"};
    auto n = PhoneNormalizer::create(o);
    REQUIRE(n.ok());
    CHECK(e164(*n, "020 7946 0958") == "+442079460958");
    CHECK(e164(*n, "20 7946 0958") == "+442079460958");
    CHECK(e164(*n, "00 1 234 567 8900") == "+12345678900");
    CHECK(e164(*n, "+1 234 567 8900") == "+12345678900");
  }

  TEST_CASE("malformed numbers are errors that name the field and do not echo the number") {
    const PhoneNormalizer n;
    struct Case {
      const char* input;
      const char* says;
    };
    const Case cases[] = {
        {"", "is empty"},
        {"   ", "has no digits"},
        {"--()", "has no digits"},
        {"234-567-89OO", "is not a digit"},
        {"2345678900 x12", "is not a digit"},
        {"+1 234 +567 8900", "'+' may only start"},
        {"12+34567890", "'+' may only start"},
        {"911", "10 digits"},
        {"123456789012", "10 digits"},
        {"34 567 8900", "10 digits"},         // 9 digits
        {"1 234 567 89", "10 digits"},        // trunk 1 dropped leaves 8 digits
        {"+0 234 567 8900", "cannot start with 0"},
        {"+1234", "too short"},               // E.164 numbers have at least 5 digits
        {"+1234567890123456", "too many digits"},
        {"1234567890123456789012345678901234567890", "too many digits"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.input);
      PhoneNumber out;
      Status s = n.normalize(c.input, &out, "alternative_phone_numbers[0]");
      REQUIRE_FALSE(s.ok());
      CHECK(s.is_invalid_argument());
      CHECK(s.field() == "alternative_phone_numbers[0]");
      CHECK(s.message().find(c.says) != std::string::npos);
      CHECK(out.e164().empty());
      if (std::string_view(c.input).size() > 6) CHECK(s.message().find(c.input) == std::string::npos);
    }
  }

  TEST_CASE("numbers that North America's plan cannot have are read as libphonenumber reads them") {
    // The lookup reads them as libphonenumber does (an area code cannot start
    // with 0 or 1, but a caller ID is compared, not judged); whether such a
    // number may be stored is the write check's (test_numbering.cpp).
    const PhoneNormalizer n;
    CHECK(e164(n, "1 034 567 8900") == "+10345678900");  // an area code starting with 0
    CHECK(e164(n, "134 567 8900") == "+11345678900");    // 10 digits: no trunk prefix to drop
    CHECK(e164(n, "+1234567") == "+1234567");            // E.164-shaped; too short for +1 on write
  }

  TEST_CASE("bad options are rejected, naming the option") {
    PhoneOptions o;
    o.default_country_code = 0;
    CHECK(PhoneNormalizer::create(o).status().field() == "default_country_code");
    o = PhoneOptions();
    o.trunk_prefix = "0a";
    CHECK(PhoneNormalizer::create(o).status().field() == "trunk_prefix");
    o = PhoneOptions();
    o.international_prefixes = {"00", ""};
    CHECK(PhoneNormalizer::create(o).status().field() == "international_prefixes[1]");
  }

  TEST_CASE("the longest international prefix wins") {
    PhoneOptions o;
    o.international_prefixes = {"0", "011"};  // order given should not matter
    auto n = PhoneNormalizer::create(o);
    REQUIRE(n.ok());
    CHECK(e164(*n, "011 44 20 7946 0958") == "+442079460958");
  }

  TEST_CASE("the masked form keeps only the last four digits") {
    const PhoneNormalizer n;
    auto p = n.normalize("+1 234 567 8900");
    REQUIRE(p.ok());
    CHECK(p->masked() == "*******8900");
    CHECK(p->digits() == "12345678900");
  }
}
