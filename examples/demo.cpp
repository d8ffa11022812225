// vipcore demo: a PBX's morning on an embedded SQLite file.
//
// 1. creates a key file (mode 0600) and a database in a fresh directory;
// 2. imports the example VIPs of the VIP API vipcore was modelled on (John
//    Doe GOLD, Sarah Johnson PLATINUM with a dedicated agent, Michael Chen
//    DIAMOND with immediate transfer) and a few thousand generated ones;
// 3. replays a stream of incoming calls, mostly from numbers that are not
//    VIPs, as on a real PBX: identify, routing plan, and for VIPs who wait,
//    the escalation check every five seconds, with a notifier, and the
//    call recorded in the history when it ends;
// 4. prints what the PBX does with each kind of caller, the escalations,
//    the totals, and the manager's analytics report with its alerts.
//
//     vipcore_demo [--calls N] [--generated N] [--dir PATH] [--summary-only]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "vipcore/vipcore.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
  int calls = 20000;
  int generated = 3000;
  std::string dir;
  bool summary_only = false;
};

// A distinct, valid North American number for the i-th generated VIP.
std::string vip_number(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+1 %03d 555 %04d", 201 + i / 10000, i % 10000);
  return buf;
}

// The same number as a caller's phone might present it: formats vary, the
// caller is the same.
std::string as_dialled(const std::string& e164ish, int style) {
  std::string digits;
  for (char c : e164ish)
    if (c >= '0' && c <= '9') digits += c;
  const std::string national = digits.substr(1);  // after the country code 1
  switch (style % 4) {
    case 0: return "+" + digits;
    case 1: return "(" + national.substr(0, 3) + ") " + national.substr(3, 3) + "-" + national.substr(6);
    case 2: return "1-" + national.substr(0, 3) + "-" + national.substr(3, 3) + "-" + national.substr(6);
    default: return "011 " + digits;
  }
}

std::vector<vipcore::NewCaller> seed_examples() {
  std::vector<vipcore::NewCaller> out(3);
  vipcore::NewCaller& john = out[0];
  john.phone_number = "+1 (234) 567-8900";
  john.caller_name = "John Doe";
  john.company_name = "Acme Corp";
  john.vip_level = vipcore::Level::gold;
  john.handling_rules = {vipcore::HandlingRule::priority_queue, vipcore::HandlingRule::custom_greeting};
  john.custom_greeting = "Hello Mr. Doe, thank you for calling.";
  john.max_wait_time = 30;
  john.email = "john.doe@acme.com";
  john.account_number = "ACC123456";
  john.account_value = 50000.0;
  john.notes = "High-value customer";
  john.tags = {"premium", "enterprise"};

  vipcore::NewCaller& sarah = out[1];
  sarah.phone_number = "+1 345 678 9012";
  sarah.caller_name = "Sarah Johnson";
  sarah.vip_level = vipcore::Level::platinum;
  sarah.handling_rules = {vipcore::HandlingRule::dedicated_agent, vipcore::HandlingRule::custom_greeting};
  sarah.preferred_agent_id = "agent-007";
  sarah.custom_greeting = "Good day Ms. Johnson, connecting you to your account manager.";
  sarah.max_wait_time = 30;

  vipcore::NewCaller& michael = out[2];
  michael.phone_number = "+1 456 789 0123";
  michael.caller_name = "Michael Chen";
  michael.vip_level = vipcore::Level::diamond;
  michael.handling_rules = {vipcore::HandlingRule::immediate_transfer, vipcore::HandlingRule::custom_greeting};
  michael.custom_greeting = "Hello Mr. Chen, transferring you immediately.";
  michael.max_wait_time = 15;
  michael.account_value = 500000.0;
  return out;
}

