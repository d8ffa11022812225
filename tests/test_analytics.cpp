// Call history, analytics, alerts, retention and metrics against every
// storage backend, with numbers checked exactly on hand-made histories.
#include <doctest/doctest.h>

#include <cmath>

#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;
using namespace std::chrono_literals;

namespace {

template <typename B>
struct Fixture {
  Env env = B::open();
  Tenant admin = env.tenant("acme", Role::admin);
  Tenant pbx = env.tenant("acme", Role::system);
  VipCaller john = *admin.create(john_doe());       // GOLD, target 30 s
  VipCaller michael = *admin.create(michael_chen());  // DIAMOND, target 15 s
  int next_call = 0;

  CallHistoryEntry record(const VipCaller& who, int wait, bool escalated = false, std::optional<int> rating = {},
                          std::optional<double> quality = {}, std::optional<Timestamp> at = {}) {
    CallRecord c;
    c.call_id = "call-" + std::to_string(next_call++);
    c.caller_id = who.id;
    c.wait_seconds = wait;
    c.escalation_triggered = escalated;
    c.satisfaction_rating = rating;
    c.service_quality_score = quality;
    c.handling_rules_applied = who.handling_rules;
    c.at = at ? *at : t0() + std::chrono::minutes(next_call);
    auto r = pbx.record_call(c);
    REQUIRE_MESSAGE(r.ok(), r.status().to_string());
    return *r;
  }
};

const DateRange kDay{t0() - 1h, t0() + 23h};

}  // namespace

