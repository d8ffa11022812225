// vipctl token add, list, revoke: the API tokens vipd accepts
// (Tenant::create_api_token).
//
//     vipctl --tenant acme token add --actor alice --role MANAGER
//
// --actor and --role after "token add" name the token's holder; the
// administrator who acts is the global actor (by default whoever runs
// vipctl, as an ADMIN), whom the audit trail names.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "commands.hpp"
#include "json_mapping.hpp"

namespace vipctl {
namespace {

nlohmann::ordered_json token_json(const vipcore::ApiToken& t) {
  return {{"id", t.id},
          {"actor_id", t.actor.id},
          {"role", vipcore::to_string(t.actor.role)},
          {"created_at", vipcore::format_timestamp(t.created_at)}};
}

}  // namespace

Command token_add_command(CLI::App& tokens) {
  struct Options {
    std::string actor, role;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = tokens.add_subcommand(
      "add", "Make a token for vipd: its holder acts in --tenant as --actor with --role. Prints it once");
  cmd->add_option("--actor", o->actor, "who holds the token, as the audit trail will name them")->required();
  cmd->add_option("--role", o->role, "the holder's role: ADMIN, MANAGER, AGENT, SYSTEM or AUDITOR")->required();
  add_json_flag(*cmd, o->json);
  return {cmd, [o](const vipcore::Tenant& tenant) -> Status {
            auto role = vipcore::parse_role(o->role, "--role");
            if (!role.ok()) return role.status();
            auto issued = tenant.create_api_token(vipcore::Actor{o->actor, *role});
            if (!issued.ok()) return issued.status();
            if (o->json) {
              nlohmann::ordered_json answer = token_json(issued->token);
              answer["token"] = issued->secret;
              print_json(answer);
            } else {
              fmt::print("{}\n", issued->secret);
            }
            fmt::print(stderr, "token {} for {} ({}) in tenant {}: shown once, only its hash is stored\n",
                       issued->token.id, issued->token.actor.id, vipcore::to_string(issued->token.actor.role),
                       tenant.id());
            return vipcore::ok_status();
          }};
}

Command token_list_command(CLI::App& tokens) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = tokens.add_subcommand("list", "List the tenant's tokens (never the tokens themselves)");
  add_json_flag(*cmd, *json);
  return {cmd, [json](const vipcore::Tenant& tenant) -> Status {
            auto listed = tenant.list_api_tokens();
            if (!listed.ok()) return listed.status();
            if (*json) {
              nlohmann::ordered_json all = nlohmann::ordered_json::array();
              for (const vipcore::ApiToken& t : *listed) all.push_back(token_json(t));
              print_json(all);
              return vipcore::ok_status();
            }
            if (listed->empty()) {
              fmt::print("no API tokens\n");
              return vipcore::ok_status();
            }
            Table table({"ID", "ACTOR", "ROLE", "CREATED"});
            for (const vipcore::ApiToken& t : *listed)
              table.add({t.id, t.actor.id, std::string(vipcore::to_string(t.actor.role)),
                         vipcore::format_timestamp(t.created_at)});
            table.print();
            return vipcore::ok_status();
          }};
}

Command token_revoke_command(CLI::App& tokens) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = tokens.add_subcommand("revoke", "Revoke a token: vipd refuses it from its next request");
  cmd->add_option("ID", *id, "the token's id (token list)")->required();
  return {cmd, [id](const vipcore::Tenant& tenant) -> Status {
            if (Status s = tenant.revoke_api_token(*id); !s.ok()) return s;
            fmt::print("revoked token {}\n", *id);
            return vipcore::ok_status();
          }};
}

}  // namespace vipctl
