// vipcore — the master key.
//
// The integrator owns one 32-byte master key per database. vipcore derives
// from it, with libsodium's crypto_kdf, a key-encryption key that protects the
// database's key ring: the phone-hash key and the field-encryption keys, which
// vipcore stores only in wrapped (encrypted) form. Opening a database with a
// different master key fails at once with Code::key.
//
// A key file holds the key as 64 hexadecimal characters and an optional
// newline, and must not be readable by group or others (mode 0600 or 0400).
// Make one with:
//
//     (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > vipcore.key)
//
// or MasterKey::generate() followed by MasterKey::write_file().
//
// The key lives in memory allocated with sodium_malloc (locked, guarded,
// wiped when freed). Threading: a MasterKey is immutable; it may be read from
// several threads at once.
#ifndef VIPCORE_KEYS_HPP
#define VIPCORE_KEYS_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "vipcore/export.h"
#include "vipcore/status.hpp"

namespace vipcore {

class VIPCORE_EXPORT MasterKey {
 public:
  static constexpr std::size_t kSize = 32;

  /// Copies `size` bytes; `size` must be kSize.
  static Result<MasterKey> from_bytes(const void* data, std::size_t size);
  /// Parses 64 hexadecimal characters (surrounding whitespace is ignored).
  static Result<MasterKey> from_hex(std::string_view hex);
  /// Reads a key file (see above). Refuses a file readable by group or others.
  static Result<MasterKey> from_file(const std::string& path);
  /// A new random key from the operating system's generator.
  static Result<MasterKey> generate();
  /// A key derived from `seed` by BLAKE2b: the same seed gives the same key,
  /// so tests are reproducible. Never use it for real data.
  static Result<MasterKey> for_testing(std::string_view seed);

  /// Writes the key to a new file with mode 0600 as 64 hex characters and a
  /// newline. Refuses to overwrite an existing file (Code::already_exists).
  Status write_file(const std::string& path) const;

  /// A short, non-secret identifier of the key (16 hex characters of a
  /// keyed hash), to tell keys apart in logs. It reveals nothing of the key.
  std::string fingerprint() const;

  MasterKey(MasterKey&& other) noexcept;
  MasterKey& operator=(MasterKey&& other) noexcept;
  MasterKey(const MasterKey&) = delete;
  MasterKey& operator=(const MasterKey&) = delete;
  ~MasterKey();

  /// A copy in fresh guarded memory.
  MasterKey clone() const;

  // Every factory returns Code::key on failure (bad size, bad hex, unreadable
  // file, libsodium unavailable); messages never contain key material.
  /// The key bytes (kSize of them). Valid while this object lives.
  const std::uint8_t* data() const noexcept { return bytes_; }

 private:
  MasterKey();  // allocates guarded memory
  std::uint8_t* bytes_ = nullptr;
};

}  // namespace vipcore

#endif  // VIPCORE_KEYS_HPP
