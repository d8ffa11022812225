// Thin, exception-free helpers over libpq for the PostgreSQL backend:
// connections with their prepared statements, parameters and results.
//
// Every value crosses the wire in binary format: integers as int8, reals as
// float8, text and bytea as their bytes. The schema uses bigint for every
// integer column so that one decoder reads them all.
#ifndef VIPCORE_SRC_POSTGRES_PG_UTIL_HPP
#define VIPCORE_SRC_POSTGRES_PG_UTIL_HPP

#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vipcore/status.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::postgres {

/// A statement's parameters, owned (so that they outlive nothing they point into).
class Params {
 public:
  Params& text(std::string_view v) { return add(std::string(v), 1); }
  Params& bytes(const void* data, std::size_t size) {
    return add(std::string(static_cast<const char*>(data), size), 1);
  }
  Params& i64(std::int64_t v);
  Params& f64(double v);
  Params& null();
  Params& opt_i64(const std::optional<std::int64_t>& v) { return v ? i64(*v) : null(); }
  Params& opt_f64(const std::optional<double>& v) { return v ? f64(*v) : null(); }
  /// bytea, or NULL when empty (an unset sealed field).
  Params& bytes_or_null(std::string_view v) { return v.empty() ? null() : bytes(v.data(), v.size()); }
  /// A value in PostgreSQL's text format (e.g. an array literal).
  Params& literal(std::string v) { return add(std::move(v), 0); }

  int size() const noexcept { return static_cast<int>(values_.size()); }
  /// Pointers, lengths and formats for libpq, valid while this object lives unchanged.
  void prepare(std::vector<const char*>* values, std::vector<int>* lengths, std::vector<int>* formats) const;

 private:
  Params& add(std::string v, int format) {
    values_.push_back(std::move(v));
    nulls_.push_back(false);
    formats_.push_back(format);
    return *this;
  }
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  std::vector<int> formats_;
};

/// One tuple of COPY's binary format, written straight into a buffer: the
/// bulk paths' Params, with the same value methods and no allocation of
/// their own. Exactly `fields` values must follow.
class CopyTuple {
 public:
  CopyTuple(std::string& out, int fields) : out_(out) { be(static_cast<std::uint64_t>(fields), 2); }
  CopyTuple& text(std::string_view v) { return bytes(v.data(), v.size()); }
  CopyTuple& bytes(const void* data, std::size_t size) {
    be(size, 4);
    out_.append(static_cast<const char*>(data), size);
    return *this;
  }
  CopyTuple& i64(std::int64_t v) {
    be(8, 4);
    be(static_cast<std::uint64_t>(v), 8);
    return *this;
  }
  CopyTuple& null() {
    be(0xffffffffu, 4);  // -1: NULL
    return *this;
  }
  CopyTuple& opt_i64(const std::optional<std::int64_t>& v) { return v ? i64(*v) : null(); }
  CopyTuple& bytes_or_null(std::string_view v) { return v.empty() ? null() : bytes(v.data(), v.size()); }

 private:
  void be(std::uint64_t v, int n) {
    char b[8];
    for (int i = 0; i < n; ++i) b[i] = static_cast<char>((v >> (8 * (n - 1 - i))) & 0xff);
    out_.append(b, static_cast<std::size_t>(n));
  }
  std::string& out_;
};

