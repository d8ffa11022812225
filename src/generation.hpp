// Change generations: how every process using a database learns, at the cost
// of a memory load, that a commit changed what its caches hold.
//
// A GenerationTable is kWords 64-bit counters in memory every user of a
// database can see: a shared file mapping beside a SQLite database, a plain
// array in the memory backend, a process's copy fed by notifications for a
// networked backend. Slot i counts the commits that changed a tenant whose id
// hashes to i; slot kDatabaseSlot counts database-wide changes (the key
// ring). Each tenant slot also has kBuckets number counters: bucket b counts
// the commits that changed a caller owning, or having owned, a number whose
// hash falls in b, so that a change to one caller makes stale only the cached
// numbers of its buckets, not the whole tenant's. Tenants that share a slot
// (numbers that share a bucket) only see each other's changes as changes:
// more reloads, never fewer.
//
// Each counter is a seqlock that survives a dead writer. A writer, holding the
// database's write lock, makes the counters of the slots it changed odd
// before it commits and even again after (compare-and-swap from the value it
// set, so that two writers can never undo each other). A reader that finds a
// counter odd reads the storage, not its cache: a commit may be landing. A
// writer killed between the two steps leaves its counters odd, so readers keep
// reading the storage — never a cache older than what that writer may have
// committed — until the next write transaction in any process, which holds
// the write lock and therefore knows no commit is half-way, settles them. A
// commit that touches number buckets always touches their tenant slot too,
// first: settling finds a dead writer's buckets through its odd tenant slot.
#ifndef VIPCORE_SRC_GENERATION_HPP
#define VIPCORE_SRC_GENERATION_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vipcore::detail {

class GenerationTable {
 public:
  static constexpr std::size_t kSlots = 1024;
  static constexpr std::size_t kDatabaseSlot = kSlots;  ///< the database-wide counter
  static constexpr std::size_t kBuckets = 64;           ///< number counters per tenant slot
  static constexpr std::size_t kNumberBase = kSlots + 1;
  static constexpr std::size_t kWords = kNumberBase + kSlots * kBuckets;

  /// Over `words`, kWords counters that outlive this object (zero-filled when new).
  explicit GenerationTable(std::uint64_t* words) noexcept : words_(words) {}

  /// The slot of a tenant, or kDatabaseSlot for "" (the database's own scope).
  static std::size_t slot_of(std::string_view tenant_id) noexcept;
  /// The bucket of a phone number, from the first byte of its keyed hash.
  static std::size_t bucket_of(std::uint8_t first_hash_byte) noexcept { return first_hash_byte % kBuckets; }

  /// The tenant's generation: changes with every commit to its slot or to
  /// the database slot; 0 while either is odd (a commit may be landing).
  std::uint64_t read(std::string_view tenant_id) const noexcept;
  /// A number's generation within a tenant: changes with every commit to
  /// its bucket or to the database slot (not with the tenant's settings or
  /// rules); 0 while either is odd.
  std::uint64_t read_number(std::string_view tenant_id, std::uint8_t first_hash_byte) const noexcept;

  /// The counters a transaction changed, and the odd values it set. Holds a
  /// few tenant slots, each with the buckets changed; a transaction that
  /// changes more slots changes every tenant slot and the database slot
  /// (which every number's generation includes).
  class Commit {
   public:
    /// Marks a tenant (or the database) slot as changed (before begin()).
    void touch(std::size_t slot) noexcept { entry(slot); }
    /// Marks a number of a tenant slot as changed, and the slot with it.
    void touch_number(std::size_t slot, std::uint8_t first_hash_byte) noexcept;
    /// touch_number() for each of a caller's stored phones (anything with a `hash`).
    template <typename Phones>
    void touch_numbers(std::size_t slot, const Phones& phones) noexcept {
      for (const auto& p : phones) touch_number(slot, p.hash[0]);
    }
    bool empty() const noexcept { return count_ == 0; }
    /// Makes the touched counters odd. REQUIRES: the write lock, before the commit.
    void begin(GenerationTable& table) noexcept;
    /// Makes them even again, whether the commit succeeded or not.
    void end(GenerationTable& table) noexcept;

   private:
    static constexpr std::size_t kMax = 8;
    struct Touched {
      std::size_t slot = 0;
      std::uint64_t buckets = 0;  // bit b: bucket b of the slot
    };
    Touched* entry(std::size_t slot) noexcept;  // null once every slot is touched
    bool all() const noexcept { return count_ > kMax; }
    // Calls f(word) for each touched counter, slots before their buckets, in
    // the same order each time.
    template <typename F>
    void for_each_word(F&& f) const;
    std::array<Touched, kMax> touched_{};
    std::size_t count_ = 0;  // kMax + 1: every tenant slot and the database slot
    std::array<std::uint64_t, kSlots + 1> odd_{};  // covers kMax * (1 + kBuckets) too
    bool begun_ = false;
  };

  /// Makes every odd counter even: a writer died between its begin() and
  /// end(). REQUIRES: the database's write lock (so no commit is in flight).
  void settle() noexcept;

 private:
  std::uint64_t load(std::size_t word) const noexcept;
  void settle_word(std::size_t word) noexcept;
  std::uint64_t* words_;
};

}  // namespace vipcore::detail

#endif
