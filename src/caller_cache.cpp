#include "caller_cache.hpp"

#include <cstring>
#include <new>

namespace vipcore::detail {
namespace {

// What a cached entry costs beyond its text: the entry, its key, and the
// hash node's pointers and cached hash.
constexpr std::size_t kNodeBytes = sizeof(PhoneHash) + 3 * sizeof(void*);

}  // namespace

std::size_t CallerCache::Entry::bytes() const noexcept {
  std::size_t n = sizeof(Entry) + kNodeBytes;
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

bool CallerCache::find(const PhoneHash& hash, std::uint64_t generation, IdentifyRecord* out,
                       bool* found) const noexcept {
  if (!enabled()) return false;
  const Shard& shard = shards_[shard_of(hash)];
  std::lock_guard<std::mutex> g(shard.mu);
  const auto it = shard.map.find(hash);
  if (it == shard.map.end() || it->second.generation != generation) return false;
  const Entry& e = it->second;
  *found = e.vip;
  if (!e.vip) return true;
  try {  // assign() into strings of sufficient capacity does not allocate
    const char* p = e.text.get();
    std::string* texts[] = {&out->caller_id, &out->preferred_agent_id, &out->preferred_department_id,
                            &out->caller_name, &out->custom_greeting};
    for (std::size_t i = 0; i < e.sizes.size(); ++i) {
      texts[i]->assign(p, e.sizes[i]);
      p += e.sizes[i];
    }
  } catch (const std::bad_alloc&) {
    return false;  // read from the storage instead
  }
  out->vip_level = e.vip_level;
  out->status = e.status;
  out->handling_rules = e.handling_rules;
  out->max_wait_time = e.max_wait_time;
  out->callback_priority = e.callback_priority;
  out->valid_from = e.valid_from;
  out->valid_until = e.valid_until;
  return true;
}

bool CallerCache::fill(const IdentifyRecord& rec, std::uint64_t generation, Entry* e) {
  const std::string* texts[] = {&rec.caller_id, &rec.preferred_agent_id, &rec.preferred_department_id,
                                &rec.caller_name, &rec.custom_greeting};
  std::size_t total = 0;
  for (const std::string* t : texts) total += t->size();
  e->text.reset(new (std::nothrow) char[total == 0 ? 1 : total]);
  if (!e->text) return false;
  char* p = e->text.get();
  for (std::size_t i = 0; i < e->sizes.size(); ++i) {
    e->sizes[i] = static_cast<std::uint32_t>(texts[i]->size());
    std::memcpy(p, texts[i]->data(), texts[i]->size());
    p += texts[i]->size();
  }
  e->generation = generation;
  e->vip = true;
  e->vip_level = rec.vip_level;
  e->status = rec.status;
  e->handling_rules = rec.handling_rules;
  e->max_wait_time = rec.max_wait_time;
  e->callback_priority = rec.callback_priority;
  e->valid_from = rec.valid_from;
  e->valid_until = rec.valid_until;
  return true;
}

void CallerCache::store(const PhoneHash& hash, std::uint64_t generation, const IdentifyRecord* rec) noexcept {
  if (!enabled()) return;
  Entry e;
  if (rec != nullptr) {
    if (!fill(*rec, generation, &e)) return;
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
