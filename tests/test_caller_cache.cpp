// The identify cache (src/caller_cache.hpp) on its own: what it answers, its
// tables growing and its budget evicting, and lookups that take no lock
// reading whole entries while a writer replaces and evicts them (run under
// ASan and TSan too: an entry freed too early is a use after free, or a race).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "../src/caller_cache.hpp"

namespace vipcore::detail {
namespace {

PhoneHash hash_of(std::uint32_t k) {
  PhoneHash h{};
  std::uint64_t x = k * 0x9e3779b97f4a7c15ull + 1;  // spread over every byte, as keyed hashes are
  for (std::uint8_t& b : h) {
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    b = static_cast<std::uint8_t>(x >> 56);
  }
  return h;
}

IdentifyRecord record_of(std::uint32_t k, std::uint32_t version) {
  IdentifyRecord r;
  r.caller_id = "caller-" + std::to_string(k) + "-" + std::to_string(version);
  r.vip_level = static_cast<Level>(version % kLevelCount);
  r.preferred_agent_id = "agent-" + std::to_string(version);
  r.caller_name = "sealed-name";
  return r;
}

struct Lookup {
  CacheHit hit = CacheHit::none;
  bool found = false;
  IdentifyRecord rec;
  std::string name, greeting;
};

Lookup find(const CallerCache& cache, std::uint32_t k, std::uint64_t generation) {
  Lookup l;
  l.hit = cache.find(hash_of(k), generation, &l.rec, &l.found, &l.name, &l.greeting);
  return l;
}

}  // namespace

TEST_SUITE("caller cache") {
  TEST_CASE("answers what was stored at the generation asked, and a replacement after") {
    CallerCache cache(std::make_shared<CacheBudget>(std::size_t{1} << 20, true));
    const IdentifyRecord r = record_of(1, 1);
    const std::string name = "Name 1", greeting = "Hello 1";
    cache.store(hash_of(1), 5, &r, &name, &greeting);
    cache.store(hash_of(2), 5, nullptr);  // not a VIP

    Lookup l = find(cache, 1, 5);
    REQUIRE(l.hit != CacheHit::none);
    CHECK(l.found);
    CHECK(l.rec.caller_id == r.caller_id);
    CHECK(l.rec.preferred_agent_id == r.preferred_agent_id);
    if (l.hit == CacheHit::opened) {
      CHECK(l.name == name);
      CHECK(l.greeting == greeting);
    } else {
      CHECK(l.rec.caller_name == r.caller_name);  // no locked memory here: kept sealed
    }
    CHECK(find(cache, 1, 6).hit == CacheHit::none);  // another generation: read the storage
    l = find(cache, 2, 5);
    CHECK(l.hit == CacheHit::sealed);
    CHECK_FALSE(l.found);
    CHECK(find(cache, 3, 5).hit == CacheHit::none);  // never stored
    CHECK(cache.entries() == 2);

    const IdentifyRecord newer = record_of(1, 2);
    cache.store(hash_of(1), 6, &newer);
    l = find(cache, 1, 6);
    REQUIRE(l.hit == CacheHit::sealed);
    CHECK(l.rec.caller_id == newer.caller_id);
    CHECK(find(cache, 1, 5).hit == CacheHit::none);
    CHECK(cache.entries() == 2);
  }

  TEST_CASE("tables grow and keep every entry; a full budget evicts and stays within its limit") {
    SUBCASE("room for all") {
      CallerCache cache(std::make_shared<CacheBudget>(std::size_t{256} << 20, false));
      constexpr std::uint32_t kKeys = 50'000;  // ~780 per shard: the tables grow several times
      for (std::uint32_t k = 0; k < kKeys; ++k) {
        const IdentifyRecord r = record_of(k, 0);
        cache.store(hash_of(k), 1, &r);
      }
      CHECK(cache.entries() == kKeys);
      std::uint32_t right = 0;
      for (std::uint32_t k = 0; k < kKeys; ++k) {
        const Lookup l = find(cache, k, 1);
        right += l.hit == CacheHit::sealed && l.rec.caller_id == record_of(k, 0).caller_id ? 1u : 0u;
      }
      CHECK(right == kKeys);
    }
    SUBCASE("a budget of 64 KiB") {
      const auto budget = std::make_shared<CacheBudget>(std::size_t{64} << 10, false);
      CallerCache cache(budget);
      for (std::uint32_t k = 0; k < 20'000; ++k) {
        const IdentifyRecord r = record_of(k, 0);
        cache.store(hash_of(k), 1, &r);
        REQUIRE(budget->used.load() <= budget->limit);
      }
      CHECK(cache.entries() > 0);
      CHECK(cache.entries() < 20'000);
      CHECK(cache.bytes() == budget->used.load());
      const Lookup last = find(cache, 19'999, 1);  // the newest has room
      CHECK(last.hit == CacheHit::sealed);
    }
  }

  TEST_CASE("lookups read whole entries while a writer replaces and evicts them") {
    // A small budget: the writer evicts all the time, and replaces what it
    // keeps with newer versions. Every answer must be one stored version,
    // whole: its caller id, agent and level all of the same version.
    const auto budget = std::make_shared<CacheBudget>(std::size_t{48} << 10, true);
    CallerCache cache(budget);
    constexpr std::uint32_t kKeys = 512;
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> hits{0}, torn{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 2; ++t)
      readers.emplace_back([&, t] {
        Lookup l;
        std::uint32_t k = static_cast<std::uint32_t>(t) * 7919u;
        while (!stop.load(std::memory_order_relaxed)) {
          k = (k * 1103515245u + 12345u) % kKeys;
          l.hit = cache.find(hash_of(k), 1, &l.rec, &l.found, &l.name, &l.greeting);
          if (l.hit == CacheHit::none || !l.found) continue;
          hits.fetch_add(1, std::memory_order_relaxed);
          const std::string prefix = "caller-" + std::to_string(k) + "-";
          const bool whole = l.rec.caller_id.rfind(prefix, 0) == 0 &&
                             l.rec.preferred_agent_id == "agent-" + l.rec.caller_id.substr(prefix.size()) &&
                             static_cast<std::uint32_t>(l.rec.vip_level) ==
                                 std::stoul(l.rec.caller_id.substr(prefix.size())) % kLevelCount &&
                             (l.hit != CacheHit::opened || l.name == "Name " + l.rec.caller_id);
          if (!whole) torn.fetch_add(1, std::memory_order_relaxed);
        }
      });
    std::thread writer([&] {
      const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
      for (std::uint32_t version = 0; std::chrono::steady_clock::now() < until; ++version)
        for (std::uint32_t k = version % 7; k < kKeys; k += 7) {
          const IdentifyRecord r = record_of(k, version);
          const std::string name = "Name " + r.caller_id, greeting = "Hello";
          if (version % 5 == 4) cache.store(hash_of(k), 1, nullptr);  // now and then: not a VIP any more
          else cache.store(hash_of(k), 1, &r, &name, &greeting);
        }
      stop = true;
    });
    writer.join();
    for (std::thread& r : readers) r.join();
    MESSAGE(hits.load() << " hits read while the writer replaced and evicted");
    CHECK(hits.load() > 0);
    CHECK(torn.load() == 0);
    CHECK(budget->used.load() == cache.bytes());
  }
}

}  // namespace vipcore::detail
