// The per-tenant cache of what identify reads: for each number looked up,
// its owner's IdentifyRecord, or that no VIP owns it.
//
// Entries are filled from the storage on a miss and tagged with the change
// generation read before that storage read (storage.hpp); an entry serves
// only while the tenant's generation is still the one it was filled at. A
// commit anywhere therefore makes every entry of its tenant stale at once,
// at no cost: each is read again, and replaced, the next time its number
// calls. Validity windows and statuses are judged by identify at call time,
// never here.
//
// Memory: entries are compact (the record's strings in one block) and
// counted against a budget shared by every tenant of a Database
// (Options::cache_bytes; 0 turns the cache off). A full cache evicts entries
// of the shard it stores into, else does not store: a cold or evicted number
// is read from the storage. Secrets: the cache holds what the storage holds
// (hashes and sealed ciphertexts), never a decrypted field; identify opens
// the name and greeting on a hit as it does on a storage read.
//
// Thread-safety: shards, each with its own mutex, so that threads looking up
// different numbers rarely meet.
#ifndef VIPCORE_SRC_CALLER_CACHE_HPP
#define VIPCORE_SRC_CALLER_CACHE_HPP

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "vipcore/storage.hpp"

namespace vipcore::detail {

/// The byte budget every tenant cache of a Database draws from.
struct CacheBudget {
  explicit CacheBudget(std::size_t limit_bytes) noexcept : limit(limit_bytes) {}
  const std::size_t limit;
  std::atomic<std::size_t> used{0};
};

class CallerCache {
 public:
  explicit CallerCache(std::shared_ptr<CacheBudget> budget) noexcept : budget_(std::move(budget)) {}
  CallerCache(const CallerCache&) = delete;
  CallerCache& operator=(const CallerCache&) = delete;
  ~CallerCache();

  bool enabled() const noexcept { return budget_ != nullptr && budget_->limit > 0; }

  /// When an entry for `hash` filled at `generation` is cached: sets *found
  /// and, for a VIP, *out (all but its integrity tag: the record was checked
  /// when it was stored), and returns true. Allocates nothing once *out's
  /// strings have grown to size.
  bool find(const PhoneHash& hash, std::uint64_t generation, IdentifyRecord* out, bool* found) const noexcept;

  /// Caches what the storage said about `hash` after `generation` was read:
  /// `rec` (integrity checked), or null for "no VIP has this number".
  void store(const PhoneHash& hash, std::uint64_t generation, const IdentifyRecord* rec) noexcept;

  /// Bytes this cache holds, and entries.
  std::size_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }
  std::size_t entries() const noexcept;

 private:
  struct Entry {
    std::uint64_t generation = 0;
    bool vip = false;
    Level vip_level = Level::standard;
    CallerStatus status = CallerStatus::active;
    HandlingRules handling_rules;
    std::optional<int> max_wait_time;
    int callback_priority = 1;
    std::optional<Timestamp> valid_from;
    std::optional<Timestamp> valid_until;
    // caller_id, preferred_agent_id, preferred_department_id, caller_name,
    // custom_greeting, back to back.
    std::unique_ptr<char[]> text;
    std::array<std::uint32_t, 5> sizes{};
    std::size_t bytes() const noexcept;
  };
  using Map = std::unordered_map<PhoneHash, Entry, PhoneHashHasher>;
  struct alignas(64) Shard {
    mutable std::mutex mu;
    Map map;
  };
  static constexpr std::size_t kShards = 64;

  static std::size_t shard_of(const PhoneHash& hash) noexcept { return hash[8] % kShards; }
  static bool fill(const IdentifyRecord& rec, std::uint64_t generation, Entry* e);
  void account(std::ptrdiff_t delta) noexcept;

  std::shared_ptr<CacheBudget> budget_;
  std::atomic<std::size_t> bytes_{0};
  std::array<Shard, kShards> shards_;
};

}  // namespace vipcore::detail

#endif
