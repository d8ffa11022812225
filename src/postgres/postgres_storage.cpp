// The PostgreSQL backend: opening, migrations, the change listener and the
// reads (see storage_impl.hpp for the design).
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "postgres/codec.hpp"
#include "postgres/storage_impl.hpp"

namespace vipcore::postgres {
namespace {

// The advisory lock's first key: vipcore's (the second is the schema's).
constexpr int kLockClass = 0x76697063;  // "vipc"

std::string fnv_hex(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

// PostgreSQL counts are 64-bit signed: larger ones are clamped.
std::int64_t sql_count(std::uint64_t n) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(n, static_cast<std::uint64_t>(INT64_MAX)));
}

constexpr const char* kFindPhone = "SELECT caller_id, summary FROM vip_phone WHERE tenant_id = $1 AND phone_hash = $2";
const std::string kSelectCaller = fmt::format(
    "SELECT {} FROM vip_caller AS c LEFT JOIN vip_caller_stats AS s ON s.tenant_id = c.tenant_id "
    "AND s.caller_id = c.id WHERE c.tenant_id = $1 AND c.id = $2",
    kCallerReadColumns);
const std::string kScanCallers = fmt::format(
    "SELECT {} FROM vip_caller AS c LEFT JOIN vip_caller_stats AS s ON s.tenant_id = c.tenant_id "
    "AND s.caller_id = c.id WHERE c.tenant_id = $1 AND ($2::bigint IS NULL OR c.vip_level = $2) "
    "AND ($3::bigint IS NULL OR c.status = $3) AND c.id > $4 ORDER BY c.id LIMIT $5 OFFSET $6",
    kCallerReadColumns);
constexpr const char* kCountCallers =
    "SELECT count(*) FROM vip_caller WHERE tenant_id = $1 AND ($2::bigint IS NULL OR vip_level = $2) "
    "AND ($3::bigint IS NULL OR status = $3)";
constexpr const char* kListTenants =
    "SELECT tenant_id FROM vip_caller UNION SELECT tenant_id FROM vip_rule ORDER BY 1";
constexpr const char* kGetMeta = "SELECT value FROM vip_meta WHERE scope = $1 AND key = $2";
const std::string kSelectRules = fmt::format("SELECT {} FROM vip_rule WHERE tenant_id = $1", kRuleColumns);
constexpr const char* kSelectTriggers =
    "SELECT call_id, rule_id, caller_id, triggered_at, notified_at FROM vip_trigger "
    "WHERE tenant_id = $1 AND call_id = $2";
// The aggregation is pushed down: one row per (level, wait) comes back, not
// one per call (a million calls stay on the server), which also gives the
// wait histogram. Ratings are integers, summed exactly; quality scores are
// summed as float8 per group, then across groups here.
constexpr const char* kAggregateCalls =
    "SELECT vip_level, wait_seconds, count(*), "
    "count(*) FILTER (WHERE wait_seconds <= max_wait_time), "
    "count(*) FILTER (WHERE escalation_triggered <> 0), "
    "count(satisfaction_rating), coalesce(sum(satisfaction_rating), 0)::bigint, "
    "count(service_quality_score), coalesce(sum(service_quality_score), 0)::float8, "
    "count(*) FILTER (WHERE handling_rules & 1 <> 0), count(*) FILTER (WHERE handling_rules & 2 <> 0), "
    "count(*) FILTER (WHERE handling_rules & 4 <> 0), count(*) FILTER (WHERE handling_rules & 8 <> 0), "
    "count(*) FILTER (WHERE handling_rules & 16 <> 0), count(*) FILTER (WHERE handling_rules & 32 <> 0), "
    "count(*) FILTER (WHERE handling_rules & 64 <> 0), count(*) FILTER (WHERE handling_rules & 128 <> 0) "
    "FROM vip_call WHERE tenant_id = $1 AND at >= $2 AND at < $3 AND ($4 = '' OR caller_id = $4) "
    "GROUP BY vip_level, wait_seconds ORDER BY vip_level, wait_seconds";
const std::string kListCalls = fmt::format(
    "SELECT {} FROM vip_call WHERE tenant_id = $1 AND caller_id = $2 AND at >= $3 AND at < $4 "
    "ORDER BY at, call_id LIMIT $5",
    kCallColumns);
// A page of a range's calls, after the key (at, call_id) of the last one seen.
const std::string kScanCalls = fmt::format(
    "SELECT {} FROM vip_call WHERE tenant_id = $1 AND at >= $2 AND at < $3 AND ($4 = '' OR caller_id = $4) "
    "AND (at, call_id) > ($5, $6) ORDER BY at, call_id LIMIT $7",
    kCallColumns);
constexpr const char* kCountByLevelStatus =
    "SELECT vip_level, status, count(*) FROM vip_caller WHERE tenant_id = $1 GROUP BY vip_level, status";
constexpr const char* kReadGenerations = "SELECT slot, gen FROM vip_generation WHERE gen <> 0";

Params filter_params(std::string_view tenant_id, const CallerFilter& filter) {
  Params p;
  p.text(tenant_id);
  if (filter.vip_level) p.i64(static_cast<int>(*filter.vip_level));
  else p.null();
  if (filter.status) p.i64(static_cast<int>(*filter.status));
  else p.null();
  return p;
}

}  // namespace

