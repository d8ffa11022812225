// Change generations: how every process using a database learns, at the cost
// of a memory load, that a commit changed what its caches hold.
//
// A GenerationTable is kSlots + 1 64-bit counters in memory every user of a
// database can see: a shared file mapping beside a SQLite database, a plain
// array in the memory backend, a process's copy fed by notifications for a
// networked backend. Slot i counts the commits that changed a tenant whose id
// hashes to i; the last slot counts database-wide changes (the key ring).
// Tenants that share a slot only see each other's changes as changes: more
// reloads, never fewer.
//
// Each counter is a seqlock that survives a dead writer. A writer, holding the
// database's write lock, makes the counters of the slots it changed odd
// before it commits and even again after (compare-and-swap from the value it
// set, so that two writers can never undo each other). A reader that finds a
// counter odd reads the storage, not its cache: a commit may be landing. A
// writer killed between the two steps leaves its counters odd, so readers keep
// reading the storage — never a cache older than what that writer may have
// committed — until the next write transaction in any process, which holds
// the write lock and therefore knows no commit is half-way, settles them.
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
  static constexpr std::size_t kWords = kSlots + 1;

  /// Over `words`, kWords counters that outlive this object (zero-filled when new).
  explicit GenerationTable(std::uint64_t* words) noexcept : words_(words) {}

  /// The slot of a tenant, or kDatabaseSlot for "" (the database's own scope).
  static std::size_t slot_of(std::string_view tenant_id) noexcept;

  /// The tenant's generation: changes with every commit to its slot or to
  /// the database slot; 0 while either is odd (a commit may be landing).
  std::uint64_t read(std::string_view tenant_id) const noexcept;

  /// The slots a transaction changed, and the odd values it set. Holds a
  /// few slots; a transaction that changes more changes every slot.
  class Commit {
   public:
    /// Marks a slot as changed by the transaction (before begin()).
    void touch(std::size_t slot) noexcept;
    bool empty() const noexcept { return count_ == 0; }
    /// Makes the touched counters odd. REQUIRES: the write lock, before the commit.
    void begin(GenerationTable& table) noexcept;
    /// Makes them even again, whether the commit succeeded or not.
    void end(GenerationTable& table) noexcept;

   private:
    static constexpr std::size_t kMax = 8;
    bool all() const noexcept { return count_ > kMax; }
    std::size_t slot(std::size_t i) const noexcept { return all() ? i : slots_[i]; }
    std::size_t size() const noexcept { return all() ? kWords : count_; }
    std::array<std::size_t, kMax> slots_{};
    std::size_t count_ = 0;  // kMax + 1: every slot
    std::array<std::uint64_t, kWords> odd_{};
    bool begun_ = false;
  };

  /// Makes every odd counter even: a writer died between its begin() and
  /// end(). REQUIRES: the database's write lock (so no commit is in flight).
  void settle() noexcept;

 private:
  std::uint64_t load(std::size_t slot) const noexcept;
  std::uint64_t* words_;
};

}  // namespace vipcore::detail

#endif
