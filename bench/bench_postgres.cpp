// vipcore_bench --postgres CONNINFO: vipcore on a PostgreSQL server, next to
// what the same work costs with raw libpq on the same server, in one run.
//
//   import      Tenant::import_callers of N VIPs, against two raw binary
//               COPYs in one transaction: of exactly the rows the import
//               stored (its vip_caller and vip_phone rows, read back, into
//               tables made LIKE them), and of N rows of the shape the
//               SQLite baseline inserts (tenant, phone hash, caller id,
//               level, a sealed name's 60 bytes) into one table with the
//               same primary key. The imported tables are vacuumed first,
//               untimed, so that autovacuum does not run beside a baseline.
//               Ratios: throughputs, vipcore over raw (higher is better).
//   identify warm
//               Tenant::identify of VIP numbers with the cache on, each
//               number identified once before timing, against the in-memory
//               chain (normalize + keyed hash + find in an unordered_map of
//               every stored hash).
//   identify uncached
//               Tenant::identify with Options::cache_bytes = 0 (every lookup
//               a round trip), against a raw libpq chain: normalize + keyed
//               hash + PQexecPrepared of the SELECT the backend's
//               find_by_phone runs, one row in binary format.
//   overview    Tenant::overview over 30 days of calls, seeded by a raw COPY
//               into vip_call (record_call's validation is the tests'
//               business), best of the rounds.
//   cross-node visibility
//               two Database handles in this process (two nodes: each its own
//               connections, listener and cache); a VIP's level changed on A,
//               then B's identify polled until it answers the new level: the
//               time from A's update returning (committed) until B sees it.
//
// Everything happens in a fresh schema bench_<pid> of the server's database
// (options=-csearch_path=...), dropped at the end.
#include <libpq-fe.h>
#include <unistd.h>

#include <cstring>

#include "bench.hpp"

