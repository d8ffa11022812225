#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "support.hpp"

using namespace vipcore;
using vipcore::test::TempDir;

TEST_SUITE("keys") {
  TEST_CASE("test keys are deterministic and distinct per seed") {
    const MasterKey a = *MasterKey::for_testing("alpha");
    const MasterKey a2 = *MasterKey::for_testing("alpha");
    const MasterKey b = *MasterKey::for_testing("beta");
    CHECK(std::equal(a.data(), a.data() + MasterKey::kSize, a2.data()));
    CHECK_FALSE(std::equal(a.data(), a.data() + MasterKey::kSize, b.data()));
    CHECK(a.fingerprint() == a2.fingerprint());
    CHECK(a.fingerprint() != b.fingerprint());
    CHECK(a.fingerprint().size() == 16);
  }

  TEST_CASE("keys from bytes and hex must have the right size and alphabet") {
    const unsigned char raw[32] = {1, 2, 3};
    CHECK(MasterKey::from_bytes(raw, 32).ok());
    CHECK(MasterKey::from_bytes(raw, 31).status().is_key_error());
    CHECK(MasterKey::from_bytes(nullptr, 32).status().is_key_error());
    const std::string hex(64, 'a');
    CHECK(MasterKey::from_hex(hex).ok());
    CHECK(MasterKey::from_hex("  " + hex + "\n").ok());
    CHECK(MasterKey::from_hex(hex.substr(2)).status().is_key_error());
    auto bad = MasterKey::from_hex(std::string(63, 'a') + "g");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message().find("hexadecimal") != std::string::npos);
  }

  TEST_CASE("a key file round-trips, is created 0600 and is never overwritten") {
    TempDir dir;
    const std::string path = dir.file("vip.key");
    const MasterKey k = *MasterKey::generate();
    REQUIRE(k.write_file(path).ok());
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto back = MasterKey::from_file(path);
    REQUIRE(back.ok());
    CHECK(std::equal(k.data(), k.data() + MasterKey::kSize, back->data()));
    const Status again = MasterKey::generate()->write_file(path);
    CHECK(again.is_already_exists());
    CHECK(MasterKey::from_file(path)->fingerprint() == k.fingerprint());
  }

  TEST_CASE("key files that are readable by others, missing or malformed are refused") {
    TempDir dir;
    const std::string path = dir.file("open.key");
    {
      std::ofstream out(path);
      out << std::string(64, 'b') << "\n";
    }
    ::chmod(path.c_str(), 0644);
    auto open = MasterKey::from_file(path);
    REQUIRE_FALSE(open.ok());
    CHECK(open.status().is_key_error());
    CHECK(open.status().message().find("chmod 600") != std::string::npos);
    ::chmod(path.c_str(), 0600);
    CHECK(MasterKey::from_file(path).ok());

    CHECK(MasterKey::from_file(dir.file("missing.key")).status().is_key_error());
    const std::string junk = dir.file("junk.key");
    {
      std::ofstream out(junk);
      out << "not a key\n";
    }
    ::chmod(junk.c_str(), 0600);
    auto j = MasterKey::from_file(junk);
    REQUIRE_FALSE(j.ok());
    CHECK(j.status().message().find(junk) != std::string::npos);
  }

  TEST_CASE("a moved-from key is empty and a clone is equal") {
    MasterKey a = *MasterKey::for_testing("x");
    MasterKey c = a.clone();
    CHECK(c.fingerprint() == a.fingerprint());
    MasterKey b = std::move(a);
    CHECK(a.data() == nullptr);  // NOLINT(bugprone-use-after-move): the documented moved-from state
    CHECK(b.fingerprint() == c.fingerprint());
  }
}
