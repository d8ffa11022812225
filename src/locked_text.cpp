#include "locked_text.hpp"

#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

namespace vipcore::detail {
namespace {

// Locked text of every arena of the process, against the one RLIMIT_MEMLOCK.
std::atomic<std::size_t> g_locked_bytes{0};

std::size_t default_limit() noexcept {
  struct rlimit rl {};
  if (geteuid() == 0 || getrlimit(RLIMIT_MEMLOCK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return std::numeric_limits<std::size_t>::max();  // a failing mlock still stops the arena
  return static_cast<std::size_t>(rl.rlim_cur / 2);
}

void warn_once(const char* why) noexcept {
  static std::atomic<bool> warned{false};
  if (warned.exchange(true)) return;
  std::fprintf(stderr,
               "vipcore: warning: the identify cache can lock no more memory for decrypted names and greetings "
               "(%s); further VIPs are cached sealed and opened on each call\n",
               why);
}

}  // namespace

LockedTextArena::LockedTextArena(std::size_t limit_bytes) noexcept
    : limit_(limit_bytes == 0 ? default_limit() : limit_bytes) {
  if (sodium_init() < 0) exhausted_ = true;  // sodium_malloc needs it; a second call is a no-op
}

LockedTextArena::~LockedTextArena() {
  for (void* chunk : chunks_) sodium_free(chunk);  // wipes, unlocks, unmaps
  g_locked_bytes.fetch_sub(chunks_.size() * kChunkBytes, std::memory_order_relaxed);
}

std::size_t LockedTextArena::class_of(std::size_t size) noexcept {
  std::size_t cls = 0;
  while (cls < kClasses && slot_bytes(cls) < size) ++cls;
  return cls;
}

bool LockedTextArena::grow(std::size_t cls) noexcept {
  if (exhausted_) return false;
  const std::size_t before = g_locked_bytes.fetch_add(kChunkBytes, std::memory_order_relaxed);
  if (before + kChunkBytes > limit_) {
    g_locked_bytes.fetch_sub(kChunkBytes, std::memory_order_relaxed);
    exhausted_ = true;
    warn_once("half of RLIMIT_MEMLOCK reached; the rest is left to keys");
    return false;
  }
  try {
    chunks_.reserve(chunks_.size() + 1);
  } catch (...) {
    g_locked_bytes.fetch_sub(kChunkBytes, std::memory_order_relaxed);
    return false;
  }
  auto* chunk = static_cast<char*>(sodium_malloc(kChunkBytes));
  // sodium_malloc tries to lock and does not say whether it could: ask again.
  if (chunk != nullptr && sodium_mlock(chunk, kChunkBytes) != 0) {
    const int err = errno;
    sodium_free(chunk);
    chunk = nullptr;
    exhausted_ = true;
    warn_once(std::strerror(err));
  }
  if (chunk == nullptr) {
    g_locked_bytes.fetch_sub(kChunkBytes, std::memory_order_relaxed);
    return false;
  }
  chunks_.push_back(chunk);
  next_[cls] = chunk;
  end_[cls] = chunk + kChunkBytes;
  return true;
}

char* LockedTextArena::take(std::size_t cls) noexcept {
  if (cls >= kClasses) return nullptr;
  std::lock_guard<std::mutex> g(mu_);
  if (char* slot = free_[cls]; slot != nullptr) {
    std::memcpy(&free_[cls], slot, sizeof(char*));
    sodium_memzero(slot, sizeof(char*));
    return slot;
  }
  const std::size_t bytes = slot_bytes(cls);
  if (static_cast<std::size_t>(end_[cls] - next_[cls]) < bytes && !grow(cls)) return nullptr;
  char* slot = next_[cls];
  next_[cls] += bytes;
  return slot;
}

void LockedTextArena::give(char* slot, std::size_t cls) noexcept {
  sodium_memzero(slot, slot_bytes(cls));
  std::lock_guard<std::mutex> g(mu_);
  std::memcpy(slot, &free_[cls], sizeof(char*));
  free_[cls] = slot;
}

std::size_t LockedTextArena::locked_bytes() const noexcept {
  std::lock_guard<std::mutex> g(mu_);
  return chunks_.size() * kChunkBytes;
}

bool LockedTextArena::exhausted() const noexcept {
  std::lock_guard<std::mutex> g(mu_);
  return exhausted_;
}

LockedText& LockedText::operator=(LockedText&& o) noexcept {
  if (this != &o) {
    reset();
    arena_ = o.arena_;
    slot_ = o.slot_;
    cls_ = o.cls_;
    o.slot_ = nullptr;
  }
  return *this;
}

void LockedText::reset() noexcept {
  if (slot_ != nullptr) arena_->give(slot_, cls_);
  slot_ = nullptr;
}

}  // namespace vipcore::detail
