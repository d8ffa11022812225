#include "caller_cache.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <new>

namespace vipcore::detail {
namespace {

// What a cached entry costs beyond its text and the entry itself: its share
// of a table kept between three eighths and three quarters full.
constexpr std::size_t kSlotBytes = 2 * sizeof(void*);
constexpr std::size_t kMinSlots = 64;

// The clear fields identify reads, between a stored record and a cache entry.
template <typename From, typename To>
void copy_clear_fields(const From& from, To* to) noexcept {
  to->vip_level = from.vip_level;
  to->status = from.status;
  to->handling_rules = from.handling_rules;
  to->max_wait_time = from.max_wait_time;
  to->callback_priority = from.callback_priority;
  to->valid_from = from.valid_from;
  to->valid_until = from.valid_until;
}

// The strings of a record, in the order an entry's text block holds them.
template <typename Record>
auto texts_of(Record& rec) noexcept {
  return std::array{&rec.caller_id, &rec.preferred_agent_id, &rec.preferred_department_id, &rec.caller_name,
                    &rec.custom_greeting};
}

}  // namespace

std::size_t CallerCache::Entry::bytes() const noexcept {
  std::size_t n = sizeof(Entry) + kSlotBytes + opened.bytes();
  for (std::uint32_t s : sizes) n += s;
  return n;
}

CallerCache::Table::Table(std::size_t capacity) : mask(capacity - 1), slots(new std::atomic<const Entry*>[capacity]) {
  for (std::size_t i = 0; i < capacity; ++i) slots[i].store(nullptr, std::memory_order_relaxed);
}

CallerCache::~CallerCache() {
  // No lookup runs any more: every entry goes now.
  for (Shard& shard : shards_) {
    if (const Table* t = shard.owned.get())
      for (std::size_t i = 0; i <= t->mask; ++i)
        if (const Entry* e = t->slots[i].load(std::memory_order_relaxed); e != nullptr && e != gone()) delete e;
  }
  if (budget_ != nullptr) budget_->used.fetch_sub(bytes_.load(), std::memory_order_relaxed);
}

const CallerCache::Entry* CallerCache::gone() noexcept {
  static const Entry tombstone;
  return &tombstone;
}

std::size_t CallerCache::home_of(const PhoneHash& hash) noexcept {
  std::uint64_t h = 0;  // keyed hashes: any 8 bytes are uniform; these are not shard_of's
  std::memcpy(&h, hash.data() + 16, sizeof h);
  return static_cast<std::size_t>(h);
}

void CallerCache::account(std::ptrdiff_t delta) noexcept {
  bytes_.fetch_add(static_cast<std::size_t>(delta), std::memory_order_relaxed);
  budget_->used.fetch_add(static_cast<std::size_t>(delta), std::memory_order_relaxed);
}

std::size_t CallerCache::entries() const noexcept {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> g(s.mu);
    n += s.live;
  }
  return n;
}

CacheHit CallerCache::find(const PhoneHash& hash, std::uint64_t generation, IdentifyRecord* out, bool* found,
                           std::string* name, std::string* greeting) const noexcept {
  if (!enabled()) return CacheHit::none;
  try {  // the thread's first section registers it; assign() into strings of sufficient capacity does not allocate
    const reclaim::ReadSection reading;
    // Sequentially consistent loads: see reclaim.hpp.
    const Table* table = shards_[shard_of(hash)].table.load(std::memory_order_seq_cst);
    if (table == nullptr) return CacheHit::none;
    const Entry* const tombstone = gone();
    const Entry* e = nullptr;
    for (std::size_t i = home_of(hash) & table->mask;; i = (i + 1) & table->mask) {
      e = table->slots[i].load(std::memory_order_seq_cst);
      if (e == nullptr) return CacheHit::none;
      if (e != tombstone && e->hash == hash) break;
    }
    if (e->generation != generation) return CacheHit::none;
    *found = e->vip;
    if (!e->vip) return CacheHit::sealed;
    const char* p = e->text.get();
    const auto texts = texts_of(*out);
    for (std::size_t i = 0; i < e->sizes.size(); ++i) {
      texts[i]->assign(p, e->sizes[i]);
      p += e->sizes[i];
    }
    if (e->opened) {
      name->assign(e->opened.data(), e->name_size);
      greeting->assign(e->opened.data() + e->name_size, e->greeting_size);
    }
    copy_clear_fields(*e, out);
    return e->opened ? CacheHit::opened : CacheHit::sealed;
  } catch (const std::bad_alloc&) {
    return CacheHit::none;  // read from the storage instead
  }
}

std::atomic<const CallerCache::Entry*>* CallerCache::slot_for(const Table& table, const PhoneHash& hash) noexcept {
  std::atomic<const Entry*>* free = nullptr;
  for (std::size_t i = home_of(hash) & table.mask;; i = (i + 1) & table.mask) {
    std::atomic<const Entry*>& slot = table.slots[i];
    const Entry* e = slot.load(std::memory_order_relaxed);
    if (e == nullptr) return free != nullptr ? free : &slot;
    if (e == gone()) {
      if (free == nullptr) free = &slot;
    } else if (e->hash == hash) {
      return &slot;
    }
  }
}

void CallerCache::make_room(Shard& shard, std::unique_ptr<const Table>* old_table) {
  const Table* table = shard.owned.get();
  if (table != nullptr && 4 * (shard.used + 1) <= 3 * (table->mask + 1)) return;
  // A table three eighths full at most, without the tombstones.
  std::size_t capacity = kMinSlots;
  while (3 * capacity < 8 * (shard.live + 1)) capacity *= 2;
  auto bigger = std::make_unique<const Table>(capacity);
  if (table != nullptr)
    for (std::size_t i = 0; i <= table->mask; ++i)
      if (const Entry* e = table->slots[i].load(std::memory_order_relaxed); e != nullptr && e != gone())
        slot_for(*bigger, e->hash)->store(e, std::memory_order_relaxed);
  shard.table.store(bigger.get(), std::memory_order_seq_cst);  // published whole
  *old_table = std::move(shard.owned);
  shard.owned = std::move(bigger);
  shard.used = shard.live;
}

