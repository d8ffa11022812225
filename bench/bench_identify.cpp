// vipcore_bench — what identify and bulk import cost, next to what the same
// work costs without vipcore, measured in one run on one machine so that the
// ratios are meaningful.
//
//     vipcore_bench [--callers N] [--lookups M] [--rounds R] [--only import|normalize|pbx-during-import]
//
//   import    Tenant::import_callers of N generated VIPs into a fresh vipcore
//             database, against one prepared INSERT per row into a raw,
//             one-table SQLite file (rows in input order, and in key order).
//             With --only import, the only measurement run.
//   identify  Tenant::identify of M VIP numbers and of M unknown numbers,
//             against two chains that do identify's steps by hand:
//             normalize + keyed hash + a point lookup, either a prepared
//             SELECT on vipcore's own file or a find in a std::unordered_map.
//
//   normalize PhoneNormalizer::normalize per region (14 numbering plans),
//             national and international forms, against the US plan
//             reading a US number. With --only normalize, the only one.
//
//   pbx during import
//             the PBX's writes (record_call and check_escalation with a call
//             id, in a loop) while another thread imports N VIPs all-or-nothing
//             into the same database: their latency p50/p99/max. With
//             --only pbx-during-import, the only measurement run.
//
// Results go to stdout: a table of ns/op, then "ratio <name> <value>" lines
// (vipcore / baseline for times). Progress goes to stderr.
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

#include <CLI/CLI.hpp>

#include "vipcore/vipcore.hpp"

