// The arena of decrypted text behind the identify cache (src/locked_text.hpp),
// compiled into its own program: its locked-memory limit is process-wide.
#include <doctest/doctest.h>

#include <cstring>
#include <set>
#include <vector>

#include "../src/locked_text.hpp"

namespace vipcore::detail {

TEST_SUITE("locked text") {
  TEST_CASE("size classes run from 32 bytes to 2 KiB; anything larger has none") {
    CHECK(LockedTextArena::class_of(0) == 0);
    CHECK(LockedTextArena::class_of(32) == 0);
    CHECK(LockedTextArena::class_of(33) == 1);
    CHECK(LockedTextArena::slot_bytes(LockedTextArena::class_of(255 + 1024)) == 2048);
    CHECK(LockedTextArena::class_of(2048) == LockedTextArena::kClasses - 1);
    CHECK(LockedTextArena::class_of(2049) == LockedTextArena::kClasses);
    LockedTextArena arena;
    CHECK(arena.take(LockedTextArena::kClasses) == nullptr);
  }

  TEST_CASE("a slot given back is wiped, and reused before the arena grows") {
    LockedTextArena arena;
    char* a = arena.take(1);
    REQUIRE(a != nullptr);
    std::memset(a, 'x', LockedTextArena::slot_bytes(1));
    arena.give(a, 1);
    // The first bytes link the free slot; the text is gone.
    for (std::size_t i = sizeof(char*); i < LockedTextArena::slot_bytes(1); ++i) REQUIRE(a[i] == 0);
    CHECK(arena.take(1) == a);
    CHECK(arena.locked_bytes() == LockedTextArena::kChunkBytes);
  }

  TEST_CASE("slots of a class never overlap") {
    LockedTextArena arena;
    std::set<char*> seen;
    const std::size_t per_chunk = LockedTextArena::kChunkBytes / LockedTextArena::slot_bytes(3);
    for (std::size_t i = 0; i < per_chunk + 3; ++i) {
      char* p = arena.take(3);
      REQUIRE(p != nullptr);
      CHECK(seen.insert(p).second);
      std::memset(p, 0x5a, LockedTextArena::slot_bytes(3));
    }
    CHECK(arena.locked_bytes() == 2 * LockedTextArena::kChunkBytes);
  }

  TEST_CASE("past its limit the arena hands out no more slots, and says it is exhausted") {
    LockedTextArena arena(LockedTextArena::kChunkBytes);  // one chunk
    const std::size_t per_chunk = LockedTextArena::kChunkBytes / LockedTextArena::slot_bytes(6);
    std::vector<char*> taken;
    for (std::size_t i = 0; i < per_chunk; ++i) {
      taken.push_back(arena.take(6));
      REQUIRE(taken.back() != nullptr);
    }
    CHECK_FALSE(arena.exhausted());
    CHECK(arena.take(6) == nullptr);
    CHECK(arena.take(0) == nullptr);  // another class would need another chunk
    CHECK(arena.exhausted());
    arena.give(taken.back(), 6);  // a slot given back is still there to take
    CHECK(arena.take(6) == taken.back());
  }

  TEST_CASE("LockedText gives its slot back when it goes, and moves it") {
    LockedTextArena arena;
    char* first = nullptr;
    {
      LockedText t(&arena, arena.take(2), 2);
      first = t.data();
      REQUIRE(first != nullptr);
      std::memset(first, 'n', t.bytes());
      LockedText moved(std::move(t));
      CHECK_FALSE(t);
      CHECK(moved.data() == first);
      CHECK(moved.bytes() == 128);
    }
    CHECK(first[LockedTextArena::slot_bytes(2) - 1] == 0);  // wiped
    CHECK(arena.take(2) == first);
  }
}

}  // namespace vipcore::detail
