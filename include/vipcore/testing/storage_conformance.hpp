// vipcore — the conformance suite every storage backend must pass.
//
// A backend written outside vipcore (or inside it) proves that it keeps the
// Storage contract (vipcore/storage.hpp) by running this suite in its own
// doctest test binary:
//
//     #include <doctest/doctest.h>
//     #include "vipcore/testing/storage_conformance.hpp"
//
//     struct MyBackend {
//       // A fresh, empty storage for each test case.
//       static vipcore::Result<std::unique_ptr<vipcore::Storage>> make() { return open_my_storage(...); }
//     };
//     VIPCORE_STORAGE_CONFORMANCE("my backend", MyBackend)
//
// Each behaviour is one doctest test case named "<name>: storage conformance:
// <behaviour>", so that `-tc='my backend*'` runs them all and a failure names
// what is broken. The suite drives Storage and WriteTransaction directly
// (records, unique numbers per tenant, transactions that roll back whole,
// audit in the same transaction, triggers once, call history, analytics
// equality, the change generation) and through a Database opened on the
// backend (identify sees every change at once, analytics of recorded calls).
// It needs nothing but vipcore and doctest, and stores only made-up hashes
// and ciphertexts.
//
// Analytics: Storage::aggregate_calls may be pushed down into the backend
// (computed where the calls are). The suite checks that its figures are
// exactly those of Storage's own aggregate_calls, which adds up the calls
// scan_calls streams with CallAggregator, and exactly those of the calls it
// stored (the values are chosen so that sums are exact in any order).
#ifndef VIPCORE_TESTING_STORAGE_CONFORMANCE_HPP
#define VIPCORE_TESTING_STORAGE_CONFORMANCE_HPP

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "vipcore/database.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::testing {

// ---- Made-up records -------------------------------------------------------

/// A phone hash that no other `n` gives.
inline PhoneHash conformance_hash(int n) {
  PhoneHash h{};
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint8_t>((n * 131 + static_cast<int>(i) * 7) & 0xff);
  h[0] = static_cast<std::uint8_t>(n & 0xff);
  h[1] = static_cast<std::uint8_t>((n >> 8) & 0xff);
  return h;
}

/// 2024-01-15T12:00:00Z plus `seconds`.
inline Timestamp conformance_time(std::int64_t seconds = 0) {
  return from_unix_ms(1705320000000LL + seconds * 1000);
}

/// A caller with every field set, owning the numbers of conformance_hash(n)
/// for each n in `numbers`. Sealed fields are opaque bytes to a storage.
inline CallerRecord conformance_caller(const std::string& id, std::vector<int> numbers, Level level = Level::gold,
                                       CallerStatus status = CallerStatus::active) {
  CallerRecord c;
  c.id = id;
  c.vip_level = level;
  c.status = status;
  c.handling_rules = {HandlingRule::priority_queue, HandlingRule::custom_greeting};
  c.preferred_agent_id = "agent-" + id;
  c.preferred_department_id = "dept-" + id;
  c.max_wait_time = 30;
  c.callback_priority = 2;
  c.tags = {"premium", "tag-" + id};
  c.valid_from = conformance_time(-3600);
  c.valid_until = conformance_time(86400);
  c.created_at = conformance_time(1);
  c.updated_at = conformance_time(2);
  c.caller_name = std::string("\x01sealed name of ", 16) + id;
  c.company_name = "sealed company " + id;
  c.email = "sealed email " + id;
  c.account_number = "sealed account " + id;
  c.account_value = "sealed value " + id;
  c.notes = std::string("sealed\0notes ", 13) + id;
  c.custom_greeting = "sealed greeting " + id;
  for (int n : numbers) c.phones.push_back({conformance_hash(n), "***" + std::to_string(1000 + n % 9000)});
  for (std::size_t i = 0; i < c.integrity.size(); ++i)
    c.integrity[i] = static_cast<std::uint8_t>(id.size() * 17 + i);
  return c;
}

/// A call with the given figures. Quality scores that are multiples of 1/4
/// add up exactly in any order.
inline CallRow conformance_call(const std::string& call_id, const std::string& caller_id, Level level, int wait,
                                std::int64_t at_seconds, std::optional<int> rating = std::nullopt,
                                std::optional<double> quality = std::nullopt, bool escalated = false,
                                HandlingRules rules = {HandlingRule::priority_queue}) {
  CallRow c;
  c.call_id = call_id;
  c.caller_id = caller_id;
  c.vip_level = level;
  c.handling_rules_applied = rules;
  c.wait_seconds = wait;
  c.max_wait_time = 30;
  c.escalation_triggered = escalated;
  c.satisfaction_rating = rating;
  c.service_quality_score = quality;
  c.at = conformance_time(at_seconds);
  return c;
}

// ---- Checks ------------------------------------------------------------------

/// Every stored field of `got` is that of `want` (the counters aside: they
/// belong to count_call).
inline void check_same_caller(const CallerRecord& got, const CallerRecord& want) {
  INFO("caller ", want.id);
  CHECK(got.id == want.id);
  CHECK(got.vip_level == want.vip_level);
  CHECK(got.status == want.status);
  CHECK(got.handling_rules == want.handling_rules);
  CHECK(got.preferred_agent_id == want.preferred_agent_id);
  CHECK(got.preferred_department_id == want.preferred_department_id);
  CHECK(got.max_wait_time == want.max_wait_time);
  CHECK(got.callback_priority == want.callback_priority);
  CHECK(got.tags == want.tags);
  CHECK(got.valid_from == want.valid_from);
  CHECK(got.valid_until == want.valid_until);
  CHECK(got.created_at == want.created_at);
  CHECK(got.updated_at == want.updated_at);
  CHECK(got.caller_name == want.caller_name);
  CHECK(got.company_name == want.company_name);
  CHECK(got.email == want.email);
  CHECK(got.account_number == want.account_number);
  CHECK(got.account_value == want.account_value);
  CHECK(got.notes == want.notes);
  CHECK(got.custom_greeting == want.custom_greeting);
  REQUIRE(got.phones.size() == want.phones.size());
  CHECK(got.phones[0].hash == want.phones[0].hash);  // the primary number stays first
  std::set<std::pair<PhoneHash, std::string>> got_phones, want_phones;
  for (const StoredPhone& p : got.phones) got_phones.emplace(p.hash, p.masked);
  for (const StoredPhone& p : want.phones) want_phones.emplace(p.hash, p.masked);
  CHECK(got_phones == want_phones);
  CHECK(got.integrity == want.integrity);
}

inline void check_same_aggregate(const CallAggregate& got, const CallAggregate& want) {
  CHECK(got.calls == want.calls);
  CHECK(got.sla_met == want.sla_met);
  CHECK(got.escalations == want.escalations);
  CHECK(got.rated == want.rated);
  CHECK(got.rating_sum == want.rating_sum);
  CHECK(got.scored == want.scored);
  CHECK(got.quality_sum == want.quality_sum);
  CHECK(got.wait_sum == want.wait_sum);
  CHECK(got.wait_max == want.wait_max);
  CHECK(got.rules == want.rules);
  CHECK(got.wait_histogram == want.wait_histogram);
}

inline void check_same_aggregates(const LevelAggregates& got, const LevelAggregates& want) {
  for (std::size_t l = 0; l < got.size(); ++l) {
    INFO("level ", to_string(static_cast<Level>(l)));
    check_same_aggregate(got[l], want[l]);
  }
}

// ---- Helpers -----------------------------------------------------------------

/// A fresh storage from the factory; the test stops when there is none.
template <typename Factory>
std::unique_ptr<Storage> conformance_storage() {
  auto made = Factory::make();
  REQUIRE_MESSAGE(made.ok(), made.status().to_string());
  REQUIRE(*made != nullptr);
  return std::move(*made);
}

inline std::unique_ptr<WriteTransaction> conformance_begin(Storage& s, bool activity = false) {
  auto txn = activity ? s.begin_activity_write() : s.begin_write();
  REQUIRE_MESSAGE(txn.ok(), txn.status().to_string());
  return std::move(*txn);
}

