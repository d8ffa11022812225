// vipctl — the administrator's command line for a vipcore database.
//
//     vipctl --db vip.db --key-file vip.key init
//     export VIPCTL_DB=vip.db VIPCTL_KEY_FILE=vip.key VIPCTL_TENANT=acme
//     vipctl import vips.csv
//     vipctl identify '+1 (234) 567-8900'
//
// Every command but init opens an existing database with the key in the key
// file and (all but rotate-key) acts in one tenant as one actor: the audit
// trail names the actor, and the actor's role decides what is allowed. Results
// go to stdout (a table, or JSON with --json), errors to stderr as
// "vipctl: <message>", and the exit code says what kind of failure it was
// (exit_codes.hpp).
//
// The commands are in cmd_*.cpp, by group (commands.hpp); this file opens
// the database, holds what the commands share, and runs the one asked for.
//
// --db is a location string (vipcore/location.hpp): a SQLite file or a
// PostgreSQL database. vipctl uses only vipcore's public API on the same
// database the PBX has open: the PBX's next identify sees a change made here, and a write waits up
// to --busy-timeout for a lock the PBX holds.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "vipcore/vipcore.hpp"

namespace vipctl {
namespace {

// ---- Opening the database ------------------------------------------------

// The default actor: whoever runs vipctl, as the audit trail should name them.
std::string login_name() {
  if (const char* name = ::getlogin(); name != nullptr && *name != '\0') return name;
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return user;
  // Without a terminal or a login shell (cron, a container): the user's account name.
  if (const passwd* account = ::getpwuid(::geteuid()); account != nullptr) return account->pw_name;
  return "";
}

vipcore::Result<vipcore::Tenant> open_tenant(const GlobalOptions& g) {
  auto who = actor(g);
  if (!who.ok()) return who.status();
  auto db = open_database(g);
  if (!db.ok()) return db.status();
  return db->tenant(g.tenant_id, *who);  // the tenant keeps the database open
}

}  // namespace

vipcore::Result<vipcore::Actor> actor(const GlobalOptions& g) {
  auto role = vipcore::parse_role(g.role);
  if (!role.ok()) return role.status();
  return vipcore::Actor{g.actor_id, *role};
}

vipcore::Options database_options(const GlobalOptions& g) {
  vipcore::Options options;
  options.sqlite.busy_timeout_ms = g.busy_timeout_ms;
  options.sqlite.read_only = g.read_only;
  return options;
}

std::string shown_location(const vipcore::Location& where) {
  // A PostgreSQL conninfo may hold a password: it is never printed.
  return where.backend == vipcore::Location::Backend::sqlite ? where.target : std::string("the PostgreSQL database");
}

vipcore::Result<vipcore::Database> open_location(const GlobalOptions& g, const vipcore::MasterKey& key,
                                                 const vipcore::Options& options) {
  auto db = vipcore::Database::open(g.db_path, key, options);
  // The location is --db here, not Database::open's "path".
  if (!db.ok() && db.status().code() == vipcore::Code::invalid_argument && db.status().field() == "path")
    return Status::invalid_argument("--db", db.status().message());
  return db;
}

vipcore::Result<vipcore::Database> open_database(const GlobalOptions& g) {
  auto where = vipcore::parse_location(g.db_path, "--db");
  if (!where.ok()) return where.status();
  if (where->backend == vipcore::Location::Backend::sqlite && !std::filesystem::exists(where->target))
    return Status::not_found(fmt::format("no database at {} (vipctl init creates one)", where->target));
  auto key = vipcore::MasterKey::from_file(g.key_file);
  if (!key.ok()) return key.status();
  vipcore::Options options = database_options(g);
  options.sqlite.create_if_missing = false;
  return open_location(g, *key, options);
}

vipcore::Result<vipcore::MasterKey> new_key_file(const std::string& path) {
  auto key = vipcore::MasterKey::generate();
  if (!key.ok()) return key.status();
  if (Status s = key->write_file(path); !s.ok()) return s;
  return key;
}

// ---- Helpers shared by commands ------------------------------------------

Status damaged_callers(const std::vector<std::string>& ids) {
  if (ids.empty()) return vipcore::ok_status();
  std::string list;
  for (const std::string& id : ids) list += (list.empty() ? "" : ", ") + id;
  return Status::integrity_error(fmt::format(
      "{} VIP caller{} skipped: the stored data fails authentication (damaged or tampered with): {}; the others "
      "are complete. Repair them from a backup or remove them (vipctl remove ID)",
      ids.size(), ids.size() == 1 ? " was" : "s were", list));
}

void add_json_flag(CLI::App& cmd, bool& json) {
  cmd.add_flag("--json", json, "print JSON for scripts instead of a table");
}

vipcore::Result<std::optional<vipcore::Timestamp>> optional_time(const std::string& text, std::string_view field) {
  if (text.empty()) return std::optional<vipcore::Timestamp>();
  auto t = vipcore::parse_timestamp(text, field);
  if (!t.ok()) return t.status();
  return std::optional<vipcore::Timestamp>(*t);
}

void DateRangeOptions::add_to(CLI::App& cmd) {
  cmd.add_option("--from", from,
                 "start: YYYY-MM-DD (from that day's start, in the tenant's time zone) or an ISO 8601 time "
                 "(default: 30 days before --to)");
  cmd.add_option("--to", to,
                 "end: YYYY-MM-DD (that whole day included, in the tenant's time zone) or an ISO 8601 time, "
                 "excluded (default: now)");
}

vipcore::Result<vipcore::DateRange> DateRangeOptions::range(const vipcore::Tenant& tenant) const {
  return jsonmap::report_range(tenant, from.empty() ? nullptr : &from, to.empty() ? nullptr : &to, "from", "to");
}

vipcore::Result<std::string> read_file(const std::string& path) {
  const File file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int error = errno;
    const std::string message = fmt::format("cannot open {}: {}", path, std::strerror(error));
    return error == ENOENT ? Status::not_found(message) : Status::invalid_argument("", message);
  }
  std::string text;
  char buffer[1 << 16];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0;) text.append(buffer, n);
  if (std::ferror(file.get())) return Status::invalid_argument("", fmt::format("cannot read {}", path));
  return text;
}