PostgresStorage::PostgresStorage(std::string conninfo, const PostgresOptions& options) : options_(options) {
  settings_.conninfo = std::move(conninfo);
  settings_.connect_timeout_ms = options.connect_timeout_ms;
  settings_.statement_timeout_ms = options.statement_timeout_ms;
  settings_.lock_timeout_ms = options.lock_timeout_ms;
}

PostgresStorage::~PostgresStorage() { stop_listener(); }

Status PostgresStorage::open() {
  if (settings_.conninfo.empty())
    return Status::invalid_argument("conninfo", "is empty: give a postgresql:// URI or a libpq key=value string");
  if (options_.readers < 0) return Status::invalid_argument("readers", "must not be negative");
  if (options_.generation_check_ms <= 0) return Status::invalid_argument("generation_check_ms", "must be positive");
  if (Status s = writer_.connect(settings_, true); !s.ok()) return s;
  // The schema names the channel and the lock: databases in different
  // schemas of one server (tests, several PBX sites) never see each other.
  auto schema = writer_.run("SELECT current_schema()", Params(), "reading the schema");
  if (!schema.ok()) return schema.status();
  if (schema->size() != 1 || schema->is_null(0, 0))
    return Status::invalid_argument("conninfo", "its search_path names no existing schema");
  const std::string name = schema->str(0, 0);
  channel_ = name == "public" ? std::string("vipcore_changes") : "vipcore_changes_" + fnv_hex(name);
  lock_key_sql_ = fmt::format("{}, hashtext(current_schema())", kLockClass);
  if (Status s = migrate(); !s.ok()) return s;
  if (Status s = activity_writer_.connect(settings_, true); !s.ok()) return s;
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) return Status::storage_error("cannot create the listener's pipe");
  // Listening before open() returns: the first identify can already use the cache.
  if (Status s = start_listening(listener_); !s.ok()) return s;
  try {
    listener_thread_ = std::thread([this] { listen_loop(); });
  } catch (...) {
    return Status::storage_error("cannot start the PostgreSQL listener thread");
  }
  return ok_status();
}