/// Runs `write` in one transaction and commits it.
template <typename Write>
void conformance_commit(Storage& s, Write&& write, bool activity = false) {
  auto txn = conformance_begin(s, activity);
  write(*txn);
  const Status committed = txn->commit();
  REQUIRE_MESSAGE(committed.ok(), committed.to_string());
}

inline std::optional<CallerRecord> conformance_get(Storage& s, std::string_view tenant, std::string_view id) {
  auto got = s.get_caller(tenant, id);
  REQUIRE_MESSAGE(got.ok(), got.status().to_string());
  return std::move(*got);
}

/// The id of the caller `hash` identifies in the tenant, "" when none.
inline std::string conformance_owner(Storage& s, std::string_view tenant, const PhoneHash& hash) {
  IdentifyRecord out;
  bool found = true;
  const Status st = s.find_by_phone(tenant, hash, &out, &found);
  REQUIRE_MESSAGE(st.ok(), st.to_string());
  return found ? out.caller_id : std::string();
}

inline std::vector<std::string> conformance_scan(Storage& s, std::string_view tenant, const CallerFilter& filter,
                                                 std::size_t stop_after = 0) {
  std::vector<std::string> ids;
  const Status st = s.scan_callers(tenant, filter, [&](CallerRecord&& c) {
    ids.push_back(c.id);
    return stop_after == 0 || ids.size() < stop_after;
  });
  REQUIRE_MESSAGE(st.ok(), st.to_string());
  return ids;
}

inline std::uint64_t conformance_count(Storage& s, std::string_view tenant, const CallerFilter& filter = {}) {
  auto n = s.count_callers(tenant, filter);
  REQUIRE_MESSAGE(n.ok(), n.status().to_string());
  return *n;
}

inline AuditEntry conformance_audit(const std::string& tenant, const std::string& actor, const std::string& entity,
                                    std::int64_t at_seconds) {
  AuditEntry e;
  e.tenant_id = tenant;
  e.at = conformance_time(at_seconds);
  e.actor_id = actor;
  e.role = Role::admin;
  e.action = "update";
  e.entity_type = "vip_caller";
  e.entity_id = entity;
  e.fields = {"vip_level", "tags"};
  e.outcome = "ok";
  return e;
}

inline RuleRecord conformance_rule(const std::string& id, int tier) {
  RuleRecord r;
  r.id = id;
  r.name = "rule " + id;
  r.level_mask = 0b11000;
  r.max_wait_time = 60;
  r.max_queue_position = 3;
  r.escalation_type = "manager";
  r.tier = tier;
  r.notify = "sealed targets " + id;
  r.is_active = true;
  r.priority = 2;
  r.schedule = RuleSchedule::inside_business_hours;
  r.business_hours = "mon-fri 09:00-17:00";
  r.created_at = conformance_time(10);
  r.updated_at = conformance_time(20);
  return r;
}

// ---- The behaviours ----------------------------------------------------------

template <typename Factory>
void conformance_records() {
  auto storage = conformance_storage<Factory>();
  Storage& s = *storage;
  CHECK_FALSE(s.name().empty());
  const CallerRecord a = conformance_caller("a-caller", {1, 2}), b = conformance_caller("b-caller", {3});
  CallerRecord c = conformance_caller("c-caller", {4}, Level::diamond, CallerStatus::inactive);
  c.max_wait_time.reset();
  c.valid_from.reset();
  c.valid_until.reset();
  c.tags.clear();
  c.email.clear();
  {
    auto txn = conformance_begin(s);
    REQUIRE(txn->insert_callers("t1", {a, b, c}).ok());
    // A transaction reads its own writes.
    auto own = txn->get_caller("t1", "b-caller");
    REQUIRE(own.ok());
    REQUIRE(own->has_value());
    check_same_caller(**own, b);
    auto owner = txn->find_phone_owner("t1", conformance_hash(2));
    REQUIRE(owner.ok());
    CHECK(*owner == std::optional<std::string>("a-caller"));
    auto nobody = txn->find_phone_owner("t1", conformance_hash(99));
    REQUIRE(nobody.ok());
    CHECK_FALSE(nobody->has_value());
    REQUIRE(txn->commit().ok());
  }
  for (const CallerRecord* want : std::initializer_list<const CallerRecord*>{&a, &b, &c}) {
    auto got = conformance_get(s, "t1", want->id);
    REQUIRE(got.has_value());
    check_same_caller(*got, *want);
    CHECK(got->total_calls == 0);
    CHECK(got->rated_calls == 0);
    CHECK_FALSE(got->satisfaction_score.has_value());
  }
  CHECK_FALSE(conformance_get(s, "t1", "nobody").has_value());
  CHECK_FALSE(conformance_get(s, "t2", "a-caller").has_value());  // another tenant

  // identify's point lookup: every number, and what identify needs.
  IdentifyRecord who;
  bool found = false;
  REQUIRE(s.find_by_phone("t1", conformance_hash(2), &who, &found).ok());
  REQUIRE(found);
  CHECK(who.caller_id == "a-caller");
  CHECK(who.vip_level == a.vip_level);
  CHECK(who.status == a.status);
  CHECK(who.handling_rules == a.handling_rules);
  CHECK(who.max_wait_time == a.max_wait_time);
  CHECK(who.callback_priority == a.callback_priority);
  CHECK(who.valid_from == a.valid_from);
  CHECK(who.valid_until == a.valid_until);
  CHECK(who.preferred_agent_id == a.preferred_agent_id);
  CHECK(who.preferred_department_id == a.preferred_department_id);
  CHECK(who.caller_name == a.caller_name);
  CHECK(who.custom_greeting == a.custom_greeting);
  CHECK(who.integrity == a.integrity);
  REQUIRE(s.find_by_phone("t1", conformance_hash(4), &who, &found).ok());
  REQUIRE(found);
  CHECK(who.caller_id == "c-caller");  // the same object, reused
  CHECK_FALSE(who.max_wait_time.has_value());
  CHECK_FALSE(who.valid_from.has_value());
  REQUIRE(s.find_by_phone("t1", conformance_hash(99), &who, &found).ok());
  CHECK_FALSE(found);
  CHECK(conformance_owner(s, "t2", conformance_hash(1)).empty());

  // Replace: every field and the numbers (one kept, one dropped, one new).
  CallerRecord a2 = conformance_caller("a-caller", {2, 5}, Level::platinum, CallerStatus::suspended);
  a2.preferred_agent_id = "agent-007";
  a2.caller_name = "resealed name";
  a2.updated_at = conformance_time(3);
  conformance_commit(s, [&](WriteTransaction& txn) { REQUIRE(txn.replace_caller("t1", a2).ok()); });
  auto replaced = conformance_get(s, "t1", "a-caller");
  REQUIRE(replaced.has_value());
  check_same_caller(*replaced, a2);
  CHECK(conformance_owner(s, "t1", conformance_hash(1)).empty());
  CHECK(conformance_owner(s, "t1", conformance_hash(2)) == "a-caller");
  CHECK(conformance_owner(s, "t1", conformance_hash(5)) == "a-caller");

  // Missing ids: not_found, and the transaction goes on.
  {
    auto txn = conformance_begin(s);
    CHECK(txn->replace_caller("t1", conformance_caller("nobody", {50})).code() == Code::not_found);
    CHECK(txn->delete_caller("t1", "nobody").code() == Code::not_found);
    CHECK(txn->delete_caller("t2", "b-caller").code() == Code::not_found);  // another tenant's id
    REQUIRE(txn->delete_caller("t1", "b-caller").ok());
    REQUIRE(txn->commit().ok());
  }
  CHECK_FALSE(conformance_get(s, "t1", "b-caller").has_value());
  CHECK(conformance_owner(s, "t1", conformance_hash(3)).empty());
  CHECK(conformance_count(s, "t1") == 2);
  // A deleted caller's number is free again.
  conformance_commit(s, [&](WriteTransaction& txn) {
    REQUIRE(txn.insert_callers("t1", {conformance_caller("d-caller", {3})}).ok());
  });
  CHECK(conformance_owner(s, "t1", conformance_hash(3)) == "d-caller");
}

