#include "crypto.hpp"

#include "vipcore/storage.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <atomic>
#include <cstring>
#include <mutex>
#include <new>

namespace vipcore::detail {
namespace {

constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "vipcore1";
constexpr std::uint64_t kKdfKek = 1;
constexpr std::uint64_t kKdfHashRoot = 2;
constexpr std::uint64_t kKdfDataRoot1 = 3;
constexpr std::uint8_t kSealFormat = 1;
constexpr std::string_view kFieldLabel = "vipcore/field/1";
constexpr std::string_view kRingMagic = "VKR1";

static_assert(kKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kSealHeader == 1 + 4 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kSealOverhead == kSealHeader + crypto_aead_xchacha20poly1305_ietf_ABYTES);

void put_u32(std::uint8_t* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get_u32(const std::uint8_t* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(p[i]) << (8 * i);
  return v;
}

const unsigned char* bytes(std::string_view s) noexcept { return reinterpret_cast<const unsigned char*>(s.data()); }

// Associated data of a sealed field, built on the stack for the usual sizes
// so that opening a field on the identify path does not allocate.
class FieldAd {
 public:
  FieldAd(std::string_view tenant, std::string_view record, std::string_view field, std::uint32_t version) {
    const std::size_t need = kFieldLabel.size() + tenant.size() + record.size() + field.size() + 4 + 4;
    std::uint8_t* p = need <= sizeof local_ ? local_ : (heap_.resize(need), heap_.data());
    data_ = p;
    auto append = [&p](std::string_view s) {
      std::memcpy(p, s.data(), s.size());
      p += s.size();
      *p++ = 0;
    };
    append(kFieldLabel);
    append(tenant);
    append(record);
    append(field);
    put_u32(p, version);
    size_ = need;
  }
  const std::uint8_t* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 private:
  std::uint8_t local_[384];
  std::vector<std::uint8_t> heap_;
  const std::uint8_t* data_;
  std::size_t size_;
};

// randombytes_buf costs a getrandom() system call per call, and sealing a
// field and minting an id happen for every row of a bulk import. So nonces
// and ids come from a per-thread pool refilled 4 KiB at a time; used bytes
// are wiped. A forked child must never reuse bytes its parent buffered (a
// repeated nonce under one key breaks XChaCha20-Poly1305), so a fork bumps a
// generation that empties every pool.
std::atomic<unsigned> g_fork_generation{0};

void pooled_random(void* out, std::size_t n) {
  static std::once_flag registered;
  std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, [] { g_fork_generation.fetch_add(1); }); });
  struct Pool {
    std::uint8_t bytes[4096];
    std::size_t used = sizeof bytes;
    unsigned generation = 0;
  };
  thread_local Pool pool;
  if (n > sizeof pool.bytes / 8) {
    randombytes_buf(out, n);
    return;
  }
  const unsigned generation = g_fork_generation.load(std::memory_order_acquire);
  if (pool.generation != generation || sizeof pool.bytes - pool.used < n) {
    randombytes_buf(pool.bytes, sizeof pool.bytes);
    pool.used = 0;
    pool.generation = generation;
  }
  std::memcpy(out, pool.bytes + pool.used, n);
  sodium_memzero(pool.bytes + pool.used, n);
  pool.used += n;
}

std::string ring_ad(char kind, std::uint32_t version) {
  std::string ad = "vipcore/keyring/1";
  ad.push_back('\0');
  ad.push_back(kind);
  std::uint8_t v[4];
  put_u32(v, version);
  ad.append(reinterpret_cast<const char*>(v), 4);
  return ad;
}

}  // namespace

Status sodium_ready() noexcept {
  // sodium_init is thread-safe and returns 1 when already initialized.
  static const int rc = sodium_init();
  if (rc < 0) return Status::key_error("libsodium could not be initialized (no system random source?)");
  return ok_status();
}

namespace {

// The process-wide arena behind SecretKey. Leaked on purpose: keys may be
// freed by static destructors after main returns.
class KeyArena {
 public:
  static KeyArena& instance() {
    static KeyArena* arena = new KeyArena();
    return *arena;
  }

  std::uint8_t* take() noexcept {
    std::lock_guard<std::mutex> g(mu_);
    if (free_.empty() && !grow()) return nullptr;
    std::uint8_t* p = free_.back();
    free_.pop_back();
    ++in_use_;
    return p;
  }

  void give(std::uint8_t* p) noexcept {
    sodium_memzero(p, kKeySize);
    std::lock_guard<std::mutex> g(mu_);
    free_.push_back(p);  // never reallocates: capacity covers every slot
    --in_use_;
  }

