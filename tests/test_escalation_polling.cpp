// A PBX polls the escalation check of a waiting call every few seconds: the
// triggers it already knows stored and notified are not read again, and
// nothing about what the check answers or whom it tells changes for that.
#include <doctest/doctest.h>

#include <atomic>
#include <functional>

#include "forwarding_storage.hpp"
#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;
using namespace std::chrono_literals;

namespace {

// A storage that counts the reads of a call's triggers and may run a hook
// right after one (before the check goes on with what it read).
class CountingStorage final : public ForwardingStorage {
 public:
  using ForwardingStorage::ForwardingStorage;
  std::atomic<int> trigger_reads{0};
  std::function<void()> after_get_triggers;

  Result<std::vector<TriggerRecord>> get_triggers(std::string_view t, std::string_view call) override {
    ++trigger_reads;
    auto out = inner_->get_triggers(t, call);
    if (auto hook = std::move(after_get_triggers)) {
      after_get_triggers = nullptr;
      hook();
    }
    return out;
  }
};

EscalationRule wait_rule(const char* name, int max_wait) {
  EscalationRule r;
  r.name = name;
  r.max_wait_time = max_wait;
  r.escalation_type = "manager";
  r.notify.emails = {"manager@company.com"};
  return r;
}

// One database on a CountingStorage over the memory backend.
struct Polling {
  std::shared_ptr<RecordingNotifier> notifier = std::make_shared<RecordingNotifier>();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>(t0());
  CountingStorage* storage = nullptr;
  std::unique_ptr<Database> db;
  std::unique_ptr<Tenant> admin, pbx;
  VipCaller john;

  Polling() {
    auto counting = std::make_unique<CountingStorage>(new_memory_storage());
    storage = counting.get();
    Options o = quiet_options();
    o.clock = clock;
    o.notifier = notifier;
    auto opened = Database::open(std::move(counting), test_key(), o);
    REQUIRE_MESSAGE(opened.ok(), opened.status().to_string());
    db = std::make_unique<Database>(std::move(*opened));
    admin = std::make_unique<Tenant>(*db->tenant("acme", {"alice", Role::admin}));
    pbx = std::make_unique<Tenant>(*db->tenant("acme", {"pbx", Role::system}));
    john = *admin->create(john_doe());
    REQUIRE(admin->create_rule(wait_rule("First", 60)).ok());
  }
  EscalationResult check(int wait, std::string_view call_id) {
    auto r = pbx->check_escalation(john.id, wait, 1, call_id);
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    return *r;
  }
  int reads() const { return storage->trigger_reads.load(); }
};

bool all_known(const EscalationResult& r) {
  for (const TriggeredRule& tr : r.triggered_rules)
    if (!tr.already_triggered || !tr.notified) return false;
  return true;
}

}  // namespace