Status PostgresStorage::migrate() {
  if (Status s = writer_.exec("BEGIN", "starting the schema check"); !s.ok()) return s;
  const auto fail = [this](Status s) {
    (void)writer_.exec("ROLLBACK", "rolling back the schema check");
    return s;
  };
  // Two processes opening a new database at once: one creates, the other waits and sees it made.
  const std::string lock = fmt::format("SELECT pg_advisory_xact_lock({})", lock_key_sql_);
  if (auto r = writer_.run_once(lock, Params(), "locking the schema"); !r.ok()) return fail(r.status());
  auto exists = writer_.run("SELECT to_regclass('vip_schema') IS NOT NULL", Params(), "reading the schema version");
  if (!exists.ok()) return fail(exists.status());
  std::int64_t version = 0;
  if (exists->boolean(0, 0)) {
    auto v = writer_.run("SELECT max(version) FROM vip_schema", Params(), "reading the schema version");
    if (!v.ok()) return fail(v.status());
    version = v->i64(0, 0);
  } else if (!options_.create_schema_if_missing) {
    return fail(Status::version_error(
        "not a vipcore database: the schema has no vip_schema table (and create_schema_if_missing is off)"));
  }
  if (version > kPostgresSchemaVersion)
    return fail(Status::version_error(
        fmt::format("the PostgreSQL schema has version {}, newer than this vipcore reads ({}): upgrade vipcore",
                    version, kPostgresSchemaVersion)));
  for (std::int64_t v = version; v < kPostgresSchemaVersion; ++v) {
    if (Status s = writer_.exec(kMigrations[v], "migrating the schema"); !s.ok()) return fail(s);
    auto set = writer_.run("UPDATE vip_schema SET version = $1", Params().i64(v + 1), "recording the schema version");
    if (!set.ok()) return fail(set.status());
  }
  return writer_.exec("COMMIT", "committing the schema");
}

// ---- change generations ----------------------------------------------------

void PostgresStorage::apply_generation(std::int64_t slot, std::int64_t gen) noexcept {
  if (slot < 0 || static_cast<std::size_t>(slot) > detail::GenerationTable::kDatabaseSlot || gen < 0) return;
  std::uint64_t* word = &words_[static_cast<std::size_t>(slot)];
  const std::uint64_t want = static_cast<std::uint64_t>(gen) * 2;
  std::uint64_t v = __atomic_load_n(word, __ATOMIC_SEQ_CST);
  while (v < want && !__atomic_compare_exchange_n(word, &v, want, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
  }
}

Status PostgresStorage::reload_generations(Connection& conn) {
  auto rows = conn.run(kReadGenerations, Params(), "reading the change generations");
  if (!rows.ok()) return rows.status();
  for (int i = 0; i < rows->size(); ++i) apply_generation(rows->i64(i, 0), rows->i64(i, 1));
  return ok_status();
}

Status PostgresStorage::start_listening(Connection& conn) {
  listening_.store(false, std::memory_order_release);
  if (Status s = conn.connect(settings_, false); !s.ok()) return s;
  char* quoted = PQescapeIdentifier(conn.get(), channel_.data(), channel_.size());
  if (quoted == nullptr) return pg_error(conn.get(), nullptr, "quoting the channel name");
  const std::string listen = std::string("LISTEN ") + quoted;
  PQfreemem(quoted);
  // LISTEN first, then read: a change committed in between is in the read
  // or in a notification, never in neither.
  if (Status s = conn.exec(listen.c_str(), "listening for changes"); !s.ok()) return s;
  if (Status s = reload_generations(conn); !s.ok()) return s;
  listening_.store(true, std::memory_order_release);
  return ok_status();
}

void PostgresStorage::listen_loop() noexcept {
  using Clock = std::chrono::steady_clock;
  auto next_check = Clock::now() + std::chrono::milliseconds(options_.generation_check_ms);
  // Applies the notifications libpq has read. It also reads them while it
  // waits for a query's result (the safety net's): they are drained before
  // every wait, never left queued until the socket has more to say.
  const auto drain = [&] {
    while (PGnotify* note = PQnotifies(listener_.get())) {
      // "slot:gen,slot:gen,...", or "*": re-read every counter.
      std::string_view payload = note->extra ? note->extra : "";
      if (payload == "*") {
        next_check = Clock::now();
        payload = {};
      }
      while (!payload.empty()) {
        const auto comma = payload.find(',');
        const std::string_view item = payload.substr(0, comma);
        const auto colon = item.find(':');
        if (colon != std::string_view::npos) {
          std::int64_t slot = 0, gen = 0;
          for (char c : item.substr(0, colon)) slot = slot * 10 + (c - '0');
          for (char c : item.substr(colon + 1)) gen = gen * 10 + (c - '0');
          apply_generation(slot, gen);
        }
        payload = comma == std::string_view::npos ? std::string_view() : payload.substr(comma + 1);
      }
      PQfreemem(note);
    }
  };
  while (!stopping_.load()) {
    if (!listener_.connected()) {
      listening_.store(false, std::memory_order_release);
      if (!start_listening(listener_).ok()) {
        listener_.close();
        pollfd wake{wake_[0], POLLIN, 0};
        ::poll(&wake, 1, 100);  // retry soon; a stop interrupts the wait
        continue;
      }
      next_check = Clock::now() + std::chrono::milliseconds(options_.generation_check_ms);
    }
    drain();
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_check - Clock::now()).count();
    pollfd fds[2] = {{PQsocket(listener_.get()), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(std::max<std::int64_t>(0, wait)));
    if (stopping_.load()) break;
    if (n > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
      if (PQconsumeInput(listener_.get()) == 0 || PQstatus(listener_.get()) != CONNECTION_OK) {
        listening_.store(false, std::memory_order_release);
        listener_.close();
        continue;
      }
      drain();
    }
    if (Clock::now() >= next_check) {
      // The safety net: a notification lost on the way is caught here.
      if (!reload_generations(listener_).ok()) {
        listening_.store(false, std::memory_order_release);
        listener_.close();
      }
      next_check = Clock::now() + std::chrono::milliseconds(options_.generation_check_ms);
    }
  }
  listening_.store(false, std::memory_order_release);
}

void PostgresStorage::stop_listener() noexcept {
  stopping_.store(true);
  if (wake_[1] >= 0) {
    const char c = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_[1], &c, 1);
  }
  if (listener_thread_.joinable()) listener_thread_.join();
  for (int& fd : wake_)
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
}