template <typename Factory>
void conformance_scans() {
  auto storage = conformance_storage<Factory>();
  Storage& s = *storage;
  const Level levels[] = {Level::gold, Level::silver, Level::gold, Level::diamond, Level::gold,
                          Level::gold, Level::standard, Level::gold, Level::silver, Level::gold};
  const CallerStatus statuses[] = {CallerStatus::active,   CallerStatus::active, CallerStatus::inactive,
                                   CallerStatus::active,   CallerStatus::active, CallerStatus::suspended,
                                   CallerStatus::active,   CallerStatus::active, CallerStatus::active,
                                   CallerStatus::inactive};
  std::vector<CallerRecord> callers;
  for (int i = 9; i >= 0; --i)  // inserted out of order
    callers.push_back(conformance_caller("id-" + std::to_string(i), {100 + i}, levels[i], statuses[i]));
  conformance_commit(s, [&](WriteTransaction& txn) {
    REQUIRE(txn.insert_callers("t1", callers).ok());
    REQUIRE(txn.insert_callers("t2", {conformance_caller("id-0", {100})}).ok());
  });
  auto ids = [](std::initializer_list<int> n) {
    std::vector<std::string> out;
    for (int i : n) out.push_back("id-" + std::to_string(i));
    return out;
  };
  CHECK(conformance_scan(s, "t1", {}) == ids({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));  // ascending ids
  CallerFilter gold;
  gold.vip_level = Level::gold;
  CHECK(conformance_scan(s, "t1", gold) == ids({0, 2, 4, 5, 7, 9}));
  CallerFilter gold_active = gold;
  gold_active.status = CallerStatus::active;
  CHECK(conformance_scan(s, "t1", gold_active) == ids({0, 4, 7}));
  CallerFilter inactive;
  inactive.status = CallerStatus::inactive;
  CHECK(conformance_scan(s, "t1", inactive) == ids({2, 9}));
  CallerFilter page = gold;
  page.after_id = "id-4";
  CHECK(conformance_scan(s, "t1", page) == ids({5, 7, 9}));
  page.limit = 2;
  CHECK(conformance_scan(s, "t1", page) == ids({5, 7}));
  CallerFilter skip = gold;
  skip.offset = 2;
  skip.limit = 3;
  CHECK(conformance_scan(s, "t1", skip) == ids({4, 5, 7}));
  skip.offset = ~std::uint64_t{0};
  CHECK(conformance_scan(s, "t1", skip).empty());
  CHECK(conformance_scan(s, "t1", {}, 3) == ids({0, 1, 2}));  // the visitor stops the scan
  CHECK(conformance_scan(s, "t2", {}) == ids({0}));
  CHECK(conformance_scan(s, "t3", {}).empty());

  CHECK(conformance_count(s, "t1") == 10);
  CHECK(conformance_count(s, "t1", gold) == 6);
  CHECK(conformance_count(s, "t1", gold_active) == 3);
  CHECK(conformance_count(s, "t1", inactive) == 2);
  CHECK(conformance_count(s, "t2") == 1);
  CHECK(conformance_count(s, "t3") == 0);
  auto by = s.count_callers_by_level_status("t1");
  REQUIRE(by.ok());
  CallerCounts want{};
  for (int i = 0; i < 10; ++i) ++want[static_cast<std::size_t>(levels[i])][static_cast<std::size_t>(statuses[i])];
  CHECK(*by == want);
  auto tenants = s.list_tenants();
  REQUIRE(tenants.ok());
  CHECK(*tenants == std::vector<std::string>{"t1", "t2"});
}

template <typename Factory>
void conformance_unique_numbers() {
  auto storage = conformance_storage<Factory>();
  Storage& s = *storage;
  conformance_commit(s, [&](WriteTransaction& txn) {
    REQUIRE(txn.insert_callers("t1", {conformance_caller("one", {1}), conformance_caller("two", {2})}).ok());
    // The same number, and the same id, in another tenant.
    REQUIRE(txn.insert_callers("t2", {conformance_caller("one", {1})}).ok());
  });
  CHECK(conformance_owner(s, "t1", conformance_hash(1)) == "one");
  CHECK(conformance_owner(s, "t2", conformance_hash(1)) == "one");
  {
    auto txn = conformance_begin(s);
    // A taken number refuses the whole batch, even its good records.
    CHECK(txn->insert_callers("t1", {conformance_caller("three", {3}), conformance_caller("four", {1})}).code() ==
          Code::already_exists);
    // So do two records of one batch sharing a number...
    CHECK(txn->insert_callers("t1", {conformance_caller("five", {5}), conformance_caller("six", {5})}).code() ==
          Code::already_exists);
    // ...a taken id...
    CHECK(txn->insert_callers("t1", {conformance_caller("two", {7})}).code() == Code::already_exists);
    // ...and a replace that takes another caller's number.
    CHECK(txn->replace_caller("t1", conformance_caller("two", {2, 1})).code() == Code::already_exists);
    // The transaction goes on.
    REQUIRE(txn->insert_callers("t1", {conformance_caller("seven", {8})}).ok());
    REQUIRE(txn->commit().ok());
  }
  for (const char* id : {"three", "four", "five", "six"}) CHECK_FALSE(conformance_get(s, "t1", id).has_value());
  CHECK(conformance_owner(s, "t1", conformance_hash(3)).empty());
  CHECK(conformance_owner(s, "t1", conformance_hash(5)).empty());
  CHECK(conformance_owner(s, "t1", conformance_hash(1)) == "one");
  CHECK(conformance_owner(s, "t1", conformance_hash(8)) == "seven");
  auto two = conformance_get(s, "t1", "two");
  REQUIRE(two.has_value());
  CHECK(two->phones.size() == 1);
  CHECK(conformance_count(s, "t1") == 3);
  // A number in use in another tenant's bulk insert is no conflict either.
  conformance_commit(s, [&](WriteTransaction& txn) {
    const CallerRecord bulk = conformance_caller("bulk", {2});
    REQUIRE(txn.insert_bulk_callers("t2", {&bulk}).ok());
    REQUIRE(txn.finish_bulk_callers("t2").ok());
  });
  CHECK(conformance_owner(s, "t2", conformance_hash(2)) == "bulk");
  // find_phone_owners answers hash by hash as find_phone_owner does: in
  // the order asked, a repeat too, only the tenant's own numbers.
  {
    auto txn = conformance_begin(s);
    std::vector<std::optional<std::string>> owners;
    REQUIRE(txn->find_phone_owners("t1",
                                   {conformance_hash(8), conformance_hash(3), conformance_hash(1), conformance_hash(8),
                                    conformance_hash(2)},
                                   &owners)
                .ok());
    REQUIRE(owners.size() == 5);
    CHECK(owners[0] == std::optional<std::string>("seven"));
    CHECK_FALSE(owners[1].has_value());
    CHECK(owners[2] == std::optional<std::string>("one"));
    CHECK(owners[3] == std::optional<std::string>("seven"));
    CHECK(owners[4] == std::optional<std::string>("two"));
    REQUIRE(txn->find_phone_owners("t2", {conformance_hash(8), conformance_hash(2)}, &owners).ok());
    REQUIRE(owners.size() == 2);
    CHECK_FALSE(owners[0].has_value());
    CHECK(owners[1] == std::optional<std::string>("bulk"));
    REQUIRE(txn->find_phone_owners("t1", {}, &owners).ok());
    CHECK(owners.empty());
  }
}

template <typename Factory>
void conformance_bulk_inserts() {
  auto storage = conformance_storage<Factory>();
  Storage& s = *storage;
  // Two of them sharing a number.
  CallerRecord a = conformance_caller("00000000-0000-4000-8000-00000000000a", {1});
  CallerRecord b = conformance_caller("00000000-0000-4000-8000-00000000000b", {2});
  CallerRecord c = conformance_caller("00000000-0000-4000-8000-00000000000c", {2});
  {
    auto txn = conformance_begin(s);
    REQUIRE(txn->insert_bulk_callers("bulk", {&a}).ok());
    Status st = txn->insert_bulk_callers("bulk", {&b, &c});  // a backend may see the repeat here,
    if (st.ok()) st = txn->finish_bulk_callers("bulk");       // or when it writes the held numbers
    CHECK(st.is_already_exists());
    CHECK(st.field() == "phone_number");
  }
  CHECK(conformance_count(s, "bulk") == 0);
  {
    auto txn = conformance_begin(s);
    REQUIRE(txn->insert_bulk_callers("bulk", {&a}).ok());
    REQUIRE(txn->insert_bulk_callers("bulk", {&b}).ok());
    REQUIRE(txn->commit().ok());  // no finish_bulk_callers: commit writes what is held
  }
  CHECK(conformance_count(s, "bulk") == 2);
  for (const CallerRecord* r : std::initializer_list<const CallerRecord*>{&a, &b}) {
    IdentifyRecord who;
    bool found = false;
    REQUIRE(s.find_by_phone("bulk", r->phones[0].hash, &who, &found).ok());
    CHECK(found);
    CHECK(who.caller_id == r->id);
  }
  // A held number a stored caller has: refused, when held or when written.
  CallerRecord d = conformance_caller("00000000-0000-4000-8000-00000000000d", {3, 1});
  {
    auto txn = conformance_begin(s);
    Status st = txn->insert_bulk_callers("bulk", {&d});
    if (st.ok()) st = txn->finish_bulk_callers("bulk");
    CHECK(st.is_already_exists());
    CHECK(st.field() == "phone_number");
  }
  CHECK(conformance_count(s, "bulk") == 2);
  CHECK_FALSE(conformance_get(s, "bulk", d.id).has_value());
  // A bulk caller whose id is taken: refused at once or by the next call,
  // and the transaction writes nothing.
  const CallerRecord taken = conformance_caller(a.id, {9});
  {
    auto txn = conformance_begin(s);
    Status st = txn->insert_bulk_callers("bulk", {&taken});
    if (st.ok()) st = txn->commit();
    CHECK(st.is_already_exists());
    CHECK(st.field() == "id");
  }
  CHECK(conformance_count(s, "bulk") == 2);
  CHECK(conformance_owner(s, "bulk", conformance_hash(9)).empty());
  // In a tenant with no numbers, a bulk write goes on while numbers are
  // looked up; a number written since by the same transaction is found.
  const CallerRecord e = conformance_caller("00000000-0000-4000-8000-00000000000e", {4});
  const CallerRecord f = conformance_caller("00000000-0000-4000-8000-00000000000f", {5});
  const CallerRecord g = conformance_caller("00000000-0000-4000-8000-000000000010", {6});
  {
    auto txn = conformance_begin(s);
    std::vector<std::optional<std::string>> owners;
    REQUIRE(txn->find_phone_owners("fresh", {conformance_hash(4)}, &owners).ok());
    CHECK(owners == std::vector<std::optional<std::string>>{std::nullopt});
    REQUIRE(txn->insert_bulk_callers("fresh", {&e}).ok());
    REQUIRE(txn->find_phone_owners("fresh", {conformance_hash(5)}, &owners).ok());
    CHECK(owners == std::vector<std::optional<std::string>>{std::nullopt});
    REQUIRE(txn->insert_bulk_callers("fresh", {&f}).ok());
    REQUIRE(txn->finish_bulk_callers("fresh").ok());
    REQUIRE(txn->find_phone_owners("fresh", {conformance_hash(4), conformance_hash(5)}, &owners).ok());
    CHECK(owners == std::vector<std::optional<std::string>>{e.id, f.id});
    REQUIRE(txn->commit().ok());
  }
  CHECK(conformance_count(s, "fresh") == 2);
  {
    auto txn = conformance_begin(s);
    std::vector<std::optional<std::string>> owners;
    REQUIRE(txn->find_phone_owners("fresh2", {conformance_hash(6)}, &owners).ok());
    CHECK(owners == std::vector<std::optional<std::string>>{std::nullopt});
    REQUIRE(txn->insert_callers("fresh2", {g}).ok());
    REQUIRE(txn->find_phone_owners("fresh2", {conformance_hash(6)}, &owners).ok());
    CHECK(owners == std::vector<std::optional<std::string>>{g.id});
  }
}

template <typename Factory>
void conformance_rollback() {
  auto storage = conformance_storage<Factory>();
  Storage& s = *storage;
  conformance_commit(s, [&](WriteTransaction& txn) {
    REQUIRE(txn.insert_callers("t1", {conformance_caller("kept", {1})}).ok());
    REQUIRE(txn.put_meta("t1", "settings", "v1").ok());
    REQUIRE(txn.insert_rule("t1", conformance_rule("r1", 1)).ok());
  });
  const std::uint64_t calls_before = [&] {
    auto n = s.aggregate_calls("t1", conformance_time(-86400), conformance_time(86400), {});
    REQUIRE(n.ok());
    return (*n)[static_cast<std::size_t>(Level::gold)].calls;
  }();
  {
    // Every kind of write, then the transaction is dropped without commit.
    auto txn = conformance_begin(s);
    REQUIRE(txn->insert_callers("t1", {conformance_caller("dropped", {2})}).ok());
    CallerRecord changed = conformance_caller("kept", {3}, Level::diamond);
    REQUIRE(txn->replace_caller("t1", changed).ok());
    REQUIRE(txn->put_meta("t1", "settings", "v2").ok());
    REQUIRE(txn->put_meta("", "database-wide", "x").ok());
    REQUIRE(txn->delete_rule("t1", "r1").ok());
    REQUIRE(txn->insert_rule("t1", conformance_rule("r2", 2)).ok());
    REQUIRE(txn->append_audit(conformance_audit("t1", "alice", "kept", 5)).ok());
    // Reads outside the transaction do not see it.
    CHECK_FALSE(conformance_get(s, "t1", "dropped").has_value());
    CHECK(conformance_owner(s, "t1", conformance_hash(1)) == "kept");
    auto meta = s.get_meta("t1", "settings");
    REQUIRE(meta.ok());
    CHECK(*meta == std::optional<std::string>("v1"));
    // And through it, it sees them.
    auto own = txn->get_meta("t1", "settings");
    REQUIRE(own.ok());
    CHECK(*own == std::optional<std::string>("v2"));
    auto own_rule = txn->get_rule("t1", "r1");
    REQUIRE(own_rule.ok());
    CHECK_FALSE(own_rule->has_value());
  }
  {
    auto txn = conformance_begin(s);
    REQUIRE(txn->delete_caller("t1", "kept").ok());
    REQUIRE(txn->delete_meta("t1", "settings").ok());
  }
  {
    auto txn = conformance_begin(s, /*activity=*/true);
    REQUIRE(txn->insert_call("t1", conformance_call("call-1", "kept", Level::gold, 10, 0)).ok());
    REQUIRE(txn->count_call("t1", "kept", 5).ok());
    bool inserted = false;
    TriggerRecord trigger{"call-1", "r1", "kept", conformance_time(0), std::nullopt};
    REQUIRE(txn->insert_trigger("t1", trigger, &inserted).ok());
  }
  auto kept = conformance_get(s, "t1", "kept");
  REQUIRE(kept.has_value());
  check_same_caller(*kept, conformance_caller("kept", {1}));
  CHECK(kept->total_calls == 0);
  CHECK_FALSE(conformance_get(s, "t1", "dropped").has_value());
  CHECK(conformance_owner(s, "t1", conformance_hash(1)) == "kept");
  CHECK(conformance_owner(s, "t1", conformance_hash(2)).empty());
  CHECK(conformance_owner(s, "t1", conformance_hash(3)).empty());
  auto meta = s.get_meta("t1", "settings");
  REQUIRE(meta.ok());
  CHECK(*meta == std::optional<std::string>("v1"));
  auto wide = s.get_meta("", "database-wide");
  REQUIRE(wide.ok());
  CHECK_FALSE(wide->has_value());
  auto rules = s.list_rules("t1");
  REQUIRE(rules.ok());
  REQUIRE(rules->size() == 1);
  CHECK(rules->front().id == "r1");
  auto audit = s.query_audit("t1", {});
  REQUIRE(audit.ok());
  CHECK(audit->empty());
  auto triggers = s.get_triggers("t1", "call-1");
  REQUIRE(triggers.ok());
  CHECK(triggers->empty());
  auto calls = s.aggregate_calls("t1", conformance_time(-86400), conformance_time(86400), {});
  REQUIRE(calls.ok());
  CHECK((*calls)[static_cast<std::size_t>(Level::gold)].calls == calls_before);
}

template <typename Factory>
void conformance_metadata_and_rules() {
  auto storage = conformance_storage<Factory>();
  Storage& s = *storage;
  const RuleRecord r1 = conformance_rule("r1", 1);
  RuleRecord r2 = conformance_rule("r2", 2);
  r2.max_wait_time.reset();
  r2.is_active = false;
  r2.schedule = RuleSchedule::always;
  r2.business_hours.clear();
  conformance_commit(s, [&](WriteTransaction& txn) {
    REQUIRE(txn.put_meta("", "ring", "wrapped").ok());
    REQUIRE(txn.put_meta("t1", "settings", "{\"a\":1}").ok());
    REQUIRE(txn.put_meta("t2", "settings", "{\"b\":2}").ok());
    REQUIRE(txn.insert_rule("t1", r1).ok());
    REQUIRE(txn.insert_rule("t1", r2).ok());
    CHECK(txn.insert_rule("t1", r1).code() == Code::already_exists);
    REQUIRE(txn.insert_rule("t2", r1).ok());  // the same id in another tenant
  });
  auto meta = [&](std::string_view scope, std::string_view key) {
    auto v = s.get_meta(scope, key);
    REQUIRE(v.ok());
    return *v;
  };
  CHECK(meta("", "ring") == std::optional<std::string>("wrapped"));
  CHECK(meta("t1", "settings") == std::optional<std::string>("{\"a\":1}"));
  CHECK(meta("t2", "settings") == std::optional<std::string>("{\"b\":2}"));
  CHECK_FALSE(meta("t1", "ring").has_value());
  CHECK_FALSE(meta("t3", "settings").has_value());
  auto rules = s.list_rules("t1");
  REQUIRE(rules.ok());
  REQUIRE(rules->size() == 2);
  std::map<std::string, RuleRecord> by_id;
  for (RuleRecord& r : *rules) by_id.emplace(r.id, r);
  for (const RuleRecord* want : std::initializer_list<const RuleRecord*>{&r1, &r2}) {
    INFO("rule ", want->id);
    const RuleRecord& got = by_id.at(want->id);
    CHECK(got.name == want->name);
    CHECK(got.level_mask == want->level_mask);
    CHECK(got.max_wait_time == want->max_wait_time);
    CHECK(got.max_queue_position == want->max_queue_position);
    CHECK(got.escalation_type == want->escalation_type);
    CHECK(got.tier == want->tier);
    CHECK(got.notify == want->notify);
    CHECK(got.is_active == want->is_active);
    CHECK(got.priority == want->priority);
    CHECK(got.schedule == want->schedule);
    CHECK(got.business_hours == want->business_hours);
    CHECK(got.created_at == want->created_at);
    CHECK(got.updated_at == want->updated_at);
  }
  RuleRecord r1b = r1;
  r1b.tier = 3;
  r1b.name = "renamed";
  conformance_commit(s, [&](WriteTransaction& txn) {
    REQUIRE(txn.replace_rule("t1", r1b).ok());
    CHECK(txn.replace_rule("t1", conformance_rule("nobody", 1)).code() == Code::not_found);
    CHECK(txn.delete_rule("t1", "nobody").code() == Code::not_found);
    REQUIRE(txn.delete_rule("t1", "r2").ok());
    REQUIRE(txn.put_meta("t1", "settings", "{\"a\":2}").ok());
    REQUIRE(txn.delete_meta("t2", "settings").ok());
    REQUIRE(txn.delete_meta("t2", "absent").ok());  // not an error
    auto got = txn.get_rule("t1", "r1");
    REQUIRE(got.ok());
    REQUIRE(got->has_value());
    CHECK((*got)->name == "renamed");
  });
  rules = s.list_rules("t1");
  REQUIRE(rules.ok());
  REQUIRE(rules->size() == 1);
  CHECK(rules->front().tier == 3);
  CHECK(rules->front().name == "renamed");
  auto other = s.list_rules("t2");
  REQUIRE(other.ok());
  REQUIRE(other->size() == 1);
  CHECK(other->front().tier == 1);
  CHECK(meta("t1", "settings") == std::optional<std::string>("{\"a\":2}"));
  CHECK_FALSE(meta("t2", "settings").has_value());
}

template <typename Factory>
void conformance_audit_trail() {
  auto storage = conformance_storage<Factory>();
  Storage& s = *storage;
  // An audit entry commits with the change it records, or not at all.
  {
    auto txn = conformance_begin(s);
    REQUIRE(txn->insert_callers("t1", {conformance_caller("c1", {1})}).ok());
    REQUIRE(txn->append_audit(conformance_audit("t1", "alice", "c1", 0)).ok());
  }
  auto none = s.query_audit("t1", {});
  REQUIRE(none.ok());
  CHECK(none->empty());
  conformance_commit(s, [&](WriteTransaction& txn) {
    REQUIRE(txn.insert_callers("t1", {conformance_caller("c1", {1})}).ok());
    REQUIRE(txn.append_audit(conformance_audit("t1", "alice", "c1", 0)).ok());
  });
  conformance_commit(s, [&](WriteTransaction& txn) {
    REQUIRE(txn.append_audit(conformance_audit("t1", "bob", "c2", 10)).ok());
    REQUIRE(txn.append_audit(conformance_audit("t2", "carol", "c1", 20)).ok());
    REQUIRE(txn.append_audit(conformance_audit("t1", "alice", "c2", 30)).ok());
  });
  auto all = s.query_audit("t1", {});
  REQUIRE(all.ok());
  REQUIRE(all->size() == 3);
  const AuditEntry& first = (*all)[0];
  CHECK(first.tenant_id == "t1");
  CHECK(first.at == conformance_time(0));
  CHECK(first.actor_id == "alice");
  CHECK(first.role == Role::admin);
  CHECK(first.action == "update");
  CHECK(first.entity_type == "vip_caller");
  CHECK(first.entity_id == "c1");
  CHECK(first.fields == std::vector<std::string>{"vip_level", "tags"});
  CHECK(first.outcome == "ok");
  CHECK((*all)[0].sequence < (*all)[1].sequence);  // oldest first, sequences increase
  CHECK((*all)[1].sequence < (*all)[2].sequence);
  CHECK((*all)[1].actor_id == "bob");
  AuditQuery q;
  q.actor_id = "alice";
  auto alice = s.query_audit("t1", q);
  REQUIRE(alice.ok());
  CHECK(alice->size() == 2);
  q = {};
  q.entity_id = "c2";
  auto c2 = s.query_audit("t1", q);
  REQUIRE(c2.ok());
  CHECK(c2->size() == 2);
  q = {};
  q.from = conformance_time(10);
  q.until = conformance_time(30);
  auto window = s.query_audit("t1", q);
  REQUIRE(window.ok());
  REQUIRE(window->size() == 1);  // from included, until excluded
  CHECK(window->front().actor_id == "bob");
  q = {};
  q.limit = 2;
  auto limited = s.query_audit("t1", q);
  REQUIRE(limited.ok());
  REQUIRE(limited->size() == 2);
  CHECK(limited->front().actor_id == "alice");
  auto other = s.query_audit("t2", {});
  REQUIRE(other.ok());
  REQUIRE(other->size() == 1);
  CHECK(other->front().actor_id == "carol");
}

template <typename Factory>
void conformance_triggers() {
  auto storage = conformance_storage<Factory>();
  Storage& s = *storage;
  const TriggerRecord t1{"call-1", "rule-a", "caller", conformance_time(0), std::nullopt};
  const TriggerRecord t2{"call-1", "rule-b", "caller", conformance_time(1), std::nullopt};
  const TriggerRecord old{"call-0", "rule-a", "caller", conformance_time(-100), std::nullopt};
  for (bool activity : {true, false}) {
    INFO((activity ? "in an activity transaction" : "in a write transaction"));
    conformance_commit(
        s,
        [&](WriteTransaction& txn) {
          for (const TriggerRecord* t : {&t1, &t2, &old}) {
            bool inserted = !activity;  // must be set either way
            REQUIRE(txn.insert_trigger("acme", *t, &inserted).ok());
            CHECK(inserted == activity);  // the first time only
          }
          bool inserted = true;
          REQUIRE(txn.insert_trigger("acme", t1, &inserted).ok());  // twice in one transaction
          CHECK_FALSE(inserted);
        },
        activity);
  }
  auto got = s.get_triggers("acme", "call-1");
  REQUIRE(got.ok());
  REQUIRE(got->size() == 2);
  std::set<std::string> rules;
  for (const TriggerRecord& t : *got) {
    rules.insert(t.rule_id);
    CHECK(t.caller_id == "caller");
    CHECK_FALSE(t.notified_at.has_value());
  }
  CHECK(rules == std::set<std::string>{"rule-a", "rule-b"});
  auto elsewhere = s.get_triggers("other", "call-1");
  REQUIRE(elsewhere.ok());
  CHECK(elsewhere->empty());
  conformance_commit(
      s, [&](WriteTransaction& txn) { REQUIRE(txn.mark_notified("acme", "call-1", "rule-b", conformance_time(5)).ok()); },
      true);
  got = s.get_triggers("acme", "call-1");
  REQUIRE(got.ok());
  for (const TriggerRecord& t : *got)
    CHECK(t.notified_at == (t.rule_id == "rule-b" ? std::optional<Timestamp>(conformance_time(5)) : std::nullopt));
  // Purge: older than `before`, oldest first, at most `limit`.
  conformance_commit(s, [&](WriteTransaction& txn) {
    auto purged = txn.purge_triggers("acme", conformance_time(1), 1);
    REQUIRE(purged.ok());
    CHECK(*purged == 1);
  });
  auto gone = s.get_triggers("acme", "call-0");
  REQUIRE(gone.ok());
  CHECK(gone->empty());
  CHECK(s.get_triggers("acme", "call-1")->size() == 2);
  conformance_commit(s, [&](WriteTransaction& txn) {
    auto purged = txn.purge_triggers("acme", conformance_time(1), 10);
    REQUIRE(purged.ok());
    CHECK(*purged == 1);  // t1 (at 0); t2 is at `before`, which is kept
  });
  got = s.get_triggers("acme", "call-1");
  REQUIRE(got.ok());
  REQUIRE(got->size() == 1);
  CHECK(got->front().rule_id == "rule-b");
}

template <typename Factory>
void conformance_call_history() {
  auto storage = conformance_storage<Factory>();
  Storage& s = *storage;
  conformance_commit(s, [&](WriteTransaction& txn) {
    REQUIRE(txn.insert_callers("acme", {conformance_caller("ann", {1}), conformance_caller("bob", {2})}).ok());
  });
  const CallRow c1 = conformance_call("c1", "ann", Level::gold, 20, 100, 4, 80.5, false,
                                      {HandlingRule::priority_queue, HandlingRule::dedicated_agent});
  const CallRow c2 = conformance_call("c2", "ann", Level::platinum, 45, 50, std::nullopt, std::nullopt, true);
  const CallRow c3 = conformance_call("c3", "bob", Level::gold, 5, 60, 2);
  const CallRow c4 = conformance_call("c4", "ann", Level::gold, 0, 200);
  conformance_commit(
      s,
      [&](WriteTransaction& txn) {
        for (const CallRow* c : {&c1, &c2, &c3, &c4}) {
          REQUIRE(txn.insert_call("acme", *c).ok());
          REQUIRE(txn.count_call("acme", c->caller_id, c->satisfaction_rating).ok());
        }
        CHECK(txn.insert_call("acme", c1).code() == Code::already_exists);  // once per tenant
        REQUIRE(txn.insert_call("other", c1).ok());                          // another tenant's
        REQUIRE(txn.count_call("acme", "gone", 3).ok());  // a caller that is gone: not an error
      },
      true);
  auto ann = s.list_calls("acme", "ann", conformance_time(0), conformance_time(1000), 0);
  REQUIRE(ann.ok());
  REQUIRE(ann->size() == 3);  // oldest first
  CHECK((*ann)[0].call_id == "c2");
  CHECK((*ann)[1].call_id == "c1");
  CHECK((*ann)[2].call_id == "c4");
  const CallRow& got = (*ann)[1];
  CHECK(got.caller_id == "ann");
  CHECK(got.vip_level == Level::gold);
  CHECK(got.handling_rules_applied == c1.handling_rules_applied);
  CHECK(got.wait_seconds == 20);
  CHECK(got.max_wait_time == 30);
  CHECK_FALSE(got.escalation_triggered);
  CHECK(got.satisfaction_rating == std::optional<int>(4));
  CHECK(got.service_quality_score == std::optional<double>(80.5));
  CHECK(got.at == conformance_time(100));
  CHECK((*ann)[0].escalation_triggered);
  CHECK_FALSE((*ann)[0].satisfaction_rating.has_value());
  CHECK_FALSE((*ann)[0].service_quality_score.has_value());
  // The range is half-open; the limit keeps the oldest.
  auto window = s.list_calls("acme", "ann", conformance_time(50), conformance_time(200), 0);
  REQUIRE(window.ok());
  CHECK(window->size() == 2);
  auto limited = s.list_calls("acme", "ann", conformance_time(0), conformance_time(1000), 1);
  REQUIRE(limited.ok());
  REQUIRE(limited->size() == 1);
  CHECK(limited->front().call_id == "c2");
  // The counters: every call, and the average of the ratings.
  auto counted = conformance_get(s, "acme", "ann");
  REQUIRE(counted.has_value());
  CHECK(counted->total_calls == 3);
  CHECK(counted->rated_calls == 1);
  CHECK(counted->satisfaction_score == std::optional<double>(4.0));
  conformance_commit(s, [&](WriteTransaction& txn) { REQUIRE(txn.count_call("acme", "ann", 1).ok()); }, true);
  counted = conformance_get(s, "acme", "ann");
  REQUIRE(counted.has_value());
  CHECK(counted->total_calls == 4);
  CHECK(counted->rated_calls == 2);
  CHECK(counted->satisfaction_score == std::optional<double>(2.5));
  // Replacing a caller leaves its counters alone.
  conformance_commit(s, [&](WriteTransaction& txn) {
    REQUIRE(txn.replace_caller("acme", conformance_caller("ann", {1}, Level::diamond)).ok());
  });
  counted = conformance_get(s, "acme", "ann");
  REQUIRE(counted.has_value());
  CHECK(counted->total_calls == 4);
  // Purge: older than `before`, oldest first, at most `limit`, this tenant only.
  conformance_commit(s, [&](WriteTransaction& txn) {
    auto purged = txn.purge_calls("acme", conformance_time(150), 2);
    REQUIRE(purged.ok());
    CHECK(*purged == 2);  // c2 (50) and c3 (60); c1 (100) stays
  });
  ann = s.list_calls("acme", "ann", conformance_time(0), conformance_time(1000), 0);
  REQUIRE(ann.ok());
  REQUIRE(ann->size() == 2);
  CHECK(ann->front().call_id == "c1");
  auto bob = s.list_calls("acme", "bob", conformance_time(0), conformance_time(1000), 0);
  REQUIRE(bob.ok());
  CHECK(bob->empty());
  auto other = s.list_calls("other", "ann", conformance_time(0), conformance_time(1000), 0);
  REQUIRE(other.ok());
  CHECK(other->size() == 1);
}

template <typename Factory>
void conformance_analytics() {
  auto storage = conformance_storage<Factory>();
  Storage& s = *storage;
  // Calls of every level, in and out of the range, of two callers and of
  // another tenant; waits repeat so that the histogram counts.
  std::vector<CallRow> calls;
  for (int i = 0; i < 60; ++i) {
    const auto level = static_cast<Level>(i % kLevelCount);
    const int wait = (i * 7) % 50;
    const std::optional<int> rating = i % 3 == 0 ? std::optional<int>(1 + i % 5) : std::nullopt;
    const std::optional<double> quality = i % 4 == 1 ? std::optional<double>(50.25 + (i % 9) * 5.75) : std::nullopt;
    calls.push_back(conformance_call("call-" + std::to_string(i), i % 2 == 0 ? "ann" : "bob", level, wait,
                                     i * 60 - 600, rating, quality, i % 6 == 0,
                                     HandlingRules::from_bits(static_cast<std::uint32_t>(i % 32))));
  }
  conformance_commit(
      s,
      [&](WriteTransaction& txn) {
        for (const CallRow& c : calls) REQUIRE(txn.insert_call("acme", c).ok());
        REQUIRE(txn.insert_call("other", conformance_call("x", "ann", Level::gold, 1, 0)).ok());
      },
      true);
  const Timestamp from = conformance_time(0), until = conformance_time(1800);

  // What the stored calls add up to, counted here call by call.
  auto expected = [&](std::string_view caller) {
    LevelAggregates want{};
    std::array<std::map<int, std::uint64_t>, kLevelCount> waits;
    for (const CallRow& c : calls) {
      if (c.at < from || !(c.at < until) || (!caller.empty() && c.caller_id != caller)) continue;
      CallAggregate& a = want[static_cast<std::size_t>(c.vip_level)];
      a.calls += 1;
      a.sla_met += c.wait_seconds <= c.max_wait_time ? 1u : 0u;
      a.escalations += c.escalation_triggered ? 1u : 0u;
      if (c.satisfaction_rating) a.rated += 1, a.rating_sum += *c.satisfaction_rating;
      if (c.service_quality_score) a.scored += 1, a.quality_sum += *c.service_quality_score;
      a.wait_sum += c.wait_seconds;
      a.wait_max = std::max(a.wait_max, c.wait_seconds);
      for (int r = 0; r < kHandlingRuleCount; ++r)
        a.rules[static_cast<std::size_t>(r)] += c.handling_rules_applied.has(static_cast<HandlingRule>(r)) ? 1u : 0u;
      waits[static_cast<std::size_t>(c.vip_level)][c.wait_seconds] += 1;
    }
    for (std::size_t l = 0; l < want.size(); ++l) want[l].wait_histogram.assign(waits[l].begin(), waits[l].end());
    return want;
  };

  for (std::string_view caller : {std::string_view(), std::string_view("ann")}) {
    INFO("caller: \"", std::string(caller), "\"");
    // The streamed scan visits exactly the calls of the range, whole.
    std::set<std::string> seen;
    const Status scanned = s.scan_calls("acme", from, until, caller, [&](const CallRow& c) {
      CHECK(seen.insert(c.call_id).second);
      return true;
    });
    REQUIRE_MESSAGE(scanned.ok(), scanned.to_string());
    std::set<std::string> want_ids;
    for (const CallRow& c : calls)
      if (!(c.at < from) && c.at < until && (caller.empty() || c.caller_id == caller)) want_ids.insert(c.call_id);
    CHECK(seen == want_ids);
    // Push-down (if the backend has one) == the default over the scan == the calls.
    auto pushed = s.aggregate_calls("acme", from, until, caller);
    REQUIRE_MESSAGE(pushed.ok(), pushed.status().to_string());
    auto streamed = s.Storage::aggregate_calls("acme", from, until, caller);
    REQUIRE_MESSAGE(streamed.ok(), streamed.status().to_string());
    const LevelAggregates want = expected(caller);
    check_same_aggregates(*pushed, want);
    check_same_aggregates(*streamed, want);
  }
  // The visitor stops the scan.
  int visited = 0;
  REQUIRE(s.scan_calls("acme", from, until, {}, [&](const CallRow&) { return ++visited < 3; }).ok());
  CHECK(visited == 3);
  // Nothing in range: zeros, empty histograms.
  auto empty = s.aggregate_calls("acme", conformance_time(100000), conformance_time(100001), {});
  REQUIRE(empty.ok());
  const LevelAggregates nothing{};
  check_same_aggregates(*empty, nothing);
}

template <typename Factory>
void conformance_change_generation() {
  auto storage = conformance_storage<Factory>();
  Storage& s = *storage;
  std::vector<std::uint64_t> seen;
  // Every value read after a commit differs from every value read before it
  // began, and a settled storage (no writer) never reads 0.
  auto after_commit = [&](const char* what) {
    INFO("after ", what);
    const std::uint64_t g = s.change_generation("t1");
    CHECK(g != 0);
    for (std::uint64_t before : seen) CHECK(g != before);
    seen.push_back(g);
  };
  seen.push_back(s.change_generation("t1"));
  conformance_commit(s, [&](WriteTransaction& txn) {
    REQUIRE(txn.insert_callers("t1", {conformance_caller("c1", {1}), conformance_caller("c2", {2})}).ok());
  });
  after_commit("insert_callers");
  {
    auto txn = conformance_begin(s);
    REQUIRE(txn->replace_caller("t1", conformance_caller("c1", {3}, Level::diamond)).ok());
    // Before commit: the old value (or 0), and the old data.
    const std::uint64_t during = s.change_generation("t1");
    CHECK((during == 0 || during == seen.back()));
    CHECK(conformance_owner(s, "t1", conformance_hash(1)) == "c1");
    seen.push_back(during);
    REQUIRE(txn->commit().ok());
  }
  after_commit("replace_caller");
  // A value read now vouches for what is read after it: the new data.
  CHECK(conformance_owner(s, "t1", conformance_hash(1)).empty());
  CHECK(conformance_owner(s, "t1", conformance_hash(3)) == "c1");
  conformance_commit(s, [&](WriteTransaction& txn) { REQUIRE(txn.delete_caller("t1", "c2").ok()); });
  after_commit("delete_caller");
  conformance_commit(s, [&](WriteTransaction& txn) { REQUIRE(txn.insert_rule("t1", conformance_rule("r", 1)).ok()); });
  after_commit("insert_rule");
  conformance_commit(s, [&](WriteTransaction& txn) { REQUIRE(txn.replace_rule("t1", conformance_rule("r", 2)).ok()); });
  after_commit("replace_rule");
  conformance_commit(s, [&](WriteTransaction& txn) { REQUIRE(txn.delete_rule("t1", "r").ok()); });
  after_commit("delete_rule");
  conformance_commit(s, [&](WriteTransaction& txn) { REQUIRE(txn.put_meta("t1", "settings", "x").ok()); });
  after_commit("put_meta of the tenant");
  conformance_commit(s, [&](WriteTransaction& txn) { REQUIRE(txn.delete_meta("t1", "settings").ok()); });
  after_commit("delete_meta of the tenant");
  conformance_commit(s, [&](WriteTransaction& txn) { REQUIRE(txn.put_meta("", "ring", "y").ok()); });
  after_commit("put_meta of the database");
  {
    const CallerRecord bulk = conformance_caller("c3", {4});
    conformance_commit(s, [&](WriteTransaction& txn) { REQUIRE(txn.insert_bulk_callers("t1", {&bulk}).ok()); });
  }
  after_commit("insert_bulk_callers");
  // The PBX's activity writes do not move it: caches stay warm through calls.
  const std::uint64_t settled = s.change_generation("t1");
  conformance_commit(
      s,
      [&](WriteTransaction& txn) {
        REQUIRE(txn.insert_call("t1", conformance_call("call", "c1", Level::gold, 3, 0)).ok());
        REQUIRE(txn.count_call("t1", "c1", 5).ok());
        bool inserted = false;
        REQUIRE(txn.insert_trigger("t1", {"call", "r", "c1", conformance_time(0), std::nullopt}, &inserted).ok());
        REQUIRE(txn.mark_notified("t1", "call", "r", conformance_time(1)).ok());
      },
      true);
  CHECK(s.change_generation("t1") == settled);
}

// ---- Through a Database --------------------------------------------------------

/// A Database on a fresh storage of the factory, with a manual clock.
template <typename Factory>
Database conformance_database(const std::shared_ptr<ManualClock>& clock) {
  auto key = MasterKey::for_testing("vipcore storage conformance");
  REQUIRE(key.ok());
  Options options;
  options.clock = clock;
  auto db = Database::open(conformance_storage<Factory>(), *key, options);
  REQUIRE_MESSAGE(db.ok(), db.status().to_string());
  return std::move(*db);
}

template <typename Factory>
void conformance_through_database() {
  auto clock = std::make_shared<ManualClock>(conformance_time(0));
  Database db = conformance_database<Factory>(clock);
  auto admin = db.tenant("acme", {"conformance-admin", Role::admin});
  REQUIRE_MESSAGE(admin.ok(), admin.status().to_string());
  auto pbx = db.tenant("acme", {"conformance-pbx", Role::system});
  REQUIRE(pbx.ok());
  auto other = db.tenant("other", {"conformance-pbx", Role::system});
  REQUIRE(other.ok());

  // identify sees every change at once, its cache warm in between.
  const std::string number = "+1 212 555 0142";
  auto miss = pbx->identify(number);
  REQUIRE(miss.ok());
  CHECK_FALSE(miss->is_vip);
  NewCaller vip;
  vip.phone_number = number;
  vip.caller_name = "Conformance Caller";
  vip.vip_level = Level::gold;
  vip.handling_rules = {HandlingRule::priority_queue};
  vip.max_wait_time = 30;
  auto made = admin->create(vip);
  REQUIRE_MESSAGE(made.ok(), made.status().to_string());
  for (int i = 0; i < 3; ++i) {
    auto who = pbx->identify(number);
    REQUIRE(who.ok());
    CHECK(who->is_vip);
    CHECK(who->caller.id == made->id);
    CHECK(who->caller.vip_level == Level::gold);
    CHECK(who->caller.caller_name == "Conformance Caller");
  }
  auto elsewhere = other->identify(number);
  REQUIRE(elsewhere.ok());
  CHECK_FALSE(elsewhere->is_vip);
  NewCaller twice = vip;
  twice.caller_name = "Someone Else";
  CHECK(admin->create(twice).status().code() == Code::already_exists);
  CallerUpdate up;
  up.vip_level = Level::diamond;
  REQUIRE(admin->update(made->id, up).ok());
  auto promoted = pbx->identify(number);
  REQUIRE(promoted.ok());
  CHECK(promoted->caller.vip_level == Level::diamond);

  // Calls recorded through the tenant add up in its analytics.
  const int waits[] = {10, 40, 25};
  for (int i = 0; i < 3; ++i) {
    CallRecord call;
    call.call_id = "conformance-call-" + std::to_string(i);
    call.caller_id = made->id;
    call.wait_seconds = waits[i];
    call.satisfaction_rating = i + 3;
    call.service_quality_score = 90.5 - i;
    call.at = conformance_time(60 * i);
    auto recorded = pbx->record_call(call);
    REQUIRE_MESSAGE(recorded.ok(), recorded.status().to_string());
  }
  const DateRange day{conformance_time(-3600), conformance_time(3600)};
  auto overview = admin->overview(day);
  REQUIRE_MESSAGE(overview.ok(), overview.status().to_string());
  CHECK(overview->total_callers == 1);
  CHECK(overview->callers[static_cast<std::size_t>(Level::diamond)][static_cast<std::size_t>(CallerStatus::active)] ==
        1);
  CHECK(overview->all.calls == 3);
  CHECK(overview->by_level[static_cast<std::size_t>(Level::diamond)].calls == 3);
  CHECK(overview->all.sla_met == 2);
  CHECK(overview->all.wait.max == 40);
  CHECK(overview->all.wait.p50 == 25);
  CHECK(overview->all.average_satisfaction == std::optional<double>(4.0));
  CHECK(overview->all.average_quality == std::optional<double>(89.5));
  auto mine = admin->caller_analytics(made->id, day);
  REQUIRE(mine.ok());
  CHECK(mine->stats.calls == 3);
  auto got = admin->get(made->id);
  REQUIRE(got.ok());
  CHECK(got->total_calls == 3);

  // Every change is in the audit trail, in order.
  auto trail = admin->audit({});
  REQUIRE(trail.ok());
  std::vector<std::string> actions;
  for (const AuditEntry& e : *trail)
    if (e.entity_id == made->id && (e.action == "create" || e.action == "update" || e.action == "delete"))
      actions.push_back(e.action);
  CHECK(actions == std::vector<std::string>{"create", "update"});

  REQUIRE(admin->remove(made->id).ok());
  auto removed = pbx->identify(number);
  REQUIRE(removed.ok());
  CHECK_FALSE(removed->is_vip);
}

}  // namespace vipcore::testing

