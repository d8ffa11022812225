// vipcore_bench — what identify and bulk import cost, next to what the same
// work costs without vipcore, measured in one run on one machine so that the
// ratios are meaningful.
//
//     vipcore_bench [--callers N] [--lookups M] [--rounds R]
//                   [--only import|normalize|pbx-during-import|escalation]
//     vipcore_bench --postgres CONNINFO [--only postgres] [--callers N] ...
//                   (the PostgreSQL measurements only: see bench_postgres.cpp)
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
//   escalation
//             Tenant::check_escalation of a GOLD caller against 100 rules,
//             with a call id whose rules already triggered (a PBX polling a
//             waiting call), next to identify of VIP numbers. With --only
//             escalation, only these two (N VIPs imported first: pass a
//             small --callers for a quick figure).
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
#include <CLI/CLI.hpp>

#include "bench.hpp"

namespace vipcore_bench {
namespace {

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
/// triggered and notified for this call id, so each check reads the rules
/// version, evaluates and reports (the triggers are known to the process).
double time_escalation_checks(const vipcore::Tenant& pbx, std::size_t checks) {
  vipcore::Identification who;
  check_ok(pbx.identify(vip_number(2), &who), "identify");  // row 2 is GOLD
  check(who.is_vip && who.caller.vip_level == vipcore::Level::gold, "the escalation caller is not a GOLD VIP");
  auto first = pbx.check_escalation(who.caller, 60, 3, "bench-call");
  check_ok(first.status(), "check_escalation");
  check(first->should_escalate && first->triggered_rules.size() < static_cast<std::size_t>(kEscalationRules),
        "the escalation check should trigger some rules, not all");
  vipcore::EscalationResult r;  // reused, as a PBX polling a call would
  const auto start = Clock::now();
  for (std::size_t i = 0; i < checks; ++i) {
    check_ok(pbx.check_escalation(who.caller, 60, 3, "bench-call", &r), "check_escalation");
    check(r.triggered_rules.size() == first->triggered_rules.size(), "check_escalation changed its answer");
  }
  return seconds_since(start) * 1e9 / static_cast<double>(checks);
}

/// `n` recorded calls spread over 30 days across the stored callers, written
/// straight through the storage in one transaction: the analytics are
/// measured here, record_call's validation is the tests' business.
vipcore::DateRange insert_calls(vipcore::Storage& storage, const std::vector<std::string>& caller_ids, std::size_t n) {
  const vipcore::Timestamp start = *vipcore::parse_timestamp("2024-01-01");
  const auto step = std::chrono::milliseconds(30LL * 24 * 3600 * 1000 / static_cast<long long>(n));
  Lcg rng(11);
  auto txn = storage.begin_write();
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
  print_row("identify_after_change", ns.at("identify_after_change"));
  print_row("identify_1_thread (wall per op)", ns.at("identify_1_thread"));
  print_row("identify_2_threads (wall per op)", ns.at("identify_2_threads"));
  print_row("unordered_map_chain_1_thread (wall per op)", ns.at("map_chain_1_thread"));
  print_row("unordered_map_chain_2_threads (wall per op)", ns.at("map_chain_2_threads"));
  print_row("open_sealed_name (saved per hit by a plaintext cache)", ns.at("open_sealed_name"));
  print_row("identify_warm (decrypted names cached)", ns.at("identify_warm"));
  print_row("identify_warm_sealed (sealed names cached)", ns.at("identify_warm_sealed"));
  print_row("escalation_check_100_rules", ns.at("escalation_check"));
  print_row("  per rule", ns.at("escalation_check") / kEscalationRules);
  print_row("overview (" + std::to_string(cfg.calls) + " calls)", ns.at("overview"));
  print_row("evaluate_alerts (" + std::to_string(cfg.calls) + " calls)", ns.at("evaluate_alerts"));
  print_row("caller_analytics (one caller)", ns.at("caller_analytics"));
  print_import_rows(cfg, imp);
  std::printf(
      "# identify: Tenant::identify(number, &out): normalize, keyed hash, the tenant's cache (warm: every\n"
      "#   timed number was looked up in an earlier round) or a point lookup, decrypt caller_name.\n"
      "# identify_after_change: identify right after an administrator's commit to the tenant (%zu lookups\n"
      "#   after each of %zu changes): every cached entry is stale and read again from the file.\n"
      "# identify_N_thread(s): warm identify of VIP numbers on 1 and 2 threads at once, wall time per op\n"
      "#   (best round); their ratio is the median over %zu rounds of each round's 1-thread time over its\n"
      "#   2-thread time, timed back to back (as is the unordered_map_chain's).\n"
      "# cache: %.0f bytes for %zu VIPs, %.0f bytes per cached VIP (a fresh handle that identified each once);\n"
      "#   with sealed names and greetings only (Options::cache_decrypted = false): %.0f bytes per VIP.\n"
      "# identify_warm(_sealed): those fresh handles identifying VIP numbers they cached, decrypted or sealed.\n"
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
      "# escalation_check_100_rules: Tenant::check_escalation(caller, wait, position, call id, &result)\n"
      "#   with a call id whose rules already triggered (a PBX's steady polling, one result reused):\n"
      "#   100 rules evaluated (compiled once per rule set), the triggers found in the process's memory.\n"
      "# targets: identify (warm) <= 1.3x unordered_map_chain; identify_after_change <= 1.2x sqlite_chain;\n"
      "#   escalation check <= 1.0x identify hit; 2 threads >= 1.8x one thread's throughput;\n"
      "#   import rate >= 0.5x raw_insert.\n"
      "# ratios: ours / baseline for times (lower is better), except import_rate/* and\n"
      "#   identify_2_threads/1_thread: throughputs, ours over the baseline's (higher is better).\n",
      kCacheLookupsAfterChange, kCacheChanges, std::max(cfg.rounds, kScalingRounds), ns.at("cache_bytes"), cfg.callers, ns.at("cache_bytes_per_vip"),
      ns.at("cache_bytes_per_vip_sealed"),
      sqlite_size(dir.file(kVipcoreFile)).c_str(), sqlite_size(dir.file(kRawInputOrderFile)).c_str(),
      sqlite_size(dir.file(kRawKeyOrderFile)).c_str(), kCacheKib);
  for (const char* baseline : {"sqlite_chain", "unordered_map_chain"})
    for (const char* workload : {"hit", "miss"}) {
      const std::string suffix = std::string("_") + workload;
      const std::string name = std::string("identify") + suffix + "/" + baseline;
      print_ratio(name.c_str(), ns.at("identify" + suffix) / ns.at(baseline + suffix));
    }
  print_ratio("identify_warm_sealed/identify_warm (what keeping names decrypted saves)",
              ns.at("identify_warm_sealed") / ns.at("identify_warm"));
  print_ratio("identify_after_change/sqlite_chain", ns.at("identify_after_change") / ns.at("sqlite_chain_hit"));
  print_ratio("identify_2_threads/1_thread (throughput, higher is better)", ns.at("identify_2_threads/1_thread"));
  print_ratio("unordered_map_chain_2_threads/1_thread (throughput: this machine's own scaling)",
              ns.at("map_chain_2_threads/1_thread"));
  print_ratio("escalation_check_100_rules/identify_hit", ns.at("escalation_check") / ns.at("identify_hit"));
  print_import_ratios(imp);
  std::printf("# total wall time: %.1f s\n", seconds_since(g_start));
}

// ------------------------------------------------------------------ main

/// The best ns/op of each "<contender>_<workload>" over the rounds.
std::map<std::string, double> time_identify(const Config& cfg, const vipcore::Tenant& pbx, sqlite3* reader,
                                            const StoredPhones& stored, std::size_t warmup) {
  std::unordered_map<Hash, std::string> map;
  map.reserve(stored.hashes.size());
  for (std::size_t i = 0; i < stored.hashes.size(); ++i) map.emplace(stored.hashes[i], stored.caller_ids[i]);
  const Stmt select = prepare(reader, "SELECT caller_id FROM vip_phone WHERE tenant_id = ?1 AND phone_hash = ?2");
  progress("generating ", cfg.lookups + warmup, " hit and as many miss lookups");
  const Workload workloads[] = {hit_workload(cfg.callers, stored, cfg.lookups + warmup),
                                miss_workload(cfg.lookups + warmup)};
  struct Contender {
    const char* name;
    Lookup lookup;
  } contenders[] = {
      {"identify", identify_lookup(pbx)},
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
  // How far this machine lets the in-memory baseline scale: the same chain
  // on 1 and 2 threads over the hit workload, wall time per lookup (the
  // context of identify_2_threads/1_thread).
  std::vector<double> scaling;
  for (std::size_t round = 1; round <= std::max(cfg.rounds, kScalingRounds); ++round) {
    double one = 0;
    for (const unsigned threads : {1u, 2u}) {
      const std::size_t per_thread = cfg.lookups / threads;
      std::vector<std::thread> pool;
      const auto start = Clock::now();
      for (unsigned t = 0; t < threads; ++t)
        pool.emplace_back([&, t, lookup = map_chain_lookup(map)]() mutable {
          time_lookups(lookup, workloads[0], t * per_thread, (t + 1) * per_thread);
        });
      for (std::thread& th : pool) th.join();
      const double ns = seconds_since(start) * 1e9 / static_cast<double>(threads * per_thread);
      const std::string name = threads == 1 ? "map_chain_1_thread" : "map_chain_2_threads";
      const auto [it, fresh] = best_ns.emplace(name, ns);
      if (!fresh) it->second = std::min(it->second, ns);
      if (threads == 1) one = ns;
      else scaling.push_back(one / ns);
    }
  }
  best_ns["map_chain_2_threads/1_thread"] = median(scaling);
  return best_ns;
}

void time_escalation(const Config& cfg, const vipcore::Tenant& admin, const vipcore::Tenant& pbx,
                     std::map<std::string, double>* best_ns, const char* name = "escalation_check") {
  progress("creating ", kEscalationRules, " escalation rules");
  create_escalation_rules(admin);
  for (std::size_t round = 1; round <= cfg.rounds; ++round) {
    const double ns = time_escalation_checks(pbx, std::max<std::size_t>(1000, cfg.lookups / 20));
    progress("round ", round, ": ", name, " ", ns, " ns/op");
    const auto [it, fresh] = best_ns->emplace(name, ns);
    if (!fresh) it->second = std::min(it->second, ns);
  }
}

/// The escalation lines alone (--only escalation), with identify_hit timed
/// in the same run for the ratio.
void report_escalation(const Config& cfg, const vipcore::Tenant& admin, const vipcore::Tenant& pbx) {
  std::map<std::string, double> best_ns;
  time_escalation(cfg, admin, pbx, &best_ns);
  const std::size_t n = std::min(cfg.callers, cfg.lookups);
  std::vector<std::string> numbers;
  numbers.reserve(n);
  for (std::size_t i = 0; i < n; ++i) numbers.push_back(vip_number(i));
  vipcore::Identification out;
  auto identify_all = [&] {
    for (const std::string& number : numbers) check(pbx.identify(number, &out).ok() && out.is_vip, "identify");
  };
  identify_all();  // warm-up
  best_ns["identify_hit"] = best_of(cfg.rounds, identify_all) / static_cast<double>(n);

  // The same check on the in-memory backend, where the storage reads the
  // check still makes (the rules version) cost a map lookup.
  auto mem = vipcore::Database::open(vipcore::new_memory_storage(), *vipcore::MasterKey::for_testing("bench"));
  check_ok(mem.status(), "Database::open (memory)");
  auto mem_admin = mem->tenant(kTenant, {"bench", vipcore::Role::admin});
  check_ok(mem_admin.status(), "Database::tenant (memory admin)");
  vipcore::NewCaller gold;
  gold.phone_number = vip_number(2);
  gold.caller_name = caller_name(2);
  gold.vip_level = level_of(2);
  check_ok(mem_admin->create(gold).status(), "create (memory)");
  auto mem_pbx = mem->tenant(kTenant, {"bench", vipcore::Role::system});
  check_ok(mem_pbx.status(), "Database::tenant (memory system)");
  time_escalation(cfg, *mem_admin, *mem_pbx, &best_ns, "escalation_check_memory");
  std::printf("# vipcore_bench %s --only escalation: %zu callers; best of %zu rounds\n", vipcore::version(),
              cfg.callers, cfg.rounds);
  std::printf("%-40s %12s %14s\n", "# measurement", "ns/op", "ops/s");
  print_row("identify_hit", best_ns.at("identify_hit"));
  print_row("escalation_check_100_rules", best_ns.at("escalation_check"));
  print_row("  per rule", best_ns.at("escalation_check") / kEscalationRules);
  print_row("escalation_check_100_rules (memory backend)", best_ns.at("escalation_check_memory"));
  print_ratio("escalation_check_100_rules/identify_hit", best_ns.at("escalation_check") / best_ns.at("identify_hit"));
}

void time_analytics(const Config& cfg, vipcore::Storage& storage, const vipcore::Tenant& admin,
                    const StoredPhones& stored, std::map<std::string, double>* best_ns) {
  progress("recording ", cfg.calls, " calls");
  const vipcore::DateRange month = insert_calls(storage, stored.caller_ids, cfg.calls);
  (*best_ns)["overview"] = best_of(cfg.rounds, [&] {
    auto o = admin.overview(month);
    check(o.ok() && o->all.calls == cfg.calls, "overview did not count every call");
  });
  (*best_ns)["evaluate_alerts"] =
      best_of(cfg.rounds, [&] { check_ok(admin.evaluate_alerts(month).status(), "alerts"); });
  (*best_ns)["caller_analytics"] = best_of(cfg.rounds, [&] {
    check_ok(admin.caller_analytics(stored.caller_ids[0], month).status(), "caller_analytics");
  });
  progress("overview of ", cfg.calls, " calls: ", (*best_ns)["overview"] / 1e6, " ms");
}


void run(const Config& cfg) {
  if (!cfg.postgres.empty()) {
    measure_postgres(cfg);
    return;
  }
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
  options.cache_bytes = kBenchCacheBytes;
  // The storage is opened here, and a pointer kept, so that the calls can
  // be written straight into it (the Database gives no access to it).
  auto storage = vipcore::open_sqlite_storage(db_path, options.sqlite);
  check_ok(storage.status(), "open_sqlite_storage");
  vipcore::Storage& raw_storage = **storage;
  auto db = vipcore::Database::open(std::move(*storage), *key, options);
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
  if (cfg.only == "escalation") {
    report_escalation(cfg, *admin, *pbx);
    return;
  }

  progress("loading the stored phone hashes for the baselines");
  const Db reader = open_sqlite(db_path, SQLITE_OPEN_READONLY);
  const StoredPhones stored = read_stored_phones(reader.get());
  check(stored.hashes.size() == cfg.callers, "vip_phone does not hold one row per caller");
  // Lookups [0, lookups) are timed; the warm-up runs over the next `warmup`
  // ones, so that it fills the caches without pre-loading the timed rows.
  const std::size_t warmup = std::max<std::size_t>(1, cfg.lookups / 10);
  std::map<std::string, double> best_ns = time_identify(cfg, *pbx, reader.get(), stored, warmup);
  time_cache(cfg, db_path, *key, *admin, *pbx, stored.caller_ids[0], &best_ns);
  time_escalation(cfg, *admin, *pbx, &best_ns);
  time_analytics(cfg, raw_storage, *admin, stored, &best_ns);

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
  app.add_option("--only", cfg.only, "run only this measurement")->check(CLI::IsMember({"import", "normalize", "pbx-during-import", "escalation", "postgres"}));
  app.add_option("--postgres", cfg.postgres,
                 "run the PostgreSQL measurements (only them) on this server: a libpq conninfo or URI; "
                 "a schema bench_<pid> is created there and dropped at the end");
  app.add_option("--calls", cfg.calls, "recorded calls for the analytics measurements")
      ->check(CLI::Range(std::size_t{1000}, std::size_t{100'000'000}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return std::nullopt;
  }
  if (cfg.only == "postgres" && cfg.postgres.empty()) {
    std::cerr << "vipcore_bench: --only postgres needs --postgres CONNINFO\n";
    return std::nullopt;
  }
  return cfg;
}

}  // namespace
}  // namespace vipcore_bench

int main(int argc, char** argv) {
  const std::optional<vipcore_bench::Config> cfg = vipcore_bench::parse_args(argc, argv);
  if (!cfg) return argc > 1 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") ? 0 : 2;
  if (sodium_init() < 0) {
    std::cerr << "vipcore_bench: libsodium cannot be initialized\n";
    return 1;
  }
  try {
    vipcore_bench::run(*cfg);
  } catch (const std::exception& e) {  // a BenchFailure, or std::bad_alloc
    std::cerr << "vipcore_bench: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
