// vipcore_bench: what every measurement shares (plumbing, raw SQLite, the
// generated data, reporting) and the measurements each file defines.
#ifndef VIPCORE_BENCH_HPP
#define VIPCORE_BENCH_HPP

#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "vipcore/vipcore.hpp"

namespace vipcore_bench {

using Clock = std::chrono::steady_clock;
/// A 32-byte phone hash, held as the bytes of a string (the unordered_map key type).
using Hash = std::string;

constexpr std::size_t kHashBytes = crypto_generichash_BYTES;
constexpr std::string_view kTenant = "bench";
// The databases, in the temporary directory.
constexpr std::string_view kVipcoreFile = "vipcore.db";
constexpr std::string_view kRawInputOrderFile = "raw-input-order.db";
constexpr std::string_view kRawKeyOrderFile = "raw-key-order.db";
constexpr int kEscalationRules = 100;
/// vipcore's default page cache; every connection here uses it, so that all
/// contenders cache alike.
inline const int kCacheKib = vipcore::SqliteOptions{}.cache_size_kib;

// ------------------------------------------------------------------ plumbing

/// Every failed check ends the run by throwing this, so that main() still
/// closes the databases and removes the temporary directory.
struct BenchFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void check(bool ok, std::string_view what) {
  if (!ok) throw BenchFailure(std::string(what));
}

inline void check_ok(const vipcore::Status& s, std::string_view what) {
  if (!s.ok()) throw BenchFailure(std::string(what) + ": " + s.to_string());
}

inline const Clock::time_point g_start = Clock::now();

inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

template <typename... Args>
inline void progress(const Args&... args) {
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "[%7.1f s] ", seconds_since(g_start));
  std::cerr << stamp;
  (std::cerr << ... << args) << std::endl;
}

/// A fresh directory, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "vipcore-bench-XXXXXX").string();
    check(::mkdtemp(pattern.data()) != nullptr, "cannot create a temporary directory");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// A deterministic pseudo-random sequence (Knuth's MMIX LCG), so that every
/// run and every contender sees the same access pattern.
class Lcg {
 public:
  explicit Lcg(std::uint64_t seed) noexcept : state_(seed) {}
  /// REQUIRES: n > 0. The low bits of an LCG are weak, so they are dropped;
  /// the modulo bias is negligible for the sizes used here.
  std::size_t below(std::size_t n) noexcept {
    state_ = state_ * 6364136223846793005u + 1442695040888963407u;
    return static_cast<std::size_t>((state_ >> 16) % n);
  }

 private:
  std::uint64_t state_;
};

// ------------------------------------------------------------ raw SQLite

