// The SQLite backend's change generations (see storage.hpp): a small file
// beside the database, "<path>-gen", mapped shared by every process that
// opens the database, in the spirit of SQLite's own -shm wal-index. Its
// contents are only counters; losing the file (a reboot, a delete) only
// makes caches reload.
#ifndef VIPCORE_SRC_SQLITE_GENERATION_FILE_HPP
#define VIPCORE_SRC_SQLITE_GENERATION_FILE_HPP

#include <cstdint>
#include <string>

#include "generation.hpp"
#include "vipcore/status.hpp"

namespace vipcore::sqlite {

class GenerationFile {
 public:
  GenerationFile() = default;
  GenerationFile(const GenerationFile&) = delete;
  GenerationFile& operator=(const GenerationFile&) = delete;
  ~GenerationFile();

  /// Maps `path`, creating it (with `mode`) unless `read_only`. Read-only and
  /// missing, there is nothing to map: read() then always says 0, so that
  /// nothing is cached.
  Status open(const std::string& path, unsigned mode, bool read_only);

  /// The tenant's generation; 0 when unknown (see GenerationTable::read).
  std::uint64_t read(std::string_view tenant_id) const noexcept {
    return words_ == nullptr ? 0 : detail::GenerationTable(words_).read(tenant_id);
  }
  /// A number's generation; 0 when unknown (see GenerationTable::read_number).
  std::uint64_t read_number(std::string_view tenant_id, std::uint8_t first_hash_byte) const noexcept {
    return words_ == nullptr ? 0 : detail::GenerationTable(words_).read_number(tenant_id, first_hash_byte);
  }
  /// For writers, holding the database's write lock (see GenerationTable);
  /// nothing when there is no mapping.
  void settle() noexcept {
    if (words_ != nullptr) detail::GenerationTable(words_).settle();
  }
  void begin(detail::GenerationTable::Commit& c) noexcept {
    if (words_ == nullptr) return;
    detail::GenerationTable table(words_);
    c.begin(table);
  }
  void end(detail::GenerationTable::Commit& c) noexcept {
    if (words_ == nullptr) return;
    detail::GenerationTable table(words_);
    c.end(table);
  }

 private:
  std::uint64_t* words_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace vipcore::sqlite

#endif
