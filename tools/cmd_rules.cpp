// vipctl rules add, list, update (remove is the callers' remove_command) and
// escalation-check.
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "commands.hpp"

namespace vipctl {
namespace {

// The options of rules add and rules update; those not given stay unset.
struct RuleOptions {
  std::optional<std::string> name, type, schedule, hours;
  std::optional<std::vector<std::string>> levels, emails, sms, alerts;
  std::optional<int> max_wait, max_position, tier, priority;
  std::optional<bool> active;
  bool json = false;

  void add_to(CLI::App& cmd) {
    const auto option = [&cmd](const char* flag, auto& target, const char* description) {
      using T = typename std::decay_t<decltype(target)>::value_type;
      return cmd.add_option_function<T>(
          flag, [&target](const T& value) { target = value; }, description);
    };
    option("--name", name, "the rule's name");
    option("--levels", levels, "the VIP levels it applies to, comma-separated (default: all)")
        ->delimiter(',')
        ->allow_extra_args(false);
    option("--max-wait", max_wait, "triggers when the wait exceeds this many seconds");
    option("--max-position", max_position, "triggers when the queue position exceeds this");
    option("--type", type, "agent, supervisor, manager, or a custom type (which needs --tier)");
    option("--tier", tier, "1 to 10 (default: agent 1, supervisor 2, manager 3)");
    option("--email", emails, "an e-mail address to notify (repeatable)")->allow_extra_args(false);
    option("--sms", sms, "a number to notify by SMS (repeatable)")->allow_extra_args(false);
    option("--alert", alerts, "an internal alert channel to notify (repeatable)")->allow_extra_args(false);
    option("--priority", priority, "1 (evaluated first) to 1000");
    option("--active", active, "true or false");
    option("--schedule", schedule, "ALWAYS, INSIDE_BUSINESS_HOURS or OUTSIDE_BUSINESS_HOURS");
    option("--hours", hours, "the rule's own business hours, e.g. \"mon-fri 09:00-17:00\" (\"\": the tenant's)");
    add_json_flag(cmd, json);
  }

  // The change the options describe. Notification lists that are given
  // replace those of `current`; the others are kept.
  vipcore::Result<vipcore::EscalationRuleUpdate> given(const vipcore::NotificationTargets& current) const {
    vipcore::EscalationRuleUpdate u;
    u.name = name;
    if (levels) {
      std::vector<vipcore::Level> parsed;
      for (const std::string& l : *levels) {
        auto level = vipcore::parse_level(l, "vip_levels");
        if (!level.ok()) return level.status();
        parsed.push_back(*level);
      }
      u.vip_levels = parsed;
    }
    if (max_wait) u.max_wait_time = *max_wait;
    if (max_position) u.max_queue_position = *max_position;
    u.escalation_type = type;
    u.tier = tier;
    if (emails || sms || alerts)
      u.notify = vipcore::NotificationTargets{emails.value_or(current.emails), sms.value_or(current.sms_numbers),
                                              alerts.value_or(current.internal_alerts)};
    u.is_active = active;
    u.priority = priority;
    if (schedule) {
      auto s = vipcore::parse_rule_schedule(*schedule);
      if (!s.ok()) return s.status();
      u.schedule = *s;
    }
    if (hours) {
      u.business_hours = std::optional<vipcore::WeeklyHours>();
      if (!hours->empty()) {
        auto h = vipcore::parse_weekly_hours(*hours);
        if (!h.ok()) return h.status();
        u.business_hours = std::optional<vipcore::WeeklyHours>(*h);
      }
    }
    return u;
  }
};

}  // namespace

Command rules_add_command(CLI::App& rules) {
  auto o = std::make_shared<RuleOptions>();
  CLI::App* cmd = rules.add_subcommand("add", "Add an escalation rule (needs --name and --max-wait or --max-position)");
  o->add_to(*cmd);
  cmd->get_option("--name")->required();
  return {cmd, [o](const vipcore::Tenant& tenant) -> Status {
            auto rule = o->given({});
            if (!rule.ok()) return rule.status();
            return print_result(tenant.create_rule(new_rule(*rule)), style(o->json));
          }};
}

Command rules_list_command(CLI::App& rules) {
  auto json_output = std::make_shared<bool>(false);
  CLI::App* cmd = rules.add_subcommand("list", "List the escalation rules in evaluation order");
  add_json_flag(*cmd, *json_output);
  return {cmd, [json_output](const vipcore::Tenant& tenant) {
            return print_result(tenant.list_rules(), style(*json_output));
          }};
}

Command rules_update_command(CLI::App& rules) {
  struct Options : RuleOptions {
    std::string id;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = rules.add_subcommand("update", "Change the given fields of an escalation rule");
  cmd->add_option("id", o->id, "the rule's id")->required();
  o->add_to(*cmd);
  return {cmd, [o](const vipcore::Tenant& tenant) -> Status {
            auto current = tenant.get_rule(o->id);
            if (!current.ok()) return current.status();
            auto update = o->given(current->notify);
            if (!update.ok()) return update.status();
            return print_result(tenant.update_rule(o->id, *update), style(o->json));
          }};
}

Command escalation_check_command(CLI::App& app) {
  struct Options {
    std::string caller_id;
    std::string call_id;
    int wait = 0;
    int position = 1;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("escalation-check", "Which escalation rules does a waiting VIP trigger?");
  cmd->add_option("caller-id", o->caller_id, "the waiting caller's id")->required();
  cmd->add_option("--wait", o->wait, "seconds the caller has waited")->required();
  cmd->add_option("--position", o->position, "the caller's position in the queue")->capture_default_str();
  cmd->add_option("--call-id", o->call_id,
                  "the call's id: each rule then triggers once per call, and the trigger is stored (default: only "
                  "evaluate)");
  add_json_flag(*cmd, o->json);
  return {cmd, [o](const vipcore::Tenant& tenant) {
            return print_result(tenant.check_escalation(o->caller_id, o->wait, o->position, o->call_id),
                                style(o->json));
          }};
}

}  // namespace vipctl
