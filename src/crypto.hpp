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
#include "vipcore/storage.hpp"

namespace vipcore::detail {

inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kSealHeader = 1 + 4 + 24;
inline constexpr std::size_t kSealOverhead = kSealHeader + 16;

/// Initializes libsodium once per process; a second call is a cheap no-op.
Status sodium_ready() noexcept;

/// A fixed-size secret in guarded, locked memory that is wiped when freed.
/// Move-only.
class SecretKey {
 public:
  SecretKey();  // allocates; throws std::bad_alloc when it cannot
  SecretKey(SecretKey&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  SecretKey& operator=(SecretKey&& o) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();

  std::uint8_t* data() noexcept { return p_; }
  const std::uint8_t* data() const noexcept { return p_; }

 private:
  std::uint8_t* p_;
};

/// crypto_kdf_derive_from_key(kKeySize, id, "vipcore1", master).
SecretKey kdf(const std::uint8_t* master, std::uint64_t id);
/// BLAKE2b-256 keyed with `root` over `label` "\0" `tenant_id`.
SecretKey tenant_key(const std::uint8_t* root, std::string_view label, std::string_view tenant_id);

/// The keys one tenant works with: its phone-hash key and its data keys by
/// version. Data keys can be added while the keys are in use (key rotation,
/// or another process's rotation discovered on read), so lookups are
/// lock-free reads of atomics and added keys live as long as the object.
///
/// Safe for concurrent access from multiple threads.
class TenantKeys {
 public:
  static constexpr std::uint32_t kMaxVersions = 256;

  /// `refresh` loads key versions this process does not have yet (see refresh()).
  TenantKeys(SecretKey hash, std::function<Status()> refresh);
  TenantKeys(const TenantKeys&) = delete;
  TenantKeys& operator=(const TenantKeys&) = delete;

  const std::uint8_t* hash_key() const noexcept { return hash_.data(); }
  std::uint32_t current_version() const noexcept { return current_.load(std::memory_order_acquire); }
  /// The data key of `version`, or null when it is not loaded.
  const std::uint8_t* data_key(std::uint32_t version) const noexcept;
  /// Adds a data key (a version already present is kept).
  /// REQUIRES: 1 <= version < kMaxVersions.
  void add(std::uint32_t version, SecretKey key);
  /// Makes `version` (which must have been added) the one new fields are sealed with.
  void set_current(std::uint32_t version) noexcept { current_.store(version, std::memory_order_release); }
  /// Asks the database for key versions this process has not loaded:
  /// another process may have rotated the keys.
  Status refresh() const { return refresh_ ? refresh_() : Status::ok(); }

 private:
  SecretKey hash_;
  std::atomic<std::uint32_t> current_{0};
  std::array<std::atomic<const SecretKey*>, kMaxVersions> data_{};
  std::mutex mu_;  // guards owned_
  std::vector<std::unique_ptr<SecretKey>> owned_;
  std::function<Status()> refresh_;
};

/// The database's key ring, unwrapped.
struct KeyRing {
  SecretKey hash_root;
  std::uint32_t current_version = 0;
  std::vector<std::pair<std::uint32_t, SecretKey>> data_roots;

  /// A new key ring derived from the master key (deterministic).
  static KeyRing create(const MasterKey& master);
  /// Serializes the ring wrapped under the master key's KEK.
  std::string wrap(const MasterKey& master) const;
  /// Opens a wrapped ring; Code::key when `master` is not the key it was wrapped with.
  static Result<KeyRing> unwrap(const MasterKey& master, std::string_view wrapped);
  /// Adds a random data root as the next version and makes it current.
  void add_random_version();
  /// A copy in fresh guarded memory.
  KeyRing clone() const;

  /// The tenant's phone-hash key.
  SecretKey tenant_hash_key(std::string_view tenant_id) const;
  /// Adds every data version the tenant's keys lack, and sets the current one.
  void load_into(std::string_view tenant_id, TenantKeys& keys) const;
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
/// True when `s` is a UUID in 8-4-4-4-12 hex form (either case).
bool is_uuid(std::string_view s) noexcept;

}  // namespace vipcore::detail

#endif