namespace vipcore_bench {
namespace {

struct FinishPg {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct ClearPg {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using Pg = std::unique_ptr<PGconn, FinishPg>;
using PgResult = std::unique_ptr<PGresult, ClearPg>;

/// `conninfo` (a "key=value" string or a URI) with `schema` first in the search path.
std::string in_schema(const std::string& conninfo, const std::string& schema) {
  const bool uri = conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0;
  if (!uri) return conninfo + " options='-csearch_path=" + schema + "'";
  return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

Pg pg_connect(const std::string& conninfo) {
  Pg c(PQconnectdb(conninfo.c_str()));
  check(c != nullptr, "PostgreSQL: out of memory");
  check(PQstatus(c.get()) == CONNECTION_OK, std::string("cannot connect to PostgreSQL: ") + PQerrorMessage(c.get()));
  PQsetNoticeProcessor(c.get(), [](void*, const char*) {}, nullptr);  // e.g. DROP SCHEMA's list of what it dropped
  return c;
}

PgResult pg_exec(PGconn* c, const std::string& sql) {
  PgResult r(PQexec(c, sql.c_str()));
  const ExecStatusType st = PQresultStatus(r.get());
  check(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, sql + ": " + PQerrorMessage(c));
  return r;
}

/// A binary-format COPY ... FROM STDIN, written tuple by tuple.
class Copy {
 public:
  Copy(PGconn* c, const std::string& sql) : c_(c) {
    const PgResult r(PQexec(c, sql.c_str()));
    check(PQresultStatus(r.get()) == PGRES_COPY_IN, sql + ": " + PQerrorMessage(c));
    buf_.assign("PGCOPY\n\377\r\n\0", 11);
    buf_.append(8, '\0');
  }
  void tuple(int fields) { be(static_cast<std::uint64_t>(fields), 2); }
  void null() { be(0xffffffffu, 4); }
  void bytes(std::string_view v) {
    be(v.size(), 4);
    buf_.append(v);
  }
  void i64(std::int64_t v) {
    be(8, 4);
    be(static_cast<std::uint64_t>(v), 8);
  }
  void f64(double v) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    be(8, 4);
    be(bits, 8);
  }
  void flush_if_full() {
    if (buf_.size() >= (std::size_t{1} << 20)) put();
  }
  void finish() {
    buf_.append(2, '\xff');
    put();
    check(PQputCopyEnd(c_, nullptr) == 1, std::string("COPY: ") + PQerrorMessage(c_));
    const PgResult r(PQgetResult(c_));
    check(PQresultStatus(r.get()) == PGRES_COMMAND_OK, std::string("COPY: ") + PQerrorMessage(c_));
    while (PGresult* more = PQgetResult(c_)) PQclear(more);
  }

 private:
  void be(std::uint64_t v, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) buf_.push_back(static_cast<char>((v >> shift) & 0xff));
  }
  void put() {
    check(PQputCopyData(c_, buf_.data(), static_cast<int>(buf_.size())) == 1,
          std::string("COPY: ") + PQerrorMessage(c_));
    buf_.clear();
  }
  PGconn* c_;
  std::string buf_;
};

/// The bench's schema: created at once, dropped (with everything in it) when the object dies.
class Schema {
 public:
  explicit Schema(const std::string& conninfo) : conninfo_(conninfo), name_("bench_" + std::to_string(::getpid())) {
    const Pg c = pg_connect(conninfo_);
    pg_exec(c.get(), "DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    pg_exec(c.get(), "CREATE SCHEMA " + name_);
  }
  ~Schema() {
    Pg c(PQconnectdb(conninfo_.c_str()));
    if (c && PQstatus(c.get()) == CONNECTION_OK) {
      PQsetNoticeProcessor(c.get(), [](void*, const char*) {}, nullptr);
      const PgResult dropped(PQexec(c.get(), ("DROP SCHEMA " + name_ + " CASCADE").c_str()));
      if (PQresultStatus(dropped.get()) == PGRES_COMMAND_OK) return;
    }
    std::cerr << "vipcore_bench: could not drop the schema " << name_ << '\n';
  }
  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;
  const std::string& name() const noexcept { return name_; }

 private:
  std::string conninfo_;
  std::string name_;
};

vipcore::Database open_node(const std::string& conninfo, const vipcore::MasterKey& key, std::size_t cache_bytes) {
  vipcore::Options options;
  options.cache_bytes = cache_bytes;
  auto db = vipcore::Database::open(conninfo, key, options);
  check_ok(db.status(), "Database::open (PostgreSQL)");
  return std::move(*db);
}

vipcore::Tenant tenant_of(const vipcore::Database& db, vipcore::Role role) {
  auto t = db.tenant(kTenant, {"bench", role});
  check_ok(t.status(), "Database::tenant");
  return std::move(*t);
}

// ---------------------------------------------------------------- import

double time_raw_copy(PGconn* c, std::size_t n) {
  progress("hashing ", n, " rows for the raw COPY (not timed)");
  std::vector<Hash> hashes;
  std::vector<std::string> ids;
  hashes.reserve(n);
  ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    hashes.push_back(baseline_hash(vip_number(i)));
    char id[64];
    std::snprintf(id, sizeof id, "%08zx-0000-4000-8000-%012zx", i, i);
    ids.emplace_back(id);
  }
  pg_exec(c,
          "CREATE TABLE raw_vip (tenant_id text COLLATE \"C\" NOT NULL, phone_hash bytea NOT NULL, "
          "caller_id text NOT NULL, vip_level bigint NOT NULL, caller_name bytea NOT NULL, "
          "PRIMARY KEY (tenant_id, phone_hash))");
  const std::string name_blob(60, 'x');  // the size of a sealed "Caller <i>"
  progress("timing raw COPY of ", n, " rows");
  const auto start = Clock::now();
  pg_exec(c, "BEGIN");
  Copy copy(c, "COPY raw_vip FROM STDIN (FORMAT binary)");
  for (std::size_t i = 0; i < n; ++i) {
    copy.tuple(5);
    copy.bytes(kTenant);
    copy.bytes(hashes[i]);
    copy.bytes(ids[i]);
    copy.i64(static_cast<std::int64_t>(level_of(i)));
    copy.bytes(name_blob);
    copy.flush_if_full();
  }
  copy.finish();
  pg_exec(c, "COMMIT");
  return seconds_since(start);
}

/// What `query` returns, as binary COPY data (COPY (query) TO STDOUT).
std::string copy_out(PGconn* c, const std::string& query) {
  const std::string sql = "COPY (" + query + ") TO STDOUT (FORMAT binary)";
  const PgResult started(PQexec(c, sql.c_str()));
  check(PQresultStatus(started.get()) == PGRES_COPY_OUT, sql + ": " + PQerrorMessage(c));
  std::string data;
  for (;;) {
    char* chunk = nullptr;
    const int n = PQgetCopyData(c, &chunk, 0);
    if (n < 0) break;
    data.append(chunk, static_cast<std::size_t>(n));
    PQfreemem(chunk);
  }
  const PgResult done(PQgetResult(c));
  check(PQresultStatus(done.get()) == PGRES_COMMAND_OK, sql + ": " + PQerrorMessage(c));
  while (PGresult* more = PQgetResult(c)) PQclear(more);
  return data;
}

/// Sends binary COPY data, as copy_out returned it, to `sql` (a COPY ... FROM STDIN).
void copy_in(PGconn* c, const std::string& sql, std::string_view data) {
  const PgResult started(PQexec(c, sql.c_str()));
  check(PQresultStatus(started.get()) == PGRES_COPY_IN, sql + ": " + PQerrorMessage(c));
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  for (std::size_t at = 0; at < data.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, data.size() - at);
    check(PQputCopyData(c, data.data() + at, static_cast<int>(n)) == 1, sql + ": " + PQerrorMessage(c));
  }
  check(PQputCopyEnd(c, nullptr) == 1, sql + ": " + PQerrorMessage(c));
  const PgResult r(PQgetResult(c));
  check(PQresultStatus(r.get()) == PGRES_COMMAND_OK, sql + ": " + PQerrorMessage(c));
  while (PGresult* more = PQgetResult(c)) PQclear(more);
}

/// A raw binary COPY of exactly the rows the import stored (its vip_caller
/// and vip_phone rows, read back before timing, each in primary-key order)
/// into two tables made LIKE them (same columns, keys and indexes), in one
/// transaction.
double time_raw_copy_same_rows(PGconn* c) {
  progress("reading back the rows the import stored (not timed)");
  const std::string tenant = "'" + std::string(kTenant) + "'";
  const std::string callers = copy_out(c, "SELECT * FROM vip_caller WHERE tenant_id = " + tenant + " ORDER BY id");
  const std::string phones =
      copy_out(c, "SELECT * FROM vip_phone WHERE tenant_id = " + tenant + " ORDER BY phone_hash");
  pg_exec(c, "CREATE TABLE raw_caller (LIKE vip_caller INCLUDING ALL)");
  pg_exec(c, "CREATE TABLE raw_phone (LIKE vip_phone INCLUDING ALL)");
  progress("timing raw COPY of the same rows (", (callers.size() + phones.size()) >> 20, " MiB)");
  const auto start = Clock::now();
  pg_exec(c, "BEGIN");
  copy_in(c, "COPY raw_caller FROM STDIN (FORMAT binary)", callers);
  copy_in(c, "COPY raw_phone FROM STDIN (FORMAT binary)", phones);
  pg_exec(c, "COMMIT");
  const double seconds = seconds_since(start);
  pg_exec(c, "DROP TABLE raw_caller, raw_phone");
  return seconds;
}

// -------------------------------------------------------------- identify

/// Lookups of VIP numbers: the numbers, and for the baseline chains a
/// random stored hash each (vipcore's own hash of a number cannot be
/// computed outside vipcore: each chain lookup is still one successful
/// point lookup, uniformly over the rows).
struct Lookups {
  std::vector<std::string> numbers;
  std::vector<Hash> probes;
};

Lookups hit_lookups(PGconn* c, std::size_t callers, std::size_t count,
                    std::unordered_map<Hash, std::string>* map) {
  const PgResult r(PQexecParams(c, "SELECT phone_hash, caller_id FROM vip_phone WHERE tenant_id = 'bench' "
                                   "ORDER BY phone_hash",
                                   0, nullptr, nullptr, nullptr, nullptr, /*resultFormat=*/1));
  check(PQresultStatus(r.get()) == PGRES_TUPLES_OK, std::string("reading vip_phone: ") + PQerrorMessage(c));
  const auto column = [&r](int row, int col) {
    return Hash(PQgetvalue(r.get(), row, col), static_cast<std::size_t>(PQgetlength(r.get(), row, col)));
  };
  std::vector<Hash> stored;
  stored.reserve(static_cast<std::size_t>(PQntuples(r.get())));
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    stored.push_back(column(i, 0));
    map->emplace(stored.back(), column(i, 1));
  }
  check(stored.size() == callers, "vip_phone does not hold one row per caller");
  Lookups out;
  Lcg rng(1);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t row = rng.below(callers);
    out.numbers.push_back(vip_number(row));
    out.probes.push_back(stored[row]);
  }
  return out;
}