void CallerCache::evict_for(Shard& shard, std::size_t need, std::vector<std::unique_ptr<const Entry>>* unlinked) {
  const Table* table = shard.owned.get();
  if (table == nullptr) return;
  for (std::size_t looked = 0;
       looked <= table->mask && budget_->used.load(std::memory_order_relaxed) + need > budget_->limit; ++looked) {
    std::atomic<const Entry*>& slot = table->slots[shard.cursor++ & table->mask];
    const Entry* e = slot.load(std::memory_order_relaxed);
    if (e == nullptr || e == gone()) continue;
    unlinked->reserve(unlinked->size() + 1);  // may throw: before anything is unlinked
    slot.store(gone(), std::memory_order_seq_cst);
    unlinked->emplace_back(e);
    --shard.live;
    account(-static_cast<std::ptrdiff_t>(e->bytes()));
  }
}

void CallerCache::retire(Shard& shard, Retired&& retired) noexcept {
  if (retired.entries.empty() && retired.table == nullptr) return;
  try {
    retired.after = reclaim::Snapshot::take();
    if (retired.after.passed()) return;  // no lookup was under way: freed at once
    shard.retired.push_back(std::move(retired));
  } catch (const std::bad_alloc&) {
    reclaim::wait_for_readers();  // no room to remember it: wait until it can be freed
  }
}

void CallerCache::free_passed(Shard& shard) noexcept {
  shard.retired.erase(std::remove_if(shard.retired.begin(), shard.retired.end(),
                                     [](const Retired& r) { return r.after.passed(); }),
                      shard.retired.end());
}

bool CallerCache::fill(const IdentifyRecord& rec, std::uint64_t generation, const std::string* name,
                       const std::string* greeting, Entry* e) const {
  if (name != nullptr && greeting != nullptr && budget_->decrypted) {
    const std::size_t cls = LockedTextArena::class_of(name->size() + greeting->size());
    if (char* slot = budget_->text.take(cls); slot != nullptr) {
      e->opened = LockedText(&budget_->text, slot, cls);
      std::memcpy(slot, name->data(), name->size());
      std::memcpy(slot + name->size(), greeting->data(), greeting->size());
      e->name_size = static_cast<std::uint16_t>(name->size());
      e->greeting_size = static_cast<std::uint16_t>(greeting->size());
    }
  }
  auto texts = texts_of(rec);
  if (e->opened) texts[3] = texts[4] = nullptr;  // kept decrypted instead
  std::size_t total = 0;
  for (const std::string* t : texts)
    if (t != nullptr) total += t->size();
  e->text.reset(new (std::nothrow) char[total == 0 ? 1 : total]);
  if (!e->text) return false;
  char* p = e->text.get();
  for (std::size_t i = 0; i < e->sizes.size(); ++i) {
    if (texts[i] == nullptr) continue;
    e->sizes[i] = static_cast<std::uint32_t>(texts[i]->size());
    std::memcpy(p, texts[i]->data(), texts[i]->size());
    p += texts[i]->size();
  }
  e->generation = generation;
  e->vip = true;
  copy_clear_fields(rec, e);
  return true;
}

void CallerCache::store(const PhoneHash& hash, std::uint64_t generation, const IdentifyRecord* rec,
                        const std::string* name, const std::string* greeting) noexcept {
  if (!enabled()) return;
  std::unique_ptr<Entry> e(new (std::nothrow) Entry);
  if (e == nullptr) return;
  e->hash = hash;
  if (rec != nullptr) {
    try {
      if (!fill(*rec, generation, name, greeting, e.get())) return;
    } catch (const std::bad_alloc&) {
      return;
    }
  } else {
    e->generation = generation;
  }
  const std::size_t need = e->bytes();
  Shard& shard = shards_[shard_of(hash)];
  std::lock_guard<std::mutex> g(shard.mu);
  free_passed(shard);
  Retired retired;
  try {
    std::atomic<const Entry*>* slot = shard.owned ? slot_for(*shard.owned, hash) : nullptr;
    const Entry* old = slot != nullptr ? slot->load(std::memory_order_relaxed) : nullptr;
    if (old != nullptr && old != gone()) {
      // Replaced whatever its generation: a racing reader's newer entry
      // lost this way is only a miss later, never a stale answer.
      retired.entries.reserve(1);
      slot->store(e.release(), std::memory_order_seq_cst);
      retired.entries.emplace_back(old);
      account(static_cast<std::ptrdiff_t>(need) - static_cast<std::ptrdiff_t>(old->bytes()));
    } else {
      // Full: make room in this shard, or do without.
      evict_for(shard, need, &retired.entries);
      if (budget_->used.load(std::memory_order_relaxed) + need <= budget_->limit) {
        make_room(shard, &retired.table);
        slot = slot_for(*shard.owned, hash);
        if (slot->load(std::memory_order_relaxed) == nullptr) ++shard.used;
        slot->store(e.release(), std::memory_order_seq_cst);
        ++shard.live;
        account(static_cast<std::ptrdiff_t>(need));
      }
    }
  } catch (const std::bad_alloc&) {
    // Not cached: the next lookup reads the storage again.
  }
  retire(shard, std::move(retired));
}

}  // namespace vipcore::detail
