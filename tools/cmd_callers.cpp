// vipctl add, show, update, remove, list and identify: one VIP caller at a time,
// or a page of them.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "formats.hpp"

namespace vipctl {
namespace {

// The VIP fields as options of add and update. They fill a JSON object of
// import field names, which caller_fields() reads: the command line and
// import files go through the same checks.
void add_caller_field_options(CLI::App& cmd, nlohmann::json& fields) {
  const auto text = [&](const char* option, const char* field, const char* description) {
    return cmd.add_option_function<std::string>(
        option, [&fields, field](const std::string& value) { fields[field] = value; }, description);
  };
  const auto list = [&](const char* option, const char* field, const char* description) {
    return cmd
        .add_option_function<std::vector<std::string>>(
            option,
            [&fields, field](const std::vector<std::string>& values) {
              nlohmann::json items = nlohmann::json::array();
              for (const std::string& v : values)
                if (!v.empty()) items.push_back(v);  // so that --tag "" clears the list
              fields[field] = items;
            },
            description)
        ->allow_extra_args(false);  // one value per occurrence: a positional id is not swallowed
  };
  // `type` only names the option's C++ type (int or double), which CLI11 parses.
  const auto number = [&](const char* option, const char* field, const char* description, auto type) {
    return cmd.add_option_function<decltype(type)>(
        option, [&fields, field](const decltype(type)& value) { fields[field] = value; }, description);
  };
  text("--phone", "phone_number", "primary phone number, in any format: +1 (234) 567-8900, 001 234 567 8900...");
  list("--alt-phone", "alternative_phone_numbers", "an alternative phone number (repeatable; replaces them all)");
  text("--name", "caller_name", "the caller's name");
  text("--company", "company_name", "company name");
  text("--level", "vip_level", "DIAMOND, PLATINUM, GOLD, SILVER or STANDARD");
  text("--status", "status", "ACTIVE, INACTIVE or SUSPENDED");
  list("--rules", "handling_rules",
       "handling rules, comma-separated: IMMEDIATE_TRANSFER, DEDICATED_AGENT, PRIORITY_QUEUE, CUSTOM_GREETING, "
       "EXTENDED_HOURS, CALLBACK_PRIORITY")
      ->delimiter(',');
  text("--greeting", "custom_greeting", "custom greeting text");
  number("--max-wait", "max_wait_time", "target wait in seconds (default: the level's)", int{});
  number("--callback-priority", "callback_priority", "1 (called back first) to 100", int{});
  text("--email", "email", "e-mail address");
  text("--account-number", "account_number", "account number");
  number("--account-value", "account_value", "account value", double{});
  text("--notes", "notes", "notes");
  list("--tag", "tags", "a tag (repeatable; replaces them all)");
  text("--agent", "preferred_agent_id", "preferred agent id");
  text("--department", "preferred_department_id", "preferred department id");
  text("--valid-from", "valid_from", "a VIP from this date or ISO 8601 time");
  text("--valid-until", "valid_until", "a VIP until this date or time (excluded)");
  cmd.footer("An empty value (--company \"\") clears a text field, a date, or a repeatable option's list.");
}

}  // namespace

Command add_command(CLI::App& app) {
  struct Options {
    nlohmann::json fields = nlohmann::json::object();
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("add", "Add a VIP caller");
  add_caller_field_options(*cmd, o->fields);
  cmd->get_option("--phone")->required();
  cmd->get_option("--name")->required();
  add_json_flag(*cmd, o->json);
  return {cmd, [o](const vipcore::Tenant& tenant) -> Status {
            auto fields = caller_fields(o->fields);
            if (!fields.ok()) return fields.status();
            return print_result(tenant.create(new_caller(*std::move(fields))), style(o->json));
          }};
}

Command update_command(CLI::App& app) {
  struct Options {
    std::string id;
    nlohmann::json fields = nlohmann::json::object();
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("update", "Change the given fields of a VIP caller; the others stay");
  cmd->add_option("id", o->id, "the caller's id")->required();
  add_caller_field_options(*cmd, o->fields);
  add_json_flag(*cmd, o->json);
  return {cmd, [o](const vipcore::Tenant& tenant) -> Status {
            if (o->fields.empty())
              return Status::invalid_argument("",
                                              "nothing to change: give the fields to change (vipctl update --help)");
            auto fields = caller_fields(o->fields);
            if (!fields.ok()) return fields.status();
            return print_result(tenant.update(o->id, *fields), style(o->json));
          }};
}

Command show_command(CLI::App& app) {
  struct Options {
    std::string id;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("show", "Show a VIP caller");
  cmd->add_option("id", o->id, "the caller's id")->required();
  add_json_flag(*cmd, o->json);
  return {cmd, [o](const vipcore::Tenant& tenant) { return print_result(tenant.get(o->id), style(o->json)); }};
}

// "remove ID", for callers and rules alike.
Command remove_command(CLI::App& parent, const char* description, const char* what,
                       Status (vipcore::Tenant::*remove)(std::string_view) const) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = parent.add_subcommand("remove", description);
  cmd->add_option("id", *id, fmt::format("the {}'s id", what))->required();
  return {cmd, [id, what, remove](const vipcore::Tenant& tenant) {
            const Status s = (tenant.*remove)(*id);
            if (s.ok()) fmt::print("removed {} {}\n", what, *id);
            return s;
          }};
}

Command list_command(CLI::App& app) {
  struct Options {
    std::string level;
    std::string status;
    vipcore::ListQuery query;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("list", "List VIP callers, filtered and paged");
  cmd->footer("A caller whose stored data is damaged is left out, named on stderr, and the command exits 6 after "
              "listing the others.");
  cmd->add_option("--level", o->level, "only this level");
  cmd->add_option("--status", o->status, "only this status");
  cmd->add_option("--search", o->query.search,
                  "only callers whose name, company or e-mail contains this text (any case), or who own this number");
  cmd->add_option("--skip", o->query.skip, "skip this many callers first")->capture_default_str();
  cmd->add_option("--limit", o->query.limit, "list at most this many (1 to 1000)")->capture_default_str();
  add_json_flag(*cmd, o->json);
  return {cmd, [o](const vipcore::Tenant& tenant) -> Status {
            vipcore::ListQuery query = o->query;
            if (!o->level.empty()) {
              auto level = vipcore::parse_level(o->level, "level");
              if (!level.ok()) return level.status();
              query.vip_level = *level;
            }
            if (!o->status.empty()) {
              auto status = vipcore::parse_caller_status(o->status, "status");
              if (!status.ok()) return status.status();
              query.status = *status;
            }
            std::vector<std::string> damaged;
            auto page = tenant.list(query, &damaged);
            if (!page.ok()) return page.status();
            print(*page, style(o->json));
            if (!o->json && page->size() == query.limit && query.skip <= std::numeric_limits<std::uint64_t>::max() - query.limit)
              fmt::print("(more may follow: --skip {})\n", query.skip + query.limit);
            return damaged_callers(damaged);
          }};
}

Command identify_command(CLI::App& app) {
  struct Options {
    std::string number;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("identify", "Is the caller at this number a VIP, and how is the call routed?");
  cmd->add_option("number", o->number, "a phone number, in any format")->required();
  add_json_flag(*cmd, o->json);
  return {cmd, [o](const vipcore::Tenant& tenant) { return print_result(tenant.identify(o->number), style(o->json)); }};
}

}  // namespace vipctl