  KeyMemoryStats stats() noexcept {
    std::lock_guard<std::mutex> g(mu_);
    return KeyMemoryStats{in_use_, chunks_, unlocked_};
  }

 private:
  // REQUIRES: mu_ held.
  bool grow() noexcept {
    constexpr std::size_t kBytes = kArenaChunkKeys * kKeySize;
    try {
      free_.reserve((chunks_ + 1) * kArenaChunkKeys);
    } catch (...) {
      return false;
    }
    auto* chunk = static_cast<std::uint8_t*>(sodium_malloc(kBytes));
    if (chunk == nullptr) return false;
    // sodium_malloc tries to lock the memory but does not say whether it
    // could; ask again (mlock of locked pages is a no-op) to find out.
    if (sodium_mlock(chunk, kBytes) != 0) {
      ++unlocked_;
      if (!warned_) {
        warned_ = true;
        std::fprintf(stderr,
                     "vipcore: warning: key memory could not be locked in RAM (%s; RLIMIT_MEMLOCK too low?): keys "
                     "may be written to swap\n",
                     std::strerror(errno));
      }
    }
    ++chunks_;
    for (std::size_t i = kArenaChunkKeys; i-- > 0;) free_.push_back(chunk + i * kKeySize);
    return true;
  }

  std::mutex mu_;
  std::vector<std::uint8_t*> free_;
  std::size_t in_use_ = 0;
  std::size_t chunks_ = 0;
  std::size_t unlocked_ = 0;
  bool warned_ = false;
};

}  // namespace

KeyMemoryStats key_memory_stats() noexcept { return KeyArena::instance().stats(); }

Result<SecretKey> SecretKey::allocate() noexcept {
  if (Status s = sodium_ready(); !s.ok()) return s;
  SecretKey k;
  k.p_ = KeyArena::instance().take();
  if (k.p_ == nullptr) return Status::key_error("no memory for a key (guarded key memory could not be allocated)");
  return k;
}

SecretKey& SecretKey::operator=(SecretKey&& o) noexcept {
  if (this != &o) {
    if (p_ != nullptr) KeyArena::instance().give(p_);
    p_ = o.p_;
    o.p_ = nullptr;
  }
  return *this;
}

SecretKey::~SecretKey() {
  if (p_ != nullptr) KeyArena::instance().give(p_);  // wipes
}

Result<SecretKey> kdf(const std::uint8_t* master, std::uint64_t id) {
  auto k = SecretKey::allocate();
  if (!k.ok()) return k;
  crypto_kdf_derive_from_key(k->data(), kKeySize, id, kKdfContext, master);
  return k;
}

Result<SecretKey> tenant_key(const std::uint8_t* root, std::string_view label, std::string_view tenant_id) {
  auto k = SecretKey::allocate();
  if (!k.ok()) return k;
  crypto_generichash_state st;
  crypto_generichash_init(&st, root, kKeySize, kKeySize);
  crypto_generichash_update(&st, bytes(label), label.size());
  const unsigned char zero = 0;
  crypto_generichash_update(&st, &zero, 1);
  crypto_generichash_update(&st, bytes(tenant_id), tenant_id.size());
  crypto_generichash_final(&st, k->data(), kKeySize);
  sodium_memzero(&st, sizeof st);
  return k;
}

TenantKeys::TenantKeys(SecretKey hash, std::function<Status()> refresh)
    : hash_(std::move(hash)), refresh_(std::move(refresh)) {
  snapshots_.push_back(std::make_unique<const Snapshot>());
  snapshot_.store(snapshots_.back().get(), std::memory_order_release);
}

const std::uint8_t* TenantKeys::data_key(std::uint32_t version) const noexcept {
  const Snapshot* snap = snapshot_.load(std::memory_order_acquire);
  for (const Entry& e : snap->entries)
    if (e.version == version) return e.key;
  return nullptr;
}

