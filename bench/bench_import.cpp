// vipcore_bench: bulk import against raw SQLite inserts, and the PBX's
// writes while an import runs.
#include <atomic>
#include <thread>

#include "bench.hpp"

namespace vipcore_bench {

// ---------------------------------------------------------------- import


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

double time_vipcore_import(const vipcore::Tenant& admin, std::size_t n, std::string_view where) {
  const std::vector<vipcore::NewCaller> rows = import_rows(n);
  vipcore::ImportOptions options;
  options.progress_every = std::max<std::size_t>(1, n / 10);
  options.progress = [](std::size_t done, std::size_t total) {
    progress("  vipcore import: ", done, " / ", total, " rows");
    return true;
  };
  vipcore::ImportReport report;
  progress("timing vipcore import of ", n, " callers", where);
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
  t.vipcore_s = time_vipcore_import(admin, n, "");
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

}  // namespace vipcore_bench