/// Times one pass of `lookup` over every lookup, checking each answers a VIP; ns per lookup.
template <typename Lookup>
double time_pass(const Lookups& w, Lookup&& lookup) {
  const auto start = Clock::now();
  for (std::size_t i = 0; i < w.numbers.size(); ++i) check(lookup(i), "a VIP number was not found");
  return seconds_since(start) * 1e9 / static_cast<double>(w.numbers.size());
}

/// Best of `rounds` passes of each contender, rounds interleaved.
std::vector<double> time_contenders(std::size_t rounds, const Lookups& w,
                                    std::vector<std::pair<const char*, std::function<bool(std::size_t)>>>& cs) {
  std::vector<double> best(cs.size(), 0);
  for (std::size_t round = 1; round <= rounds; ++round)
    for (std::size_t k = 0; k < cs.size(); ++k) {
      const double ns = time_pass(w, cs[k].second);
      progress("round ", round, ": ", cs[k].first, " ", ns, " ns/op");
      best[k] = round == 1 ? ns : std::min(best[k], ns);
    }
  return best;
}

std::function<bool(std::size_t)> identify_of(const vipcore::Tenant& pbx, const Lookups& w) {
  return [&pbx, &w, out = vipcore::Identification()](std::size_t i) mutable {
    check_ok(pbx.identify(w.numbers[i], &out), "identify");
    return out.is_vip;
  };
}