// Generated VIPs: the level follows the account value, as the best practices
// advise; a few are inactive or suspended, as on any real list.
std::vector<vipcore::NewCaller> generated_callers(int n, std::mt19937& rng) {
  std::lognormal_distribution<double> value(10.0, 1.4);
  std::vector<vipcore::NewCaller> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    vipcore::NewCaller c;
    c.phone_number = vip_number(i);
    c.caller_name = "Customer " + std::to_string(i);
    c.account_value = std::round(value(rng));
    c.vip_level = vipcore::suggest_level(*c.account_value);
    if (*c.vip_level >= vipcore::Level::gold) c.handling_rules.add(vipcore::HandlingRule::priority_queue);
    if (*c.vip_level == vipcore::Level::diamond) c.handling_rules.add(vipcore::HandlingRule::immediate_transfer);
    if (i % 40 == 7) c.status = vipcore::CallerStatus::suspended;
    out.push_back(std::move(c));
  }
  return out;
}

// Tells the people on escalation rules, as an integrator's notifier would
// (e-mail, SMS, a wallboard). Here: count, and keep a few lines to show.
class DemoNotifier final : public vipcore::Notifier {
 public:
  vipcore::Status notify(const vipcore::EscalationNotice& n) override {
    std::lock_guard<std::mutex> g(mu_);
    ++by_rule_[n.rule.rule_name];
    if (samples_.size() < 4) {
      std::string to;
      for (const auto& e : n.rule.notify.emails) to += (to.empty() ? "" : ", ") + e;
      for (const auto& a : n.rule.notify.internal_alerts) to += (to.empty() ? "#" : ", #") + a;
      samples_.push_back(n.rule.rule_name + " -> " + n.rule.escalation_type + " (" + to + "): " + n.caller.caller_name +
                         " (" + std::string(vipcore::to_string(n.caller.vip_level)) + ") has waited " +
                         std::to_string(n.wait_seconds) + " s at position " + std::to_string(n.queue_position));
    }
    return vipcore::ok_status();
  }
  std::map<std::string, int> by_rule() const {
    std::lock_guard<std::mutex> g(mu_);
    return by_rule_;
  }
  std::vector<std::string> samples() const {
    std::lock_guard<std::mutex> g(mu_);
    return samples_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> by_rule_;
  std::vector<std::string> samples_;
};

// The tenant's escalation rules: agent -> supervisor -> manager tiers.
std::vector<vipcore::EscalationRule> escalation_rules() {
  std::vector<vipcore::EscalationRule> rules(3);
  rules[0].name = "VIP Wait Time Rule";
  rules[0].max_wait_time = 60;
  rules[0].escalation_type = "manager";
  rules[0].notify.emails = {"manager@company.com"};
  rules[1].name = "Diamond fast track";
  rules[1].vip_levels = {vipcore::Level::diamond, vipcore::Level::platinum};
  rules[1].max_wait_time = 20;
  rules[1].escalation_type = "supervisor";
  rules[1].notify.internal_alerts = {"vip-wallboard"};
  rules[2].name = "Long queue";
  rules[2].max_queue_position = 5;
  rules[2].escalation_type = "agent";
  rules[2].notify.internal_alerts = {"floor-lead"};
  rules[2].priority = 2;
  return rules;
}

// The simulated PBX: agents who are free or not, queues that take time.
struct Pbx {
  std::mt19937& rng;
  std::vector<std::string> agents = {"agent-001", "agent-002", "agent-003", "agent-007", "agent-011", "agent-012"};

