// Cryptography of vipcore: key derivation, phone hashing and field sealing,
// all with libsodium. Private to the library.
//
// Key hierarchy (see README "Security model"):
//
//   master key (integrator's, 32 bytes)
//     └─ crypto_kdf(id 1, ctx "vipcore1") → key-encryption key (KEK)
//          wraps the key ring stored in the database:
//            hash root  (created as crypto_kdf(id 2, "vipcore1") of the master key)
//            data root v (v = 1 created as crypto_kdf(id 3, "vipcore1"); rotation adds random ones)
//   per tenant t:
//     phone-hash key  = BLAKE2b-256(key = hash root,  "vipcore/tenant-hash/1\0" t)
//     data key v      = BLAKE2b-256(key = data root v, "vipcore/tenant-data/1\0" t)
//
// crypto_kdf separates purposes; keyed BLAKE2b (a PRF) separates tenants,
// because crypto_kdf's sub-key ids are 64-bit integers and tenant ids are
// strings.
//
// A sealed field is
//   [0x01][key version: u32 LE][nonce: 24 bytes][XChaCha20-Poly1305 ciphertext + 16-byte tag]
// with associated data
//   "vipcore/field/1\0" tenant "\0" record id "\0" field name "\0" key version (u32 LE)
// so a ciphertext only opens for the tenant, record and field it was made for.
//
// A caller's integrity tag (IntegrityTag, 16 bytes) is
//   BLAKE2b-128(key = the tenant's phone-hash key,
//               "\0vipcore/integrity/1\0" | u16 len, caller id | u8 level | u8 status | u8 rules
//               | u8 flags (1 max wait, 2 valid_from, 4 valid_until) | i32 max wait | i32 callback priority
//               | i64 valid_from ms | i64 valid_until ms | u16 len, agent id | u16 len, department id)
// (integers little-endian). It shares the phone-hash key with phone hashes
// under a separate input domain: a hashed number is E.164 text, which never
// starts with a NUL byte. The phone-hash key is not rotated, so neither are
// the tags: a key rotation leaves them valid and need not touch them. Tags
// bind the values to the caller id and (through the key) to the tenant, so a
// row's clear fields copied to another row fail too.
#ifndef VIPCORE_SRC_CRYPTO_HPP
#define VIPCORE_SRC_CRYPTO_HPP

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "vipcore/keys.hpp"
#include "vipcore/status.hpp"
#include "vipcore/storage_types.hpp"

namespace vipcore {
struct CallerRecord;
struct IdentifyRecord;
}  // namespace vipcore

namespace vipcore::detail {

inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kSealHeader = 1 + 4 + 24;
inline constexpr std::size_t kSealOverhead = kSealHeader + 16;

/// Initializes libsodium once per process; a second call is a cheap no-op.
Status sodium_ready() noexcept;

/// A fixed-size secret (kKeySize bytes) in guarded memory that is wiped when
/// freed. Move-only; a default-constructed or moved-from key is empty.
///
/// Keys do not get a guarded mapping each (sodium_malloc maps three or four
/// regions per allocation, and a process has about 65,000): they are slots
/// of a process-wide arena of sodium_malloc chunks, kArenaChunkKeys keys
/// each, so that a process serving a hundred thousand tenants uses a few
/// mappings. Each chunk has guard pages around it and a canary, is locked
/// in RAM (mlock) and kept out of core dumps when the system allows it.
/// Locked memory is limited (RLIMIT_MEMLOCK): when a chunk cannot be
/// locked, vipcore says so once on standard error, key_memory_stats()
/// reports it, and keys go on in unlocked guarded memory. Freed slots are
/// wiped at once and reused; chunks are kept for the process's lifetime.
class SecretKey {
 public:
  SecretKey() noexcept = default;
  /// A new key (its bytes unspecified); Code::key when no memory can be had.
  static Result<SecretKey> allocate() noexcept;
  SecretKey(SecretKey&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  SecretKey& operator=(SecretKey&& o) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();

  bool empty() const noexcept { return p_ == nullptr; }
  std::uint8_t* data() noexcept { return p_; }
  const std::uint8_t* data() const noexcept { return p_; }

 private:
  std::uint8_t* p_ = nullptr;
};

inline constexpr std::size_t kArenaChunkKeys = 2048;  // 64 KiB of keys per chunk

/// crypto_kdf_derive_from_key(kKeySize, id, "vipcore1", master).
Result<SecretKey> kdf(const std::uint8_t* master, std::uint64_t id);
/// BLAKE2b-256 keyed with `root` over `label` "\0" `tenant_id`.
Result<SecretKey> tenant_key(const std::uint8_t* root, std::string_view label, std::string_view tenant_id);

/// The keys one tenant works with: its phone-hash key and its data keys by
/// version. Data keys can be added while the keys are in use (key rotation,
/// or another process's rotation discovered on read), so readers see an
/// immutable snapshot (the current version and the loaded versions) behind
/// an atomic pointer: a lookup is one acquire load and a scan of a few
/// entries, with no lock and no allocation. Versions are any 32-bit number
/// and there is no limit to how many are loaded over time. Replaced
/// snapshots and the keys of versions dropped from the key ring are kept
/// until the object dies, so that a reader never sees memory freed (a few
/// dozen bytes per rotation).
///
/// Safe for concurrent access from multiple threads.
class TenantKeys {
 public:
  /// `refresh` loads key versions this process does not have yet (see refresh()).
  TenantKeys(SecretKey hash, std::function<Status()> refresh);
  TenantKeys(const TenantKeys&) = delete;
  TenantKeys& operator=(const TenantKeys&) = delete;