// -------------------------------------------------------------- overview

/// `n` calls over 30 days across the stored callers, as bench_identify's
/// insert_calls makes them, written by a raw COPY into vip_call.
vipcore::DateRange seed_calls(PGconn* c, const std::unordered_map<Hash, std::string>& map, std::size_t n) {
  std::vector<std::string> caller_ids;
  caller_ids.reserve(map.size());
  for (const auto& [hash, id] : map) caller_ids.push_back(id);
  std::sort(caller_ids.begin(), caller_ids.end());
  const vipcore::Timestamp start = *vipcore::parse_timestamp("2024-01-01");
  const long long start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(start.time_since_epoch()).count();
  const long long step_ms = 30LL * 24 * 3600 * 1000 / static_cast<long long>(n);
  Lcg rng(11);
  pg_exec(c, "BEGIN");
  Copy copy(c,
            "COPY vip_call (tenant_id, call_id, caller_id, vip_level, handling_rules, wait_seconds, max_wait_time, "
            "escalation_triggered, satisfaction_rating, service_quality_score, at) FROM STDIN (FORMAT binary)");
  for (std::size_t i = 0; i < n; ++i) {
    copy.tuple(11);
    copy.bytes(kTenant);
    copy.bytes("bench-call-" + std::to_string(i));
    copy.bytes(caller_ids[rng.below(caller_ids.size())]);
    copy.i64(static_cast<std::int64_t>(rng.below(vipcore::kLevelCount)));
    copy.i64(static_cast<std::int64_t>(rng.below(64)));
    copy.i64(static_cast<std::int64_t>(rng.below(300)));
    copy.i64(60);
    copy.i64(rng.below(20) == 0 ? 1 : 0);
    if (rng.below(10) < 7) copy.i64(1 + static_cast<std::int64_t>(rng.below(5)));
    else copy.null();
    if (rng.below(10) < 6) copy.f64(static_cast<double>(rng.below(101)));
    else copy.null();
    copy.i64(start_ms + step_ms * static_cast<long long>(i));
    copy.flush_if_full();
  }
  copy.finish();
  pg_exec(c, "COMMIT");
  pg_exec(c, "ANALYZE vip_call");
  return vipcore::DateRange{start, start + std::chrono::hours(24 * 30)};
}