  std::vector<std::string> free_agents() {
    std::vector<std::string> free;
    std::bernoulli_distribution is_free(0.25);
    for (const auto& a : agents)
      if (is_free(rng)) free.push_back(a);
    return free;
  }
  // Seconds until an agent picks up a queued call.
  int queue_wait(bool front) {
    std::exponential_distribution<double> wait(front ? 1.0 / 15 : 1.0 / 45);
    return static_cast<int>(wait(rng));
  }
};

struct Totals {
  int calls = 0;
  int vip = 0;
  int not_vip = 0;
  int not_active = 0;
  int bad_number = 0;
  int escalation_checks = 0;
  int recorded = 0;
  std::map<vipcore::Level, int> by_level;
  std::map<vipcore::RouteAction, int> by_action;
  std::vector<double> identify_us;
};

// Plays one VIP call through: routing plan, waiting, escalation polls every
// five seconds while the caller waits. Returns the plan's first action.
vipcore::RoutingPlan serve_vip(const vipcore::Tenant& pbx, const vipcore::Identification& who, Pbx& sim,
                               const std::string& call_id, Totals& totals) {
  vipcore::PbxState state;
  state.free_agents = sim.free_agents();
  auto plan = pbx.routing_plan(who, state);
  if (!plan.ok()) return vipcore::RoutingPlan{};
  int wait = 0;
  if (plan->action == vipcore::RouteAction::wait_for_agent) {
    // The dedicated agent frees up after a while, or the plan falls back.
    std::uniform_int_distribution<int> busy_for(0, 2 * plan->wait_seconds);
    const int busy = busy_for(sim.rng);
    wait = busy <= plan->wait_seconds ? busy : plan->wait_seconds + sim.queue_wait(plan->front_of_queue);
  } else if (plan->action == vipcore::RouteAction::queue) {
    wait = sim.queue_wait(plan->front_of_queue);
  }
  const int start_position = plan->front_of_queue ? 1 : 1 + wait / 10;
  bool escalated = false;
  for (int polled = 5; polled < wait; polled += 5) {
    const int position = std::max(1, start_position - polled / 10);
    auto check = pbx.check_escalation(who.caller, polled, position, call_id);
    if (!check.ok()) continue;
    ++totals.escalation_checks;
    escalated = escalated || check->should_escalate;
  }

  // When the call ends the PBX records it; most callers rate the call, and
  // the longer they waited the lower they rate it.
  vipcore::CallRecord record;
  record.call_id = call_id;
  record.caller_id = who.caller.id;
  record.handling_rules_applied = who.caller.handling_rules;
  record.wait_seconds = wait;
  record.escalation_triggered = escalated;
  std::bernoulli_distribution rates(0.7);
  if (rates(sim.rng)) record.satisfaction_rating = std::clamp(5 - wait / 30, 1, 5);
  std::normal_distribution<double> quality(90.0 - wait / 6.0, 5.0);
  record.service_quality_score = std::clamp(quality(sim.rng), 0.0, 100.0);
  if (pbx.record_call(record).ok()) ++totals.recorded;
  return *plan;
}

// The manager's report: the morning's VIP calls by level, and the alerts.
void print_report(const vipcore::Tenant& manager, const vipcore::DateRange& morning) {
  auto overview = manager.overview(morning);
  if (!overview.ok()) {
    std::printf("\nno report: %s\n", overview.status().to_string().c_str());
    return;
  }
  const auto rate = [](const std::optional<double>& r) {
    return r ? fmt::format("{:5.1f}%", *r * 100) : std::string("    -");
  };
  const auto num = [](const std::optional<double>& v) { return v ? fmt::format("{:5.2f}", *v) : std::string("    -"); };
  std::printf("\nAnalytics of the morning's VIP calls (overview over %s .. %s):\n",
              vipcore::format_timestamp(morning.start).c_str(), vipcore::format_timestamp(morning.end).c_str());
  std::printf("  %-9s %6s %8s %5s %5s %5s %7s %8s %7s %7s\n", "level", "calls", "avg wait", "p50", "p90", "max",
              "SLA met", "escalated", "rating", "quality");
  const auto row = [&](const std::string& name, const vipcore::CallStats& s) {
    std::printf("  %-9s %6llu %7.1fs %4ds %4ds %4ds  %s    %s   %s  %s\n", name.c_str(),
                static_cast<unsigned long long>(s.calls), s.wait.average, s.wait.p50, s.wait.p90, s.wait.max,
                rate(s.sla_met_rate).c_str(), rate(s.escalation_rate).c_str(), num(s.average_satisfaction).c_str(),
                num(s.average_quality).c_str());
  };
  for (int l = vipcore::kLevelCount - 1; l >= 0; --l)
    row(std::string(vipcore::to_string(static_cast<vipcore::Level>(l))), overview->by_level[static_cast<std::size_t>(l)]);
  row("all", overview->all);
  auto alerts = manager.evaluate_alerts(morning);
  if (!alerts.ok()) return;
  std::printf("Alerts (%zu):\n", alerts->size());
  for (const vipcore::Alert& a : *alerts) std::printf("  %-22s %s\n", std::string(vipcore::to_string(a.kind)).c_str(), a.message.c_str());
}

// A fresh key file and database in the demo's directory; prints where.
std::optional<vipcore::Database> open_demo_database(const Settings& settings, const vipcore::Options& options) {
  namespace fs = std::filesystem;
  const fs::path dir = settings.dir.empty()
                           ? fs::temp_directory_path() / ("vipcore-demo-" + std::to_string(::getpid()))
                           : fs::path(settings.dir);
  fs::create_directories(dir);
  const std::string db_path = (dir / "vip.db").string();
  const std::string key_path = (dir / "vip.key").string();
  for (const char* suffix : {"", "-wal", "-shm", "-calls", "-calls-wal", "-calls-shm"}) fs::remove(db_path + suffix);
  fs::remove(key_path);

  std::printf("vipcore %s demo: a PBX's morning on an embedded SQLite file\n", vipcore::version());
  auto key = vipcore::MasterKey::generate();
  if (!key.ok() || !key->write_file(key_path).ok()) {
    std::fprintf(stderr, "cannot create the key file %s\n", key_path.c_str());
    return std::nullopt;
  }
  auto db = vipcore::Database::open(db_path, *key, options);
  if (!db.ok()) {
    std::fprintf(stderr, "cannot open the database: %s\n", db.status().to_string().c_str());
    return std::nullopt;
  }
  std::printf("database %s, key file %s (mode 0600)\n\n", db_path.c_str(), key_path.c_str());
  return std::move(*db);
}

// The administrator sets the tenant up (New York business hours, the
// escalation rules) and imports the VIP list; returns the imported callers,
// or nothing when the set-up failed.
std::optional<std::vector<vipcore::NewCaller>> set_up_tenant(vipcore::Database& db, const Settings& settings,
                                                             std::mt19937& rng) {
  auto admin = db.tenant("acme", {"demo-admin", vipcore::Role::admin});
  vipcore::TenantSettings tenant_settings;
  tenant_settings.time_zone = "America/New_York";
  tenant_settings.business_hours = *vipcore::parse_weekly_hours("mon-fri 08:00-20:00");
  for (const auto& rule : escalation_rules()) {
    if (auto r = admin->create_rule(rule); !r.ok()) {
      std::fprintf(stderr, "cannot create a rule: %s\n", r.status().to_string().c_str());
      return std::nullopt;
    }
  }
  std::vector<vipcore::NewCaller> callers = seed_examples();
  for (auto& c : generated_callers(settings.generated, rng)) callers.push_back(std::move(c));
  vipcore::ImportReport report;
  const auto import_start = Clock::now();
  vipcore::Status imported = admin->update_settings(tenant_settings);
  if (imported.ok()) imported = admin->import_callers(callers, {}, &report);
  if (!imported.ok()) {
    std::fprintf(stderr, "set-up failed: %s\n", imported.to_string().c_str());
    return std::nullopt;
  }
  const double import_ms = std::chrono::duration<double, std::milli>(Clock::now() - import_start).count();
  std::printf("Imported %zu VIP callers in %.0f ms (3 from the examples, %d generated from account values)\n",
              report.created, import_ms, settings.generated);
  // The overview counts the callers by level and status (its call figures are not needed here).
  const vipcore::Timestamp now = vipcore::SystemClock().now();
  auto counts = admin->overview({now - std::chrono::seconds(1), now});
  if (!counts.ok()) {
    std::fprintf(stderr, "cannot count the callers: %s\n", counts.status().to_string().c_str());
    return std::nullopt;
  }
  for (int l = vipcore::kLevelCount - 1; l >= 0; --l) {
    std::uint64_t n = 0;
    for (std::uint64_t by_status : counts->callers[static_cast<std::size_t>(l)]) n += by_status;
    std::printf("  %-9s %6llu\n", std::string(vipcore::to_string(static_cast<vipcore::Level>(l))).c_str(),
                static_cast<unsigned long long>(n));
  }
  std::printf("Escalation rules:\n");
  for (const auto& r : *admin->list_rules())
    std::printf("  %-20s %-10s tier %d, %s%s\n", r.name.c_str(), r.escalation_type.c_str(), r.tier,
                r.max_wait_time ? ("wait > " + std::to_string(*r.max_wait_time) + " s").c_str() : "",
                r.max_queue_position ? ("position > " + std::to_string(*r.max_queue_position)).c_str() : "");
  return callers;
}

// One incoming call: identify, then route (and serve a VIP). Returns the
// kind of caller and what the PBX did, for the examples.
std::pair<std::string, std::string> take_call(const vipcore::Tenant& pbx, const std::string& number, Pbx& sim,
                                              const std::string& call_id, vipcore::Identification& who, Totals& totals) {
  const auto start = Clock::now();
  const vipcore::Status s = pbx.identify(number, &who);
  totals.identify_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  ++totals.calls;
  if (!s.ok()) {
    // The call must still be routed when the library says no.
    ++totals.bad_number;
    return {"bad number", "not identified (" + s.message() + "): regular queue, the call goes on"};
  }
  if (who.is_vip) {
    ++totals.vip;
    ++totals.by_level[who.caller.vip_level];
    const vipcore::RoutingPlan plan = serve_vip(pbx, who, sim, call_id, totals);
    ++totals.by_action[plan.action];
    const auto rules = vipcore::handling_rule_names(who.caller.handling_rules);
    return {std::string(vipcore::to_string(who.caller.vip_level)) + " " +
                (rules.empty() ? std::string("no special handling") : rules.front()) + " " +
                std::string(vipcore::to_string(plan.action)),
            who.caller.caller_name + ": " + plan.reason + "; priority " + std::to_string(plan.queue_priority) +
                (plan.greeting.empty() ? "" : "; greeting \"" + plan.greeting + "\"")};
  }
  if (who.match != vipcore::Match::not_found) {
    ++totals.not_active;
    return {"not active", std::string("a VIP whose status is ") + std::string(vipcore::to_string(who.match)) +
                              ": regular queue"};
  }
  ++totals.not_vip;
  return {"not a VIP", "not a VIP: regular queue"};
}

// The PBX identifies every incoming call, routes it, and polls the
// escalation check while a VIP waits. Most callers are not VIPs. Returns
// one example line per kind of caller.
std::map<std::string, std::string> replay_calls(const vipcore::Tenant& pbx, const std::vector<vipcore::NewCaller>& callers,
                                                const Settings& settings, vipcore::ManualClock& clock, std::mt19937& rng,
                                                Totals& totals) {
  Pbx sim{rng};
  std::uniform_real_distribution<double> kind(0.0, 1.0);
  std::uniform_int_distribution<int> pick(0, static_cast<int>(callers.size()) - 1);
  std::uniform_int_distribution<int> stranger(0, 9999);
  const char* const garbled[] = {"anonymous", "", "+1 234", "unknown"};
  vipcore::Identification who;  // reused, as a PBX would: identify then allocates nothing
  std::map<std::string, std::string> examples;
  std::printf("\nReplaying %d incoming calls (about 85%% from numbers that are not VIPs)...\n", settings.calls);
  for (int i = 0; i < settings.calls; ++i) {
    clock.advance(std::chrono::milliseconds(1300));
    const double k = kind(rng);
    std::string number;
    if (k < 0.85) number = as_dialled("+1 800 " + std::to_string(2000000 + stranger(rng) * 7), i);
    else if (k < 0.99) number = as_dialled(callers[static_cast<std::size_t>(pick(rng))].phone_number, i);
    else number = garbled[i % 4];
    if (i < 3) number = as_dialled(callers[static_cast<std::size_t>(i)].phone_number, i + 1);
    examples.insert(take_call(pbx, number, sim, "call-" + std::to_string(i), who, totals));
  }
  return examples;
}

void print_totals(Totals& totals, const DemoNotifier& notifier, const vipcore::Tenant& pbx) {
  std::vector<double>& us = totals.identify_us;
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double v : us) sum += v;
  auto pct = [&us](double p) { return us[std::min(us.size() - 1, static_cast<std::size_t>(p * double(us.size())))]; };
  std::printf("\nTotals: %d calls\n", totals.calls);
  std::printf("  VIP          %6d  (", totals.vip);
  for (int l = vipcore::kLevelCount - 1; l >= 0; --l)
    std::printf("%s %d%s", std::string(vipcore::to_string(static_cast<vipcore::Level>(l))).c_str(),
                totals.by_level[static_cast<vipcore::Level>(l)], l ? ", " : ")\n");
  std::printf("  not active   %6d  (suspended or inactive VIPs, routed normally)\n", totals.not_active);
  std::printf("  not a VIP    %6d\n", totals.not_vip);
  std::printf("  bad number   %6d  (withheld or garbled; routed normally)\n", totals.bad_number);
  std::printf("  VIP routing  ");
  for (const auto& [action, n] : totals.by_action)
    std::printf("%s %d  ", std::string(vipcore::to_string(action)).c_str(), n);
  std::printf("\n  escalation   %d checks while VIPs waited; notified once per call and rule:", totals.escalation_checks);
  for (const auto& [rule, n] : notifier.by_rule()) std::printf(" %s %d,", rule.c_str(), n);
  std::printf("\n  identify     %.1f us average, %.1f us median, %.1f us p99 (this process, this machine)\n",
              sum / double(us.size()), pct(0.5), pct(0.99));
  // The cache answers a number asked before from memory, until a change to
  // the tenant (by any process) makes it read the file again.
  if (auto m = pbx.metrics(); m.ok())
    std::printf("  cache        %llu of %llu identify calls answered from memory; %llu numbers cached, %.1f KiB\n",
                static_cast<unsigned long long>(m->identify_cache_hits),
                static_cast<unsigned long long>(m->identify_attempted),
                static_cast<unsigned long long>(m->cache_entries), static_cast<double>(m->cache_bytes) / 1024.0);
  std::printf("  recorded     %d VIP calls in the call history\n", totals.recorded);
}

