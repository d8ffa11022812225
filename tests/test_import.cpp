// Bulk import against every storage backend.
#include <doctest/doctest.h>

#include <set>

#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;

namespace {

// The seed's bulk-import example plus generated rows.
std::vector<NewCaller> rows(int generated) {
  std::vector<NewCaller> out;
  NewCaller john = minimal("+1234567890", "John Doe");
  john.vip_level = Level::gold;
  NewCaller jane = minimal("+1234567891", "Jane Smith");
  jane.vip_level = Level::platinum;
  out.push_back(john);
  out.push_back(jane);
  for (int i = 0; i < generated; ++i) out.push_back(minimal(fmt_number(i), "Generated " + std::to_string(i)));
  return out;
}

// The tenant's audit trail without its set-up: the settings change made by
// Env::accept_seed_numbers (checked to be there) comes before the test's own.
Result<std::vector<AuditEntry>> audit_after_setup(const Tenant& t) {
  auto trail = t.audit({});
  REQUIRE(trail.ok());
  REQUIRE_FALSE(trail->empty());
  REQUIRE(trail->front().action == "update_settings");
  trail->erase(trail->begin());
  return trail;
}

std::uint64_t count_all(const Env& env) { return *env.storage->count_callers("acme", CallerFilter{}); }

}  // namespace

