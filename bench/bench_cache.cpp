// vipcore_bench: what identify's cache gives and costs (see caller_cache.hpp).
//
//   identify_after_change   identify of VIP numbers right after an
//                           administrator's commit to the tenant: every
//                           cached entry is stale, so each lookup reads the
//                           storage again and refreshes its entry; the first
//                           one also reloads the settings. Per lookup, over
//                           kCacheLookupsAfterChange lookups after each of
//                           kCacheChanges changes.
//   identify_1_thread, identify_2_threads
//                           warm identify of VIP numbers on one thread, and on
//                           two at once (each its own Tenant handle on the same
//                           Database): throughput.
//   cache bytes per VIP     the cache of a fresh Database handle after it has
//                           identified every VIP once.
//   open_sealed_name        what a cache of decrypted names would save per hit:
//                           opening a caller's sealed name (XChaCha20-Poly1305
//                           with associated data of identify's size, libsodium).
#include "bench.hpp"

namespace vipcore_bench {
namespace {


std::vector<std::string> vip_numbers(std::size_t callers, std::size_t count, std::uint64_t seed) {
  Lcg rng(seed);
  std::vector<std::string> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(vip_number(rng.below(callers)));
  return out;
}

// Identifies numbers[begin, end), each a VIP; returns ns per lookup.
double identify_all(const vipcore::Tenant& pbx, const std::vector<std::string>& numbers, std::size_t begin,
                    std::size_t end) {
  vipcore::Identification out;
  const auto start = Clock::now();
  for (std::size_t i = begin; i < end; ++i) {
    check_ok(pbx.identify(numbers[i], &out), "identify");
    check(out.is_vip, "a VIP number was not identified");
  }
  return seconds_since(start) * 1e9 / static_cast<double>(end - begin);
}

double time_after_change(const vipcore::Tenant& admin, const vipcore::Tenant& pbx, const std::string& changed_id,
                         std::size_t callers) {
  const std::vector<std::string> numbers = vip_numbers(callers, kCacheChanges * kCacheLookupsAfterChange, 21);
  identify_all(pbx, numbers, 0, numbers.size());  // cached: each change makes them stale
  double total_ns = 0;
  for (std::size_t c = 0; c < kCacheChanges; ++c) {
    vipcore::CallerUpdate u;
    u.notes = "change " + std::to_string(c);
    check_ok(admin.update(changed_id, u).status(), "update");
    total_ns += identify_all(pbx, numbers, c * kCacheLookupsAfterChange, (c + 1) * kCacheLookupsAfterChange) *
                static_cast<double>(kCacheLookupsAfterChange);
  }
  return total_ns / static_cast<double>(numbers.size());
}

// ns to open one sealed name of the bench's size, as identify does on a hit.
double time_open_sealed_name(std::size_t rounds) {
  unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
  unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  crypto_aead_xchacha20poly1305_ietf_keygen(key);
  randombytes_buf(nonce, sizeof nonce);
  const std::string name = caller_name(123456);
  const std::string ad = "vipcore/field/1 bench 0f8fad5b-d9cb-469f-a165-70867728950e caller_name 1";
  std::vector<unsigned char> sealed(name.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long sealed_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.data(), &sealed_len,
                                             reinterpret_cast<const unsigned char*>(name.data()), name.size(),
                                             reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
                                             nonce, key);
  constexpr std::size_t kOpens = 200'000;
  std::vector<unsigned char> plain(name.size());
  return best_of(rounds, [&] {
           for (std::size_t i = 0; i < kOpens; ++i) {
             unsigned long long plain_len = 0;
             check(crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &plain_len, nullptr, sealed.data(),
                                                              sealed_len, reinterpret_cast<const unsigned char*>(ad.data()),
                                                              ad.size(), nonce, key) == 0,
                   "a sealed name did not open");
             g_sink = plain[0];
           }
         }) /
         static_cast<double>(kOpens);
}

// Wall time per lookup with `threads` threads each identifying `per_thread` numbers.
double time_threads(const vipcore::Tenant& pbx, const std::vector<std::string>& numbers, unsigned threads,
                    std::size_t per_thread) {
  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t, handle = pbx] {
      ++ready;
      while (!go.load()) std::this_thread::yield();
      identify_all(handle, numbers, t * per_thread, (t + 1) * per_thread);
    });
  while (ready.load() != threads) std::this_thread::yield();
  const auto start = Clock::now();
  go = true;
  for (std::thread& th : pool) th.join();
  return seconds_since(start) * 1e9 / static_cast<double>(threads * per_thread);
}

}  // namespace