  const std::uint8_t* hash_key() const noexcept { return hash_.data(); }
  std::uint32_t current_version() const noexcept { return snapshot_.load(std::memory_order_acquire)->current; }
  /// The data key of `version`, or null when it is not loaded.
  const std::uint8_t* data_key(std::uint32_t version) const noexcept;
  /// Publishes the data keys of `versions` (deriving those not loaded yet
  /// with `derive`) with `current` as the version new fields are sealed
  /// with. Versions loaded before and not listed now (retired by a
  /// rotation) stay readable: a reader may hold a row it read before the
  /// rotation re-encrypted it. Nothing changes when it fails.
  /// REQUIRES: `current` is among `versions`.
  Status publish(const std::vector<std::uint32_t>& versions, std::uint32_t current,
                 const std::function<Result<SecretKey>(std::uint32_t)>& derive);
  /// Asks the database for key versions this process has not loaded:
  /// another process may have rotated the keys.
  Status refresh() const { return refresh_ ? refresh_() : ok_status(); }

 private:
  struct Entry {
    std::uint32_t version;
    const std::uint8_t* key;
  };
  struct Snapshot {
    std::uint32_t current = 0;
    std::vector<Entry> entries;
  };

  SecretKey hash_;
  std::atomic<const Snapshot*> snapshot_;
  std::mutex mu_;  // guards owned_ and snapshots_
  std::vector<std::pair<std::uint32_t, SecretKey>> owned_;
  std::vector<std::unique_ptr<const Snapshot>> snapshots_;
  std::function<Status()> refresh_;
};

/// How the process's key memory is doing (see SecretKey).
struct KeyMemoryStats {
  std::size_t keys_in_use = 0;
  std::size_t chunks = 0;         ///< guarded regions of kArenaChunkKeys keys
  std::size_t unlocked_chunks = 0;  ///< chunks the system refused to lock in RAM
};
KeyMemoryStats key_memory_stats() noexcept;

/// The database's key ring, unwrapped.
struct KeyRing {
  SecretKey hash_root;
  std::uint32_t current_version = 0;
  std::vector<std::pair<std::uint32_t, SecretKey>> data_roots;

  /// A new key ring derived from the master key (deterministic).
  static Result<KeyRing> create(const MasterKey& master);
  /// Serializes the ring wrapped under the master key's KEK.
  Result<std::string> wrap(const MasterKey& master) const;
  /// Opens a wrapped ring; Code::key when `master` is not the key it was wrapped with.
  static Result<KeyRing> unwrap(const MasterKey& master, std::string_view wrapped);
  /// Adds a random data root as the next version and makes it current.
  /// Code::key, before anything changes, when the version numbers (32 bits)
  /// are used up.
  Status add_random_version();
  /// Drops the data roots of retired versions: every version older than the
  /// one before the current one. Called when a rotation has completed, that
  /// is when every sealed field was re-encrypted under the current version;
  /// the version before it is kept for processes that still run with the
  /// previous master key and seal under it until they are restarted.
  void drop_retired_versions();
  /// A copy in fresh guarded memory.
  Result<KeyRing> clone() const;

  /// The tenant's phone-hash key.
  Result<SecretKey> tenant_hash_key(std::string_view tenant_id) const;
  /// Publishes the ring's data versions to the tenant's keys, deriving those
  /// they lack, and sets the current one.
  Status load_into(std::string_view tenant_id, TenantKeys& keys) const;
};

/// The key version a sealed field was sealed with (0 when malformed).
std::uint32_t sealed_version(std::string_view sealed) noexcept;

/// Whether two phone hashes are equal, in constant time (sodium_memcmp).
bool same_hash(const PhoneHash& a, const PhoneHash& b) noexcept;

/// Keyed hash of a number in E.164 form.
void hash_phone(const TenantKeys& keys, std::string_view e164, PhoneHash* out) noexcept;

/// The integrity tag of a caller's clear fields (see the top of this file).
IntegrityTag integrity_tag(const TenantKeys& keys, const CallerRecord& r) noexcept;
/// Whether a record's tag matches its fields, in constant time. Allocation-free.
bool integrity_ok(const TenantKeys& keys, const CallerRecord& r) noexcept;
bool integrity_ok(const TenantKeys& keys, const IdentifyRecord& r) noexcept;

/// Seals `plaintext` for (tenant, record id, field) under the tenant's current data key.
Sealed seal(const TenantKeys& keys, std::string_view tenant_id, std::string_view record_id, std::string_view field,
            std::string_view plaintext);
/// Opens a sealed field into *out (reusing its capacity). Code::integrity when
/// the ciphertext is not one sealed for exactly this tenant, record and field.
Status open(const TenantKeys& keys, std::string_view tenant_id, std::string_view record_id, std::string_view field,
            std::string_view sealed, std::string* out);

/// A random UUIDv4 in its 36-character text form.
std::string new_uuid();
/// `n` random UUIDv4s (as new_uuid makes them), in increasing order: a bulk
/// import gives them to its rows in row order, so that its inserts follow
/// the key order of the caller table.
std::vector<std::string> new_sorted_uuids(std::size_t n);
/// True when `s` is a UUID in 8-4-4-4-12 hex form (either case).
bool is_uuid(std::string_view s) noexcept;

}  // namespace vipcore::detail

#endif