TEST_SUITE("escalation polling") {
  TEST_CASE("a call whose triggers are stored and notified is polled without reading them again") {
    Polling p;
    const EscalationResult first = p.check(61, "call-1");
    REQUIRE(first.triggered_rules.size() == 1);
    CHECK_FALSE(first.triggered_rules[0].already_triggered);
    CHECK(first.triggered_rules[0].notified);
    CHECK(p.reads() == 1);
    for (int wait = 62; wait < 70; ++wait) {
      const EscalationResult again = p.check(wait, "call-1");
      REQUIRE(again.triggered_rules.size() == 1);
      CHECK(all_known(again));
      CHECK(again.triggered_rules[0].rule_name == "First");
      CHECK(again.triggered_rules[0].wait_exceeded);
    }
    CHECK(p.reads() == 1);
    CHECK(p.notifier->notices().size() == 1);

    // A rule that triggers for the first time is read, stored and told once.
    REQUIRE(p.admin->create_rule(wait_rule("Second", 90)).ok());
    const EscalationResult later = p.check(91, "call-1");
    REQUIRE(later.triggered_rules.size() == 2);
    CHECK(later.triggered_rules[0].already_triggered);
    CHECK_FALSE(later.triggered_rules[1].already_triggered);
    CHECK(later.triggered_rules[1].notified);
    CHECK(p.reads() == 2);
    CHECK(p.notifier->notices().size() == 2);
    CHECK(all_known(p.check(95, "call-1")));
    CHECK(p.reads() == 2);

    // Another call of the same caller is its own: read, stored, told.
    CHECK_FALSE(p.check(61, "call-2").triggered_rules[0].already_triggered);
    CHECK(p.reads() == 3);
    CHECK(p.notifier->notices().size() == 3);
  }

  TEST_CASE("a trigger whose notification failed is read at every poll until it is notified") {
    Polling p;
    p.notifier->set_mode(RecordingNotifier::Mode::fail);
    CHECK(p.check(61, "call-1").notification_failures.size() == 1);
    CHECK(p.check(62, "call-1").notification_failures.size() == 1);
    CHECK(p.reads() == 2);
    CHECK(p.notifier->attempts() == 2);
    p.notifier->set_mode(RecordingNotifier::Mode::succeed);
    const EscalationResult delivered = p.check(63, "call-1");
    CHECK(all_known(delivered));
    CHECK(delivered.notification_failures.empty());
    CHECK(p.reads() == 3);
    CHECK(all_known(p.check(64, "call-1")));
    CHECK(p.reads() == 3);
    CHECK(p.notifier->notices().size() == 1);
  }

  TEST_CASE("without a notifier, a known stored trigger is not read again, and reads not notified") {
    // Nobody is told by this process, so a trigger known stored is enough;
    // `notified` stays false, as when no notifier is configured.
    auto counting = std::make_unique<CountingStorage>(new_memory_storage());
    CountingStorage* storage = counting.get();
    auto opened = Database::open(std::move(counting), test_key(), quiet_options());
    REQUIRE(opened.ok());
    Tenant admin = *opened->tenant("acme", {"alice", Role::admin});
    Tenant pbx = *opened->tenant("acme", {"pbx", Role::system});
    auto john = admin.create(john_doe());
    REQUIRE(john.ok());
    REQUIRE(admin.create_rule(wait_rule("First", 60)).ok());
    for (int i = 0; i < 4; ++i) {
      auto r = pbx.check_escalation(john->id, 61 + i, 1, "call-1");
      REQUIRE(r.ok());
      REQUIRE(r->triggered_rules.size() == 1);
      CHECK(r->triggered_rules[0].already_triggered == (i > 0));
      CHECK_FALSE(r->triggered_rules[0].notified);
    }
    CHECK(storage->trigger_reads.load() == 1);
  }

  TEST_CASE("a purge forgets what the process remembers, also a purge between a read and what follows it") {
    Polling p;
    p.check(61, "call-1");
    p.clock->advance(2h);
    SUBCASE("a purge before the next poll") {
      REQUIRE(p.admin->purge_escalation_triggers(t0() + 1h).value() == 1);
      CHECK_FALSE(p.check(70, "call-1").triggered_rules[0].already_triggered);  // forgotten: triggers again
      CHECK(p.reads() == 2);
      CHECK(p.notifier->notices().size() == 2);
    }
    SUBCASE("a purge while a poll holds what it read") {
      // The poll reads the trigger, the purge deletes it, the poll goes on
      // with what it read: it must not remember a trigger that is gone.
      // (A purge of nothing first, so that the process remembers nothing and the poll reads.)
      REQUIRE(p.admin->purge_escalation_triggers(t0() - 1h).value() == 0);
      p.storage->after_get_triggers = [&p] {
        REQUIRE(p.admin->purge_escalation_triggers(t0() + 1h).value() == 1);
      };
      CHECK(p.check(70, "call-1").triggered_rules[0].already_triggered);  // as read
      CHECK(p.reads() == 2);
      CHECK_FALSE(p.check(71, "call-1").triggered_rules[0].already_triggered);  // read again: gone, triggers again
      CHECK(p.reads() == 3);
      CHECK(p.notifier->notices().size() == 2);
    }
  }

  TEST_CASE("the memory is bounded: a call polled long ago is read again") {
    Polling p;
    p.check(61, "call-0");
    CHECK(all_known(p.check(61, "call-0")));
    CHECK(p.reads() == 1);
    constexpr int kOtherCalls = 5000;
    for (int i = 1; i <= kOtherCalls; ++i) p.check(61, "call-" + std::to_string(i));
    CHECK(p.reads() == 1 + kOtherCalls);
    const EscalationResult old = p.check(61, "call-0");
    CHECK(all_known(old));  // still stored and notified, as read from the storage
    CHECK(p.reads() == 2 + kOtherCalls);
    CHECK(p.notifier->notices().size() == 1 + kOtherCalls);
  }

  TEST_CASE("a trigger notified by another database on the same file is not told again") {
    auto env = SqliteBackend::open();
    auto notifier = std::make_shared<RecordingNotifier>();
    Options o = env.options();
    o.notifier = notifier;
    auto first = Database::open(env.dir->file("vip.db"), test_key(), o);
    auto second = Database::open(env.dir->file("vip.db"), test_key(), o);
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    Tenant admin = *first->tenant("acme", {"alice", Role::admin});
    auto john = admin.create(john_doe());
    REQUIRE(john.ok());
    REQUIRE(admin.create_rule(wait_rule("First", 60)).ok());
    Tenant pbx1 = *first->tenant("acme", {"pbx-1", Role::system});
    Tenant pbx2 = *second->tenant("acme", {"pbx-2", Role::system});

    notifier->set_mode(RecordingNotifier::Mode::fail);
    CHECK(pbx1.check_escalation(john->id, 61, 1, "call-1")->notification_failures.size() == 1);
    notifier->set_mode(RecordingNotifier::Mode::succeed);
    CHECK(all_known(*pbx2.check_escalation(john->id, 62, 1, "call-1")));  // the retry, from the other database
    CHECK(notifier->notices().size() == 1);
    for (int wait = 63; wait < 66; ++wait) {
      CHECK(all_known(*pbx1.check_escalation(john->id, wait, 1, "call-1")));
      CHECK(all_known(*pbx2.check_escalation(john->id, wait, 1, "call-1")));
    }
    CHECK(notifier->notices().size() == 1);

    // A purge by another database: the process that remembers the trigger
    // still answers that it triggered and was told (it was), and does not
    // tell anyone again; the other database, which purged, forgot it.
    env.clock->advance(2h);
    REQUIRE(second->tenant("acme", {"alice", Role::admin})->purge_escalation_triggers(t0() + 1h).value() == 1);
    CHECK(all_known(*pbx1.check_escalation(john->id, 70, 1, "call-1")));
    CHECK(notifier->notices().size() == 1);
    CHECK_FALSE(pbx2.check_escalation(john->id, 71, 1, "call-1")->triggered_rules[0].already_triggered);
    CHECK(notifier->notices().size() == 2);
  }

  TEST_CASE("evaluation over many rules with schedules gives what each rule's own test gives") {
    // evaluate_escalation converts the time once per check; every rule must
    // still be judged as within_hours judges it alone.
    const char* kHours[] = {"mon-fri 09:00-17:00", "fri 22:00-06:00", "sat-sun 10:00-16:00", "24/7", "closed",
                            "mon 00:00-00:30, 23:30-24:00"};
    std::vector<EscalationRule> rules;
    for (int i = 0; i < 60; ++i) {
      EscalationRule r = wait_rule("Rule", 10 + i);
      r.id = "r" + std::to_string(i);
      r.name = "Rule " + std::to_string(i);
      r.schedule = static_cast<RuleSchedule>(i % 3);
      if (i % 4 != 0) r.business_hours = *parse_weekly_hours(kHours[i % 6]);
      if (i % 5 == 0) r.vip_levels = {Level::gold};
      if (i % 5 == 1) r.vip_levels = {Level::silver};
      if (i % 7 == 0) r.max_queue_position = 2;
      if (i % 11 == 0) r.is_active = false;
      rules.push_back(r);
    }
    const WeeklyHours tenant_hours = *parse_weekly_hours("mon-fri 08:00-18:00");
    CallerSummary c;
    c.vip_level = Level::gold;
    for (const char* zone : {"UTC", "America/New_York", "Asia/Kolkata"})
      for (Timestamp at = *parse_timestamp("2024-03-08T00:00:00Z"); at < *parse_timestamp("2024-03-12T00:00:00Z");
           at += 97min) {
        CAPTURE(zone);
        CAPTURE(format_timestamp(at));
        auto r = evaluate_escalation(rules, c, 40, 3, at, tenant_hours, zone);
        REQUIRE(r.ok());
        std::vector<std::string> expected;
        for (const EscalationRule& rule : rules) {
          const bool levels_match = rule.vip_levels.empty() || rule.vip_levels[0] == Level::gold;
          const bool exceeded = (rule.max_wait_time && 40 > *rule.max_wait_time) ||
                                (rule.max_queue_position && 3 > *rule.max_queue_position);
          if (!rule.is_active || !levels_match || !exceeded) continue;
          if (rule.schedule != RuleSchedule::always) {
            const bool open = *within_hours(rule.business_hours ? *rule.business_hours : tenant_hours, zone, at);
            if (open != (rule.schedule == RuleSchedule::inside_business_hours)) continue;
          }
          expected.push_back(rule.id);
        }
        std::vector<std::string> got;
        for (const TriggeredRule& tr : r->triggered_rules) got.push_back(tr.rule_id);
        CHECK(got == expected);
      }
  }
}