void time_cache(const Config& cfg, const std::string& db_path, const vipcore::MasterKey& key,
                const vipcore::Tenant& admin, const vipcore::Tenant& pbx, const std::string& changed_id,
                std::map<std::string, double>* best_ns) {
  progress("identify right after a change, ", kCacheChanges, " changes");
  (*best_ns)["identify_after_change"] = time_after_change(admin, pbx, changed_id, cfg.callers);

  const std::size_t per_thread = cfg.lookups;
  const std::vector<std::string> numbers = vip_numbers(cfg.callers, 2 * per_thread, 22);
  identify_all(pbx, numbers, 0, numbers.size());  // warm
  // Each round's 2 threads against its own 1 thread, timed back to back:
  // the machine's moods hit both alike. The median round counts.
  double one = 0, two = 0;
  std::vector<double> scaling;
  for (std::size_t round = 0; round < std::max(cfg.rounds, kScalingRounds); ++round) {
    const double t1 = time_threads(pbx, numbers, 1, 2 * per_thread);
    const double t2 = time_threads(pbx, numbers, 2, per_thread);
    one = round == 0 ? t1 : std::min(one, t1);
    two = round == 0 ? t2 : std::min(two, t2);
    scaling.push_back(t1 / t2);
    progress("round ", round + 1, ": identify 1 thread ", t1, " ns/op, 2 threads ", t2, " ns/op (wall): ", t1 / t2,
             "x the throughput");
  }
  (*best_ns)["identify_1_thread"] = one;
  (*best_ns)["identify_2_threads"] = two;
  (*best_ns)["identify_2_threads/1_thread"] = median(scaling);

  (*best_ns)["open_sealed_name"] = time_open_sealed_name(cfg.rounds);

  // Fresh handles, each filled with every VIP once: the cache's bytes per
  // VIP, and warm hits over the same numbers, with decrypted names and
  // greetings kept (the default) and with the sealed fields only.
  for (const bool decrypted : {true, false}) {
    const std::string mode = decrypted ? "" : "_sealed";
    progress("filling a fresh handle's cache with all ", cfg.callers, " VIPs", decrypted ? "" : " (sealed only)");
    vipcore::Options options;
    options.cache_bytes = kBenchCacheBytes;
    options.cache_decrypted = decrypted;
    auto fresh = vipcore::Database::open(db_path, key, options);
    check_ok(fresh.status(), "Database::open (fresh)");
    auto fresh_pbx = fresh->tenant(kTenant, {"bench", vipcore::Role::system});
    check_ok(fresh_pbx.status(), "Database::tenant (fresh)");
    vipcore::Identification out;
    for (std::size_t row = 0; row < cfg.callers; ++row)
      check_ok(fresh_pbx->identify(vip_number(row), &out), "identify");
    auto m = fresh_pbx->metrics();
    check_ok(m.status(), "metrics");
    check(m->cache_entries == cfg.callers, "the cache does not hold every VIP: raise kBenchCacheBytes");
    (*best_ns)["cache_bytes_per_vip" + mode] =
        static_cast<double>(m->cache_bytes) / static_cast<double>(m->cache_entries);
    (*best_ns)["cache_bytes" + mode] = static_cast<double>(m->cache_bytes);
    (*best_ns)["identify_warm" + mode] =
        best_of(cfg.rounds, [&] { identify_all(*fresh_pbx, numbers, 0, numbers.size()); }) /
        static_cast<double>(numbers.size());
  }
}

}  // namespace vipcore_bench