// ------------------------------------------------------ cross-node changes

/// Milliseconds from A's update of a VIP's level returning until B's
/// identify answers the new level, for `changes` changes (sorted).
std::vector<double> time_visibility(const vipcore::Tenant& admin_a, const vipcore::Tenant& pbx_b, std::size_t changes) {
  const std::string number = vip_number(0);
  vipcore::Identification out;
  check_ok(pbx_b.identify(number, &out), "identify on B");
  check(out.is_vip, "the changed VIP is not found on B");
  const std::string id = out.caller.id;
  std::vector<double> ms;
  ms.reserve(changes);
  for (std::size_t k = 0; k < changes; ++k) {
    const vipcore::Level level = k % 2 ? vipcore::Level::gold : vipcore::Level::platinum;
    vipcore::CallerUpdate u;
    u.vip_level = level;
    check_ok(admin_a.update(id, u).status(), "update on A");
    const auto committed = Clock::now();
    for (;;) {
      check_ok(pbx_b.identify(number, &out), "identify on B");
      if (out.is_vip && out.caller.vip_level == level) break;
      check(seconds_since(committed) < 10, "node B did not see a change within 10 s");
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    ms.push_back(seconds_since(committed) * 1e3);
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

double percentile(const std::vector<double>& sorted, double p) {
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace

void measure_postgres(const Config& cfg) {
  const Schema schema(cfg.postgres);
  const std::string conninfo = in_schema(cfg.postgres, schema.name());
  progress("PostgreSQL schema ", schema.name());
  const Pg raw = pg_connect(conninfo);
  const auto key = vipcore::MasterKey::for_testing("bench");
  check_ok(key.status(), "MasterKey::for_testing");

  // Node A: the administrators' node, and the warm PBX's.
  const vipcore::Database node_a = open_node(conninfo, *key, kBenchCacheBytes);
  const vipcore::Tenant admin = tenant_of(node_a, vipcore::Role::admin);
  const double import_s = time_vipcore_import(admin, cfg.callers, " into PostgreSQL");
  progress("vipcore import: ", import_s, " s");
  // Autovacuum would visit the million new rows while the baselines run: done now, untimed.
  progress("VACUUM ANALYZE of the imported tables (not timed)");
  pg_exec(raw.get(), "VACUUM ANALYZE vip_caller, vip_phone");
  const double raw_same_s = time_raw_copy_same_rows(raw.get());
  progress("raw COPY of the same rows: ", raw_same_s, " s");
  const double raw_copy_s = time_raw_copy(raw.get(), cfg.callers);
  progress("raw COPY: ", raw_copy_s, " s");
  pg_exec(raw.get(), "DROP TABLE raw_vip");
  pg_exec(raw.get(), "ANALYZE");

  // Identify, warm (node A's cache) and uncached (node C: cache_bytes = 0).
  const std::size_t count = std::min(cfg.lookups, cfg.callers);
  std::unordered_map<Hash, std::string> map;
  map.reserve(cfg.callers);
  const Lookups w = hit_lookups(raw.get(), cfg.callers, count, &map);
  const vipcore::Tenant pbx_a = tenant_of(node_a, vipcore::Role::system);
  const vipcore::Database node_c = open_node(conninfo, *key, 0);
  const vipcore::Tenant pbx_c = tenant_of(node_c, vipcore::Role::system);
  progress("identifying the ", count, " timed numbers once (warming node A's cache)");
  time_pass(w, identify_of(pbx_a, w));

  const PgResult prepared(PQprepare(raw.get(), "find_phone",
                                    "SELECT caller_id, summary FROM vip_phone WHERE tenant_id = $1 AND phone_hash = $2",
                                    2, nullptr));
  check(PQresultStatus(prepared.get()) == PGRES_COMMAND_OK, std::string("PQprepare: ") + PQerrorMessage(raw.get()));
  std::function<bool(std::size_t)> libpq_chain = [&, prefix = NormalizeAndHash(),
                                                  caller_id = std::string()](std::size_t i) mutable {
    prefix(w.numbers[i]);
    const char* values[2] = {kTenant.data(), w.probes[i].data()};
    const int lengths[2] = {static_cast<int>(kTenant.size()), static_cast<int>(w.probes[i].size())};
    const int formats[2] = {1, 1};
    const PgResult r(PQexecPrepared(raw.get(), "find_phone", 2, values, lengths, formats, 1));
    check(PQresultStatus(r.get()) == PGRES_TUPLES_OK, std::string("raw point lookup: ") + PQerrorMessage(raw.get()));
    if (PQntuples(r.get()) != 1) return false;
    caller_id.assign(PQgetvalue(r.get(), 0, 0), static_cast<std::size_t>(PQgetlength(r.get(), 0, 0)));
    return true;
  };
  std::function<bool(std::size_t)> map_chain = [&, prefix = NormalizeAndHash(),
                                                caller_id = std::string()](std::size_t i) mutable {
    prefix(w.numbers[i]);
    const auto it = map.find(w.probes[i]);
    if (it == map.end()) return false;
    caller_id.assign(it->second);
    return true;
  };
  std::vector<std::pair<const char*, std::function<bool(std::size_t)>>> warm = {
      {"pg_identify_warm", identify_of(pbx_a, w)}, {"map_chain", map_chain}};
  const std::vector<double> warm_ns = time_contenders(cfg.rounds, w, warm);
  std::vector<std::pair<const char*, std::function<bool(std::size_t)>>> uncached = {
      {"pg_identify_uncached", identify_of(pbx_c, w)}, {"libpq_chain", libpq_chain}};
  const std::vector<double> uncached_ns = time_contenders(cfg.rounds, w, uncached);

  // Overview of cfg.calls calls.
  progress("seeding ", cfg.calls, " calls by raw COPY");
  const vipcore::DateRange month = seed_calls(raw.get(), map, cfg.calls);
  const double overview_ns = best_of(cfg.rounds, [&] {
    auto o = admin.overview(month);
    check_ok(o.status(), "overview");
    check(o->all.calls == cfg.calls, "overview did not count every call");
  });
  progress("overview of ", cfg.calls, " calls: ", overview_ns / 1e6, " ms");

  // Two nodes: A changes, B (its own connections, listener and cache) sees.
  constexpr std::size_t kChanges = 1000;
  const vipcore::Database node_b = open_node(conninfo, *key, kBenchCacheBytes);
  const vipcore::Tenant pbx_b = tenant_of(node_b, vipcore::Role::system);
  progress("timing ", kChanges, " changes on node A seen by node B");
  const std::vector<double> visible_ms = time_visibility(admin, pbx_b, kChanges);

  std::printf("# vipcore_bench %s --postgres: %zu callers; %zu timed lookups per measurement; %zu calls; "
              "best of %zu rounds\n",
              vipcore::version(), cfg.callers, count, cfg.calls, cfg.rounds);
  std::printf("%-40s %12s %14s\n", "# measurement", "ns/op", "ops/s");
  print_row("pg_import (per row)", import_s * 1e9 / static_cast<double>(cfg.callers));
  print_row("raw_copy (per row)", raw_copy_s * 1e9 / static_cast<double>(cfg.callers));
  print_row("pg_identify_warm_hit", warm_ns[0]);
  print_row("map_chain_hit", warm_ns[1]);
  print_row("pg_identify_uncached_hit", uncached_ns[0]);
  print_row("libpq_chain_hit", uncached_ns[1]);
  std::printf("%-40s %12.3f s\n", "pg_import (all rows)", import_s);
  std::printf("%-40s %12.3f s\n", "raw_copy_same_rows (all rows)", raw_same_s);
  std::printf("%-40s %12.3f s\n", "raw_copy (all rows)", raw_copy_s);
  const std::string overview_name =
      cfg.calls == 1'000'000 ? std::string("pg_overview_1M_calls") : "pg_overview_" + std::to_string(cfg.calls) + "_calls";
  std::printf("%-40s %12.1f ms\n", overview_name.c_str(), overview_ns / 1e6);
  std::printf("%-40s %12.2f ms\n", "cross_node_visibility_p50", percentile(visible_ms, 0.50));
  std::printf("%-40s %12.2f ms\n", "cross_node_visibility_p99", percentile(visible_ms, 0.99));
  std::printf("%-40s %12.2f ms\n", "cross_node_visibility_max", visible_ms.back());
  std::printf(
      "# pg_import: Tenant::import_callers (validation, normalization, hashing, sealing, vip_caller and\n"
      "#   vip_phone by binary COPY, an audit entry, commit); raw_copy_same_rows: a binary COPY of the\n"
      "#   vip_caller and vip_phone rows the import stored (read back before timing) into tables made\n"
      "#   LIKE them, in one transaction; raw_copy: a binary COPY of (tenant, hash, caller id, level,\n"
      "#   60-byte name) rows into one table with the same primary key, hashes computed before timing.\n"
      "# pg_identify_warm: node A's cache, every timed number identified once before; map_chain:\n"
      "#   PhoneNormalizer + crypto_generichash + find among all stored hashes, in memory.\n"
      "# pg_identify_uncached: Options::cache_bytes = 0, one round trip per lookup; libpq_chain:\n"
      "#   PhoneNormalizer + crypto_generichash + PQexecPrepared of find_by_phone's SELECT, binary, one row.\n"
      "# %s: Tenant::overview over 30 days (calls seeded by a raw COPY into vip_call, then ANALYZE).\n"
      "# cross_node_visibility: %zu level changes committed on node A, each polled on node B's identify\n"
      "#   until seen; ms from A's update returning.\n"
      "# targets: pg_identify_warm <= 1.3x map_chain; pg_identify_uncached <= 1.2x libpq_chain;\n"
      "#   import throughput >= 0.5x a raw COPY of the same rows; overview of 1,000,000 calls < 1000 ms.\n"
      "# ratios: ours / baseline for times (lower is better), except pg_import/*: throughputs,\n"
      "#   ours over the baseline's (higher is better).\n",
      overview_name.c_str(), kChanges);
  print_ratio("pg_import/raw_copy_same_rows (throughput, higher is better)", raw_same_s / import_s);
  print_ratio("pg_import/raw_copy (throughput, higher is better)", raw_copy_s / import_s);
  print_ratio("pg_identify_warm/map_chain", warm_ns[0] / warm_ns[1]);
  print_ratio("pg_identify_uncached/libpq_chain", uncached_ns[0] / uncached_ns[1]);
  std::printf("# total wall time: %.1f s\n", seconds_since(g_start));
}

}  // namespace vipcore_bench