/// A query's result (binary format), owned.
class Rows {
 public:
  Rows() = default;
  explicit Rows(PGresult* r) noexcept : r_(r) {}
  Rows(Rows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Rows& operator=(Rows&& o) noexcept {
    if (this != &o) {
      if (r_) PQclear(r_);
      r_ = o.r_;
      o.r_ = nullptr;
    }
    return *this;
  }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows() {
    if (r_) PQclear(r_);
  }

  int size() const noexcept { return r_ ? PQntuples(r_) : 0; }
  const PGresult* get() const noexcept { return r_; }
  /// Rows an INSERT, UPDATE or DELETE touched.
  std::uint64_t affected() const noexcept;
  bool is_null(int row, int col) const noexcept { return PQgetisnull(r_, row, col) != 0; }
  std::string_view view(int row, int col) const noexcept {
    return {PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col))};
  }
  std::string str(int row, int col) const { return std::string(view(row, col)); }
  /// An integer column (int2, int4 or int8); 0 when NULL.
  std::int64_t i64(int row, int col) const noexcept;
  std::optional<std::int64_t> opt_i64(int row, int col) const noexcept {
    if (is_null(row, col)) return std::nullopt;
    return i64(row, col);
  }
  /// A float8 column; 0 when NULL.
  double f64(int row, int col) const noexcept;
  std::optional<double> opt_f64(int row, int col) const noexcept {
    if (is_null(row, col)) return std::nullopt;
    return f64(row, col);
  }
  bool boolean(int row, int col) const noexcept { return !is_null(row, col) && view(row, col) == std::string_view("\1", 1); }

 private:
  PGresult* r_ = nullptr;
};

/// Connection settings shared by every connection of a storage.
struct ConnectSettings {
  std::string conninfo;
  int connect_timeout_ms = 5000;
  int statement_timeout_ms = 0;
  int lock_timeout_ms = 0;
};

class Connection;

/// A `COPY ... FROM STDIN (FORMAT binary)` in progress on a connection:
/// tuples are appended to buffer() and sent as it fills. Until finish() or
/// abort() returns, the connection serves nothing else. A COPY is one
/// statement: a failure anywhere (a unique violation too) inserts nothing.
class CopyIn {
 public:
  explicit CopyIn(Connection& c) noexcept : c_(c) {}
  CopyIn(const CopyIn&) = delete;
  CopyIn& operator=(const CopyIn&) = delete;
  /// Aborts a COPY still in progress.
  ~CopyIn() { abort(); }

  /// Starts `sql` (a COPY ... FROM STDIN (FORMAT binary)).
  Status begin(const char* sql, std::string_view context);
  /// Where to append tuples (CopyTuple).
  std::string& buffer() noexcept { return buf_; }
  /// Sends the buffer once it holds enough to be worth a write.
  Status flush_if_full() { return buf_.size() >= kFlushBytes ? flush() : ok_status(); }
  /// Sends the rest and ends the COPY: its outcome (Code::already_exists on a unique violation).
  Status finish();
  /// Ends a COPY in progress as failed, inserting nothing; the connection is usable again.
  void abort() noexcept;

 private:
  static constexpr std::size_t kFlushBytes = std::size_t{1} << 20;
  Status flush();
  Status outcome();
  Connection& c_;
  std::string buf_;
  std::string context_;
  bool open_ = false;
};

/// One connection and the statements prepared on it. Used by one thread at a time.
class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { close(); }

  /// Connects (or reconnects) with `settings`; Code::storage on failure.
  Status connect(const ConnectSettings& settings, bool with_timeouts);
  void close() noexcept;
  bool connected() const noexcept { return c_ != nullptr && PQstatus(c_) == CONNECTION_OK; }
  PGconn* get() const noexcept { return c_; }

  /// Runs `sql` (a string constant: statements are prepared once per
  /// connection, keyed by its address) with `params`.
  Result<Rows> run(const char* sql, const Params& params, std::string_view context);
  /// Runs a statement that is not prepared (built at run time).
  Result<Rows> run_once(const std::string& sql, const Params& params, std::string_view context);
  /// Runs SQL without parameters, possibly several statements.
  Status exec(const char* sql, std::string_view context);

 private:
  Result<Rows> check(PGresult* r, std::string_view context);
  PGconn* c_ = nullptr;
  std::unordered_map<const char*, std::string> prepared_;
};

/// Code::storage naming the context, with libpq's primary message only (a
/// DETAIL line could quote values: hashes and ciphertexts, but still).
Status pg_error(PGconn* c, const PGresult* r, std::string_view context);

}  // namespace vipcore::postgres

#endif
