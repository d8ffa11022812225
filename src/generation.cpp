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

std::uint64_t GenerationTable::load(std::size_t slot) const noexcept {
  return __atomic_load_n(&words_[slot], __ATOMIC_SEQ_CST);
}

std::uint64_t GenerationTable::read(std::string_view tenant_id) const noexcept {
  const std::uint64_t tenant = load(slot_of(tenant_id));
  const std::uint64_t database = tenant_id.empty() ? 0 : load(kDatabaseSlot);
  if (((tenant | database) & 1) != 0) return 0;
  // Both only grow, so their sum changes whenever either does; + 2 keeps a
  // new table's generation away from 0.
  return tenant + database + 2;
}

void GenerationTable::Commit::touch(std::size_t slot) noexcept {
  if (all()) return;
  for (std::size_t i = 0; i < count_; ++i)
    if (slots_[i] == slot) return;
  if (count_ < kMax) slots_[count_] = slot;
  ++count_;
}

void GenerationTable::Commit::begin(GenerationTable& table) noexcept {
  for (std::size_t i = 0; i < size(); ++i) {
    // A counter left odd by a dead writer stays odd (+2), so that readers
    // trust it only after our end().
    std::uint64_t* word = &table.words_[slot(i)];
    std::uint64_t v = __atomic_load_n(word, __ATOMIC_SEQ_CST);
    std::uint64_t odd = 0;
    do {
      odd = v + ((v & 1) != 0 ? 2 : 1);
    } while (!__atomic_compare_exchange_n(word, &v, odd, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    odd_[i] = odd;
  }
  begun_ = true;
}

void GenerationTable::Commit::end(GenerationTable& table) noexcept {
  if (!begun_) return;
  for (std::size_t i = 0; i < size(); ++i) {
    std::uint64_t expected = odd_[i];
    // Fails only when a later writer settled it already: nothing to do.
    __atomic_compare_exchange_n(&table.words_[slot(i)], &expected, odd_[i] + 1, false, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
  }
  begun_ = false;
  count_ = 0;
}

void GenerationTable::settle() noexcept {
  for (std::size_t slot = 0; slot < kWords; ++slot) {
    std::uint64_t v = load(slot);
    if ((v & 1) != 0) __atomic_compare_exchange_n(&words_[slot], &v, v + 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  }
}

}  // namespace vipcore::detail