/// Registers the conformance suite for a backend: one doctest test case per
/// behaviour, named "<name>: storage conformance: <behaviour>". `Factory` is
/// a type whose static make() returns a fresh, empty storage as
/// Result<std::unique_ptr<vipcore::Storage>>. Use at namespace scope, once
/// per backend; `name` is a string literal.
#define VIPCORE_STORAGE_CONFORMANCE(name, Factory)                                                              \
  TEST_CASE(name ": storage conformance: records insert, read back, replace and delete whole") {               \
    ::vipcore::testing::conformance_records<Factory>();                                                        \
  }                                                                                                             \
  TEST_CASE(name ": storage conformance: scans and counts filter, page and order by id") {                     \
    ::vipcore::testing::conformance_scans<Factory>();                                                          \
  }                                                                                                             \
  TEST_CASE(name ": storage conformance: a number belongs to one caller per tenant") {                         \
    ::vipcore::testing::conformance_unique_numbers<Factory>();                                                 \
  }                                                                                                             \
  TEST_CASE(name ": storage conformance: bulk inserts: held numbers are written by finish or commit, a repeat refused") { \
    ::vipcore::testing::conformance_bulk_inserts<Factory>();                                                   \
  }                                                                                                             \
  TEST_CASE(name ": storage conformance: a transaction dropped without commit changes nothing") {              \
    ::vipcore::testing::conformance_rollback<Factory>();                                                       \
  }                                                                                                             \
  TEST_CASE(name ": storage conformance: metadata and escalation rules") {                                     \
    ::vipcore::testing::conformance_metadata_and_rules<Factory>();                                             \
  }                                                                                                             \
  TEST_CASE(name ": storage conformance: audit entries commit with their change, oldest first") {              \
    ::vipcore::testing::conformance_audit_trail<Factory>();                                                    \
  }                                                                                                             \
  TEST_CASE(name ": storage conformance: a trigger is stored once per call and rule") {                        \
    ::vipcore::testing::conformance_triggers<Factory>();                                                       \
  }                                                                                                             \
  TEST_CASE(name ": storage conformance: call history, counters and purge") {                                  \
    ::vipcore::testing::conformance_call_history<Factory>();                                                   \
  }                                                                                                             \
  TEST_CASE(name ": storage conformance: aggregated calls equal the streamed scan's, exactly") {               \
    ::vipcore::testing::conformance_analytics<Factory>();                                                      \
  }                                                                                                             \
  TEST_CASE(name ": storage conformance: the change generation moves with every change, not with calls") {     \
    ::vipcore::testing::conformance_change_generation<Factory>();                                              \
  }                                                                                                             \
  TEST_CASE(name ": storage conformance: through a Database, identify sees each change and calls add up") {    \
    ::vipcore::testing::conformance_through_database<Factory>();                                               \
  }

#endif  // VIPCORE_TESTING_STORAGE_CONFORMANCE_HPP