// ---- the reader pool -------------------------------------------------------

Result<std::unique_ptr<Connection>> PostgresStorage::acquire(bool* pooled) {
  {
    std::lock_guard<std::mutex> g(pool_mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Connection> c = std::move(idle_.back());
      idle_.pop_back();
      *pooled = true;
      return c;
    }
  }
  *pooled = false;
  auto c = std::make_unique<Connection>();
  if (Status s = c->connect(settings_, true); !s.ok()) return s;
  return c;
}

void PostgresStorage::release(std::unique_ptr<Connection> c) noexcept {
  if (!c->connected()) return;  // broken: closed here, a new one next time
  std::lock_guard<std::mutex> g(pool_mu_);
  if (idle_.size() >= static_cast<std::size_t>(options_.readers)) return;
  try {
    idle_.push_back(std::move(c));
  } catch (...) {
    // Out of memory: the connection is simply closed.
  }
}

template <typename Read>
auto PostgresStorage::with_reader(Read&& read, const bool* may_retry) -> decltype(read(std::declval<Connection&>())) {
  for (int attempt = 0;; ++attempt) {
    bool pooled = false;
    auto conn = acquire(&pooled);
    if (!conn.ok()) return conn.status();
    auto out = read(**conn);
    const bool broken = !out.ok() && !(*conn)->connected();
    release(std::move(*conn));
    if (!broken || !pooled || attempt > 0 || (may_retry != nullptr && !*may_retry)) return out;
  }
}

// ---- reads -----------------------------------------------------------------

Status PostgresStorage::find_by_phone(std::string_view tenant_id, const PhoneHash& hash, IdentifyRecord* out,
                                      bool* found) {
  *found = false;
  return with_reader([&](Connection& c) -> Status {
    auto rows = c.run(kFindPhone, Params().text(tenant_id).bytes(hash.data(), hash.size()), "looking up a phone number");
    if (!rows.ok()) return rows.status();
    if (rows->size() == 0) return ok_status();
    out->caller_id.assign(rows->view(0, 0));
    if (!decode_summary(rows->view(0, 1), out)) return Status::storage_error("vip_phone.summary is malformed");
    *found = true;
    return ok_status();
  });
}

Result<std::optional<CallerRecord>> PostgresStorage::get_caller(std::string_view tenant_id, std::string_view id) {
  return with_reader([&](Connection& c) { return select_caller(c, kSelectCaller.c_str(), tenant_id, id); });
}

