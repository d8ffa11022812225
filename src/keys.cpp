#include "vipcore/keys.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>

#include <fmt/format.h>

#include "crypto.hpp"
#include "text.hpp"

namespace vipcore {

// On failure bytes_ stays null: the factories report Code::key, and an empty
// key is refused wherever a key is used (as a moved-from one is).
MasterKey::MasterKey() { bytes_ = static_cast<std::uint8_t*>(sodium_malloc(kSize)); }

namespace {
Status no_key_memory() { return Status::key_error("master key: no memory for the key (sodium_malloc failed)"); }
}  // namespace

MasterKey::MasterKey(MasterKey&& other) noexcept : bytes_(other.bytes_) { other.bytes_ = nullptr; }

MasterKey& MasterKey::operator=(MasterKey&& other) noexcept {
  if (this != &other) {
    sodium_free(bytes_);
    bytes_ = other.bytes_;
    other.bytes_ = nullptr;
  }
  return *this;
}

MasterKey::~MasterKey() { sodium_free(bytes_); }

MasterKey MasterKey::clone() const {
  MasterKey k;
  if (k.bytes_ == nullptr) return k;  // empty: out of guarded memory
  if (bytes_ == nullptr) {          // a copy of an empty key is empty
    sodium_free(k.bytes_);
    k.bytes_ = nullptr;
    return k;
  }
  std::memcpy(k.bytes_, bytes_, kSize);
  return k;
}

Result<MasterKey> MasterKey::from_bytes(const void* data, std::size_t size) {
  if (Status s = detail::sodium_ready(); !s.ok()) return s;
  if (data == nullptr) return Status::key_error("master key: no key given");
  if (size != kSize) return Status::key_error(fmt::format("master key: must be {} bytes, got {}", kSize, size));
  MasterKey k;
  if (k.bytes_ == nullptr) return no_key_memory();
  std::memcpy(k.bytes_, data, kSize);
  return k;
}

Result<MasterKey> MasterKey::from_hex(std::string_view hex) {
  if (Status s = detail::sodium_ready(); !s.ok()) return s;
  hex = detail::trim(hex);
  if (hex.size() != 2 * kSize)
    return Status::key_error(fmt::format("master key: must be {} hexadecimal characters, got {}", 2 * kSize, hex.size()));
  MasterKey k;
  if (k.bytes_ == nullptr) return no_key_memory();
  std::size_t len = 0;
  if (sodium_hex2bin(k.bytes_, kSize, hex.data(), hex.size(), nullptr, &len, nullptr) != 0 || len != kSize)
    return Status::key_error("master key: contains a character that is not hexadecimal");
  return k;
}

Result<MasterKey> MasterKey::from_file(const std::string& path) {
  if (Status s = detail::sodium_ready(); !s.ok()) return s;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return Status::key_error(fmt::format("key file {}: {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return Status::key_error(fmt::format("key file {}: not a regular file", path));
  if ((st.st_mode & 077) != 0)
    return Status::key_error(fmt::format("key file {}: readable by group or others (mode {:04o}); run chmod 600 on it",
                                         path, st.st_mode & 07777));
  if (st.st_size > 1024) return Status::key_error(fmt::format("key file {}: too large to be a key file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::key_error(fmt::format("key file {}: cannot be opened", path));
  // Read into a guarded buffer so that the hex text does not linger on the heap.
  char* buf = static_cast<char*>(sodium_malloc(1025));
  if (buf == nullptr) return no_key_memory();
  in.read(buf, 1024);
  const auto n = static_cast<std::size_t>(in.gcount());
  Result<MasterKey> key = from_hex(std::string_view(buf, n));
  sodium_free(buf);
  if (!key.ok()) return key.status().with_context(fmt::format("key file {}", path));
  return key;
}

Result<MasterKey> MasterKey::generate() {
  if (Status s = detail::sodium_ready(); !s.ok()) return s;
  MasterKey k;
  if (k.bytes_ == nullptr) return no_key_memory();
  randombytes_buf(k.bytes_, kSize);
  return k;
}

Result<MasterKey> MasterKey::for_testing(std::string_view seed) {
  if (Status s = detail::sodium_ready(); !s.ok()) return s;
  MasterKey k;
  if (k.bytes_ == nullptr) return no_key_memory();
  static constexpr char kLabel[] = "vipcore/test-key/1";
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kSize);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kLabel), sizeof kLabel);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  crypto_generichash_final(&st, k.bytes_, kSize);
  return k;
}

Status MasterKey::write_file(const std::string& path) const {
  if (bytes_ == nullptr) return Status::key_error("master key: the key was moved from");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST)
      return Status::already_exists("key_file", fmt::format("{} already exists; vipcore never overwrites a key file", path));
    return Status::key_error(fmt::format("key file {}: {}", path, std::strerror(errno)));
  }
  char hex[2 * kSize + 2];
  sodium_bin2hex(hex, sizeof hex - 1, bytes_, kSize);
  hex[2 * kSize] = '\n';
  std::size_t written = 0;
  const std::size_t total = 2 * kSize + 1;
  while (written < total) {
    const ssize_t n = ::write(fd, hex + written, total - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  sodium_memzero(hex, sizeof hex);
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (written != total || !synced) {
    ::unlink(path.c_str());
    return Status::key_error(fmt::format("key file {}: could not be written", path));
  }
  return ok_status();
}

std::string MasterKey::fingerprint() const {
  if (bytes_ == nullptr) return std::string();
  static constexpr char kLabel[] = "vipcore/fingerprint/1";
  unsigned char h[8];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(kLabel), sizeof kLabel, bytes_, kSize);
  char hex[2 * sizeof h + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return std::string(hex);
}

}  // namespace vipcore