namespace {

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
const int kCacheKib = vipcore::SqliteOptions{}.cache_size_kib;

// ------------------------------------------------------------------ plumbing

/// Every failed check ends the run by throwing this, so that main() still
/// closes the databases and removes the temporary directory.
struct BenchFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(bool ok, std::string_view what) {
  if (!ok) throw BenchFailure(std::string(what));
}

void check_ok(const vipcore::Status& s, std::string_view what) {
  if (!s.ok()) throw BenchFailure(std::string(what) + ": " + s.to_string());
}

const Clock::time_point g_start = Clock::now();

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

template <typename... Args>
void progress(const Args&... args) {
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

void check_rc(int rc, int expected, sqlite3* db, std::string_view what) {
  if (rc != expected) throw BenchFailure(std::string(what) + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, const std::string& sql) {
  check_rc(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK, db, sql);
}

/// Opens a connection with vipcore's page cache size.
Db open_sqlite(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);  // a failed open still returns a handle to close
  check_rc(rc, SQLITE_OK, raw, "opening " + path);
  exec(raw, "PRAGMA cache_size = -" + std::to_string(kCacheKib));
  return db;
}

Stmt prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  check_rc(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK, db, sql);
  return Stmt(st);
}

// Bound values are only borrowed (SQLITE_STATIC): they outlive each step.
void bind_text(sqlite3_stmt* st, int i, std::string_view text) {
  sqlite3_bind_text(st, i, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}
void bind_blob(sqlite3_stmt* st, int i, std::string_view bytes) {
  sqlite3_bind_blob(st, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
}

/// A text or blob column of the current row, valid until the next step or reset.
std::string_view column_bytes(sqlite3_stmt* st, int col) {
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

std::string nanp_number(std::size_t area_index, std::size_t subscriber) {
  char buf[48];  // room for any size_t, so that -Wformat-truncation has nothing to prove
  std::snprintf(buf, sizeof buf, "+1%03zu%07zu", 200 + area_index, subscriber);
  return buf;
}
std::string vip_number(std::size_t i) { return nanp_number(i % kAreaCodes, 2'000'000 + i / kAreaCodes); }
std::string unknown_number(std::size_t k) { return nanp_number(k % kAreaCodes, 9'000'000 + k / kAreaCodes); }

std::string caller_name(std::size_t i) { return "Caller " + std::to_string(i); }
vipcore::Level level_of(std::size_t i) {
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

void baseline_hash(std::string_view text, unsigned char (&out)[kHashBytes]) {
  crypto_generichash(out, kHashBytes, reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                     kBaselineKey.data(), kBaselineKey.size());
}
Hash baseline_hash(std::string_view text) {
  unsigned char h[kHashBytes];
  baseline_hash(text, h);
  return Hash(reinterpret_cast<const char*>(h), sizeof h);
}

// ---------------------------------------------------------------- import

struct ImportTimes {
  double vipcore_s = 0;
  double raw_input_order_s = 0;
  double raw_key_order_s = 0;
};

/// The rows both import measurements import: caller i has vip_number(i).
std::vector<vipcore::NewCaller> import_rows(std::size_t n) {
  progress("generating ", n, " import rows");
  std::vector<vipcore::NewCaller> rows(n);
  for (std::size_t i = 0; i < n; ++i) {
    rows[i].phone_number = vip_number(i);
    rows[i].caller_name = caller_name(i);
    rows[i].vip_level = level_of(i);
    rows[i].handling_rules = {vipcore::HandlingRule::priority_queue};
  }
  return rows;
}

double time_vipcore_import(const vipcore::Tenant& admin, std::size_t n) {
  const std::vector<vipcore::NewCaller> rows = import_rows(n);
  vipcore::ImportOptions options;
  options.progress_every = std::max<std::size_t>(1, n / 10);
  options.progress = [](std::size_t done, std::size_t total) {
    progress("  vipcore import: ", done, " / ", total, " rows");
    return true;
  };
  vipcore::ImportReport report;
  progress("timing vipcore import of ", n, " callers");
  const auto start = Clock::now();
  const vipcore::Status s = admin.import_callers(rows, options, &report);
  const double seconds = seconds_since(start);
  check_ok(s, "import_callers");
  check(report.committed && report.created == n, "import_callers did not create every row");
  return seconds;
}

/// Per row, what the raw baseline stores, computed before its timing starts.
struct RawRows {
  std::vector<Hash> hashes;      ///< baseline_hash of the caller's number
  std::vector<std::string> ids;  ///< UUID-shaped, as long as vipcore's caller ids
};

RawRows generate_raw_rows(std::size_t n) {
  RawRows rows;
  rows.hashes.reserve(n);
  rows.ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    rows.hashes.push_back(baseline_hash(vip_number(i)));
    char id[64];
    std::snprintf(id, sizeof id, "%08zx-0000-4000-8000-%012zx", i, i);
    rows.ids.emplace_back(id);
  }
  return rows;
}

/// Inserts rows in `order` into a fresh file set up as vipcore sets up its
/// own, with one prepared INSERT in one transaction; returns the seconds the
/// inserts and the commit took.
double time_raw_insert(const std::string& path, const RawRows& rows, const std::vector<std::size_t>& order) {
  const Db db = open_sqlite(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  exec(db.get(), "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
  exec(db.get(),
       "CREATE TABLE vip_phone(tenant_id TEXT NOT NULL, phone_hash BLOB NOT NULL, caller_id TEXT NOT NULL, "
       "vip_level INTEGER NOT NULL, caller_name BLOB NOT NULL, PRIMARY KEY(tenant_id, phone_hash)) WITHOUT ROWID");
  const Stmt insert = prepare(db.get(), "INSERT INTO vip_phone VALUES (?1, ?2, ?3, ?4, ?5)");
  sqlite3_stmt* st = insert.get();
  // The size of a sealed "Caller <i>": 45 bytes of header, nonce and tag, plus the text.
  const std::string name_blob(60, 'x');

  const auto start = Clock::now();
  exec(db.get(), "BEGIN");
  for (const std::size_t i : order) {
    bind_text(st, 1, kTenant);
    bind_blob(st, 2, rows.hashes[i]);
    bind_text(st, 3, rows.ids[i]);
    sqlite3_bind_int(st, 4, static_cast<int>(level_of(i)));
    bind_blob(st, 5, name_blob);
    check_rc(sqlite3_step(st), SQLITE_DONE, db.get(), "raw insert");
    sqlite3_reset(st);
  }
  exec(db.get(), "COMMIT");
  return seconds_since(start);
}

ImportTimes measure_import(const vipcore::Tenant& admin, const TempDir& dir, std::size_t n) {
  ImportTimes t;
  t.vipcore_s = time_vipcore_import(admin, n);
  progress("vipcore import: ", t.vipcore_s, " s");

  progress("hashing ", n, " rows for the raw baseline (not timed)");
  const RawRows rows = generate_raw_rows(n);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  progress("timing raw insert, input order");
  t.raw_input_order_s = time_raw_insert(dir.file(kRawInputOrderFile), rows, order);
  progress("raw insert, input order: ", t.raw_input_order_s, " s");

  // vipcore sorts its batches by key before inserting; this is the same trick by hand.
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rows.hashes[a] < rows.hashes[b]; });
  progress("timing raw insert, key order");
  t.raw_key_order_s = time_raw_insert(dir.file(kRawKeyOrderFile), rows, order);
  progress("raw insert, key order: ", t.raw_key_order_s, " s");
  return t;
}

// -------------------------------------------------------------- identify

/// vipcore's real stored phone hashes and caller ids, read once (in hash order).
struct StoredPhones {
  std::vector<Hash> hashes;
  std::vector<std::string> caller_ids;
};

StoredPhones read_stored_phones(sqlite3* db) {
  StoredPhones out;
  const Stmt st = prepare(db, "SELECT phone_hash, caller_id FROM vip_phone WHERE tenant_id = ?1");
  bind_text(st.get(), 1, kTenant);
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    out.hashes.emplace_back(column_bytes(st.get(), 0));
    out.caller_ids.emplace_back(column_bytes(st.get(), 1));
  }
  check_rc(rc, SQLITE_DONE, db, "reading vip_phone");
  return out;
}

/// The lookups of one measurement: the numbers passed to identify and, for
/// the baseline chains, the stored key each lookup probes.
///
/// vipcore's stored hash of a number cannot be computed outside vipcore, so
/// a hit probes a random stored hash (not that number's own): the chains
/// still do one successful point lookup per hit, uniformly over all rows. A
/// miss probes the baseline hash of the unknown number, which no row has.
struct Workload {
  const char* name;  ///< "hit" or "miss"
  bool vip;          ///< the answer every lookup must give
  std::vector<std::string> numbers;
  std::vector<Hash> probes;
};

Workload hit_workload(std::size_t callers, const StoredPhones& stored, std::size_t count) {
  Workload w{"hit", true, {}, {}};
  Lcg rng(1);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t row = rng.below(callers);
    w.numbers.push_back(vip_number(row));
    w.probes.push_back(stored.hashes[row]);
  }
  return w;
}

Workload miss_workload(std::size_t count) {
  Workload w{"miss", false, {}, {}};
  Lcg rng(2);
  for (std::size_t i = 0; i < count; ++i) {
    w.numbers.push_back(unknown_number(rng.below(kUnknownNumbers)));
    w.probes.push_back(baseline_hash(w.numbers.back()));
  }
  return w;
}

/// One way of answering "is number i of the workload a VIP?".
using Lookup = std::function<bool(const Workload&, std::size_t)>;

/// Where the chains' own hashes go, so that computing them cannot be optimized away.
volatile unsigned char g_sink;

/// Steps (a) and (b) of both baseline chains: what identify does before it
/// reaches storage.
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

Lookup identify_lookup(const vipcore::Tenant& pbx) {
  // One Identification for every lookup, so that its strings keep their capacity.
  return [pbx, out = vipcore::Identification()](const Workload& w, std::size_t i) mutable {
    check_ok(pbx.identify(w.numbers[i], &out), "identify");
    return out.is_vip;
  };
}

/// Normalize, hash, then SELECT caller_id with a prepared statement.
Lookup sqlite_chain_lookup(sqlite3_stmt* select) {
  return [select, prefix = NormalizeAndHash(), caller_id = std::string()](const Workload& w, std::size_t i) mutable {
    prefix(w.numbers[i]);
    bind_text(select, 1, kTenant);
    bind_blob(select, 2, w.probes[i]);
    const int rc = sqlite3_step(select);
    if (rc == SQLITE_ROW) caller_id.assign(column_bytes(select, 0));
    sqlite3_reset(select);
    check(rc == SQLITE_ROW || rc == SQLITE_DONE, "baseline point lookup failed");
    return rc == SQLITE_ROW;
  };
}

/// Normalize, hash, then find in a map of every stored hash.
Lookup map_chain_lookup(const std::unordered_map<Hash, std::string>& map) {
  return [&map, prefix = NormalizeAndHash(), caller_id = std::string()](const Workload& w, std::size_t i) mutable {
    prefix(w.numbers[i]);
    const auto it = map.find(w.probes[i]);
    if (it == map.end()) return false;
    caller_id.assign(it->second);
    return true;
  };
}

/// Runs lookups [begin, end) of `w`, checking every answer; returns ns per lookup.
double time_lookups(Lookup& lookup, const Workload& w, std::size_t begin, std::size_t end) {
  const auto start = Clock::now();
  for (std::size_t i = begin; i < end; ++i)
    if (lookup(w, i) != w.vip)
      throw BenchFailure(std::string("lookup ") + std::to_string(i) + " of the " + w.name + " workload answered " +
                         (w.vip ? "not a VIP" : "a VIP"));
  return seconds_since(start) * 1e9 / static_cast<double>(end - begin);
}

/// Before timing: sampled VIP numbers identify as the caller imported for
/// them, name decrypted, level and rules intact.
void verify_identify(const vipcore::Tenant& pbx, std::size_t callers) {
  Lcg rng(3);
  vipcore::Identification out;
  for (std::size_t k = 0; k < 1000; ++k) {
    const std::size_t row = k == 0 ? callers - 1 : rng.below(callers);
    check_ok(pbx.identify(vip_number(row), &out), "identify");
    check(out.is_vip && out.caller.caller_name == caller_name(row) && out.caller.vip_level == level_of(row) &&
              out.caller.handling_rules.has(vipcore::HandlingRule::priority_queue),
          "identify did not return the imported caller of a VIP number");
  }
}

/// 100 active escalation rules of every shape: level filters, wait and
/// position conditions, priorities. Some trigger for a GOLD caller who has
/// waited 60 s at position 3, most do not.
void create_escalation_rules(const vipcore::Tenant& admin) {
  for (int i = 0; i < kEscalationRules; ++i) {
    vipcore::EscalationRule r;
    r.name = "Rule " + std::to_string(i);
    if (i % 6 != 5) r.vip_levels = {static_cast<vipcore::Level>(i % vipcore::kLevelCount)};
    r.max_wait_time = 30 + i;
    if (i % 2) r.max_queue_position = 2 + i % 5;
    r.escalation_type = i % 3 == 0 ? "agent" : i % 3 == 1 ? "supervisor" : "manager";
    r.priority = 1 + i % 10;
    r.notify.emails = {"oncall" + std::to_string(i % 7) + "@example.com"};
    check_ok(admin.create_rule(r).status(), "create_rule");
  }
}

/// The steady state of a PBX polling a waiting call: rules already
/// triggered for this call id, so each check reads, evaluates and reports.
double time_escalation_checks(const vipcore::Tenant& pbx, std::size_t checks) {
  vipcore::Identification who;
  check_ok(pbx.identify(vip_number(2), &who), "identify");  // row 2 is GOLD
  check(who.is_vip && who.caller.vip_level == vipcore::Level::gold, "the escalation caller is not a GOLD VIP");
  auto first = pbx.check_escalation(who.caller, 60, 3, "bench-call");
  check_ok(first.status(), "check_escalation");
  check(first->should_escalate && first->triggered_rules.size() < static_cast<std::size_t>(kEscalationRules),
        "the escalation check should trigger some rules, not all");
  const auto start = Clock::now();
  for (std::size_t i = 0; i < checks; ++i) {
    auto r = pbx.check_escalation(who.caller, 60, 3, "bench-call");
    check(r.ok() && r->triggered_rules.size() == first->triggered_rules.size(), "check_escalation changed its answer");
  }
  return seconds_since(start) * 1e9 / static_cast<double>(checks);
}

/// `n` recorded calls spread over 30 days across the stored callers, written
/// straight through the storage in one transaction: the analytics are
/// measured here, record_call's validation is the tests' business.
vipcore::DateRange insert_calls(vipcore::Database& db, const std::vector<std::string>& caller_ids, std::size_t n) {
  const vipcore::Timestamp start = *vipcore::parse_timestamp("2024-01-01");
  const auto step = std::chrono::milliseconds(30LL * 24 * 3600 * 1000 / static_cast<long long>(n));
  Lcg rng(11);
  auto txn = db.storage().begin_write();
  check_ok(txn.status(), "begin_write");
  vipcore::CallRow c;
  for (std::size_t i = 0; i < n; ++i) {
    c.call_id = "bench-call-" + std::to_string(i);
    c.caller_id = caller_ids[rng.below(caller_ids.size())];
    c.vip_level = static_cast<vipcore::Level>(rng.below(vipcore::kLevelCount));
    c.handling_rules_applied = vipcore::HandlingRules::from_bits(static_cast<std::uint32_t>(rng.below(64)));
    c.wait_seconds = static_cast<int>(rng.below(300));
    c.max_wait_time = 60;
    c.escalation_triggered = rng.below(20) == 0;
    c.satisfaction_rating = rng.below(10) < 7 ? std::optional<int>(1 + static_cast<int>(rng.below(5))) : std::nullopt;
    c.service_quality_score = rng.below(10) < 6 ? std::optional<double>(static_cast<double>(rng.below(101)))
                                                 : std::nullopt;
    c.at = start + step * static_cast<long long>(i);
    check_ok((*txn)->insert_call(kTenant, c), "insert_call");
  }
  check_ok((*txn)->commit(), "commit");
  return vipcore::DateRange{start, start + std::chrono::hours(24 * 30)};
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
  std::string only;  ///< "", "import", "normalize" or "pbx-during-import"
  std::size_t callers = 1'000'000;
  std::size_t lookups = 200'000;
  std::size_t rounds = 3;
  std::size_t calls = 1'000'000;  ///< recorded calls for the analytics measurements
};

void print_row(const std::string& name, double ns_per_op) {
  std::printf("%-40s %12.1f %14.0f\n", name.c_str(), ns_per_op, 1e9 / ns_per_op);
}

void print_ratio(const char* name, double value) { std::printf("ratio %s %.3f\n", name, value); }

/// The size of an SQLite database, e.g. "40.1 + 2.0 MiB" for its file and its WAL.
std::string sqlite_size(const std::string& path) {
  const auto mib = [](const std::string& file) {
    std::error_code missing;
    const std::uintmax_t bytes = std::filesystem::file_size(file, missing);
    return missing ? 0.0 : static_cast<double>(bytes) / (1024.0 * 1024.0);
  };
  char text[64];
  std::snprintf(text, sizeof text, "%.1f + %.1f MiB", mib(path), mib(path + "-wal"));
  return text;
}

void print_import_rows(const Config& cfg, const ImportTimes& imp) {
  const auto per_row = [&](double seconds) { return seconds * 1e9 / static_cast<double>(cfg.callers); };
  print_row("import_vipcore (per row)", per_row(imp.vipcore_s));
  print_row("raw_insert (per row, input order)", per_row(imp.raw_input_order_s));
  print_row("raw_insert_sorted (per row, key order)", per_row(imp.raw_key_order_s));
  std::printf("%-40s %12.3f s\n", "import_vipcore (all rows)", imp.vipcore_s);
}

void print_import_ratios(const ImportTimes& imp) {
  print_ratio("import_rate/raw_insert_rate", imp.raw_input_order_s / imp.vipcore_s);
  print_ratio("import_rate/raw_insert_sorted_rate", imp.raw_key_order_s / imp.vipcore_s);
}

/// The import lines alone (--only import).
void report_import(const Config& cfg, const ImportTimes& imp) {
  std::printf("# vipcore_bench %s: import of %zu callers\n", vipcore::version(), cfg.callers);
  std::printf("%-40s %12s %14s\n", "# measurement", "ns/op", "ops/s");
  print_import_rows(cfg, imp);
  print_import_ratios(imp);
}

/// `ns` holds the best ns/op of each "<contender>_<workload>".
void report(const Config& cfg, const TempDir& dir, std::size_t warmup, const std::map<std::string, double>& ns,
            const ImportTimes& imp) {
  std::printf("# vipcore_bench %s: %zu callers; %zu timed lookups per measurement after %zu warm-up lookups; "
              "best of %zu rounds\n",
              vipcore::version(), cfg.callers, cfg.lookups, warmup, cfg.rounds);
  std::printf("%-40s %12s %14s\n", "# measurement", "ns/op", "ops/s");
  for (const char* workload : {"hit", "miss"})
    for (const char* contender : {"identify", "sqlite_chain", "unordered_map_chain"}) {
      const std::string name = std::string(contender) + "_" + workload;
      print_row(name, ns.at(name));
    }
  print_row("escalation_check_100_rules", ns.at("escalation_check"));
  print_row("  per rule", ns.at("escalation_check") / kEscalationRules);
  print_row("overview (" + std::to_string(cfg.calls) + " calls)", ns.at("overview"));
  print_row("evaluate_alerts (" + std::to_string(cfg.calls) + " calls)", ns.at("evaluate_alerts"));
  print_row("caller_analytics (one caller)", ns.at("caller_analytics"));
  print_import_rows(cfg, imp);
  std::printf(
      "# identify: Tenant::identify(number, &out): normalize, keyed hash, point lookup, decrypt caller_name.\n"
      "# sqlite_chain: PhoneNormalizer + crypto_generichash + prepared SELECT caller_id on vipcore's file.\n"
      "# unordered_map_chain: PhoneNormalizer + crypto_generichash + find among all stored hashes, in memory.\n"
      "# import_vipcore includes validation, normalization, hashing, sealing (encryption) and writing\n"
      "#   vip_caller, vip_phone and an audit entry; the raw inserts' hashes are computed before timing,\n"
      "#   so they time only the INSERTs into one table and the COMMIT.\n"
      "# sizes (file + WAL): vipcore.db %s, raw-input-order.db %s, raw-key-order.db %s;\n"
      "#   SQLite page cache %d KiB per connection.\n"
      "# overview: Tenant::overview over 30 days of recorded calls (callers by level and status, calls\n"
      "#   by level with exact wait percentiles), one streamed pass over the range; evaluate_alerts reads\n"
      "#   the range and the period before it.\n"
      "# escalation_check_100_rules: Tenant::check_escalation with a call id whose rules already\n"
      "#   triggered (a PBX's steady polling): rules-version read, trigger read, 100 rules evaluated.\n"
      "# targets: identify <= 1.2x sqlite_chain; import rate >= 0.5x raw_insert;\n"
      "#   escalation check well under 1 us per rule.\n"
      "# ratios: ours / baseline for times (lower is better), except import_rate/*: our rows per second over\n"
      "#   the baseline's (higher is better).\n",
      sqlite_size(dir.file(kVipcoreFile)).c_str(), sqlite_size(dir.file(kRawInputOrderFile)).c_str(),
      sqlite_size(dir.file(kRawKeyOrderFile)).c_str(), kCacheKib);
  for (const char* baseline : {"sqlite_chain", "unordered_map_chain"})
    for (const char* workload : {"hit", "miss"}) {
      const std::string suffix = std::string("_") + workload;
      const std::string name = std::string("identify") + suffix + "/" + baseline;
      print_ratio(name.c_str(), ns.at("identify" + suffix) / ns.at(baseline + suffix));
    }
  print_ratio("escalation_check_100_rules/identify_hit", ns.at("escalation_check") / ns.at("identify_hit"));
  print_import_ratios(imp);
  std::printf("# total wall time: %.1f s\n", seconds_since(g_start));
}

// ---------------------------------------------------------- normalization

/// A fixed-line number of each region (libphonenumber's example number),
/// in national form and in international form, as a caller ID carries it.
struct RegionNumber {
  const char* region;
  const char* national;
  const char* international;
};
constexpr RegionNumber kRegionNumbers[] = {
    {"US", "(201) 555-0123", "+1 201-555-0123"},     {"CA", "(506) 234-5678", "+1 506-234-5678"},
    {"GB", "0121 234 5678", "+44 121 234 5678"},     {"DE", "030 123456", "+49 30 123456"},
    {"FR", "01 23 45 67 89", "+33 1 23 45 67 89"},   {"IT", "02 1234 5678", "+39 02 1234 5678"},
    {"ES", "810 12 34 56", "+34 810 12 34 56"},      {"NL", "010 123 4567", "+31 10 123 4567"},
    {"ZA", "010 123 4567", "+27 10 123 4567"},       {"AU", "(02) 1234 5678", "+61 2 1234 5678"},
    {"JP", "03-1234-5678", "+81 3-1234-5678"},       {"IN", "074104 10123", "+91 74104 10123"},
    {"BR", "(11) 2345-6789", "+55 11 2345-6789"},    {"MX", "200 123 4567", "+52 200 123 4567"},
};

/// ns per PhoneNormalizer::normalize of `number` with `plan` (best of `rounds`).
double time_normalize(const vipcore::PhoneNormalizer& plan, const char* number, std::size_t rounds) {
  constexpr std::size_t kCalls = 200'000;
  vipcore::PhoneNumber n;
  check_ok(plan.normalize(number, &n), "normalize");
  return best_of(rounds, [&] {
           for (std::size_t i = 0; i < kCalls; ++i) {
             const vipcore::Status s = plan.normalize(number, &n);
             g_sink = static_cast<unsigned char>(s.ok() ? n.e164()[1] : 0);
           }
         }) /
         kCalls;
}

/// Normalization per region, national and international form; the baseline
/// is the US plan reading a US number (what every identify measured above does).
void measure_normalization(std::size_t rounds) {
  progress("timing normalization per region");
  std::vector<std::pair<std::string, double>> rows;
  double us_national = 0;
  for (const RegionNumber& r : kRegionNumbers) {
    auto plan = vipcore::PhoneNormalizer::for_region(r.region);
    check_ok(plan.status(), "PhoneNormalizer::for_region");
    const double national = time_normalize(*plan, r.national, rounds);
    const double international = time_normalize(*plan, r.international, rounds);
    if (rows.empty()) us_national = national;
    rows.emplace_back(std::string("normalize_") + r.region + "_national", national);
    rows.emplace_back(std::string("normalize_") + r.region + "_international", international);
  }
  for (const auto& [name, ns] : rows) print_row(name, ns);
  std::printf("# normalize_<region>_<form>: PhoneNormalizer::for_region(<region>).normalize of a fixed-line\n"
              "#   number of the region; ratios against normalize_US_national (lower is better).\n");
  for (const auto& [name, ns] : rows)
    if (name != "normalize_US_national") print_ratio((name + "/normalize_US_national").c_str(), ns / us_national);
}

// ------------------------------------------------------- pbx during import

/// Imports `n` VIPs all-or-nothing into a fresh database while the PBX
/// records calls and checks escalations (with call ids) on the same one;
/// prints the PBX write latencies and the import time.
void measure_pbx_during_import(const TempDir& dir, std::size_t n) {
  const auto key = vipcore::MasterKey::for_testing("bench");
  check_ok(key.status(), "MasterKey::for_testing");
  vipcore::Options options;
  options.sqlite.durable_commits = false;
  auto db = vipcore::Database::open(dir.file("pbx-during-import.db"), *key, options);
  check_ok(db.status(), "Database::open");
  auto admin = db->tenant(kTenant, {"bench", vipcore::Role::admin});
  check_ok(admin.status(), "Database::tenant (admin)");
  auto pbx = db->tenant(kTenant, {"pbx", vipcore::Role::system});
  check_ok(pbx.status(), "Database::tenant (system)");
  vipcore::NewCaller vip;
  vip.phone_number = unknown_number(0);  // not among the imported numbers
  vip.caller_name = "Waiting Caller";
  vip.vip_level = vipcore::Level::gold;
  check_ok(admin->create(vip).status(), "create");
  vipcore::EscalationRule rule;
  rule.name = "Long wait";
  rule.max_wait_time = 10;
  check_ok(admin->create_rule(rule).status(), "create_rule");
  auto who = pbx->identify(unknown_number(0));
  check(who.ok() && who->is_vip, "identify of the waiting caller");

  const std::vector<vipcore::NewCaller> rows = import_rows(n);
  std::atomic<bool> importing{true};
  vipcore::Status import_status;
  vipcore::ImportReport report;
  double import_s = 0;
  progress("importing ", n, " callers while the PBX writes");
  std::thread importer([&] {
    vipcore::ImportOptions io;
    io.mode = vipcore::ImportMode::all_or_nothing;
    const auto start = Clock::now();
    import_status = admin->import_callers(rows, io, &report);
    import_s = seconds_since(start);
    importing = false;
  });
  std::vector<double> ms;
  std::size_t failed = 0, calls = 0;
  while (importing) {
    const std::string call_id = "call-" + std::to_string(calls++);
    auto start = Clock::now();
    auto check_result = pbx->check_escalation(who->caller, 60, 3, call_id);
    ms.push_back(seconds_since(start) * 1e3);
    if (!check_result.ok()) ++failed;
    vipcore::CallRecord call;
    call.call_id = call_id;
    call.caller_id = who->caller.id;
    call.wait_seconds = 60;
    start = Clock::now();
    auto recorded = pbx->record_call(call);
    ms.push_back(seconds_since(start) * 1e3);
    if (!recorded.ok()) ++failed;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // about a call every 5 ms
  }
  importer.join();
  check_ok(import_status, "import_callers");
  check(report.committed && report.created == n, "import_callers did not create every row");
  check(!ms.empty(), "the PBX wrote nothing during the import");
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1))]; };
  std::printf("# pbx during import: %zu-row all-or-nothing import took %.2f s; the PBX made %zu writes "
              "(record_call and check_escalation with a call id), %zu failed\n",
              n, import_s, ms.size(), failed);
  std::printf("%-40s %12.3f ms\n", "pbx write p50 during import", at(0.5));
  std::printf("pbx write p99 during %zu-row import %12.3f ms\n", n, at(0.99));
  std::printf("%-40s %12.3f ms\n", "pbx write max during import", ms.back());
  std::printf("%-40s %12.3f s\n", "import during pbx writes", import_s);
}

