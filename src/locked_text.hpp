// Decrypted text the identify cache keeps — the names and greetings of VIPs
// that called — so that a cache hit does not open their sealed fields again.
//
// The text lives in slots of an arena of sodium_malloc chunks: guard pages
// around each chunk, locked in RAM (mlock), kept out of core dumps
// (MADV_DONTDUMP), and every slot wiped when it is given back (its entry
// evicted, replaced, or its cache closed); chunks are wiped and unmapped when
// the arena goes. Slots come in size classes (32 bytes to 2 KiB, a caller's
// name and greeting back to back), so a freed slot is reused at once.
//
// Locked memory is limited (RLIMIT_MEMLOCK; not for a process that may lock
// any amount). The arena takes at most half of the limit, leaving the rest to
// the keys (crypto.hpp); when that is reached, or a chunk cannot be locked,
// it hands out no more slots, says so once on standard error, and the cache
// keeps the sealed fields of further entries instead, to be opened on each
// hit. Decrypted text is therefore never in memory that may be swapped out.
//
// Thread-safety: take() and give() lock the arena; reading a slot needs
// whatever keeps its owner alive (the cache frees an entry, and gives its
// slot back, only once no lookup can be reading it: reclaim.hpp).
#ifndef VIPCORE_SRC_LOCKED_TEXT_HPP
#define VIPCORE_SRC_LOCKED_TEXT_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace vipcore::detail {

class LockedTextArena {
 public:
  static constexpr std::size_t kMinSlot = 32;
  static constexpr std::size_t kClasses = 7;  // 32, 64, ... 2048 bytes
  static constexpr std::size_t kMaxSlot = kMinSlot << (kClasses - 1);
  static constexpr std::size_t kChunkBytes = std::size_t{256} << 10;

  /// `limit_bytes`: the most this arena may lock; 0 takes half of
  /// RLIMIT_MEMLOCK (no limit when the process may lock any amount).
  explicit LockedTextArena(std::size_t limit_bytes = 0) noexcept;
  LockedTextArena(const LockedTextArena&) = delete;
  LockedTextArena& operator=(const LockedTextArena&) = delete;
  ~LockedTextArena();

  /// The class of a slot for `size` bytes; kClasses when larger than kMaxSlot.
  static std::size_t class_of(std::size_t size) noexcept;
  static std::size_t slot_bytes(std::size_t cls) noexcept { return kMinSlot << cls; }

  /// A slot of class `cls`, or null (no lockable memory left).
  char* take(std::size_t cls) noexcept;
  /// Wipes a slot and takes it back.
  void give(char* slot, std::size_t cls) noexcept;

  /// Bytes of locked chunks; whether the arena has stopped growing.
  std::size_t locked_bytes() const noexcept;
  bool exhausted() const noexcept;

 private:
  bool grow(std::size_t cls) noexcept;  // REQUIRES: mu_

  mutable std::mutex mu_;
  std::size_t limit_;
  std::array<char*, kClasses> free_{};  // wiped slots, linked through their first bytes
  std::array<char*, kClasses> next_{};  // the class's chunk being carved
  std::array<char*, kClasses> end_{};
  std::vector<void*> chunks_;
  bool exhausted_ = false;
};

/// One slot of decrypted text, given back (wiped) when destroyed. Move-only.
class LockedText {
 public:
  LockedText() noexcept = default;
  LockedText(LockedTextArena* arena, char* slot, std::size_t cls) noexcept : arena_(arena), slot_(slot), cls_(cls) {}
  LockedText(LockedText&& o) noexcept : arena_(o.arena_), slot_(o.slot_), cls_(o.cls_) { o.slot_ = nullptr; }
  LockedText& operator=(LockedText&& o) noexcept;
  LockedText(const LockedText&) = delete;
  LockedText& operator=(const LockedText&) = delete;
  ~LockedText() { reset(); }

  explicit operator bool() const noexcept { return slot_ != nullptr; }
  char* data() const noexcept { return slot_; }
  std::size_t bytes() const noexcept { return slot_ == nullptr ? 0 : LockedTextArena::slot_bytes(cls_); }
  void reset() noexcept;

 private:
  LockedTextArena* arena_ = nullptr;
  char* slot_ = nullptr;
  std::size_t cls_ = 0;
};

}  // namespace vipcore::detail

#endif
