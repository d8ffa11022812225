// The per-tenant cache of what identify reads: for each number looked up,
// its owner's IdentifyRecord, or that no VIP owns it.
//
// Entries are filled from the storage on a miss and tagged with the number's
// change generation read before that storage read (storage.hpp,
// number_generation); an entry serves only while its number's generation is
// still the one it was filled at. A commit that changes a caller therefore
// makes stale, at no cost, every entry of the number buckets it touched (and
// a database-wide change every entry): each is read again, and replaced, the
// next time its number calls. Validity windows and statuses are judged by
// identify at call time, never here.
//
// Memory: entries are compact (the record's strings in one block) and
// counted against a budget shared by every tenant of a Database
// (Options::cache_bytes; 0 turns the cache off). A full cache evicts entries
// of the shard it stores into, else does not store: a cold or evicted number
// is read from the storage. Secrets: besides what the storage holds (hashes
// and sealed ciphertexts), an entry may keep its VIP's decrypted name and
// greeting, so that a hit need not open them again: only in locked memory,
// wiped when the entry goes (locked_text.hpp). When no more memory can be
// locked, or Options::cache_decrypted is false, entries keep the sealed
// fields and identify opens them on each hit.
//
// Thread-safety: lookups take no lock and write nothing shared. Each of 64
// shards is an open-addressing table of pointers to immutable entries;
// writers (a miss storing what it read) take the shard's mutex, publish new
// entries and tables with atomic stores, and free what they replaced or
// evicted only once no lookup can still be reading it (reclaim.hpp).
#ifndef VIPCORE_SRC_CALLER_CACHE_HPP
#define VIPCORE_SRC_CALLER_CACHE_HPP

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "locked_text.hpp"
#include "reclaim.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::detail {

/// The byte budget every tenant cache of a Database draws from.
/// With it, the arena of decrypted text they share.
struct CacheBudget {
  CacheBudget(std::size_t limit_bytes, bool keep_decrypted) noexcept
      : limit(limit_bytes), decrypted(keep_decrypted) {}
  const std::size_t limit;
  const bool decrypted;  ///< whether entries may keep decrypted names and greetings
  std::atomic<std::size_t> used{0};
  LockedTextArena text;
};

/// What CallerCache::find found.
enum class CacheHit {
  none,    ///< nothing usable: read the storage
  sealed,  ///< the entry, with the name and greeting sealed as stored
  opened,  ///< the entry, with the name and greeting decrypted
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
  /// when it was stored). CacheHit::opened: *name and *greeting are the
  /// VIP's decrypted name and greeting, and out's sealed ones are left
  /// empty. Allocates nothing once the strings have grown to size.
  CacheHit find(const PhoneHash& hash, std::uint64_t generation, IdentifyRecord* out, bool* found,
                std::string* name, std::string* greeting) const noexcept;

  /// Caches what the storage said about `hash` after `generation` was read:
  /// `rec` (integrity checked), or null for "no VIP has this number"; with
  /// the record's decrypted name and greeting when given (kept only in
  /// locked memory, else the sealed ones are kept).
  void store(const PhoneHash& hash, std::uint64_t generation, const IdentifyRecord* rec,
             const std::string* name = nullptr, const std::string* greeting = nullptr) noexcept;

  /// Bytes this cache holds, and entries.
  std::size_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }
  std::size_t entries() const noexcept;

 private:
  // What the cache knows of one number. Immutable once published.
  struct Entry {
    PhoneHash hash{};
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
    // custom_greeting, back to back; the last two empty when `opened` holds
    // them decrypted.
    std::unique_ptr<char[]> text;
    std::array<std::uint32_t, 5> sizes{};
    LockedText opened;  // decrypted name, then greeting
    std::uint16_t name_size = 0;
    std::uint16_t greeting_size = 0;
    std::size_t bytes() const noexcept;
  };
  // A shard's slots: an entry, null (never used: a probe stops there) or
  // gone() (evicted: a probe goes on). Linear probing from the hash; at
  // most three quarters of the slots are not null.
  struct Table {
    explicit Table(std::size_t capacity);
    const std::size_t mask;
    const std::unique_ptr<std::atomic<const Entry*>[]> slots;
  };
  // What a writer unlinked, freed once no lookup can be reading it.
  struct Retired {
    reclaim::Snapshot after;
    std::vector<std::unique_ptr<const Entry>> entries;
    std::unique_ptr<const Table> table;
  };
  struct alignas(64) Shard {
    std::atomic<const Table*> table{nullptr};  // what lookups read
    alignas(64) mutable std::mutex mu;         // the rest: writers', under mu
    std::unique_ptr<const Table> owned;        // == table
    std::size_t live = 0;                      // entries
    std::size_t used = 0;                      // slots not null
    std::size_t cursor = 0;                    // where eviction looks next
    std::vector<Retired> retired;
  };
  static constexpr std::size_t kShards = 64;

  static std::size_t shard_of(const PhoneHash& hash) noexcept { return hash[8] % kShards; }
  static std::size_t home_of(const PhoneHash& hash) noexcept;
  static const Entry* gone() noexcept;
  // REQUIRES: shard.mu. Returns the slot holding `hash`, or the slot to put it in.
  static std::atomic<const Entry*>* slot_for(const Table& table, const PhoneHash& hash) noexcept;
  // REQUIRES: shard.mu. Makes the shard's table one with room for one more
  // entry (a replaced one goes to *old_table). Throws std::bad_alloc.
  void make_room(Shard& shard, std::unique_ptr<const Table>* old_table);
  // REQUIRES: shard.mu. Unlinks entries of the shard into *unlinked until
  // `need` more bytes fit the budget, or none is left. Throws std::bad_alloc
  // (with nothing unlinked that *unlinked does not hold).
  void evict_for(Shard& shard, std::size_t need, std::vector<std::unique_ptr<const Entry>>* unlinked);
  // REQUIRES: shard.mu. Frees what was unlinked once no lookup can read it.
  static void retire(Shard& shard, Retired&& retired) noexcept;
  static void free_passed(Shard& shard) noexcept;
  bool fill(const IdentifyRecord& rec, std::uint64_t generation, const std::string* name,
            const std::string* greeting, Entry* e) const;
  void account(std::ptrdiff_t delta) noexcept;

  std::shared_ptr<CacheBudget> budget_;
  std::atomic<std::size_t> bytes_{0};
  std::array<Shard, kShards> shards_;
};

}  // namespace vipcore::detail

#endif