struct CloseDb {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct FinalizeStmt {
  void operator()(sqlite3_stmt* st) const noexcept { sqlite3_finalize(st); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;
using Stmt = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

inline void check_rc(int rc, int expected, sqlite3* db, std::string_view what) {
  if (rc != expected) throw BenchFailure(std::string(what) + ": " + sqlite3_errmsg(db));
}

inline void exec(sqlite3* db, const std::string& sql) {
  check_rc(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK, db, sql);
}

/// Opens a connection with vipcore's page cache size.
inline Db open_sqlite(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);  // a failed open still returns a handle to close
  check_rc(rc, SQLITE_OK, raw, "opening " + path);
  exec(raw, "PRAGMA cache_size = -" + std::to_string(kCacheKib));
  return db;
}

inline Stmt prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  check_rc(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK, db, sql);
  return Stmt(st);
}

// Bound values are only borrowed (SQLITE_STATIC): they outlive each step.
inline void bind_text(sqlite3_stmt* st, int i, std::string_view text) {
  sqlite3_bind_text(st, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}
inline void bind_blob(sqlite3_stmt* st, int i, std::string_view bytes) {
  sqlite3_bind_blob(st, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
}

/// A text or blob column of the current row, valid until the next step or reset.
inline std::string_view column_bytes(sqlite3_stmt* st, int col) {
  const void* p = sqlite3_column_blob(st, col);
  return {static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(st, col))};
}

// -------------------------------------------------------------- the data

// Caller i has the number +1 AAA SSSSSSS, with area code AAA = 200 + i % 800
// and subscriber SSSSSSS = 2000000 + i / 800: valid North American numbers,
// all distinct, spread over every area code. Unknown numbers take subscribers
// from 9000000 up, which no caller has while N <= kMaxCallers.
constexpr std::size_t kAreaCodes = 800;
constexpr std::size_t kMaxCallers = kAreaCodes * 7'000'000;
constexpr std::size_t kUnknownNumbers = kAreaCodes * 1'000'000;

inline std::string nanp_number(std::size_t area_index, std::size_t subscriber) {
  char buf[48];  // room for any size_t, so that -Wformat-truncation has nothing to prove
  std::snprintf(buf, sizeof buf, "+1%03zu%07zu", 200 + area_index, subscriber);
  return buf;
}
inline std::string vip_number(std::size_t i) { return nanp_number(i % kAreaCodes, 2'000'000 + i / kAreaCodes); }
inline std::string unknown_number(std::size_t k) { return nanp_number(k % kAreaCodes, 9'000'000 + k / kAreaCodes); }

inline std::string caller_name(std::size_t i) { return "Caller " + std::to_string(i); }
inline vipcore::Level level_of(std::size_t i) {
  return static_cast<vipcore::Level>(i % static_cast<std::size_t>(vipcore::kLevelCount));
}

/// The baselines' own hash key. vipcore's tenant hash key never leaves
/// vipcore, so the baselines hash under this one instead: same primitive
/// (keyed BLAKE2b-256), same cost.
constexpr auto kBaselineKey = [] {
  std::array<unsigned char, crypto_generichash_KEYBYTES> key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(i * 37 + 11);
  return key;
}();

inline void baseline_hash(std::string_view text, unsigned char (&out)[kHashBytes]) {
  crypto_generichash(out, kHashBytes, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                     kBaselineKey.data(), kBaselineKey.size());
}
inline Hash baseline_hash(std::string_view text) {
  unsigned char h[kHashBytes];
  baseline_hash(text, h);
  return Hash(reinterpret_cast<const char*>(h), sizeof h);
}

/// Best-of-`rounds` time of `f`, in ns.
template <typename F>
double best_of(std::size_t rounds, F&& f) {
  double best = 0;
  for (std::size_t r = 0; r < rounds; ++r) {
    const auto start = Clock::now();
    f();
    const double ns = seconds_since(start) * 1e9;
    best = r == 0 ? ns : std::min(best, ns);
  }
  return best;
}

// ---------------------------------------------------------------- report

struct Config {
  std::string only;  ///< "", "import", "normalize", "pbx-during-import", "escalation" or "postgres"
  std::size_t callers = 1'000'000;
  std::size_t lookups = 200'000;
  std::size_t rounds = 3;
  std::size_t calls = 1'000'000;  ///< recorded calls for the analytics measurements
  std::string postgres;           ///< a PostgreSQL conninfo: run the PostgreSQL measurements there
};

inline void print_row(const std::string& name, double ns_per_op) {
  std::printf("%-40s %12.1f %14.0f\n", name.c_str(), ns_per_op, 1e9 / ns_per_op);
}

inline void print_ratio(const char* name, double value) { std::printf("ratio %s %.3f\n", name, value); }

/// Rounds of a scaling measurement: each times 1 thread then 2 back to back.
inline constexpr std::size_t kScalingRounds = 7;

/// The median of `values` (not empty).
inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/// The size of an SQLite database, e.g. "40.1 + 2.0 MiB" for its file and its WAL.
inline std::string sqlite_size(const std::string& path) {
  const auto mib = [](const std::string& file) {
    std::error_code missing;
    const std::uintmax_t bytes = std::filesystem::file_size(file, missing);
    return missing ? 0.0 : static_cast<double>(bytes) / (1024.0 * 1024.0);
  };
  char text[64];
  std::snprintf(text, sizeof text, "%.1f + %.1f MiB", mib(path), mib(path + "-wal"));
  return text;
}

/// Where the chains' own hashes and results go, so that computing them cannot be optimized away.
inline volatile unsigned char g_sink;

/// Steps (a) and (b) of the baseline chains: what identify does before it
/// reaches storage (normalize, then the keyed hash).
class NormalizeAndHash {
 public:
  void operator()(std::string_view number) {
    vipcore::PhoneNumber n;
    check_ok(normalizer_.normalize(number, &n), "normalize");
    unsigned char h[kHashBytes];
    baseline_hash(n.e164(), h);
    g_sink = h[0];
  }

 private:
  vipcore::PhoneNormalizer normalizer_;
};

// ------------------------------------------------------------ measurements

struct ImportTimes {
  double vipcore_s = 0;
  double raw_input_order_s = 0;
  double raw_key_order_s = 0;
};

/// bench_import.cpp: the rows every import measurement imports (caller i has vip_number(i)).
std::vector<vipcore::NewCaller> import_rows(std::size_t n);
/// bench_import.cpp: vipcore import of n rows and the raw baselines, into `dir`.
/// Tenant::import_callers of import_rows(n), timed, with its progress shown;
/// `where` ends the progress line (" into PostgreSQL").
double time_vipcore_import(const vipcore::Tenant& admin, std::size_t n, std::string_view where);
ImportTimes measure_import(const vipcore::Tenant& admin, const TempDir& dir, std::size_t n);
void print_import_rows(const Config& cfg, const ImportTimes& imp);
void print_import_ratios(const ImportTimes& imp);
/// The import lines alone (--only import).
void report_import(const Config& cfg, const ImportTimes& imp);
/// The PBX's write latency while n VIPs are imported all-or-nothing.
void measure_pbx_during_import(const TempDir& dir, std::size_t n);
/// bench_normalize.cpp: normalization per numbering plan against the US plan.
void measure_normalization(std::size_t rounds);
/// identify_after_change: this many lookups after each of this many changes.
constexpr std::size_t kCacheChanges = 200;
constexpr std::size_t kCacheLookupsAfterChange = 100;
/// The cache budget of the bench's databases: room for every VIP.
constexpr std::size_t kBenchCacheBytes = std::size_t{2} << 30;
/// bench_cache.cpp: identify right after a change (`changed_id` is updated
/// through `admin`), on one thread and on two, and the cache's bytes per VIP.
void time_cache(const Config& cfg, const std::string& db_path, const vipcore::MasterKey& key,
                const vipcore::Tenant& admin, const vipcore::Tenant& pbx, const std::string& changed_id,
                std::map<std::string, double>* best_ns);

/// bench_postgres.cpp: the PostgreSQL measurements on the server cfg.postgres names.
void measure_postgres(const Config& cfg);

}  // namespace vipcore_bench

#endif  // VIPCORE_BENCH_HPP