Status TenantKeys::publish(const std::vector<std::uint32_t>& versions, std::uint32_t current,
                           const std::function<Result<SecretKey>(std::uint32_t)>& derive) {
  try {
    std::lock_guard<std::mutex> g(mu_);
    const Snapshot* old = snapshot_.load(std::memory_order_acquire);
    auto next = std::make_unique<Snapshot>();
    next->current = current;
    next->entries.reserve(versions.size() + old->entries.size());
    std::vector<std::pair<std::uint32_t, SecretKey>> derived;
    for (std::uint32_t v : versions) {
      auto owned = std::find_if(owned_.begin(), owned_.end(), [v](const auto& o) { return o.first == v; });
      if (owned != owned_.end()) {
        next->entries.push_back(Entry{v, owned->second.data()});
        continue;
      }
      auto key = derive(v);
      if (!key.ok()) return key.status();
      next->entries.push_back(Entry{v, key->data()});
      derived.emplace_back(v, std::move(*key));
    }
    // Versions the ring no longer lists stay readable: a reader may hold a
    // row it read before a rotation re-encrypted it and retired its version.
    for (const Entry& e : old->entries)
      if (std::find(versions.begin(), versions.end(), e.version) == versions.end()) next->entries.push_back(e);
    if (old->current == next->current && old->entries.size() == next->entries.size() &&
        std::equal(old->entries.begin(), old->entries.end(), next->entries.begin(),
                   [](const Entry& a, const Entry& b) { return a.version == b.version && a.key == b.key; }))
      return ok_status();  // nothing new
    owned_.reserve(owned_.size() + derived.size());
    snapshots_.reserve(snapshots_.size() + 1);
    for (auto& d : derived) owned_.push_back(std::move(d));
    snapshots_.push_back(std::move(next));
    snapshot_.store(snapshots_.back().get(), std::memory_order_release);
    return ok_status();
  } catch (const std::bad_alloc&) {
    return Status::key_error("no memory to load the tenant's keys");
  }
}

Result<KeyRing> KeyRing::create(const MasterKey& master) {
  KeyRing ring;
  auto hash_root = kdf(master.data(), kKdfHashRoot);
  if (!hash_root.ok()) return hash_root.status();
  auto data_root = kdf(master.data(), kKdfDataRoot1);
  if (!data_root.ok()) return data_root.status();
  ring.hash_root = std::move(*hash_root);
  ring.current_version = 1;
  ring.data_roots.emplace_back(1, std::move(*data_root));
  return ring;
}

Result<std::string> KeyRing::wrap(const MasterKey& master) const {
  auto kek = kdf(master.data(), kKdfKek);
  if (!kek.ok()) return kek.status();
  std::string out(kRingMagic);
  auto add_entry = [&](char kind, std::uint32_t version, const SecretKey& key) {
    std::uint8_t header[1 + 4];
    header[0] = static_cast<std::uint8_t>(kind);
    put_u32(header + 1, version);
    out.append(reinterpret_cast<const char*>(header), sizeof header);
    std::uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
    randombytes_buf(nonce, sizeof nonce);
    std::uint8_t ct[kKeySize + crypto_aead_xchacha20poly1305_ietf_ABYTES];
    unsigned long long ct_len = 0;
    const std::string ad = ring_ad(kind, version);
    crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ct_len, key.data(), kKeySize, bytes(ad), ad.size(), nullptr,
                                               nonce, kek->data());
    out.append(reinterpret_cast<const char*>(nonce), sizeof nonce);
    out.append(reinterpret_cast<const char*>(ct), static_cast<std::size_t>(ct_len));
  };
  add_entry('H', 0, hash_root);
  for (const auto& [v, k] : data_roots) add_entry('D', v, k);
  return out;
}

Result<KeyRing> KeyRing::unwrap(const MasterKey& master, std::string_view wrapped) {
  constexpr std::size_t kEntry = 1 + 4 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + kKeySize +
                                 crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (wrapped.substr(0, kRingMagic.size()) != kRingMagic || (wrapped.size() - kRingMagic.size()) % kEntry != 0)
    return Status::key_error("the database's key ring is malformed");
  auto kek = kdf(master.data(), kKdfKek);
  if (!kek.ok()) return kek.status();
  KeyRing ring;
  bool have_hash = false;
  for (std::size_t off = kRingMagic.size(); off < wrapped.size(); off += kEntry) {
    const auto* e = bytes(wrapped) + off;
    const char kind = static_cast<char>(e[0]);
    const std::uint32_t version = get_u32(e + 1);
    const std::uint8_t* nonce = e + 5;
    const std::uint8_t* ct = nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    const std::string ad = ring_ad(kind, version);
    auto key = SecretKey::allocate();
    if (!key.ok()) return key.status();
    unsigned long long len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(key->data(), &len, nullptr, ct,
                                                   kKeySize + crypto_aead_xchacha20poly1305_ietf_ABYTES,
                                                   bytes(ad), ad.size(), nonce, kek->data()) != 0)
      return Status::key_error("the master key does not open this database (it was created with another key)");
    if (kind == 'H') {
      ring.hash_root = std::move(*key);
      have_hash = true;
    } else if (kind == 'D' && version != 0) {
      if (version > ring.current_version) ring.current_version = version;
      ring.data_roots.emplace_back(version, std::move(*key));
    } else {
      return Status::key_error("the database's key ring has an unknown entry");
    }
  }
  if (!have_hash || ring.data_roots.empty()) return Status::key_error("the database's key ring is incomplete");
  return ring;
}