// ------------------------------------------------------------------ main

void run(const Config& cfg) {
  const TempDir dir;  // declared first, so removed last
  if (cfg.only == "pbx-during-import") {
    measure_pbx_during_import(dir, cfg.callers);
    return;
  }
  if (cfg.only == "normalize") {
    measure_normalization(cfg.rounds);
    return;
  }
  const std::string db_path = dir.file(kVipcoreFile);
  progress("vipcore database in ", db_path);
  const auto key = vipcore::MasterKey::for_testing("bench");
  check_ok(key.status(), "MasterKey::for_testing");
  vipcore::Options options;
  options.sqlite.durable_commits = false;
  auto db = vipcore::Database::open(db_path, *key, options);
  check_ok(db.status(), "Database::open");
  auto admin = db->tenant(kTenant, {"bench", vipcore::Role::admin});
  check_ok(admin.status(), "Database::tenant (admin)");

  const ImportTimes import_times = measure_import(*admin, dir, cfg.callers);
  if (cfg.only == "import") {
    report_import(cfg, import_times);
    return;
  }

  auto pbx = db->tenant(kTenant, {"bench", vipcore::Role::system});
  check_ok(pbx.status(), "Database::tenant (system)");
  verify_identify(*pbx, cfg.callers);

  progress("loading the stored phone hashes for the baselines");
  const Db reader = open_sqlite(db_path, SQLITE_OPEN_READONLY);
  const StoredPhones stored = read_stored_phones(reader.get());
  check(stored.hashes.size() == cfg.callers, "vip_phone does not hold one row per caller");
  std::unordered_map<Hash, std::string> map;
  map.reserve(stored.hashes.size());
  for (std::size_t i = 0; i < stored.hashes.size(); ++i) map.emplace(stored.hashes[i], stored.caller_ids[i]);
  const Stmt select = prepare(reader.get(), "SELECT caller_id FROM vip_phone WHERE tenant_id = ?1 AND phone_hash = ?2");

  // Lookups [0, lookups) are timed; the warm-up runs over the next `warmup`
  // ones, so that it fills the caches without pre-loading the timed rows.
  const std::size_t warmup = std::max<std::size_t>(1, cfg.lookups / 10);
  progress("generating ", cfg.lookups + warmup, " hit and as many miss lookups");
  const Workload workloads[] = {hit_workload(cfg.callers, stored, cfg.lookups + warmup),
                                miss_workload(cfg.lookups + warmup)};
  struct Contender {
    const char* name;
    Lookup lookup;
  } contenders[] = {
      {"identify", identify_lookup(*pbx)},
      {"sqlite_chain", sqlite_chain_lookup(select.get())},
      {"unordered_map_chain", map_chain_lookup(map)},
  };

  // Rounds interleave the contenders, and the best round counts, so that a
  // burst of noise on the machine does not decide a ratio.
  std::map<std::string, double> best_ns;
  for (std::size_t round = 1; round <= cfg.rounds; ++round)
    for (const Workload& w : workloads)
      for (Contender& c : contenders) {
        time_lookups(c.lookup, w, cfg.lookups, cfg.lookups + warmup);
        const double ns = time_lookups(c.lookup, w, 0, cfg.lookups);
        const std::string name = std::string(c.name) + "_" + w.name;
        progress("round ", round, ": ", name, " ", ns, " ns/op");
        const auto [it, fresh] = best_ns.emplace(name, ns);
        if (!fresh) it->second = std::min(it->second, ns);
      }

  progress("creating ", kEscalationRules, " escalation rules");
  create_escalation_rules(*admin);
  for (std::size_t round = 1; round <= cfg.rounds; ++round) {
    const double ns = time_escalation_checks(*pbx, std::max<std::size_t>(1000, cfg.lookups / 20));
    progress("round ", round, ": escalation_check ", ns, " ns/op");
    const auto [it, fresh] = best_ns.emplace("escalation_check", ns);
    if (!fresh) it->second = std::min(it->second, ns);
  }

  progress("recording ", cfg.calls, " calls");
  const vipcore::DateRange month = insert_calls(*db, stored.caller_ids, cfg.calls);
  best_ns["overview"] = best_of(cfg.rounds, [&] {
    auto o = admin->overview(month);
    check(o.ok() && o->all.calls == cfg.calls, "overview did not count every call");
  });
  best_ns["evaluate_alerts"] = best_of(cfg.rounds, [&] { check_ok(admin->evaluate_alerts(month).status(), "alerts"); });
  best_ns["caller_analytics"] = best_of(cfg.rounds, [&] {
    check_ok(admin->caller_analytics(stored.caller_ids[0], month).status(), "caller_analytics");
  });
  progress("overview of ", cfg.calls, " calls: ", best_ns["overview"] / 1e6, " ms");

  report(cfg, dir, warmup, best_ns, import_times);
  measure_normalization(cfg.rounds);
  measure_pbx_during_import(dir, cfg.callers);
}

