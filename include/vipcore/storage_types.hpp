// vipcore — what storage keeps in place of secrets: phone numbers as keyed
// hashes, sensitive fields as sealed ciphertexts, and the integrity tag of
// a caller's clear fields. The storage interface (storage.hpp) and the
// crypto that makes them share these types.
#ifndef VIPCORE_STORAGE_TYPES_HPP
#define VIPCORE_STORAGE_TYPES_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace vipcore {

/// A keyed BLAKE2b hash of a number in E.164 form, under the tenant's hash key.
using PhoneHash = std::array<std::uint8_t, 32>;

/// A hash function for PhoneHash keys in unordered containers. The hash is
/// uniformly distributed already, so its first bytes will do.
struct PhoneHashHasher {
  std::size_t operator()(const PhoneHash& h) const noexcept {
    std::size_t v;
    std::memcpy(&v, h.data(), sizeof v);
    return v;
  }
};

/// A keyed MAC (format in src/crypto.hpp) over a caller's id and the clear
/// fields that identify and routing trust: level, status, handling rules,
/// preferred agent and department, max wait time, callback priority and the
/// validity window. vipcore computes it before a write and checks it on every
/// read, so a row edited outside vipcore reads as Code::integrity. A backend
/// stores it with the caller and hands it back unchanged (in IdentifyRecord
/// too). All zero: not computed (a database from before schema version 4
/// until vipcore has tagged its callers at open).
using IntegrityTag = std::array<std::uint8_t, 16>;

/// An encrypted and authenticated field (format in src/crypto.hpp), as bytes.
/// Empty means the field is not set.
using Sealed = std::string;

}  // namespace vipcore

#endif  // VIPCORE_STORAGE_TYPES_HPP