TEST_SUITE("analytics") {
  TEST_CASE_TEMPLATE("recording a call keeps the caller's totals and satisfaction current", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    const CallHistoryEntry e = f.record(f.john, 25, false, 5, 90.0);
    CHECK(e.vip_level == Level::gold);
    CHECK(e.max_wait_time == 30);
    CHECK(e.caller_id == f.john.id);
    f.record(f.john, 40, true);  // unrated: the average stays
    f.record(f.john, 10, false, 3);
    const VipCaller after = *f.admin.get(f.john.id);
    CHECK(after.total_calls == 3);
    REQUIRE(after.satisfaction_score);
    CHECK(*after.satisfaction_score == doctest::Approx(4.0));
    auto history = f.admin.call_history(f.john.id, kDay);
    REQUIRE(history.ok());
    REQUIRE(history->size() == 3);
    CHECK((*history)[0].call_id == "call-0");
    CHECK((*history)[1].escalation_triggered);
    CHECK((*history)[2].satisfaction_rating == 3);
    CHECK(f.admin.call_history(f.john.id, kDay, 2)->size() == 2);
  }

  TEST_CASE_TEMPLATE("a call id is recorded once, and bad values are refused without counting anything", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    CallRecord c;
    c.call_id = "call-once";
    c.caller_id = f.john.id;
    c.wait_seconds = 12;
    REQUIRE(f.pbx.record_call(c).ok());
    auto again = f.pbx.record_call(c);
    REQUIRE_FALSE(again.ok());
    CHECK(again.status().is_already_exists());
    CHECK(again.status().field() == "call_id");
    struct Case {
      const char* field;
      void (*mutate)(CallRecord&);
    };
    const Case cases[] = {
        {"call_id", [](CallRecord& r) { r.call_id = ""; }},
        {"wait_seconds", [](CallRecord& r) { r.wait_seconds = -1; }},
        {"wait_seconds", [](CallRecord& r) { r.wait_seconds = 86401; }},
        {"satisfaction_rating", [](CallRecord& r) { r.satisfaction_rating = 7; }},
        {"satisfaction_rating", [](CallRecord& r) { r.satisfaction_rating = 0; }},
        {"service_quality_score", [](CallRecord& r) { r.service_quality_score = 101.0; }},
        {"service_quality_score", [](CallRecord& r) { r.service_quality_score = std::nan(""); }},
        {"caller_id", [](CallRecord& r) { r.caller_id = "nobody"; }},
        {"vip_level_at_call", [](CallRecord& r) { r.vip_level_at_call = static_cast<Level>(7); }},
    };
    for (const Case& k : cases) {
      CAPTURE(k.field);
      CallRecord bad = c;
      bad.call_id = "call-bad";
      k.mutate(bad);
      auto r = f.pbx.record_call(bad);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().is_invalid_argument());
      CHECK(r.status().field() == k.field);
    }
    CallRecord unknown = c;
    unknown.call_id = "call-unknown";
    unknown.caller_id = "3f2b8c1e-0000-4000-8000-000000000000";
    CHECK(f.pbx.record_call(unknown).status().is_not_found());
    CHECK(f.admin.get(f.john.id)->total_calls == 1);
    CHECK(f.admin.call_history(f.john.id, kDay)->size() == 1);
  }

  TEST_CASE_TEMPLATE("per-VIP analytics: exact figures on a hand-made history", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    // John's target is 30 s. Waits 10, 20, 30, 40, 100.
    f.record(f.john, 10, false, 5, 90.0);
    f.record(f.john, 20, false, 4, 80.0);
    f.record(f.john, 30, true);
    f.record(f.john, 40, false, 3);
    f.record(f.john, 100, true);
    f.record(f.michael, 5);  // another caller: not counted
    auto a = f.admin.caller_analytics(f.john.id, kDay);
    REQUIRE(a.ok());
    const CallStats& s = a->stats;
    CHECK(s.calls == 5);
    CHECK(s.wait.average == doctest::Approx(40.0));
    CHECK(s.wait.max == 100);
    CHECK(s.wait.p50 == 30);   // rank ceil(0.5 * 5) = 3
    CHECK(s.wait.p90 == 100);  // rank ceil(0.9 * 5) = 5
    CHECK(s.sla_met == 3);
    CHECK(*s.sla_met_rate == doctest::Approx(0.6));
    CHECK(s.escalations == 2);
    CHECK(*s.escalation_rate == doctest::Approx(0.4));
    CHECK(s.rated_calls == 3);
    CHECK(*s.average_satisfaction == doctest::Approx(4.0));
    CHECK(s.scored_calls == 2);
    CHECK(*s.average_quality == doctest::Approx(85.0));
    CHECK(s.handling_rules_applied[static_cast<int>(HandlingRule::priority_queue)] == 5);
    CHECK(s.handling_rules_applied[static_cast<int>(HandlingRule::immediate_transfer)] == 0);
  }

  TEST_CASE_TEMPLATE("an empty range gives zeros and no data, and a range includes its start but not its end", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    const Timestamp at = t0() + 2h;
    f.record(f.john, 12, false, 4, 70.0, at);
    auto empty = f.admin.caller_analytics(f.john.id, DateRange{t0() + 5h, t0() + 6h});
    REQUIRE(empty.ok());
    CHECK(empty->stats.calls == 0);
    CHECK(empty->stats.wait.average == 0);
    CHECK(empty->stats.wait.p90 == 0);
    CHECK_FALSE(empty->stats.sla_met_rate);
    CHECK_FALSE(empty->stats.escalation_rate);
    CHECK_FALSE(empty->stats.average_satisfaction);
    CHECK_FALSE(empty->stats.average_quality);
    CHECK(f.admin.caller_analytics(f.john.id, DateRange{at, at + 1ms})->stats.calls == 1);  // start included
    CHECK(f.admin.caller_analytics(f.john.id, DateRange{at - 1h, at})->stats.calls == 0);  // end excluded
    CHECK(f.admin.overview(DateRange{at - 1h, at})->all.calls == 0);
    CHECK(f.admin.overview(DateRange{at, at - 1h}).status().field() == "range");
    CHECK(f.admin.caller_analytics(f.john.id, DateRange{at, at}).status().field() == "range");
    CHECK(f.admin.caller_analytics("3f2b8c1e-0000-4000-8000-000000000000", kDay).status().is_not_found());
  }

  TEST_CASE_TEMPLATE("overview: callers by level and status, calls by level, tenant isolated", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    NewCaller s = minimal("+1 555 300 0009", "Suspended Sue");
    s.vip_level = Level::gold;
    s.status = CallerStatus::suspended;
    REQUIRE(f.admin.create(s).ok());
    f.record(f.john, 20, false, 5);
    f.record(f.john, 50, true, 3);
    f.record(f.michael, 10);
    f.record(f.michael, 30, true);
    Tenant globex = f.env.tenant("globex", Role::admin);
    auto g = globex.create(minimal("+1 234 567 8900", "Globex VIP"));
    REQUIRE(g.ok());
    CallRecord other;
    other.call_id = "call-0";  // the same call id in another tenant is another call
    other.caller_id = g->id;
    other.wait_seconds = 999;
    other.at = t0();
    REQUIRE(globex.record_call(other).ok());

    auto o = f.admin.overview(kDay);
    REQUIRE(o.ok());
    CHECK(o->total_callers == 3);
    CHECK(o->callers[static_cast<int>(Level::gold)][static_cast<int>(CallerStatus::active)] == 1);
    CHECK(o->callers[static_cast<int>(Level::gold)][static_cast<int>(CallerStatus::suspended)] == 1);
    CHECK(o->callers[static_cast<int>(Level::diamond)][static_cast<int>(CallerStatus::active)] == 1);
    CHECK(o->all.calls == 4);
    CHECK(o->all.wait.max == 50);
    CHECK(o->all.wait.average == doctest::Approx(27.5));
    const CallStats& gold = o->by_level[static_cast<int>(Level::gold)];
    CHECK(gold.calls == 2);
    CHECK(*gold.sla_met_rate == doctest::Approx(0.5));  // 20 <= 30, 50 > 30
    CHECK(*gold.average_satisfaction == doctest::Approx(4.0));
    const CallStats& diamond = o->by_level[static_cast<int>(Level::diamond)];
    CHECK(diamond.calls == 2);
    CHECK(*diamond.escalation_rate == doctest::Approx(0.5));
    CHECK(*diamond.sla_met_rate == doctest::Approx(0.5));  // 10 <= 15, 30 > 15
    CHECK(o->by_level[static_cast<int>(Level::silver)].calls == 0);

    auto og = globex.overview(kDay);
    CHECK(og->all.calls == 1);
    CHECK(og->all.wait.max == 999);
    CHECK(og->total_callers == 1);
    CHECK(globex.caller_analytics(f.john.id, kDay).status().is_not_found());
    CHECK(globex.call_history(f.john.id, kDay)->empty());
  }

  TEST_CASE_TEMPLATE("alerts fire above their thresholds and not at them", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    auto kinds = [&](const DateRange& r) {
      std::vector<std::pair<AlertKind, std::optional<Level>>> out;
      for (const Alert& a : *f.admin.evaluate_alerts(r)) out.emplace_back(a.kind, a.level);
      return out;
    };
    using K = std::vector<std::pair<AlertKind, std::optional<Level>>>;

    SUBCASE("DIAMOND escalation rate: 5% is fine, 10% alerts") {
      for (int i = 0; i < 20; ++i) f.record(f.michael, 5, i == 0);
      CHECK(kinds(kDay).empty());
      f.record(f.michael, 5, true);  // 2 of 21: 9.5%
      auto alerts = *f.admin.evaluate_alerts(kDay);
      REQUIRE(alerts.size() == 1);
      CHECK(alerts[0].kind == AlertKind::escalation_rate);
      CHECK(alerts[0].level == Level::diamond);
      CHECK(alerts[0].measured == doctest::Approx(2.0 / 21));
      CHECK(alerts[0].threshold == doctest::Approx(0.05));
      CHECK(alerts[0].message.find("DIAMOND escalation rate 9.52% is above 5.00%") != std::string::npos);
    }
    SUBCASE("average wait: at the level's target is fine, above it alerts") {
      for (int i = 0; i < 10; ++i) f.record(f.john, i % 2 ? 40 : 80);  // GOLD target 60, average exactly 60
      CHECK(kinds(kDay).empty());
      f.record(f.john, 71);  // average 61
      CHECK(kinds(kDay) == K{{AlertKind::wait_time, Level::gold}});
    }
    SUBCASE("too few calls are not judged") {
      for (int i = 0; i < 9; ++i) f.record(f.michael, 500, true);
      CHECK(kinds(kDay).empty());
    }
    SUBCASE("service quality: a drop of 5 points is fine, more alerts") {
      const DateRange yesterday{kDay.start - 24h, kDay.start};
      for (int i = 0; i < 10; ++i) f.record(f.john, 5, false, {}, 90.0, yesterday.start + std::chrono::minutes(i));
      for (int i = 0; i < 10; ++i) f.record(f.john, 5, false, {}, 85.0);
      CHECK(kinds(kDay).empty());
      f.record(f.john, 5, false, {}, 74.0);  // average 84
      auto alerts = *f.admin.evaluate_alerts(kDay);
      REQUIRE(alerts.size() == 1);
      CHECK(alerts[0].kind == AlertKind::quality_drop);
      CHECK(alerts[0].measured == doctest::Approx(6.0));
    }
    SUBCASE("failed identifications: 1% is fine, more alerts") {
      for (int i = 0; i < 99; ++i) CHECK(f.pbx.identify("+1 800 555 0199").ok());
      CHECK_FALSE(f.pbx.identify("not a number").ok());
      CHECK(kinds(kDay).empty());  // 1 of 100
      CHECK_FALSE(f.pbx.identify("still not a number").ok());
      CHECK(kinds(kDay) == K{{AlertKind::failed_identifications, std::nullopt}});
    }
    SUBCASE("thresholds are the tenant's own") {
      for (int i = 0; i < 10; ++i) f.record(f.john, 5, i < 2);  // GOLD 20%
      CHECK(kinds(kDay) == K{{AlertKind::escalation_rate, Level::gold}});
      TenantSettings s = *f.admin.settings();
      s.alerts.max_escalation_rate[static_cast<int>(Level::gold)] = 0.25;
      REQUIRE(f.admin.update_settings(s).ok());
      CHECK(kinds(kDay).empty());
      s.alerts.max_escalation_rate[0] = 1.5;
      CHECK(f.admin.update_settings(s).field() == "alerts.max_escalation_rate[STANDARD]");
    }
  }

  TEST_CASE_TEMPLATE("retention purges old calls and triggers in batches", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    for (int i = 0; i < 7; ++i) f.record(f.john, 5, false, {}, {}, t0() - 48h + std::chrono::minutes(i));
    for (int i = 0; i < 3; ++i) f.record(f.john, 5);
    EscalationRule r;
    r.name = "Any wait";
    r.max_wait_time = 0;
    REQUIRE(f.admin.create_rule(r).ok());
    f.env.clock->set(t0() - 48h);
    REQUIRE(f.pbx.check_escalation(f.john.id, 5, 1, "old-call").ok());
    f.env.clock->set(t0());
    REQUIRE(f.pbx.check_escalation(f.john.id, 5, 1, "new-call").ok());

    auto report = f.admin.purge(t0() - 24h, 3);
    REQUIRE(report.ok());
    CHECK(report->calls == 7);
    CHECK(report->triggers == 1);
    CHECK(f.admin.overview(DateRange{t0() - 72h, t0() + 24h})->all.calls == 3);
    CHECK(f.admin.get(f.john.id)->total_calls == 10);  // the caller's totals are not history
    CHECK(f.admin.purge(t0() - 24h)->calls == 0);
    CHECK(f.pbx.purge(t0()).status().is_permission_denied());
    CHECK(f.admin.purge(t0(), 0).status().field() == "batch_size");
    std::size_t purges = 0;
    for (const AuditEntry& e : *f.admin.audit({}))
      if (e.action == "purge_calls") ++purges;
    CHECK(purges == 4);  // one per batch: 3, 3 and 1 rows, then the second purge's empty batch
  }

  TEST_CASE_TEMPLATE("metrics count identifications, escalations and calls, and export as Prometheus", B,
                     VIPCORE_BACKENDS) {
    Fixture<B> f;
    CHECK(f.pbx.identify("+1 234 567 8900")->is_vip);
    CHECK_FALSE(f.pbx.identify("+1 800 555 0199")->is_vip);
    CHECK_FALSE(f.pbx.identify("garbage").ok());
    EscalationRule r;
    r.name = "Any wait";
    r.max_wait_time = 10;
    REQUIRE(f.admin.create_rule(r).ok());
    REQUIRE(f.pbx.check_escalation(f.john.id, 20, 1, "call-x").ok());
    REQUIRE(f.pbx.check_escalation(f.john.id, 25, 1, "call-x").ok());  // already triggered: not counted again
    f.record(f.john, 20);
    f.record(f.john, 400);

    auto m = f.pbx.metrics();
    REQUIRE(m.ok());
    CHECK(m->tenant_id == "acme");
    CHECK(m->identify_attempted == 3);
    CHECK(m->identify_matched == 1);
    CHECK(m->identify_not_vip == 1);
    CHECK(m->identify_failed == 1);
    CHECK(m->identified_by_level[static_cast<int>(Level::gold)] == 1);
    CHECK(m->escalation_checks == 2);
    CHECK(m->escalations_by_level[static_cast<int>(Level::gold)] == 1);
    CHECK(m->calls_recorded_by_level[static_cast<int>(Level::gold)] == 2);
    CHECK(m->wait_seconds_sum_by_level[static_cast<int>(Level::gold)] == 420);
    CHECK(m->wait_buckets_by_level[static_cast<int>(Level::gold)][2] == 1);  // 20 s: the <= 30 bucket
    CHECK(m->wait_buckets_by_level[static_cast<int>(Level::gold)][kWaitBuckets - 1] == 1);  // 400 s: above 300
    CHECK(f.env.tenant("acme", Role::agent).metrics().status().is_permission_denied());

    const std::string text = to_prometheus(f.env.db->metrics());
    CHECK(text.find("# TYPE vipcore_identify_total counter") != std::string::npos);
    CHECK(text.find("vipcore_identify_total{tenant=\"acme\",result=\"vip\"} 1\n") != std::string::npos);
    CHECK(text.find("vipcore_identify_total{tenant=\"acme\",result=\"error\"} 1\n") != std::string::npos);
    CHECK(text.find("vipcore_escalations_total{tenant=\"acme\",level=\"GOLD\"} 1\n") != std::string::npos);
    CHECK(text.find("vipcore_call_wait_seconds_bucket{tenant=\"acme\",level=\"GOLD\",le=\"30\"} 1\n") !=
          std::string::npos);
    CHECK(text.find("vipcore_call_wait_seconds_bucket{tenant=\"acme\",level=\"GOLD\",le=\"+Inf\"} 2\n") !=
          std::string::npos);
    CHECK(text.find("vipcore_call_wait_seconds_sum{tenant=\"acme\",level=\"GOLD\"} 420\n") != std::string::npos);
    CHECK(text.find("+1") == std::string::npos);  // no number in the metrics
  }

  TEST_CASE_TEMPLATE("who may record calls and read analytics", B, VIPCORE_BACKENDS) {
    Fixture<B> f;
    CallRecord c;
    c.call_id = "perm-call";
    c.caller_id = f.john.id;
    CHECK(f.env.tenant("acme", Role::agent).record_call(c).status().is_permission_denied());
    CHECK(f.env.tenant("acme", Role::auditor).record_call(c).status().is_permission_denied());
    CHECK(f.pbx.record_call(c).ok());
    CHECK(f.env.tenant("acme", Role::auditor).overview(kDay).ok());
    CHECK(f.env.tenant("acme", Role::agent).overview(kDay).status().is_permission_denied());
    CHECK(f.pbx.overview(kDay).status().is_permission_denied());
    CHECK(f.env.tenant("acme", Role::auditor).evaluate_alerts(kDay).ok());
  }
}
