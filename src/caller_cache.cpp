#include "caller_cache.hpp"

#include <array>
#include <cstring>
#include <new>

namespace vipcore::detail {
namespace {

// What a cached entry costs beyond its text: the entry, its key, and the
// hash node's pointers and cached hash.
constexpr std::size_t kNodeBytes = sizeof(PhoneHash) + 3 * sizeof(void*);

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
  std::size_t n = sizeof(Entry) + kNodeBytes + opened.bytes();
  for (std::uint32_t s : sizes) n += s;
  return n;
}

CallerCache::~CallerCache() {
  if (budget_ != nullptr) budget_->used.fetch_sub(bytes_.load(), std::memory_order_relaxed);
}

void CallerCache::account(std::ptrdiff_t delta) noexcept {
  bytes_.fetch_add(static_cast<std::size_t>(delta), std::memory_order_relaxed);
  budget_->used.fetch_add(static_cast<std::size_t>(delta), std::memory_order_relaxed);
}

std::size_t CallerCache::entries() const noexcept {
  std::size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> g(s.mu);
    n += s.map.size();
  }
  return n;
}

CacheHit CallerCache::find(const PhoneHash& hash, std::uint64_t generation, IdentifyRecord* out, bool* found,
                           std::string* name, std::string* greeting) const noexcept {
  if (!enabled()) return CacheHit::none;
  const Shard& shard = shards_[shard_of(hash)];
  std::lock_guard<std::mutex> g(shard.mu);
  const auto it = shard.map.find(hash);
  if (it == shard.map.end() || it->second.generation != generation) return CacheHit::none;
  const Entry& e = it->second;
  *found = e.vip;
  if (!e.vip) return CacheHit::sealed;
  try {  // assign() into strings of sufficient capacity does not allocate
    const char* p = e.text.get();
    const auto texts = texts_of(*out);
    for (std::size_t i = 0; i < e.sizes.size(); ++i) {
      texts[i]->assign(p, e.sizes[i]);
      p += e.sizes[i];
    }
    if (e.opened) {
      name->assign(e.opened.data(), e.name_size);
      greeting->assign(e.opened.data() + e.name_size, e.greeting_size);
    }
  } catch (const std::bad_alloc&) {
    return CacheHit::none;  // read from the storage instead
  }
  copy_clear_fields(e, out);
  return e.opened ? CacheHit::opened : CacheHit::sealed;
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
  Entry e;
  if (rec != nullptr) {
    if (!fill(*rec, generation, name, greeting, &e)) return;
  } else {
    e.generation = generation;
  }
  const std::size_t need = e.bytes();
  Shard& shard = shards_[shard_of(hash)];
  std::lock_guard<std::mutex> g(shard.mu);
  try {
    auto it = shard.map.find(hash);
    if (it != shard.map.end()) {
      // Replaced whatever its generation: a racing reader's newer entry
      // lost this way is only a miss later, never a stale answer.
      const std::size_t old = it->second.bytes();
      it->second = std::move(e);
      account(static_cast<std::ptrdiff_t>(need) - static_cast<std::ptrdiff_t>(old));
      return;
    }
    // Full: make room in this shard, or do without.
    while (budget_->used.load(std::memory_order_relaxed) + need > budget_->limit && !shard.map.empty()) {
      const auto victim = shard.map.begin();
      account(-static_cast<std::ptrdiff_t>(victim->second.bytes()));
      shard.map.erase(victim);
    }
    if (budget_->used.load(std::memory_order_relaxed) + need > budget_->limit) return;
    shard.map.emplace(hash, std::move(e));
    account(static_cast<std::ptrdiff_t>(need));
  } catch (const std::bad_alloc&) {
    // Not cached: the next lookup reads the storage again.
  }
}

}  // namespace vipcore::detail