namespace {

// ---- main ----------------------------------------------------------------

std::string help_footer() {
  std::string footer = "Exit codes:\n";
  for (const ExitCodeHelp& e : kExitCodeHelp) footer += fmt::format("  {}  {}\n", static_cast<int>(e.code), e.meaning);
  footer +=
      "\nGlobal options may also follow the command. Each command has --help; read commands take --json.\n"
      "Errors go to stderr as \"vipctl: <message>\"; they never show keys, decrypted fields or phone numbers\n"
      "other than those given on the command line.";
  return footer;
}

void add_global_options(CLI::App& app, GlobalOptions& g) {
  app.add_option("--db", g.db_path,
                 "the database: a SQLite file (path or sqlite:<path>), postgresql://... or a libpq conninfo")->envname("VIPCTL_DB")->required();
  app.add_option("--key-file", g.key_file, "the file holding the master key (64 hex characters, mode 0600)")
      ->envname("VIPCTL_KEY_FILE")
      ->required();
  app.add_option("--tenant", g.tenant_id, "the tenant to act in")->envname("VIPCTL_TENANT");
  app.add_option("--actor", g.actor_id, "who acts, for the audit trail (default: your login name)")
      ->envname("VIPCTL_ACTOR");
  app.add_option("--role", g.role, "the actor's role: ADMIN, MANAGER, AGENT, SYSTEM or AUDITOR")
      ->envname("VIPCTL_ROLE")
      ->capture_default_str();
  app.add_option("--busy-timeout", g.busy_timeout_ms,
                 "milliseconds to wait for a lock another process (the PBX) holds before giving up (exit 6)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_flag("--read-only", g.read_only,
               "open the database read-only (a full disk, a directory vipctl may not write): read commands work, "
               "changes fail (exit 6)");
}

int run(int argc, char** argv) {
  GlobalOptions g;
  g.actor_id = login_name();
  CLI::App app{"vipctl: manage the VIP callers, escalation rules and reports of a vipcore database", "vipctl"};
  // Set before the subcommands are added, which inherit them.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return fmt::format("vipctl: {}\nRun with --help for more information.\n", e.what());
  });
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag("--version", vipcore::version());
  app.footer(help_footer());
  add_global_options(app, g);

  std::vector<Command> commands = {
      init_command(app),
      add_command(app),
      show_command(app),
      update_command(app),
      remove_command(app, "Delete a VIP caller and their numbers", "VIP caller", &vipcore::Tenant::remove),
      list_command(app),
      identify_command(app),
      import_command(app),
      export_command(app),
  };
  CLI::App* rules = app.add_subcommand("rules", "Manage escalation rules: add, list, update, remove");
  rules->require_subcommand(1);
  commands.push_back(rules_add_command(*rules));
  commands.push_back(rules_list_command(*rules));
  commands.push_back(rules_update_command(*rules));
  commands.push_back(
      remove_command(*rules, "Delete an escalation rule", "escalation rule", &vipcore::Tenant::remove_rule));
  CLI::App* tokens = app.add_subcommand("token", "Manage the API tokens vipd accepts: add, list, revoke");
  tokens->require_subcommand(1);
  for (auto* make : {token_add_command, token_list_command, token_revoke_command}) commands.push_back(make(*tokens));
  for (auto* make : {escalation_check_command, record_call_command, analytics_command, alerts_command, metrics_command,
                     audit_command, settings_command, purge_command, rotate_key_command})
    commands.push_back(make(app));

  const Command* command = nullptr;
  try {
    app.parse(argc, argv);
    for (const Command& c : commands)
      if (c.app->parsed()) command = &c;
    if (command == nullptr) throw CLI::RequiredError("a command");  // e.g. "vipctl rules" alone
    if (command->in_tenant && g.tenant_id.empty()) throw CLI::RequiredError("--tenant (or VIPCTL_TENANT)");
    if (g.actor_id.empty()) throw CLI::RequiredError("--actor (or VIPCTL_ACTOR)");
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }

  Status status;
  if (command->in_tenant) {
    auto tenant = open_tenant(g);
    status = tenant.ok() ? command->in_tenant(*tenant) : tenant.status();
  } else {
    status = command->on_database(g);
  }
  if (!status.ok()) {
    fmt::print(stderr, "vipctl: {}\n", status.message());
    return static_cast<int>(exit_code_for(status.code()));
  }
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    fmt::print(stderr, "vipctl: cannot write the output: {}\n", std::strerror(errno));
    return static_cast<int>(ExitCode::failure);
  }
  return static_cast<int>(ExitCode::ok);
}

}  // namespace
}  // namespace vipctl

int main(int argc, char** argv) {
  // vipcore never throws; what could is vipctl's own code (memory, JSON).
  try {
    return vipctl::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vipctl: unexpected error: %s\n", e.what());
    return static_cast<int>(vipctl::ExitCode::failure);
  }
}
