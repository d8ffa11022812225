// The database file as someone with the plain SQLite API (or a stolen copy)
// sees it: for tests that look at or tamper with what vipcore stored.
#ifndef VIPCORE_TESTS_RAW_FILE_HPP
#define VIPCORE_TESTS_RAW_FILE_HPP

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace vipcore::test {

class RawFile {
 public:
  explicit RawFile(const std::string& path) { REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK); }
  ~RawFile() { sqlite3_close(db_); }
  RawFile(const RawFile&) = delete;
  RawFile& operator=(const RawFile&) = delete;

  void exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    const std::string message = err ? err : "";
    sqlite3_free(err);
    REQUIRE_MESSAGE(rc == SQLITE_OK, message);
  }
  /// The first column of every row `sql` returns, as bytes.
  std::vector<std::string> column(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    std::vector<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(st, 0));
      out.emplace_back(p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, 0))) : std::string());
    }
    sqlite3_finalize(st);
    return out;
  }
  sqlite3* get() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

/// Every byte of a file.
inline std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace vipcore::test

#endif