Status PostgresStorage::scan_callers(std::string_view tenant_id, const CallerFilter& filter,
                                     const std::function<bool(CallerRecord&&)>& visit) {
  // In pages, in one snapshot: a million callers never sit in memory at once.
  constexpr std::uint64_t kPage = 1000;
  bool nothing_visited = true;  // a retry would visit the first callers again
  return with_reader([&](Connection& c) -> Status {
    if (Status s = c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting a scan"); !s.ok()) return s;
    std::string after = filter.after_id;
    std::uint64_t offset = filter.offset, left = filter.limit == 0 ? UINT64_MAX : filter.limit;
    Status out = ok_status();
    bool more = true;
    while (more && left > 0) {
      const std::uint64_t page = std::min(left, kPage);
      auto rows = c.run(kScanCallers.c_str(),
                        filter_params(tenant_id, filter).text(after).i64(sql_count(page)).i64(sql_count(offset)),
                        "scanning callers");
      if (!rows.ok()) {
        out = rows.status();
        break;
      }
      offset = 0;
      for (int i = 0; i < rows->size() && more; ++i) {
        auto rec = read_caller(*rows, i);
        if (!rec.ok()) {
          out = rec.status();
          more = false;
          break;
        }
        after = rec->id;
        --left;
        nothing_visited = false;
        more = visit(std::move(*rec));
      }
      if (!out.ok()) break;
      if (static_cast<std::uint64_t>(rows->size()) < page) more = false;
    }
    if (Status s = c.exec(out.ok() ? "COMMIT" : "ROLLBACK", "ending a scan"); !s.ok() && out.ok()) return s;
    return out;
  }, &nothing_visited);
}

Result<std::uint64_t> PostgresStorage::count_callers(std::string_view tenant_id, const CallerFilter& filter) {
  return with_reader([&](Connection& c) -> Result<std::uint64_t> {
    auto rows = c.run(kCountCallers, filter_params(tenant_id, filter), "counting callers");
    if (!rows.ok()) return rows.status();
    return static_cast<std::uint64_t>(rows->i64(0, 0));
  });
}

Result<std::vector<std::string>> PostgresStorage::list_tenants() {
  return with_reader([&](Connection& c) -> Result<std::vector<std::string>> {
    auto rows = c.run(kListTenants, Params(), "listing tenants");
    if (!rows.ok()) return rows.status();
    std::vector<std::string> out;
    for (int i = 0; i < rows->size(); ++i) out.push_back(rows->str(i, 0));
    return out;
  });
}

Result<std::optional<std::string>> PostgresStorage::get_meta(std::string_view scope, std::string_view key) {
  return with_reader([&](Connection& c) { return select_meta(c, kGetMeta, scope, key); });
}

Result<std::vector<RuleRecord>> PostgresStorage::list_rules(std::string_view tenant_id) {
  return with_reader([&](Connection& c) -> Result<std::vector<RuleRecord>> {
    auto rows = c.run(kSelectRules.c_str(), Params().text(tenant_id), "reading escalation rules");
    if (!rows.ok()) return rows.status();
    std::vector<RuleRecord> out;
    for (int i = 0; i < rows->size(); ++i) out.push_back(read_rule(*rows, i));
    return out;
  });
}

Result<std::vector<TriggerRecord>> PostgresStorage::get_triggers(std::string_view tenant_id,
                                                                 std::string_view call_id) {
  return with_reader([&](Connection& c) -> Result<std::vector<TriggerRecord>> {
    auto rows = c.run(kSelectTriggers, Params().text(tenant_id).text(call_id), "reading escalation triggers");
    if (!rows.ok()) return rows.status();
    std::vector<TriggerRecord> out;
    for (int i = 0; i < rows->size(); ++i) out.push_back(read_trigger(*rows, i));
    return out;
  });
}

Status PostgresStorage::scan_calls(std::string_view tenant_id, Timestamp from, Timestamp until,
                                   std::string_view caller_id, const std::function<bool(const CallRow&)>& visit) {
  // In pages, in one snapshot, as scan_callers: a range's calls never sit in memory at once.
  constexpr std::int64_t kPage = 1000;
  bool nothing_visited = true;  // a retry would visit the first calls again
  return with_reader([&](Connection& c) -> Status {
    if (Status s = c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting a scan"); !s.ok()) return s;
    std::int64_t after_at = to_unix_ms(from) - 1;
    std::string after_id;
    Status out = ok_status();
    for (bool more = true; more;) {
      auto rows = c.run(kScanCalls.c_str(),
                        Params()
                            .text(tenant_id)
                            .i64(to_unix_ms(from))
                            .i64(to_unix_ms(until))
                            .text(caller_id)
                            .i64(after_at)
                            .text(after_id)
                            .i64(kPage),
                        "scanning calls");
      if (!rows.ok()) {
        out = rows.status();
        break;
      }
      for (int i = 0; i < rows->size() && more; ++i) {
        const CallRow call = read_call(*rows, i);
        after_at = to_unix_ms(call.at);
        after_id = call.call_id;
        nothing_visited = false;
        more = visit(call);
      }
      if (rows->size() < kPage) more = false;
    }
    if (Status s = c.exec(out.ok() ? "COMMIT" : "ROLLBACK", "ending a scan"); !s.ok() && out.ok()) return s;
    return out;
  }, &nothing_visited);
}

Result<LevelAggregates> PostgresStorage::aggregate_calls(std::string_view tenant_id, Timestamp from, Timestamp until,
                                                         std::string_view caller_id) {
  return with_reader([&](Connection& c) -> Result<LevelAggregates> {
    auto rows = c.run(kAggregateCalls,
                      Params().text(tenant_id).i64(to_unix_ms(from)).i64(to_unix_ms(until)).text(caller_id),
                      "aggregating calls");
    if (!rows.ok()) return rows.status();
    LevelAggregates out;
    for (int i = 0; i < rows->size(); ++i) {
      const std::int64_t level = rows->i64(i, 0), wait = rows->i64(i, 1);
      if (level < 0 || level >= kLevelCount) return Status::storage_error("vip_call.vip_level is out of range");
      if (wait < 0 || wait > INT32_MAX) return Status::storage_error("vip_call.wait_seconds is out of range");
      CallAggregate& a = out[static_cast<std::size_t>(level)];
      const auto n = static_cast<std::uint64_t>(rows->i64(i, 2));
      a.calls += n;
      a.sla_met += static_cast<std::uint64_t>(rows->i64(i, 3));
      a.escalations += static_cast<std::uint64_t>(rows->i64(i, 4));
      a.rated += static_cast<std::uint64_t>(rows->i64(i, 5));
      a.rating_sum += static_cast<double>(rows->i64(i, 6));
      a.scored += static_cast<std::uint64_t>(rows->i64(i, 7));
      a.quality_sum += rows->f64(i, 8);
      for (int rule = 0; rule < kHandlingRuleCount && rule < 8; ++rule)
        a.rules[static_cast<std::size_t>(rule)] += static_cast<std::uint64_t>(rows->i64(i, 9 + rule));
      a.wait_sum += static_cast<double>(wait) * static_cast<double>(n);
      a.wait_max = std::max(a.wait_max, static_cast<int>(wait));
      a.wait_histogram.emplace_back(static_cast<int>(wait), n);
    }
    return out;
  });
}

Result<std::vector<CallRow>> PostgresStorage::list_calls(std::string_view tenant_id, std::string_view caller_id,
                                                         Timestamp from, Timestamp until, std::uint64_t limit) {
  return with_reader([&](Connection& c) -> Result<std::vector<CallRow>> {
    Params p;
    p.text(tenant_id).text(caller_id).i64(to_unix_ms(from)).i64(to_unix_ms(until));
    if (limit == 0) p.null();  // LIMIT NULL: no limit
    else p.i64(sql_count(limit));
    auto rows = c.run(kListCalls.c_str(), p, "reading call history");
    if (!rows.ok()) return rows.status();
    std::vector<CallRow> out;
    for (int i = 0; i < rows->size(); ++i) out.push_back(read_call(*rows, i));
    return out;
  });
}

Result<CallerCounts> PostgresStorage::count_callers_by_level_status(std::string_view tenant_id) {
  return with_reader([&](Connection& c) -> Result<CallerCounts> {
    auto rows = c.run(kCountByLevelStatus, Params().text(tenant_id), "counting callers");
    if (!rows.ok()) return rows.status();
    CallerCounts out{};
    for (int i = 0; i < rows->size(); ++i) {
      const std::int64_t level = rows->i64(i, 0), status = rows->i64(i, 1);
      if (level < 0 || level >= kLevelCount || status < 0 || status > 2)
        return Status::storage_error("vip_caller holds a level or status out of range");
      out[static_cast<std::size_t>(level)][static_cast<std::size_t>(status)] += static_cast<std::uint64_t>(rows->i64(i, 2));
    }
    return out;
  });
}

Result<std::vector<AuditEntry>> PostgresStorage::query_audit(std::string_view tenant_id, const AuditQuery& q) {
  std::string sql =
      "SELECT seq, at, actor_id, role, action, entity_type, entity_id, fields, outcome FROM vip_audit "
      "WHERE tenant_id = $1";
  Params p;
  p.text(tenant_id);
  int n = 1;
  if (q.from) {
    sql += fmt::format(" AND at >= ${}", ++n);
    p.i64(to_unix_ms(*q.from));
  }
  if (q.until) {
    sql += fmt::format(" AND at < ${}", ++n);
    p.i64(to_unix_ms(*q.until));
  }
  if (q.actor_id) {
    sql += fmt::format(" AND actor_id = ${}", ++n);
    p.text(*q.actor_id);
  }
  if (q.entity_id) {
    sql += fmt::format(" AND entity_id = ${}", ++n);
    p.text(*q.entity_id);
  }
  sql += " ORDER BY seq";
  if (q.limit != 0) {
    sql += fmt::format(" LIMIT ${}", ++n);
    p.i64(sql_count(q.limit));
  }
  return with_reader([&](Connection& c) -> Result<std::vector<AuditEntry>> {
    auto rows = c.run_once(sql, p, "reading the audit trail");
    if (!rows.ok()) return rows.status();
    std::vector<AuditEntry> out;
    for (int i = 0; i < rows->size(); ++i) out.push_back(read_audit(*rows, i, tenant_id));
    return out;
  });
}

// ---- writes ----------------------------------------------------------------

Status PostgresStorage::begin_on(Connection& conn, bool take_write_lock) {
  // A connection that broke since the last transaction is replaced; nothing
  // was begun on it yet, so retrying once on a new one is safe.
  for (int attempt = 0;; ++attempt) {
    if (!conn.connected())
      if (Status s = conn.connect(settings_, true); !s.ok()) return s;
    Status s = conn.exec("BEGIN", "starting a write transaction");
    if (s.ok()) break;
    if (conn.connected() || attempt > 0) return s;
  }
  if (take_write_lock) {
    const std::string lock = fmt::format("SELECT pg_advisory_xact_lock({})", lock_key_sql_);
    if (auto r = conn.run_once(lock, Params(), "waiting for the write lock"); !r.ok()) {
      (void)conn.exec("ROLLBACK", "rolling back");
      return r.status();
    }
  }
  return ok_status();
}

Result<std::unique_ptr<WriteTransaction>> PostgresStorage::begin_write() {
  std::unique_lock<std::mutex> lock(write_mu_);
  if (Status s = begin_on(writer_, true); !s.ok()) return s;
  return std::unique_ptr<WriteTransaction>(
      std::make_unique<PostgresTransaction>(*this, writer_, std::move(lock), /*activity=*/false));
}

Result<std::unique_ptr<WriteTransaction>> PostgresStorage::begin_activity_write() {
  std::unique_lock<std::mutex> lock(activity_mu_);
  if (Status s = begin_on(activity_writer_, false); !s.ok()) return s;
  return std::unique_ptr<WriteTransaction>(
      std::make_unique<PostgresTransaction>(*this, activity_writer_, std::move(lock), /*activity=*/true));
}

}  // namespace vipcore::postgres

namespace vipcore {

Result<std::unique_ptr<Storage>> open_postgresql_storage(const std::string& conninfo, const PostgresOptions& options) {
  try {
    auto s = std::make_unique<postgres::PostgresStorage>(conninfo, options);
    if (Status st = s->open(); !st.ok()) return st;
    return std::unique_ptr<Storage>(std::move(s));
  } catch (const std::bad_alloc&) {
    return Status::storage_error("out of memory while opening the PostgreSQL storage");
  }
}

}  // namespace vipcore
