// How to unit-test your PBX glue against vipcore.
//
// Three things make such tests fast and repeatable:
//   - new_memory_storage(): no file, nothing to clean up;
//   - MasterKey::for_testing("seed"): the same key on every run;
//   - a ManualClock in Options: "now" is whatever the test says.
//
// The glue below is the kind of code a PBX integrator writes: on an incoming
// call, ask vipcore who it is and turn the answer into a queue decision.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "vipcore/vipcore.hpp"

using namespace std::chrono_literals;

namespace pbx {

/// What our (imaginary) PBX does with a call.
struct QueueDecision {
  std::string queue;      ///< "vip" or "general"
  int priority = 0;       ///< the queue's priority weight
  std::string announce;   ///< text-to-speech greeting, if any
};

/// The glue under test: one call in, one decision out. A vipcore failure
/// must never drop the call, so it falls back to the general queue.
class CallRouter {
 public:
  explicit CallRouter(vipcore::Tenant tenant) : tenant_(std::move(tenant)) {}

  QueueDecision on_incoming_call(const std::string& caller_number) const {
    vipcore::Identification who;
    if (!tenant_.identify(caller_number, &who).ok() || !who.is_vip) return {"general", 0, ""};
    return {"vip", who.routing_priority, who.caller.custom_greeting};
  }

 private:
  vipcore::Tenant tenant_;
};

}  // namespace pbx

namespace {

// The shared set-up of every test: a database in memory, a fixed key, and
// a clock standing at a known instant.
struct Fixture {
  std::shared_ptr<vipcore::ManualClock> clock =
      std::make_shared<vipcore::ManualClock>(*vipcore::parse_timestamp("2024-03-01T09:00:00Z"));
  vipcore::Database db = open();

  vipcore::Database open() const {
    vipcore::Options options;
    options.clock = clock;
    auto key = vipcore::MasterKey::for_testing("pbx glue tests");
    auto opened = vipcore::Database::open(vipcore::new_memory_storage(), *key, options);
    REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
    return std::move(*opened);
  }
  vipcore::Tenant as(vipcore::Role role) const {
    return *db.tenant("test-tenant", {"unit-test", role});
  }
};

}  // namespace

TEST_CASE("a VIP goes to the VIP queue with vipcore's priority and greeting") {
  Fixture f;
  vipcore::NewCaller gold;
  gold.phone_number = "+1 234 567 8900";
  gold.caller_name = "John Doe";
  gold.vip_level = vipcore::Level::gold;
  gold.handling_rules = {vipcore::HandlingRule::priority_queue, vipcore::HandlingRule::custom_greeting};
  gold.custom_greeting = "Hello Mr. Doe, thank you for calling.";
  REQUIRE(f.as(vipcore::Role::admin).create(gold).ok());

  const pbx::CallRouter router(f.as(vipcore::Role::system));
  const pbx::QueueDecision d = router.on_incoming_call("(234) 567-8900");
  CHECK(d.queue == "vip");
  CHECK(d.priority == 85);
  CHECK(d.announce == "Hello Mr. Doe, thank you for calling.");

  SUBCASE("anyone else goes to the general queue") {
    CHECK(router.on_incoming_call("+1 800 555 0199").queue == "general");
  }
  SUBCASE("a withheld or garbled number does not break the call") {
    CHECK(router.on_incoming_call("anonymous").queue == "general");
  }
}

TEST_CASE("a VIP whose contract has ended is treated like anyone else") {
  Fixture f;
  vipcore::NewCaller temp;
  temp.phone_number = "+44 20 7946 0958";
  temp.caller_name = "Trial Customer";
  temp.vip_level = vipcore::Level::silver;
  temp.valid_until = f.clock->now() + 24h;
  REQUIRE(f.as(vipcore::Role::admin).create(temp).ok());

  const pbx::CallRouter router(f.as(vipcore::Role::system));
  CHECK(router.on_incoming_call("+44 20 7946 0958").queue == "vip");
  f.clock->advance(25h);  // no sleeping in tests: move the clock instead
  CHECK(router.on_incoming_call("+44 20 7946 0958").queue == "general");
}
