// vipctl's commands, one group a file (cmd_*.cpp), and what they share.
// Internal to vipctl.
#ifndef VIPCTL_COMMANDS_HPP
#define VIPCTL_COMMANDS_HPP

#include <CLI/CLI.hpp>

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "formats.hpp"
#include "json_mapping.hpp"
#include "output.hpp"
#include "vipcore/vipcore.hpp"

namespace vipctl {

using vipcore::Status;

// The JSON and CSV mapping vipctl shares with vipd (tools/common/).
namespace jsonmap = vipcore::jsonmap;
using jsonmap::caller_fields;
using jsonmap::CallerWriter;
using jsonmap::file_format;
using jsonmap::FileFormat;
using jsonmap::ImportRows;
using jsonmap::new_caller;
using jsonmap::new_rule;
using jsonmap::read_import_file;
using jsonmap::RowError;
using jsonmap::RowOrigin;

// Options every command shares; each falls back to an environment variable.
struct GlobalOptions {
  std::string db_path;  ///< --db: a location string (vipcore/location.hpp)
  std::string key_file;
  std::string tenant_id;
  std::string actor_id;
  std::string role = "ADMIN";
  int busy_timeout_ms = 5000;
  bool read_only = false;
};

// A command: its CLI11 subcommand, and what it does once parsed. Most
// commands act in one tenant; init and rotate-key on the database itself.
struct Command {
  Command(CLI::App* command, std::function<Status(const vipcore::Tenant&)> run)
      : app(command), in_tenant(std::move(run)) {}
  Command(CLI::App* command, std::function<Status(const GlobalOptions&)> run)
      : app(command), on_database(std::move(run)) {}

  CLI::App* app;
  std::function<Status(const vipcore::Tenant&)> in_tenant;  // exactly one of the two is set
  std::function<Status(const GlobalOptions&)> on_database;
};

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

// ---- Opening the database (vipctl.cpp) -------------------------------------

vipcore::Result<vipcore::Actor> actor(const GlobalOptions& g);
vipcore::Options database_options(const GlobalOptions& g);
// Opens the database --db names; a bad location is an error naming --db.
vipcore::Result<vipcore::Database> open_location(const GlobalOptions& g, const vipcore::MasterKey& key,
                                                 const vipcore::Options& options);
// Opens an existing database: a mistyped --db must not create an empty one.
vipcore::Result<vipcore::Database> open_database(const GlobalOptions& g);
// How a location is named in vipctl's output: a SQLite file's path; never a
// PostgreSQL conninfo (it may hold a password).
std::string shown_location(const vipcore::Location& where);
// A new random key, written to a new file with mode 0600.
vipcore::Result<vipcore::MasterKey> new_key_file(const std::string& path);

// ---- Helpers shared by commands (vipctl.cpp) --------------------------------

inline Style style(bool json) { return json ? Style::json : Style::table; }

// After a list or export that went on past damaged callers: the error that
// names them (exit 6, a storage error: the file holds damaged data), printed
// once the rest of the output is complete.
Status damaged_callers(const std::vector<std::string>& ids);

void add_json_flag(CLI::App& cmd, bool& json);

template <typename T>
Status print_result(const vipcore::Result<T>& result, Style s) {
  if (!result.ok()) return result.status();
  print(*result, s);
  return vipcore::ok_status();
}

vipcore::Result<std::optional<vipcore::Timestamp>> optional_time(const std::string& text, std::string_view field);

// --from and --to of the reports: by default the 30 days up to now. A date
// is a whole local day in the tenant's time zone (--to 2024-01-31 includes
// that day); an ISO 8601 time is exact, and --to excludes it.
struct DateRangeOptions {
  std::string from;
  std::string to;

  void add_to(CLI::App& cmd);
  vipcore::Result<vipcore::DateRange> range(const vipcore::Tenant& tenant) const;
};

vipcore::Result<std::string> read_file(const std::string& path);

// ---- The commands, by group ---------------------------------------------------

// cmd_callers.cpp: add, show, update, remove, list, identify.
Command add_command(CLI::App& app);
Command show_command(CLI::App& app);
Command update_command(CLI::App& app);
// "remove ID", for callers and rules alike.
Command remove_command(CLI::App& parent, const char* description, const char* what,
                       Status (vipcore::Tenant::*remove)(std::string_view) const);
Command list_command(CLI::App& app);
Command identify_command(CLI::App& app);

// cmd_files.cpp: import and export.
Command import_command(CLI::App& app);
Command export_command(CLI::App& app);

// cmd_rules.cpp: rules add, list, update; escalation-check.
Command rules_add_command(CLI::App& rules);
Command rules_list_command(CLI::App& rules);
Command rules_update_command(CLI::App& rules);
Command escalation_check_command(CLI::App& app);

// cmd_reports.cpp: record-call, analytics, alerts, metrics, audit, purge.
Command record_call_command(CLI::App& app);
Command analytics_command(CLI::App& app);
Command alerts_command(CLI::App& app);
Command metrics_command(CLI::App& app);
Command audit_command(CLI::App& app);
Command purge_command(CLI::App& app);

// cmd_settings.cpp: settings.
Command settings_command(CLI::App& app);

// cmd_tokens.cpp: token add, list, revoke.
Command token_add_command(CLI::App& tokens);
Command token_list_command(CLI::App& tokens);
Command token_revoke_command(CLI::App& tokens);

// cmd_database.cpp: init, rotate-key.
Command init_command(CLI::App& app);
Command rotate_key_command(CLI::App& app);

}  // namespace vipctl

#endif