std::optional<Config> parse_args(int argc, char** argv) {
  Config cfg;
  CLI::App app{"vipcore_bench: identify, escalation, import and analytics against baselines measured in the same run"};
  app.add_option("--callers", cfg.callers, "VIPs in the database")->check(CLI::Range(std::size_t{1000}, kMaxCallers));
  app.add_option("--lookups", cfg.lookups, "timed lookups per measurement")
      ->check(CLI::Range(std::size_t{1000}, std::size_t{1'000'000'000}));
  app.add_option("--rounds", cfg.rounds, "rounds; the best counts")->check(CLI::Range(1, 100));
  app.add_option("--only", cfg.only, "run only this measurement")->check(CLI::IsMember({"import", "normalize", "pbx-during-import"}));
  app.add_option("--calls", cfg.calls, "recorded calls for the analytics measurements")
      ->check(CLI::Range(std::size_t{1000}, std::size_t{100'000'000}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return std::nullopt;
  }
  return cfg;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Config> cfg = parse_args(argc, argv);
  if (!cfg) return argc > 1 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") ? 0 : 2;
  if (sodium_init() < 0) {
    std::cerr << "vipcore_bench: libsodium cannot be initialized\n";
    return 1;
  }
  try {
    run(*cfg);
  } catch (const std::exception& e) {  // a BenchFailure, or std::bad_alloc
    std::cerr << "vipcore_bench: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
