#include "sqlite/generation_file.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vipcore::sqlite {
namespace {

// The counters, rounded up to whole 64 KiB (any page size up to it).
constexpr std::size_t kFileSize = (detail::GenerationTable::kWords * sizeof(std::uint64_t) + 65535) / 65536 * 65536;

Status failed(const std::string& path, int e) {
  return Status::storage_error(fmt::format("cannot map the change generations file {}: {}", path, std::strerror(e)));
}

}  // namespace

GenerationFile::~GenerationFile() {
  if (words_ != nullptr) ::munmap(words_, size_);
}

Status GenerationFile::open(const std::string& path, unsigned mode, bool read_only) {
  const int fd = read_only ? ::open(path.c_str(), O_RDONLY | O_CLOEXEC)
                           : ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, static_cast<mode_t>(mode & 0777));
  if (fd < 0) return read_only && errno == ENOENT ? ok_status() : failed(path, errno);
  struct stat st {};
  Status s;
  bool map = true;
  if (::fstat(fd, &st) != 0) {
    s = failed(path, errno);
  } else if (!read_only && st.st_size == 0 && ::fchmod(fd, static_cast<mode_t>(mode & 0777)) != 0) {
    s = errno == EPERM ? ok_status() : failed(path, errno);  // new: the options' mode, whatever the umask
  } else if (static_cast<std::size_t>(st.st_size) < kFileSize) {
    // Every process extends it to the same size; the new bytes read as zero.
    // Read-only, a file nobody extended yet has nothing to read.
    if (read_only) map = false;
    else if (::ftruncate(fd, kFileSize) != 0) s = failed(path, errno);
  }
  if (s.ok() && map) {
    void* p = ::mmap(nullptr, kFileSize, read_only ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      s = failed(path, errno);
    } else {
      words_ = static_cast<std::uint64_t*>(p);
      size_ = kFileSize;
    }
  }
  ::close(fd);
  return s;
}

}  // namespace vipcore::sqlite