int run(const Settings& settings) {
  // The morning is simulated: it starts on Monday 15 January 2024 at 09:00
  // in New York and the clock moves with the calls.
  auto clock = std::make_shared<vipcore::ManualClock>(*vipcore::parse_timestamp("2024-01-15T14:00:00Z"));
  auto notifier = std::make_shared<DemoNotifier>();
  vipcore::Options options;
  options.clock = clock;
  options.notifier = notifier;
  std::optional<vipcore::Database> db = open_demo_database(settings, options);
  if (!db) return 1;
  std::mt19937 rng(20240115);
  const auto callers = set_up_tenant(*db, settings, rng);
  if (!callers) return 1;

  auto pbx = db->tenant("acme", {"pbx-node-1", vipcore::Role::system});
  const vipcore::Timestamp morning_start = clock->now();
  Totals totals;
  const auto examples = replay_calls(*pbx, *callers, settings, *clock, rng, totals);
  if (!settings.summary_only) {
    std::printf("\nWhat the PBX does with each kind of caller (first call of each kind):\n");
    for (const auto& [kind_name, line] : examples) std::printf("  %-40s %s\n", kind_name.c_str(), line.c_str());
    std::printf("\nEscalations as the notifier received them (first few):\n");
    for (const auto& sample : notifier->samples()) std::printf("  %s\n", sample.c_str());
  }
  print_totals(totals, *notifier, *pbx);

  auto manager = db->tenant("acme", {"demo-manager", vipcore::Role::manager});
  print_report(*manager, vipcore::DateRange{morning_start, clock->now() + std::chrono::hours(1)});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  CLI::App app{"vipcore demo: import VIP callers, then identify a stream of incoming calls"};
  app.add_option("--calls", settings.calls, "number of incoming calls to replay")->check(CLI::Range(1, 10000000));
  app.add_option("--generated", settings.generated, "generated VIP callers besides the examples")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--dir", settings.dir, "directory for vip.db and vip.key (default: a new temporary one)");
  app.add_flag("--summary-only", settings.summary_only, "print totals only, no caller names");
  CLI11_PARSE(app, argc, argv);
  return run(settings);
}
