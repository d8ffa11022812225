#include "generation.hpp"

namespace vipcore::detail {

std::size_t GenerationTable::slot_of(std::string_view tenant_id) noexcept {
  if (tenant_id.empty()) return kDatabaseSlot;
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a: stable across processes and builds
  for (char c : tenant_id) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h % kSlots);
}

std::uint64_t GenerationTable::load(std::size_t word) const noexcept {
  return __atomic_load_n(&words_[word], __ATOMIC_SEQ_CST);
}

std::uint64_t GenerationTable::read(std::string_view tenant_id) const noexcept {
  const std::uint64_t tenant = load(slot_of(tenant_id));
  const std::uint64_t database = tenant_id.empty() ? 0 : load(kDatabaseSlot);
  if (((tenant | database) & 1) != 0) return 0;
  // Both only grow, so their sum changes whenever either does; + 2 keeps a
  // new table's generation away from 0.
  return tenant + database + 2;
}

std::uint64_t GenerationTable::read_number(std::string_view tenant_id, std::uint8_t first_hash_byte) const noexcept {
  const std::uint64_t number = load(kNumberBase + slot_of(tenant_id) * kBuckets + bucket_of(first_hash_byte));
  const std::uint64_t database = load(kDatabaseSlot);
  if (((number | database) & 1) != 0) return 0;
  return number + database + 2;
}

GenerationTable::Commit::Touched* GenerationTable::Commit::entry(std::size_t slot) noexcept {
  if (all()) return nullptr;
  for (std::size_t i = 0; i < count_; ++i)
    if (touched_[i].slot == slot) return &touched_[i];
  if (count_ == kMax) {
    count_ = kMax + 1;
    return nullptr;
  }
  touched_[count_] = Touched{slot, 0};
  return &touched_[count_++];
}

void GenerationTable::Commit::touch_number(std::size_t slot, std::uint8_t first_hash_byte) noexcept {
  if (slot == kDatabaseSlot) return;  // not a tenant's
  if (Touched* t = entry(slot)) t->buckets |= std::uint64_t{1} << bucket_of(first_hash_byte);
}

template <typename F>
void GenerationTable::Commit::for_each_word(F&& f) const {
  if (all()) {
    for (std::size_t slot = 0; slot <= kDatabaseSlot; ++slot) f(slot);
    return;
  }
  for (std::size_t i = 0; i < count_; ++i) {
    const Touched& t = touched_[i];
    f(t.slot);
    for (std::size_t b = 0; b < kBuckets; ++b)
      if ((t.buckets >> b) & 1) f(kNumberBase + t.slot * kBuckets + b);
  }
}

void GenerationTable::Commit::begin(GenerationTable& table) noexcept {
  std::size_t i = 0;
  for_each_word([&](std::size_t w) {
    // A counter left odd by a dead writer stays odd (+2), so that readers
    // trust it only after our end().
    std::uint64_t* word = &table.words_[w];
    std::uint64_t v = __atomic_load_n(word, __ATOMIC_SEQ_CST);
    std::uint64_t odd = 0;
    do {
      odd = v + ((v & 1) != 0 ? 2 : 1);
    } while (!__atomic_compare_exchange_n(word, &v, odd, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    odd_[i++] = odd;
  });
  begun_ = true;
}

void GenerationTable::Commit::end(GenerationTable& table) noexcept {
  // Buckets before their slots: a writer killed half-way leaves its slots
  // odd, which is how settle() finds buckets left odd.
  for (const bool buckets : {true, false}) {
    if (!begun_) break;
    std::size_t i = 0;
    for_each_word([&](std::size_t w) {
      std::uint64_t expected = odd_[i++];
      if ((w >= kNumberBase) != buckets) return;
      // Fails only when a later writer settled it already: nothing to do.
      __atomic_compare_exchange_n(&table.words_[w], &expected, expected + 1, false, __ATOMIC_SEQ_CST,
                                  __ATOMIC_SEQ_CST);
    });
  }
  begun_ = false;
  count_ = 0;
}

void GenerationTable::settle_word(std::size_t word) noexcept {
  std::uint64_t v = load(word);
  if ((v & 1) != 0) __atomic_compare_exchange_n(&words_[word], &v, v + 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

void GenerationTable::settle() noexcept {
  for (std::size_t slot = 0; slot <= kDatabaseSlot; ++slot) {
    if ((load(slot) & 1) == 0) continue;
    // A dead writer's buckets, made odd after this slot (Commit::for_each_word).
    if (slot != kDatabaseSlot)
      for (std::size_t b = 0; b < kBuckets; ++b) settle_word(kNumberBase + slot * kBuckets + b);
    settle_word(slot);
  }
}

}  // namespace vipcore::detail