Status KeyRing::add_random_version() {
  std::uint32_t last = current_version;
  for (const auto& [v, root] : data_roots) last = std::max(last, v);
  if (last == UINT32_MAX)
    return Status::key_error(fmt::format("the key ring has reached the last key version ({}); nothing was changed", last));
  auto k = SecretKey::allocate();
  if (!k.ok()) return k.status();
  randombytes_buf(k->data(), kKeySize);
  data_roots.emplace_back(last + 1, std::move(*k));
  current_version = last + 1;
  return ok_status();
}

void KeyRing::drop_retired_versions() {
  std::uint32_t previous = 0;
  for (const auto& [v, root] : data_roots)
    if (v < current_version) previous = std::max(previous, v);
  data_roots.erase(std::remove_if(data_roots.begin(), data_roots.end(),
                                  [&](const auto& e) { return e.first != current_version && e.first != previous; }),
                   data_roots.end());
}

Result<KeyRing> KeyRing::clone() const {
  KeyRing out;
  auto h = SecretKey::allocate();
  if (!h.ok()) return h.status();
  out.hash_root = std::move(*h);
  std::memcpy(out.hash_root.data(), hash_root.data(), kKeySize);
  out.current_version = current_version;
  for (const auto& [v, root] : data_roots) {
    auto k = SecretKey::allocate();
    if (!k.ok()) return k.status();
    std::memcpy(k->data(), root.data(), kKeySize);
    out.data_roots.emplace_back(v, std::move(*k));
  }
  return out;
}

Result<SecretKey> KeyRing::tenant_hash_key(std::string_view tenant_id) const {
  return tenant_key(hash_root.data(), "vipcore/tenant-hash/1", tenant_id);
}

Status KeyRing::load_into(std::string_view tenant_id, TenantKeys& keys) const {
  std::vector<std::uint32_t> versions;
  try {
    versions.reserve(data_roots.size());
  } catch (const std::bad_alloc&) {
    return Status::key_error("no memory to load the tenant's keys");
  }
  for (const auto& [v, root] : data_roots) versions.push_back(v);
  return keys.publish(versions, current_version, [&](std::uint32_t version) -> Result<SecretKey> {
    for (const auto& [v, root] : data_roots)
      if (v == version) return tenant_key(root.data(), "vipcore/tenant-data/1", tenant_id);
    return Status::internal_error("a key version vanished from the key ring");
  });
}

std::uint32_t sealed_version(std::string_view sealed) noexcept {
  if (sealed.size() < kSealOverhead || static_cast<std::uint8_t>(sealed[0]) != kSealFormat) return 0;
  return get_u32(bytes(sealed) + 1);
}

bool same_hash(const PhoneHash& a, const PhoneHash& b) noexcept { return sodium_memcmp(a.data(), b.data(), a.size()) == 0; }

void hash_phone(const TenantKeys& keys, std::string_view e164, PhoneHash* out) noexcept {
  crypto_generichash(out->data(), out->size(), bytes(e164), e164.size(), keys.hash_key(), kKeySize);
}

namespace {

constexpr char kIntegrityLabel[] = "\0vipcore/integrity/1";  // sizeof includes the closing NUL

template <typename Record>
IntegrityTag compute_tag(const TenantKeys& keys, const Record& r, std::string_view id) noexcept {
  crypto_generichash_state st;
  crypto_generichash_init(&st, keys.hash_key(), kKeySize, std::tuple_size_v<IntegrityTag>);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kIntegrityLabel), sizeof kIntegrityLabel);
  std::uint8_t fixed[4 + 4 + 4 + 8 + 8];
  auto put = [](std::uint8_t* p, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  auto text = [&](std::string_view s) {
    std::uint8_t len[2];
    put(len, s.size(), 2);
    crypto_generichash_update(&st, len, sizeof len);
    crypto_generichash_update(&st, bytes(s), s.size());
  };
  text(id);
  put(fixed, static_cast<std::uint64_t>(r.vip_level), 1);
  put(fixed + 1, static_cast<std::uint64_t>(r.status), 1);
  put(fixed + 2, r.handling_rules.bits(), 1);
  put(fixed + 3, (r.max_wait_time ? 1u : 0u) | (r.valid_from ? 2u : 0u) | (r.valid_until ? 4u : 0u), 1);
  put(fixed + 4, static_cast<std::uint32_t>(r.max_wait_time.value_or(0)), 4);
  put(fixed + 8, static_cast<std::uint32_t>(r.callback_priority), 4);
  put(fixed + 12, static_cast<std::uint64_t>(r.valid_from ? to_unix_ms(*r.valid_from) : 0), 8);
  put(fixed + 20, static_cast<std::uint64_t>(r.valid_until ? to_unix_ms(*r.valid_until) : 0), 8);
  crypto_generichash_update(&st, fixed, sizeof fixed);
  text(r.preferred_agent_id);
  text(r.preferred_department_id);
  IntegrityTag tag;
  crypto_generichash_final(&st, tag.data(), tag.size());
  return tag;
}

