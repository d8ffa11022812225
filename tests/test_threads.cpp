// Many threads identify while another creates, updates and deletes: every
// answer must be one of the states the writer committed, never a mix.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;

TEST_SUITE("threads") {
  TEST_CASE_TEMPLATE("identify from many threads while a writer changes the caller", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant admin = env.tenant();
    Tenant pbx = env.tenant("acme", Role::system);
    REQUIRE(admin.create(michael_chen()).ok());  // a VIP that never changes

    auto alpha = []() {
      NewCaller c = minimal("+1 555 300 0001", "Alpha Caller");
      c.vip_level = Level::gold;
      c.handling_rules = {HandlingRule::priority_queue};
      return c;
    };
    std::atomic<bool> done{false};
    std::atomic<long> answers{0};
    std::atomic<long> bad{0};
    auto reader = [&]() {
      Identification out;
      while (!done.load(std::memory_order_acquire)) {
        if (!pbx.identify("+1 555 300 0001", &out).is_ok()) {
          ++bad;
          continue;
        }
        const bool alpha_vip = out.is_vip && out.caller.vip_level == Level::gold &&
                               out.caller.caller_name == "Alpha Caller" && out.routing_priority == 85;
        const bool bravo_vip = out.is_vip && out.caller.vip_level == Level::platinum &&
                               out.caller.caller_name == "Bravo Caller" && out.routing_priority == 80;
        const bool suspended = !out.is_vip && out.match == Match::suspended && out.caller.caller_name.empty() &&
                               !out.caller.id.empty();
        const bool absent = !out.is_vip && out.match == Match::not_found && out.caller.id.empty();
        if (!(alpha_vip || bravo_vip || suspended || absent)) ++bad;
        if (!pbx.identify("+1 456 789 0123", &out).is_ok() || out.caller.caller_name != "Michael Chen") ++bad;
        if (!pbx.identify("+1 800 555 0199", &out).is_ok() || out.is_vip) ++bad;
        ++answers;
      }
    };
    std::vector<std::thread> readers;
    for (int i = 0; i < 4; ++i) readers.emplace_back(reader);

    // Write while the readers read: start once they answer, and go on until
    // they have answered often, however the threads are scheduled.
    while (answers.load() == 0) std::this_thread::yield();
    int writes = 0;
    for (int cycle = 0; cycle < 60 || (answers.load() < 2000 && cycle < 20000); ++cycle) {
      auto c = admin.create(alpha());
      REQUIRE(c.ok());
      CallerUpdate to_bravo;
      to_bravo.caller_name = "Bravo Caller";
      to_bravo.vip_level = Level::platinum;
      to_bravo.handling_rules = HandlingRules{};
      REQUIRE(admin.update(c->id, to_bravo).ok());
      CallerUpdate suspend;
      suspend.status = CallerStatus::suspended;
      REQUIRE(admin.update(c->id, suspend).ok());
      REQUIRE(admin.remove(c->id).is_ok());
      writes += 4;
    }
    done.store(true, std::memory_order_release);
    for (auto& r : readers) r.join();
    CHECK(writes >= 240);
    CHECK(answers.load() >= 2000);
    CHECK(bad.load() == 0);
  }

  TEST_CASE_TEMPLATE("concurrent writers each commit whole changes", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    std::atomic<int> failures{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w]() {
        Tenant t = env.tenant();
        for (int i = 0; i < 25; ++i)
          if (!t.create(minimal(fmt_number(w * 100 + i))).ok()) ++failures;
      });
    }
    for (auto& w : writers) w.join();
    CHECK(failures.load() == 0);
    CHECK(*env.db->storage().count_callers("acme", CallerFilter{}) == 100);
    CHECK(env.tenant().audit({})->size() == 100);
  }
}
