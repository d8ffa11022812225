// vipcore demo: a PBX's morning on an embedded SQLite file.
//
// 1. creates a key file (mode 0600) and a database in a fresh directory;
// 2. imports the example VIPs of the VIP API vipcore was modelled on (John
//    Doe GOLD, Sarah Johnson PLATINUM with a dedicated agent, Michael Chen
//    DIAMOND with immediate transfer) and a few thousand generated ones;
// 3. replays a stream of incoming calls, mostly from numbers that are not
//    VIPs, as on a real PBX, identifying each one as the PBX's call path would;
// 4. prints what the PBX does with each kind of caller, and the totals.
//
//     vipcore_demo [--calls N] [--generated N] [--dir PATH] [--summary-only]
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
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

// What the PBX does with an identified caller, in one line.
std::string pbx_action(const vipcore::Identification& who) {
  if (!who.is_vip) return "normal queue";
  const vipcore::CallerSummary& c = who.caller;
  std::string action;
  if (c.handling_rules.has(vipcore::HandlingRule::immediate_transfer)) action = "transfer now to a free agent";
  else if (c.handling_rules.has(vipcore::HandlingRule::dedicated_agent))
    action = "ring dedicated agent " + c.preferred_agent_id + " (up to " + std::to_string(c.max_wait_time) + " s)";
  else if (c.handling_rules.has(vipcore::HandlingRule::priority_queue)) action = "front of the queue";
  else action = "VIP queue";
  action += ", priority " + std::to_string(who.routing_priority);
  if (!c.custom_greeting.empty()) action += ", greeting \"" + c.custom_greeting + "\"";
  return action;
}

struct Totals {
  int calls = 0;
  int vip = 0;
  int not_vip = 0;
  int not_active = 0;
  int bad_number = 0;
  std::map<vipcore::Level, int> by_level;
  std::vector<double> identify_us;
};

int run(const Settings& settings) {
  namespace fs = std::filesystem;
  const fs::path dir = settings.dir.empty()
                           ? fs::temp_directory_path() / ("vipcore-demo-" + std::to_string(::getpid()))
                           : fs::path(settings.dir);
  fs::create_directories(dir);
  const std::string db_path = (dir / "vip.db").string();
  const std::string key_path = (dir / "vip.key").string();
  fs::remove(db_path);
  fs::remove(db_path + "-wal");
  fs::remove(db_path + "-shm");
  fs::remove(key_path);

  std::printf("vipcore %s demo: a PBX's morning on an embedded SQLite file\n", vipcore::version());
  auto key = vipcore::MasterKey::generate();
  if (!key.ok() || !key->write_file(key_path).is_ok()) {
    std::fprintf(stderr, "cannot create the key file %s\n", key_path.c_str());
    return 1;
  }
  auto db = vipcore::Database::open(db_path, *key);
  if (!db.ok()) {
    std::fprintf(stderr, "cannot open the database: %s\n", db.status().to_string().c_str());
    return 1;
  }
  std::printf("database %s, key file %s (mode 0600)\n\n", db_path.c_str(), key_path.c_str());

  // The administrator loads the VIP list.
  std::mt19937 rng(20240115);
  auto admin = db->tenant("acme", {"demo-admin", vipcore::Role::admin});
  std::vector<vipcore::NewCaller> callers = seed_examples();
  for (auto& c : generated_callers(settings.generated, rng)) callers.push_back(std::move(c));
  vipcore::ImportReport report;
  const auto import_start = Clock::now();
  if (vipcore::Status s = admin->import_callers(callers, {}, &report); !s.is_ok()) {
    std::fprintf(stderr, "import failed: %s\n", s.to_string().c_str());
    return 1;
  }
  const double import_ms = std::chrono::duration<double, std::milli>(Clock::now() - import_start).count();
  std::printf("Imported %zu VIP callers in %.0f ms (3 from the examples, %d generated from account values)\n",
              report.created, import_ms, settings.generated);
  for (int l = vipcore::kLevelCount - 1; l >= 0; --l) {
    vipcore::CallerFilter f;
    f.vip_level = static_cast<vipcore::Level>(l);
    std::printf("  %-9s %6llu\n", std::string(vipcore::to_string(*f.vip_level)).c_str(),
                static_cast<unsigned long long>(*db->storage().count_callers("acme", f)));
  }

  // The PBX identifies every incoming call. Most callers are not VIPs.
  auto pbx = db->tenant("acme", {"pbx-node-1", vipcore::Role::system});
  std::uniform_real_distribution<double> kind(0.0, 1.0);
  std::uniform_int_distribution<int> pick(0, static_cast<int>(callers.size()) - 1);
  std::uniform_int_distribution<int> stranger(0, 9999);
  const char* const garbled[] = {"anonymous", "", "+1 234", "unknown"};
  Totals totals;
  vipcore::Identification who;
  std::map<std::string, std::string> examples;  // one line per kind of caller
  std::printf("\nReplaying %d incoming calls (about 85%% from numbers that are not VIPs)...\n", settings.calls);
  for (int i = 0; i < settings.calls; ++i) {
    const double k = kind(rng);
    std::string number;
    if (k < 0.85) number = as_dialled("+1 800 " + std::to_string(2000000 + stranger(rng) * 7), i);
    else if (k < 0.99) number = as_dialled(callers[static_cast<std::size_t>(pick(rng))].phone_number, i);
    else number = garbled[i % 4];
    if (i < 3) number = as_dialled(callers[static_cast<std::size_t>(i)].phone_number, i + 1);

    const auto start = Clock::now();
    const vipcore::Status s = pbx->identify(number, &who);
    totals.identify_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    ++totals.calls;
    std::string kind_name, line;
    if (!s.is_ok()) {
      // The call must still be routed when the library says no.
      ++totals.bad_number;
      kind_name = "bad number";
      line = "not identified (" + s.message() + "): normal queue, the call goes on";
    } else if (who.is_vip) {
      ++totals.vip;
      ++totals.by_level[who.caller.vip_level];
      const auto rules = vipcore::handling_rule_names(who.caller.handling_rules);
      kind_name = std::string(vipcore::to_string(who.caller.vip_level)) + " " +
                  (rules.empty() ? std::string("no special handling") : rules.front());
      line = who.caller.caller_name + " (" + std::string(vipcore::to_string(who.caller.vip_level)) + "): " +
             pbx_action(who);
    } else if (who.match != vipcore::Match::not_found) {
      ++totals.not_active;
      kind_name = "not active";
      line = std::string("a VIP whose status is ") + std::string(vipcore::to_string(who.match)) + ": normal queue";
    } else {
      ++totals.not_vip;
      kind_name = "not a VIP";
      line = "not a VIP: normal queue";
    }
    examples.emplace(kind_name, line);
  }

  if (!settings.summary_only) {
    std::printf("\nWhat the PBX does with each kind of caller:\n");
    for (const auto& [kind_name, line] : examples) std::printf("  %-28s %s\n", kind_name.c_str(), line.c_str());
  }

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
  std::printf("  identify     %.1f us average, %.1f us median, %.1f us p99 (this process, this machine)\n",
              sum / double(us.size()), pct(0.5), pct(0.99));
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