template <typename Record>
bool tag_matches(const TenantKeys& keys, const Record& r, std::string_view id) noexcept {
  const IntegrityTag want = compute_tag(keys, r, id);
  return sodium_memcmp(want.data(), r.integrity.data(), want.size()) == 0;
}

}  // namespace

IntegrityTag integrity_tag(const TenantKeys& keys, const CallerRecord& r) noexcept { return compute_tag(keys, r, r.id); }
bool integrity_ok(const TenantKeys& keys, const CallerRecord& r) noexcept { return tag_matches(keys, r, r.id); }
bool integrity_ok(const TenantKeys& keys, const IdentifyRecord& r) noexcept {
  return tag_matches(keys, r, r.caller_id);
}

Sealed seal(const TenantKeys& keys, std::string_view tenant_id, std::string_view record_id, std::string_view field,
            std::string_view plaintext) {
  const std::uint32_t version = keys.current_version();
  const std::uint8_t* key = keys.data_key(version);
  Sealed out(kSealOverhead + plaintext.size(), '\0');
  auto* p = reinterpret_cast<std::uint8_t*>(out.data());
  p[0] = kSealFormat;
  put_u32(p + 1, version);
  pooled_random(p + 5, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const FieldAd ad(tenant_id, record_id, field, version);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(p + kSealHeader, &len, bytes(plaintext), plaintext.size(), ad.data(),
                                             ad.size(), nullptr, p + 5, key);
  return out;
}

Status open(const TenantKeys& keys, std::string_view tenant_id, std::string_view record_id, std::string_view field,
            std::string_view sealed, std::string* out) {
  if (sealed.size() < kSealOverhead || static_cast<std::uint8_t>(sealed[0]) != kSealFormat)
    return Status::integrity_error("a stored field is malformed");
  const auto* p = bytes(sealed);
  const std::uint32_t version = get_u32(p + 1);
  const std::uint8_t* key = keys.data_key(version);
  if (key == nullptr) {
    // Sealed under a key version this process has not loaded: another
    // process may have rotated the keys. Load them, once, and look again.
    if (Status s = keys.refresh(); !s.ok()) return s;
    key = keys.data_key(version);
    if (key == nullptr)
      return Status::integrity_error(fmt::format(
          "a stored field was sealed with key version {}, which the database's key ring does not hold", version));
  }
  const FieldAd ad(tenant_id, record_id, field, version);
  out->resize(sealed.size() - kSealOverhead);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(out->data()), &len, nullptr,
                                                 p + kSealHeader, sealed.size() - kSealHeader, ad.data(), ad.size(),
                                                 p + 5, key) != 0) {
    out->clear();
    return Status::integrity_error(
        "a stored field failed authentication: it was altered or moved from another record, field or tenant");
  }
  return ok_status();
}

namespace {

using UuidBytes = std::array<std::uint8_t, 16>;

UuidBytes random_uuid_bytes() {
  UuidBytes b;
  pooled_random(b.data(), b.size());
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return b;
}

// Lower-case hex, so the text sorts as the bytes do.
std::string uuid_text(const UuidBytes& b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[b[i] >> 4]);
    s.push_back(kHex[b[i] & 0xf]);
  }
  return s;
}

}  // namespace

std::string new_uuid() { return uuid_text(random_uuid_bytes()); }

std::vector<std::string> new_sorted_uuids(std::size_t n) {
  std::vector<UuidBytes> bytes(n);
  for (UuidBytes& b : bytes) b = random_uuid_bytes();
  std::sort(bytes.begin(), bytes.end());
  std::vector<std::string> ids;
  ids.reserve(n);
  for (const UuidBytes& b : bytes) ids.push_back(uuid_text(b));
  return ids;
}

bool is_uuid(std::string_view s) noexcept {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace vipcore::detail
