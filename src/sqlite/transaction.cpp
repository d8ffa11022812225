// The SQLite backend's write transaction.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "sqlite/codec.hpp"
#include "sqlite/storage_impl.hpp"

namespace vipcore::sqlite {
namespace {

constexpr std::string_view kNoSuchCaller = "no VIP caller with this id in the tenant";
constexpr std::string_view kNoSuchRule = "no escalation rule with this id in the tenant";

// Runs `st`, an UPDATE or DELETE of one row: Code::not_found with `missing`
// when it changed no row of `db`.
Status run_one_row(Statement& st, sqlite3* db, std::string_view context, std::string_view missing) {
  if (Status s = st.run(context); !s.ok()) return s;
  if (sqlite3_changes(db) == 0) return Status::not_found(missing);
  return ok_status();
}

}  // namespace

SqliteTransaction::~SqliteTransaction() {
  if (activity_open_) sqlite3_exec(s_.activity_writer_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  if (main_open_) sqlite3_exec(s_.writer_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

template <typename F>
Status SqliteTransaction::atomically(F&& body) {
  if (Status s = usable_main(); !s.ok()) return s;
  return in_savepoint(s_.writer_.get(), std::forward<F>(body));
}

Status SqliteTransaction::begin_activity() {
  if (activity_open_) return ok_status();
  activity_lock_ = std::unique_lock<std::mutex>(s_.activity_mu_);
  sqlite3* db = s_.activity_writer_.get();
  if (int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    activity_lock_.unlock();
    state_ = State::failed;
    return error(rc, db, "starting a write transaction on the activity file");
  }
  activity_open_ = true;
  return ok_status();
}

template <typename F>
Status SqliteTransaction::changing(std::string_view scope, F&& body) {
  changes_.touch(detail::GenerationTable::slot_of(scope));
  return atomically(std::forward<F>(body));
}

template <typename F>
Status SqliteTransaction::activity_atomically(F&& body) {
  if (Status s = usable(); !s.ok()) return s;
  if (Status s = begin_activity(); !s.ok()) return s;
  return in_savepoint(s_.activity_writer_.get(), std::forward<F>(body));
}

template <typename F>
Status SqliteTransaction::in_savepoint(sqlite3* db, F&& body) {
  if (int rc = sqlite3_exec(db, "SAVEPOINT op", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    state_ = State::failed;
    return error(rc, db, "starting a savepoint");
  }
  Status s = body();
  if (!s.ok()) {
    const int rc = sqlite3_exec(db, "ROLLBACK TO op; RELEASE op", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK || !(s.is_already_exists() || s.is_not_found())) state_ = State::failed;
    return s;
  }
  if (int rc = sqlite3_exec(db, "RELEASE op", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    state_ = State::failed;
    return error(rc, db, "releasing a savepoint");
  }
  return ok_status();
}

Result<std::optional<CallerRecord>> SqliteTransaction::get_caller(std::string_view tenant_id, std::string_view id) {
  if (Status s = usable_main(); !s.ok()) return s;
  auto c = SqliteStorage::select_caller(s_.w_get_caller_, tenant_id, id);
  if (!c.ok() || !*c) return c;
  if (Status s = s_.read_counters(tenant_id, &**c); !s.ok()) return s;
  return c;
}

Result<std::optional<std::string>> SqliteTransaction::find_phone_owner(std::string_view tenant_id,
                                                                       const PhoneHash& hash) {
  if (Status s = usable_main(); !s.ok()) return s;
  Statement& st = s_.w_phone_owner_;
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  st.bind_blob(2, hash.data(), hash.size());
  return read_one<std::string>(st, "looking up a phone number", read_text);
}

Status SqliteTransaction::insert_phone(std::string_view tenant_id, const CallerRecord& c, const PhoneHash& hash,
                                       const std::string& summary) {
  bind_phone(s_.w_insert_phone_, tenant_id, c, hash, summary);
  Status s = s_.w_insert_phone_.run("storing a phone number");
  if (s.is_already_exists())
    return Status::already_exists("phone_number", "the number already belongs to another VIP of the tenant");
  return s;
}

Status SqliteTransaction::insert_phones(std::string_view tenant_id, const CallerRecord& c) {
  changes_.touch_numbers(detail::GenerationTable::slot_of(tenant_id), c.phones);
  std::string summary;
  encode_summary(c, summary);
  for (const StoredPhone& p : c.phones)
    if (Status s = insert_phone(tenant_id, c, p.hash, summary); !s.ok()) return s;
  return ok_status();
}

Status SqliteTransaction::delete_phones(std::string_view tenant_id, std::string_view id) {
  auto old = SqliteStorage::select_caller(s_.w_get_caller_, tenant_id, id);
  if (!old.ok()) return old.status();
  if (!*old) return Status::not_found(kNoSuchCaller);
  changes_.touch_numbers(detail::GenerationTable::slot_of(tenant_id), (*old)->phones);
  for (const StoredPhone& p : (*old)->phones) {
    s_.w_delete_phone_.bind_text(1, tenant_id);
    s_.w_delete_phone_.bind_blob(2, p.hash.data(), p.hash.size());
    if (Status s = s_.w_delete_phone_.run("removing a phone number"); !s.ok()) return s;
  }
  return ok_status();
}

Status SqliteTransaction::insert_callers(std::string_view tenant_id, const std::vector<CallerRecord>& callers,
                                         const std::function<bool(std::size_t, std::size_t)>& progress) {
  return changing(tenant_id, [&]() -> Status {
    // Progress in rows written: callers first, then phone numbers.
    std::size_t total = callers.size(), done = 0;
    for (const CallerRecord& c : callers) total += c.phones.size();
    const auto step = [&]() {
      ++done;
      return !progress || (done % 1024 != 0 && done != total) || progress(done, total);
    };
    const Status cancelled = Status::invalid_argument("import", "cancelled by the progress callback; nothing was written");
    // B-tree inserts in key order touch each page once instead of at random:
    // for big imports this is several times faster than input order.
    // (An import gives its rows ids in increasing order already.)
    std::vector<std::size_t> order(callers.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    const auto by_id = [&](std::size_t a, std::size_t b) { return callers[a].id < callers[b].id; };
    if (!std::is_sorted(order.begin(), order.end(), by_id)) std::sort(order.begin(), order.end(), by_id);
    std::string scratch[3];
    for (std::size_t i : order) {
      bind_caller(s_.w_insert_caller_, tenant_id, callers[i], scratch);
      Status s = s_.w_insert_caller_.run("storing a caller");
      if (s.is_already_exists()) return Status::already_exists("id", "a caller with this id already exists");
      if (!s.ok()) return s;
      if (!step()) return cancelled;
    }
    // Sorted by value: comparing hashes in place beats chasing pointers.
    std::vector<std::pair<PhoneHash, const CallerRecord*>> phones;
    phones.reserve(callers.size());
    const std::size_t slot = detail::GenerationTable::slot_of(tenant_id);
    for (const CallerRecord& c : callers) {
      changes_.touch_numbers(slot, c.phones);
      for (const StoredPhone& p : c.phones) phones.emplace_back(p.hash, &c);
    }
    std::sort(phones.begin(), phones.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string summary;
    for (const auto& [hash, c] : phones) {
      encode_summary(*c, summary);
      if (Status s = insert_phone(tenant_id, *c, hash, summary); !s.ok()) return s;
      if (!step()) return cancelled;
    }
    return ok_status();
  });
}

Status SqliteTransaction::insert_bulk_callers(std::string_view tenant_id,
                                              const std::vector<const CallerRecord*>& callers) {
  if (!held_.empty() && held_tenant_ != tenant_id)
    if (Status s = finish_bulk_callers(held_tenant_, {}); !s.ok()) return s;
  const std::size_t held_before = held_.size(), bytes_before = held_bytes_.size();
  Status s = changing(tenant_id, [&]() -> Status {
    std::string scratch[3], summary;
    const std::size_t slot = detail::GenerationTable::slot_of(tenant_id);
    for (const CallerRecord* c : callers) {
      changes_.touch_numbers(slot, c->phones);
      bind_caller(s_.w_insert_caller_, tenant_id, *c, scratch);
      Status st = s_.w_insert_caller_.run("storing a caller");
      if (st.is_already_exists()) return Status::already_exists("id", "a caller with this id already exists");
      if (!st.ok()) return st;
      encode_summary(*c, summary);
      for (const StoredPhone& p : c->phones) {
        held_.push_back(HeldPhone{p.hash, held_bytes_.size(), static_cast<std::uint32_t>(c->id.size()),
                                  static_cast<std::uint32_t>(summary.size())});
        held_bytes_.append(c->id);
        held_bytes_.append(summary);
      }
    }
    return ok_status();
  });
  if (!s.ok()) {
    held_.resize(held_before);
    held_bytes_.resize(bytes_before);
  } else if (!held_.empty()) {
    held_tenant_ = std::string(tenant_id);
  }
  return s;
}

Status SqliteTransaction::finish_bulk_callers(std::string_view tenant_id,
                                              const std::function<bool(std::size_t, std::size_t)>& progress) {
  if (held_.empty()) return ok_status();
  if (held_tenant_ != tenant_id) return ok_status();  // nothing held for this tenant
  std::vector<HeldPhone> held = std::move(held_);
  std::string bytes = std::move(held_bytes_);
  held_.clear();
  held_bytes_.clear();
  // B-tree inserts in key order touch each page once instead of at random.
  std::sort(held.begin(), held.end(), [](const HeldPhone& a, const HeldPhone& b) { return a.hash < b.hash; });
  const std::string tenant = std::move(held_tenant_);
  held_tenant_.clear();
  Status s = atomically([&]() -> Status {
    Statement& st = s_.w_insert_phone_;
    const std::size_t total = held.size();
    for (std::size_t i = 0; i < total; ++i) {
      const HeldPhone& h = held[i];
      st.bind_text(1, tenant);
      st.bind_blob(2, h.hash.data(), h.hash.size());
      st.bind_text(3, std::string_view(bytes).substr(h.offset, h.id_size));
      st.bind_blob(4, bytes.data() + h.offset + h.id_size, h.summary_size);
      Status r = st.run("storing a phone number");
      if (r.is_already_exists())
        return Status::already_exists("phone_number", "the number already belongs to another VIP of the tenant");
      if (!r.ok()) return r;
      if (progress && ((i + 1) % 1024 == 0 || i + 1 == total) && !progress(i + 1, total))
        return Status::invalid_argument("import", "cancelled by the progress callback; nothing was written");
    }
    return ok_status();
  });
  // The callers inserted without their numbers stay in the transaction:
  // after a failure here it is fit only to be dropped.
  if (!s.ok()) state_ = State::failed;
  return s;
}

Status SqliteTransaction::replace_caller(std::string_view tenant_id, const CallerRecord& caller) {
  return changing(tenant_id, [&]() -> Status {
    if (Status s = delete_phones(tenant_id, caller.id); !s.ok()) return s;
    std::string scratch[3];
    bind_caller(s_.w_update_caller_, tenant_id, caller, scratch);
    if (Status s = s_.w_update_caller_.run("updating a caller"); !s.ok()) return s;
    return insert_phones(tenant_id, caller);
  });
}

Status SqliteTransaction::delete_caller(std::string_view tenant_id, std::string_view id) {
  return changing(tenant_id, [&]() -> Status {
    if (Status s = delete_phones(tenant_id, id); !s.ok()) return s;
    s_.w_delete_caller_.bind_text(1, tenant_id);
    s_.w_delete_caller_.bind_text(2, id);
    return s_.w_delete_caller_.run("deleting a caller");
  });
}

Result<std::optional<RuleRecord>> SqliteTransaction::get_rule(std::string_view tenant_id, std::string_view id) {
  if (Status s = usable_main(); !s.ok()) return s;
  Statement& st = s_.w_get_rule_;
  ResetGuard reset(st);
  st.bind_text(1, tenant_id);
  st.bind_text(2, id);
  return read_one<RuleRecord>(st, "reading an escalation rule", read_rule);
}

Status SqliteTransaction::insert_rule(std::string_view tenant_id, const RuleRecord& rule) {
  return changing(tenant_id, [&]() -> Status {
    bind_rule(s_.w_insert_rule_, tenant_id, rule);
    Status s = s_.w_insert_rule_.run("storing an escalation rule");
    if (s.is_already_exists()) return Status::already_exists("id", "a rule with this id already exists");
    return s;
  });
}

Status SqliteTransaction::replace_rule(std::string_view tenant_id, const RuleRecord& rule) {
  return changing(tenant_id, [&]() -> Status {
    bind_rule(s_.w_update_rule_, tenant_id, rule);
    return run_one_row(s_.w_update_rule_, s_.writer_.get(), "updating an escalation rule", kNoSuchRule);
  });
}

Status SqliteTransaction::delete_rule(std::string_view tenant_id, std::string_view id) {
  return changing(tenant_id, [&]() -> Status {
    s_.w_delete_rule_.bind_text(1, tenant_id);
    s_.w_delete_rule_.bind_text(2, id);
    return run_one_row(s_.w_delete_rule_, s_.writer_.get(), "deleting an escalation rule", kNoSuchRule);
  });
}

Status SqliteTransaction::insert_trigger(std::string_view tenant_id, const TriggerRecord& t, bool* inserted) {
  return activity_atomically([&]() -> Status {
    Statement& st = s_.w_insert_trigger_;
    bind_trigger(st, tenant_id, t);
    if (Status s = st.run("storing an escalation trigger"); !s.ok()) return s;
    *inserted = sqlite3_changes(s_.activity_writer_.get()) > 0;
    return ok_status();
  });
}

Status SqliteTransaction::mark_notified(std::string_view tenant_id, std::string_view call_id,
                                        std::string_view rule_id, Timestamp at) {
  return activity_atomically([&]() -> Status {
    Statement& st = s_.w_mark_notified_;
    st.bind_text(1, tenant_id);
    st.bind_text(2, call_id);
    st.bind_text(3, rule_id);
    st.bind_int(4, to_unix_ms(at));
    return run_one_row(st, s_.activity_writer_.get(), "recording a notification", "no such escalation trigger");
  });
}

Result<std::uint64_t> SqliteTransaction::purge_triggers(std::string_view tenant_id, Timestamp before,
                                                        std::uint64_t limit) {
  return purge_older(s_.w_purge_triggers_, tenant_id, before, limit, "purging escalation triggers");
}

Status SqliteTransaction::insert_call(std::string_view tenant_id, const CallRow& c) {
  return activity_atomically([&]() -> Status {
    Statement& st = s_.w_insert_call_;
    bind_call(st, tenant_id, c);
    Status s = st.run("recording a call");
    if (s.is_already_exists()) return Status::already_exists("call_id", "this call has already been recorded");
    return s;
  });
}

Status SqliteTransaction::count_call(std::string_view tenant_id, std::string_view caller_id,
                                     std::optional<int> satisfaction_rating) {
  return activity_atomically([&]() -> Status {
    Statement& st = s_.w_count_call_;
    st.bind_text(1, tenant_id);
    st.bind_text(2, caller_id);
    st.bind_optional_double(3, satisfaction_rating ? std::optional<double>(*satisfaction_rating) : std::nullopt);
    return st.run("counting a caller's call");
  });
}

Result<std::uint64_t> SqliteTransaction::purge_calls(std::string_view tenant_id, Timestamp before,
                                                     std::uint64_t limit) {
  return purge_older(s_.w_purge_calls_, tenant_id, before, limit, "purging call history");
}

Result<std::uint64_t> SqliteTransaction::purge_older(Statement& st, std::string_view tenant_id, Timestamp before,
                                                     std::uint64_t limit, std::string_view context) {
  std::uint64_t purged = 0;
  Status s = activity_atomically([&]() -> Status {
    st.bind_text(1, tenant_id);
    st.bind_int(2, to_unix_ms(before));
    st.bind_int(3, static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX)));
    if (Status r = st.run(context); !r.ok()) return r;
    purged = static_cast<std::uint64_t>(sqlite3_changes64(s_.activity_writer_.get()));
    return ok_status();
  });
  if (!s.ok()) return s;
  return purged;
}

Result<std::optional<std::string>> SqliteTransaction::get_meta(std::string_view scope, std::string_view key) {
  if (Status s = usable_main(); !s.ok()) return s;
  return SqliteStorage::select_meta(s_.w_get_meta_, scope, key);
}

Status SqliteTransaction::put_meta(std::string_view scope, std::string_view key, std::string_view value) {
  return changing(scope, [&]() -> Status {
    Statement& st = s_.w_put_meta_;
    st.bind_text(1, scope);
    st.bind_text(2, key);
    st.bind_blob(3, value.data(), value.size());
    return st.run("writing metadata");
  });
}

Status SqliteTransaction::delete_meta(std::string_view scope, std::string_view key) {
  return changing(scope, [&]() -> Status {
    Statement& st = s_.w_delete_meta_;
    st.bind_text(1, scope);
    st.bind_text(2, key);
    return st.run("removing metadata");
  });
}

Status SqliteTransaction::append_audit(const AuditEntry& e) {
  return atomically([&]() -> Status {
    Statement& st = s_.w_insert_audit_;
    std::string fields;
    bind_audit(st, e, fields);
    return st.run("writing an audit entry");
  });
}

// The main file first, then the activity file. A transaction that wrote
// both (a purge: calls in one, its audit entry in the other) is atomic in
// each file but not across them: a crash between the two commits can leave
// an audit entry for a purge batch that did not happen, never a purge
// without its entry.
Status SqliteTransaction::commit() {
  if (Status s = usable(); !s.ok()) return s;
  if (!held_.empty())
    if (Status s = finish_bulk_callers(held_tenant_, {}); !s.ok()) return s;
  const auto finish = [this](bool* open, sqlite3* db) -> Status {
    if (!*open) return ok_status();
    const int rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      state_ = State::failed;  // the destructor rolls back what is still open
      return error(rc, db, "committing");
    }
    *open = false;
    return ok_status();
  };
  // Generations odd while the commit lands, even after, whether it did or
  // not: readers go to the file meanwhile (see generation.hpp).
  const bool moves = main_open_ && !changes_.empty();
  if (moves) s_.generations_.begin(changes_);
  Status main = finish(&main_open_, s_.writer_.get());
  if (moves) s_.generations_.end(changes_);
  if (!main.ok()) return main;
  if (Status s = finish(&activity_open_, s_.activity_writer_.get()); !s.ok()) return s;
  state_ = State::committed;
  return ok_status();
}

}  // namespace vipcore::sqlite
