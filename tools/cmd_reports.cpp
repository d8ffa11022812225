// vipctl record-call, analytics, alerts, metrics, audit and purge: calls,
// reports and their upkeep.
#include <fmt/format.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"

namespace vipctl {

Command record_call_command(CLI::App& app) {
  struct Options {
    vipcore::CallRecord call;
    std::string level;
    std::vector<std::string> rules;
    std::string at;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("record-call", "Record a finished VIP call in the call history");
  cmd->add_option("--caller", o->call.caller_id, "the VIP's id")->required();
  cmd->add_option("--call-id", o->call.call_id, "the PBX's id of the call, unique in the tenant")->required();
  cmd->add_option("--wait", o->call.wait_seconds, "seconds the caller waited")->capture_default_str();
  cmd->add_flag("--escalated", o->call.escalation_triggered, "an escalation was triggered");
  cmd->add_option_function<int>(
      "--rating", [o](const int& r) { o->call.satisfaction_rating = r; }, "satisfaction rating, 1 to 5");
  cmd->add_option_function<double>(
      "--quality", [o](const double& q) { o->call.service_quality_score = q; }, "service quality score, 0 to 100");
  cmd->add_option("--level", o->level, "the caller's level at the call (default: the level now)");
  cmd->add_option("--rules", o->rules, "the handling rules applied, comma-separated")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--at", o->at, "when the call happened (default: now)");
  add_json_flag(*cmd, o->json);
  return {cmd, [o](const vipcore::Tenant& tenant) -> Status {
            vipcore::CallRecord call = o->call;
            if (!o->level.empty()) {
              auto level = vipcore::parse_level(o->level, "level");
              if (!level.ok()) return level.status();
              call.vip_level_at_call = *level;
            }
            auto rules = vipcore::parse_handling_rules(o->rules, "rules");
            if (!rules.ok()) return rules.status();
            call.handling_rules_applied = *rules;
            auto at = optional_time(o->at, "at");
            if (!at.ok()) return at.status();
            call.at = *at;
            return print_result(tenant.record_call(call), style(o->json));
          }};
}

Command analytics_command(CLI::App& app) {
  struct Options {
    std::string caller_id;
    DateRangeOptions range;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("analytics", "Call analytics: the tenant's overview, or one caller's");
  cmd->add_option("--caller", o->caller_id, "one caller's analytics (default: the overview)");
  o->range.add_to(*cmd);
  add_json_flag(*cmd, o->json);
  return {cmd, [o](const vipcore::Tenant& tenant) -> Status {
            auto range = o->range.range(tenant);
            if (!range.ok()) return range.status();
            if (o->caller_id.empty()) return print_result(tenant.overview(*range), style(o->json));
            return print_result(tenant.caller_analytics(o->caller_id, *range), style(o->json));
          }};
}

Command alerts_command(CLI::App& app) {
  struct Options {
    DateRangeOptions range;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "alerts", "Alerts over a period: escalation rates, waits above target, failed identifications, quality drops");
  o->range.add_to(*cmd);
  add_json_flag(*cmd, o->json);
  return {cmd, [o](const vipcore::Tenant& tenant) -> Status {
            auto range = o->range.range(tenant);
            if (!range.ok()) return range.status();
            return print_result(tenant.evaluate_alerts(*range), style(o->json));
          }};
}

Command metrics_command(CLI::App& app) {
  struct Options {
    bool json = false;
    bool prometheus = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "metrics", "The tenant's counters in this vipctl process (a PBX exports its own from its process)");
  CLI::Option* json_flag = cmd->add_flag("--json", o->json, "print JSON for scripts instead of a table");
  cmd->add_flag("--prometheus", o->prometheus, "print the Prometheus text exposition format")->excludes(json_flag);
  return {cmd, [o](const vipcore::Tenant& tenant) -> Status {
            auto metrics = tenant.metrics();
            if (!metrics.ok() || !o->prometheus) return print_result(metrics, style(o->json));
            fmt::print("{}", vipcore::to_prometheus({*metrics}));
            return vipcore::ok_status();
          }};
}

Command audit_command(CLI::App& app) {
  struct Options {
    std::string from;
    std::string to;
    std::string by;
    std::string entity;
    std::size_t limit = 100;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("audit", "The tenant's audit trail, oldest first");
  cmd->add_option("--from", o->from, "entries at or after this date or time");
  cmd->add_option("--to", o->to, "entries before this date or time");
  cmd->add_option("--by", o->by, "only entries of this actor");
  cmd->add_option("--entity", o->entity, "only entries about this caller or rule id");
  cmd->add_option("--limit", o->limit, "at most this many entries (0: all)")->capture_default_str();
  add_json_flag(*cmd, o->json);
  return {cmd, [o](const vipcore::Tenant& tenant) -> Status {
            vipcore::AuditQuery query;
            auto from = optional_time(o->from, "from");
            auto until = optional_time(o->to, "to");
            if (!from.ok()) return from.status();
            if (!until.ok()) return until.status();
            query.from = *from;
            query.until = *until;
            if (!o->by.empty()) query.actor_id = o->by;
            if (!o->entity.empty()) query.entity_id = o->entity;
            query.limit = o->limit;
            return print_result(tenant.audit(query), style(o->json));
          }};
}

Command purge_command(CLI::App& app) {
  auto before = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("purge", "Delete recorded calls and escalation triggers older than a date");
  cmd->add_option("--before", *before, "a date or ISO 8601 time")->required();
  return {cmd, [before](const vipcore::Tenant& tenant) -> Status {
            auto at = vipcore::parse_timestamp(*before, "before");
            if (!at.ok()) return at.status();
            auto purged = tenant.purge(*at);
            if (!purged.ok()) return purged.status();
            fmt::print("purged {} calls and {} escalation triggers from before {}\n", purged->calls, purged->triggers,
                       vipcore::format_timestamp(*at));
            return vipcore::ok_status();
          }};
}

}  // namespace vipctl