TEST_SUITE("import") {
  TEST_CASE_TEMPLATE("a clean import creates every row and one audit entry", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    env.accept_seed_numbers();
    Tenant t = env.tenant();
    std::vector<std::pair<std::size_t, std::size_t>> calls;
    ImportOptions o;
    o.progress = [&calls](std::size_t done, std::size_t total) {
      calls.emplace_back(done, total);
      return true;
    };
    o.progress_every = 100;
    ImportReport report;
    REQUIRE(t.import_callers(rows(250), o, &report).ok());
    CHECK(report.committed);
    CHECK(report.total == 252);
    CHECK(report.created == 252);
    CHECK(report.failed == 0);
    CHECK(report.errors.empty());
    CHECK(count_all(env) == 252);
    CHECK(t.identify("+1234567891")->caller.vip_level == Level::platinum);
    CHECK(t.identify(fmt_number(249))->caller.caller_name == "Generated 249");
    // Progress rises steadily (how often depends on the backend's write
    // granularity) and ends with (total, total).
    REQUIRE_FALSE(calls.empty());
    CHECK(calls.size() <= 3);
    CHECK(calls.back() == std::pair<std::size_t, std::size_t>{252, 252});
    for (std::size_t i = 1; i + 1 < calls.size(); ++i) CHECK(calls[i].first >= calls[i - 1].first + 100);
    for (std::size_t i = 1; i < calls.size(); ++i) CHECK(calls[i].first > calls[i - 1].first);
    for (const auto& c : calls) CHECK(c.second == 252);
    auto trail = audit_after_setup(t);
    REQUIRE(trail->size() == 3);  // the import, then the two lookups by a person
    CHECK(trail->front().action == "import");
    CHECK(trail->front().outcome == "created 252, updated 0, skipped 0, failed 0");
    CHECK(trail->at(1).action == "identify");
  }

  TEST_CASE_TEMPLATE("all or nothing: one bad row writes nothing and every bad row is reported", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    env.accept_seed_numbers();
    Tenant t = env.tenant();
    auto in = rows(10);
    in[3].caller_name = "";
    in[7].phone_number = "not a number";
    in[9].max_wait_time = -1;
    ImportReport report;
    Status s = t.import_callers(in, {}, &report);
    REQUIRE_FALSE(s.ok());
    CHECK(s.is_invalid_argument());
    CHECK(s.field() == "import");
    CHECK(s.message().find("3 of 12 rows failed") != std::string::npos);
    CHECK_FALSE(report.committed);
    CHECK(report.created == 0);
    CHECK(report.failed == 3);
    REQUIRE(report.errors.size() == 3);
    CHECK(report.errors[0].index == 3);
    CHECK(report.errors[0].error.field() == "caller_name");
    CHECK(report.errors[1].index == 7);
    CHECK(report.errors[1].error.field() == "phone_number");
    CHECK(report.errors[2].index == 9);
    CHECK(report.errors[2].error.field() == "max_wait_time");
    CHECK(count_all(env) == 0);
    CHECK(audit_after_setup(t)->empty());
  }

  TEST_CASE_TEMPLATE("best effort writes the good rows and reports the bad ones", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    env.accept_seed_numbers();
    Tenant t = env.tenant();
    auto in = rows(10);
    in[5].email = "nope";
    ImportOptions o;
    o.mode = ImportMode::best_effort;
    ImportReport report;
    REQUIRE(t.import_callers(in, o, &report).ok());
    CHECK(report.committed);
    CHECK(report.created == 11);
    CHECK(report.failed == 1);
    REQUIRE(report.errors.size() == 1);
    CHECK(report.errors[0].index == 5);
    CHECK(report.errors[0].error.field() == "email");
    CHECK(count_all(env) == 11);
    CHECK_FALSE(t.identify(in[5].phone_number)->is_vip);
  }

  TEST_CASE_TEMPLATE("duplicates: fail, skip or update", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    env.accept_seed_numbers();
    Tenant t = env.tenant();
    auto existing = t.create(john_doe());  // +1 234 567 8900
    REQUIRE(existing.ok());
    std::vector<NewCaller> in = {minimal("+1 555 200 0001", "New One"), minimal("2345678900", "John Updated"),
                                 minimal("+1 555 200 0002", "New Two"), minimal("+1 555 200 0001", "Repeat")};
    in[1].vip_level = Level::diamond;
    ImportOptions o;
    o.mode = ImportMode::best_effort;
    ImportReport report;

    SUBCASE("fail: duplicates are errors, within the import too") {
      o.on_duplicate = DuplicatePolicy::fail;
      REQUIRE(t.import_callers(in, o, &report).ok());
      CHECK(report.created == 2);
      CHECK(report.failed == 2);
      REQUIRE(report.errors.size() == 2);
      CHECK(report.errors[0].index == 1);
      CHECK(report.errors[0].error.is_already_exists());
      CHECK(report.errors[0].error.message().find(existing->id) != std::string::npos);
      CHECK(report.errors[1].index == 3);
      CHECK(report.errors[1].error.message().find("row 0") != std::string::npos);
      CHECK(t.get(existing->id)->caller_name == "John Doe");
    }
    SUBCASE("skip: duplicates are counted and left alone") {
      o.on_duplicate = DuplicatePolicy::skip;
      REQUIRE(t.import_callers(in, o, &report).ok());
      CHECK(report.created == 2);
      CHECK(report.skipped == 2);
      CHECK(report.failed == 0);
      CHECK(t.get(existing->id)->caller_name == "John Doe");
      CHECK(t.identify("+1 555 200 0001")->caller.caller_name == "New One");
    }
    SUBCASE("update: the existing VIP takes the row's fields, keeping the others") {
      o.on_duplicate = DuplicatePolicy::update;
      REQUIRE(t.import_callers(in, o, &report).ok());
      CHECK(report.created == 2);
      CHECK(report.updated == 1);
      CHECK(report.failed == 1);  // the repeat within the import
      auto john = t.get(existing->id);
      CHECK(john->caller_name == "John Updated");
      CHECK(john->vip_level == Level::diamond);
      CHECK(john->company_name == "Acme Corp");  // not in the row: unchanged
      CHECK(count_all(env) == 3);
    }
    SUBCASE("all or nothing with a duplicate writes nothing") {
      o.mode = ImportMode::all_or_nothing;
      CHECK_FALSE(t.import_callers(in, o, &report).ok());
      CHECK(count_all(env) == 1);
    }
  }

  TEST_CASE_TEMPLATE("a cancelled import writes nothing", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    env.accept_seed_numbers();
    Tenant t = env.tenant();
    ImportOptions o;
    o.progress_every = 10;
    o.progress = [](std::size_t done, std::size_t) { return done < 50; };
    ImportReport report;
    Status s = t.import_callers(rows(100), o, &report);
    CHECK(s.is_invalid_argument());
    CHECK(s.message().find("cancelled") != std::string::npos);
    CHECK(count_all(env) == 0);
    o.progress_every = 0;
    CHECK(t.import_callers(rows(1), o, &report).field() == "progress_every");
    CHECK(t.import_callers(rows(1), {}, nullptr).field() == "report");
  }

  TEST_CASE_TEMPLATE("worker threads change nothing but the speed", B, VIPCORE_BACKENDS) {
    // Blocks of rows are prepared on several threads: bad rows, repeats
    // and progress must come out exactly as one thread gives them.
    auto in = rows(5000);
    for (std::size_t i = 10; i < in.size(); i += 97) in[i].email = "nope";
    for (std::size_t i = 20; i < in.size(); i += 401) in[i].phone_number = in[i - 15].phone_number;
    const auto import_with = [&](unsigned threads, std::vector<std::string>* ids) {
      Env env = B::open();
      env.accept_seed_numbers();
      Tenant t = env.tenant();
      ImportOptions o;
      o.mode = ImportMode::best_effort;
      o.threads = threads;
      ImportReport report;
      REQUIRE(t.import_callers(in, o, &report).ok());
      for (std::size_t i = 0; i < in.size(); i += 499) {
        auto who = t.identify(in[i].phone_number);
        REQUIRE(who.ok());
        ids->push_back(who->is_vip ? who->caller.caller_name : std::string("-"));
      }
      return report;
    };
    std::vector<std::string> one_names, four_names;
    const ImportReport one = import_with(1, &one_names);
    const ImportReport four = import_with(4, &four_names);
    CHECK(one.created == 5002 - one.failed);
    CHECK(four.created == one.created);
    CHECK(four.failed == one.failed);
    REQUIRE(four.errors.size() == one.errors.size());
    for (std::size_t i = 0; i < one.errors.size(); ++i) {
      CHECK(four.errors[i].index == one.errors[i].index);
      CHECK(four.errors[i].error.field() == one.errors[i].error.field());
      CHECK(four.errors[i].error.message() == one.errors[i].error.message());
    }
    CHECK(one.failed == 52 + 13);  // 52 bad emails, 13 repeated numbers
    CHECK(four_names == one_names);
  }

  TEST_CASE_TEMPLATE("imported callers get distinct version 4 UUIDs", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    env.accept_seed_numbers();
    Tenant t = env.tenant();
    ImportReport report;
    REQUIRE(t.import_callers(rows(300), {}, &report).ok());
    ListQuery q;
    q.limit = ListQuery::kMaxLimit;
    auto all = t.list(q);
    REQUIRE(all.ok());
    REQUIRE(all->size() == 302);
    std::set<std::string> ids;
    for (const auto& c : *all) {
      CHECK(c.id.size() == 36);
      CHECK(c.id[14] == '4');
      CHECK(std::string("89ab").find(c.id[19]) != std::string::npos);
      ids.insert(c.id);
    }
    CHECK(ids.size() == 302);
  }

  TEST_CASE_TEMPLATE("import refuses more worker threads than it can use", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant t = env.tenant();
    ImportOptions o;
    o.threads = 65;
    ImportReport report;
    const Status s = t.import_callers(rows(1), o, &report);
    CHECK(s.is_invalid_argument());
    CHECK(s.field() == "threads");
    CHECK(s.message().find("at most 64") != std::string::npos);
    CHECK(count_all(env) == 0);
  }

  TEST_CASE_TEMPLATE("an empty import commits nothing but its audit entry", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant t = env.tenant();
    ImportReport report;
    REQUIRE(t.import_callers({}, {}, &report).ok());
    CHECK(report.committed);
    CHECK(report.total == 0);
    CHECK(t.audit({})->size() == 1);
  }
}
