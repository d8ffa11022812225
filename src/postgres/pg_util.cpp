// libpq helpers of the PostgreSQL backend (see pg_util.hpp).
#include "postgres/pg_util.hpp"

#include <fmt/format.h>

#include <cstring>

namespace vipcore::postgres {
namespace {

std::uint64_t get_be(std::string_view v) noexcept {
  std::uint64_t out = 0;
  for (char c : v) out = (out << 8) | static_cast<unsigned char>(c);
  return out;
}

std::string put_be(std::uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

// The first line of a libpq connection message, without its trailing newline.
std::string first_line(const char* message) {
  std::string m = message ? message : "";
  if (const auto nl = m.find('\n'); nl != std::string::npos) m.resize(nl);
  return m;
}

}  // namespace

Params& Params::i64(std::int64_t v) { return add(put_be(static_cast<std::uint64_t>(v)), 1); }

Params& Params::f64(double v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  return add(put_be(bits), 1);
}

Params& Params::null() {
  values_.emplace_back();
  nulls_.push_back(true);
  formats_.push_back(1);
  return *this;
}

void Params::prepare(std::vector<const char*>* values, std::vector<int>* lengths, std::vector<int>* formats) const {
  values->resize(values_.size());
  lengths->resize(values_.size());
  for (std::size_t i = 0; i < values_.size(); ++i) {
    (*values)[i] = nulls_[i] ? nullptr : values_[i].data();
    (*lengths)[i] = static_cast<int>(values_[i].size());
  }
  *formats = formats_;
}

std::uint64_t Rows::affected() const noexcept {
  const char* n = r_ ? PQcmdTuples(r_) : "";
  std::uint64_t out = 0;
  for (; *n >= '0' && *n <= '9'; ++n) out = out * 10 + static_cast<std::uint64_t>(*n - '0');
  return out;
}

std::int64_t Rows::i64(int row, int col) const noexcept {
  if (is_null(row, col)) return 0;
  const std::string_view v = view(row, col);
  const std::uint64_t raw = get_be(v);
  switch (v.size()) {
    case 2: return static_cast<std::int16_t>(raw);
    case 4: return static_cast<std::int32_t>(raw);
    default: return static_cast<std::int64_t>(raw);
  }
}

double Rows::f64(int row, int col) const noexcept {
  if (is_null(row, col)) return 0;
  const std::uint64_t raw = get_be(view(row, col));
  double out = 0;
  std::memcpy(&out, &raw, sizeof out);
  return out;
}

Status pg_error(PGconn* c, const PGresult* r, std::string_view context) {
  if (c == nullptr || PQstatus(c) != CONNECTION_OK)
    return Status::storage_error(fmt::format("PostgreSQL: the connection was lost while {}: {}", context,
                                             first_line(c ? PQerrorMessage(c) : "not connected")));
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const std::string message = primary ? primary : first_line(PQerrorMessage(c));
  const std::string_view code = state ? state : "";
  if (code == "23505") return Status::already_exists("", fmt::format("{}: {}", context, message));
  if (code == "55P03" || code == "40001" || code == "40P01")
    return Status::busy(fmt::format("PostgreSQL: {} waited too long for another writer: {}", context, message));
  if (code == "57014")
    return Status::storage_error(fmt::format("PostgreSQL: {} took longer than the statement timeout", context));
  return Status::storage_error(fmt::format("PostgreSQL: {} failed: {} (SQLSTATE {})", context, message, code));
}

Status CopyIn::begin(const char* sql, std::string_view context) {
  abort();
  context_ = std::string(context);
  PGconn* conn = c_.get();
  if (conn == nullptr) return pg_error(conn, nullptr, context);
  Rows started(PQexec(conn, sql));
  if (PQresultStatus(started.get()) != PGRES_COPY_IN) {
    Status s = pg_error(conn, started.get(), context);
    for (PGresult* r; (r = PQgetResult(conn)) != nullptr;) PQclear(r);
    return s;
  }
  open_ = true;
  // The binary format's header: signature, flags, no extension.
  buf_.assign("PGCOPY\n\377\r\n\0", 11);
  buf_.append(8, '\0');
  return ok_status();
}

Status CopyIn::flush() {
  if (buf_.empty()) return ok_status();
  if (PQputCopyData(c_.get(), buf_.data(), static_cast<int>(buf_.size())) != 1) {
    Status s = pg_error(c_.get(), nullptr, context_);
    abort();
    return s;
  }
  buf_.clear();
  return ok_status();
}

Status CopyIn::outcome() {
  PGconn* conn = c_.get();
  Status s = ok_status();
  bool first = true;
  for (PGresult* r; (r = PQgetResult(conn)) != nullptr; first = false) {
    Rows rows(r);
    if (first && PQresultStatus(r) != PGRES_COMMAND_OK) s = pg_error(conn, r, context_);
  }
  if (first) s = pg_error(conn, nullptr, context_);
  return s;
}

Status CopyIn::finish() {
  if (!open_) return Status::internal_error("no COPY in progress");
  buf_.append(2, '\xff');  // the trailer: a tuple of -1 fields
  if (Status s = flush(); !s.ok()) return s;
  open_ = false;
  buf_.clear();
  if (PQputCopyEnd(c_.get(), nullptr) != 1) {
    Status s = pg_error(c_.get(), nullptr, context_);
    (void)outcome();
    return s;
  }
  return outcome();
}

void CopyIn::abort() noexcept {
  buf_.clear();
  if (!open_) return;
  open_ = false;
  if (c_.get() == nullptr) return;
  if (PQputCopyEnd(c_.get(), "abandoned by vipcore") == 1)
    for (PGresult* r; (r = PQgetResult(c_.get())) != nullptr;) PQclear(r);
}

Status Connection::connect(const ConnectSettings& settings, bool with_timeouts) {
  close();
  // Ours first: what the caller's conninfo says (the last, expanded entry) wins.
  const std::string timeout = std::to_string(std::max(1, (settings.connect_timeout_ms + 999) / 1000));
  const char* keys[] = {"connect_timeout", "client_encoding", "application_name", "keepalives",
                        "keepalives_idle", "keepalives_interval", "keepalives_count", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "UTF8", "vipcore", "1", "10", "2", "3", settings.conninfo.c_str(), nullptr};
  c_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (c_ == nullptr) return Status::storage_error("PostgreSQL: out of memory while connecting");
  if (PQstatus(c_) != CONNECTION_OK) {
    Status s = Status::storage_error(fmt::format("PostgreSQL: cannot connect: {}", first_line(PQerrorMessage(c_))));
    close();
    return s;
  }
  // libpq would print the server's notices (and a shutdown's FATAL message)
  // on stderr: a library keeps quiet; errors reach callers as Status.
  PQsetNoticeProcessor(c_, [](void*, const char*) {}, nullptr);
  if (with_timeouts) {
    const std::string set = fmt::format("SET statement_timeout = {}; SET lock_timeout = {}",
                                        std::max(0, settings.statement_timeout_ms),
                                        std::max(0, settings.lock_timeout_ms));
    if (Status s = exec(set.c_str(), "setting timeouts"); !s.ok()) {
      close();
      return s;
    }
  }
  return ok_status();
}

void Connection::close() noexcept {
  if (c_) PQfinish(c_);
  c_ = nullptr;
  prepared_.clear();
}

Result<Rows> Connection::check(PGresult* r, std::string_view context) {
  Rows rows(r);
  const ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return rows;
  return pg_error(c_, r, context);
}

Result<Rows> Connection::run(const char* sql, const Params& params, std::string_view context) {
  if (c_ == nullptr) return pg_error(c_, nullptr, context);
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = fmt::format("vipcore_{}", prepared_.size());
    auto prep = check(PQprepare(c_, name.c_str(), sql, 0, nullptr), context);
    if (!prep.ok()) return prep.status();
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  params.prepare(&values, &lengths, &formats);
  return check(PQexecPrepared(c_, it->second.c_str(), params.size(), values.data(), lengths.data(),
                              formats.data(), /*resultFormat=*/1),
               context);
}

Result<Rows> Connection::run_once(const std::string& sql, const Params& params, std::string_view context) {
  if (c_ == nullptr) return pg_error(c_, nullptr, context);
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  params.prepare(&values, &lengths, &formats);
  return check(PQexecParams(c_, sql.c_str(), params.size(), nullptr, values.data(), lengths.data(), formats.data(),
                            /*resultFormat=*/1),
               context);
}

Status Connection::exec(const char* sql, std::string_view context) {
  if (c_ == nullptr) return pg_error(c_, nullptr, context);
  auto r = check(PQexec(c_, sql), context);
  return r.ok() ? ok_status() : r.status();
}

}  // namespace vipcore::postgres
