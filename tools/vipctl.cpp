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
// vipctl uses only vipcore's public API on the same SQLite file the PBX has
// open: the PBX's next identify sees a change made here, and a write waits up
// to --busy-timeout for a lock the PBX holds.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <pwd.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exit_codes.hpp"
#include "formats.hpp"
#include "output.hpp"
#include "vipcore/vipcore.hpp"

namespace vipctl {
namespace {

using vipcore::Status;

// Options every command shares; each falls back to an environment variable.
struct GlobalOptions {
  std::string db_path;
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

// ---- Opening the database ------------------------------------------------

// The default actor: whoever runs vipctl, as the audit trail should name them.
std::string login_name() {
  if (const char* name = ::getlogin(); name != nullptr && *name != '\0') return name;
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return user;
  // Without a terminal or a login shell (cron, a container): the user's account name.
  if (const passwd* account = ::getpwuid(::geteuid()); account != nullptr) return account->pw_name;
  return "";
}

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

// Opens an existing database: a mistyped --db must not create an empty one.
vipcore::Result<vipcore::Database> open_database(const GlobalOptions& g) {
  if (!std::filesystem::exists(g.db_path))
    return Status::not_found(fmt::format("no database at {} (vipctl init creates one)", g.db_path));
  auto key = vipcore::MasterKey::from_file(g.key_file);
  if (!key.ok()) return key.status();
  vipcore::Options options = database_options(g);
  options.sqlite.create_if_missing = false;
  return vipcore::Database::open(g.db_path, *key, options);
}

vipcore::Result<vipcore::Tenant> open_tenant(const GlobalOptions& g) {
  auto who = actor(g);
  if (!who.ok()) return who.status();
  auto db = open_database(g);
  if (!db.ok()) return db.status();
  return db->tenant(g.tenant_id, *who);  // the tenant keeps the database open
}

// A new random key, written to a new file with mode 0600.
vipcore::Result<vipcore::MasterKey> new_key_file(const std::string& path) {
  auto key = vipcore::MasterKey::generate();
  if (!key.ok()) return key.status();
  if (Status s = key->write_file(path); !s.ok()) return s;
  return key;
}

// ---- Helpers shared by commands ------------------------------------------

Style style(bool json) { return json ? Style::json : Style::table; }

// After a list or export that went on past damaged callers: the error that
// names them (exit 6, a storage error: the file holds damaged data), printed
// once the rest of the output is complete.
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

template <typename T>
Status print_result(const vipcore::Result<T>& result, Style s) {
  if (!result.ok()) return result.status();
  print(*result, s);
  return vipcore::ok_status();
}

vipcore::Result<std::optional<vipcore::Timestamp>> optional_time(const std::string& text, std::string_view field) {
  if (text.empty()) return std::optional<vipcore::Timestamp>();
  auto t = vipcore::parse_timestamp(text, field);
  if (!t.ok()) return t.status();
  return std::optional<vipcore::Timestamp>(*t);
}

// --from and --to of the reports: by default the 30 days up to now. A date
// is a whole local day in the tenant's time zone (--to 2024-01-31 includes
// that day); an ISO 8601 time is exact, and --to excludes it.
struct DateRangeOptions {
  std::string from;
  std::string to;

  void add_to(CLI::App& cmd) {
    cmd.add_option("--from", from,
                   "start: YYYY-MM-DD (from that day's start, in the tenant's time zone) or an ISO 8601 time "
                   "(default: 30 days before --to)");
    cmd.add_option("--to", to,
                   "end: YYYY-MM-DD (that whole day included, in the tenant's time zone) or an ISO 8601 time, "
                   "excluded (default: now)");
  }
  vipcore::Result<vipcore::DateRange> range(const vipcore::Tenant& tenant) const {
    const std::string end = to.empty() ? vipcore::format_timestamp(vipcore::SystemClock().now()) : to;
    if (!from.empty()) {
      return tenant.date_range(from, end, "from", "to");
    }
    auto r = tenant.date_range(vipcore::format_timestamp(vipcore::from_unix_ms(vipcore::kMinTimestampMs)), end,
                               "from", "to");
    if (!r.ok()) return r.status();
    r->start = std::max(r->end - std::chrono::hours(24 * 30), vipcore::from_unix_ms(vipcore::kMinTimestampMs));
    return r;
  }
};

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

// ---- Caller fields -------------------------------------------------------

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

// ---- Import and export ---------------------------------------------------

// Below this many rows an import is quick enough to need no progress.
constexpr std::size_t kProgressMinRows = 10000;

struct ImportCommandOptions {
  std::string path;
  std::string format;
  vipcore::ImportMode mode = vipcore::ImportMode::all_or_nothing;
  vipcore::DuplicatePolicy on_duplicate = vipcore::DuplicatePolicy::fail;
};

// Reports the rows that failed, on stderr, in file order: those vipctl
// could not read and those vipcore refused.
std::size_t report_failed_rows(const std::string& path, const ImportRows& rows, const vipcore::ImportReport& report) {
  std::vector<RowError> failed = rows.errors;
  for (const vipcore::ImportRowError& e : report.errors) failed.push_back({rows.origins[e.index], e.error});
  std::stable_sort(failed.begin(), failed.end(), [](const RowError& a, const RowError& b) {
    return a.origin.line != b.origin.line ? a.origin.line < b.origin.line
                                          : a.origin.index.value_or(0) < b.origin.index.value_or(0);
  });
  for (const RowError& f : failed)
    fmt::print(stderr, "vipctl: {}: {}: {}\n", path, to_string(f.origin), f.error.message());
  return failed.size();
}

Status import_file(const vipcore::Tenant& tenant, const ImportCommandOptions& o) {
  auto format = file_format(o.format, o.path);
  if (!format.ok()) return format.status();
  auto text = read_file(o.path);
  if (!text.ok()) return text.status();
  auto read = read_import_file(*text, *format);
  if (!read.ok()) return read.status().with_context(o.path);
  const ImportRows& rows = *read;

  if (!rows.errors.empty() && o.mode == vipcore::ImportMode::all_or_nothing) {
    // Nothing may be written, so the other rows are not offered to vipcore,
    // which has no way to check rows without writing them.
    report_failed_rows(o.path, rows, {});
    return Status::invalid_argument(
        "", fmt::format("nothing was imported from {}: {} of {} rows could not be read, and the others were not "
                        "checked yet (all-or-nothing; fix them, or import with --mode best-effort)",
                        o.path, rows.errors.size(), rows.rows()));
  }

  vipcore::ImportOptions options;
  options.mode = o.mode;
  options.on_duplicate = o.on_duplicate;
  std::optional<ImportProgress> progress;
  if (rows.rows() >= kProgressMinRows) {
    progress.emplace(rows.callers.size());
    options.progress = [&progress](std::size_t done, std::size_t total) { return progress->update(done, total); };
    options.progress_every = progress->every();
  }
  vipcore::ImportReport report;
  const Status imported = tenant.import_callers(rows.callers, options, &report);
  if (progress) progress->finish();

  const std::size_t failed = report_failed_rows(o.path, rows, report);
  if (!imported.ok()) {
    if (failed == 0) return imported;  // not the rows' fault: storage, busy, permission
    return Status::invalid_argument(
        "", fmt::format("nothing was imported from {}: {} of {} rows failed (all-or-nothing; fix them, or import "
                        "with --mode best-effort)",
                        o.path, failed, rows.rows()));
  }
  fmt::print("imported {}: {} rows, {} created, {} updated, {} skipped, {} failed\n", o.path, rows.rows(),
             report.created, report.updated, report.skipped, failed);
  return vipcore::ok_status();
}

Command import_command(CLI::App& app) {
  auto o = std::make_shared<ImportCommandOptions>();
  CLI::App* cmd = app.add_subcommand("import", "Import VIP callers from a JSON or CSV file (see the formats below)");
  cmd->add_option("file", o->path, "the file to import")->required();
  cmd->add_option("--format", o->format, "json or csv (default: from the file's extension)")
      ->check(CLI::IsMember({"json", "csv"}));
  cmd->add_option("--mode", o->mode, "all-or-nothing: any bad row writes nothing; best-effort: bad rows are left out")
      ->transform(CLI::CheckedTransformer(std::map<std::string, vipcore::ImportMode>{
          {"all-or-nothing", vipcore::ImportMode::all_or_nothing}, {"best-effort", vipcore::ImportMode::best_effort}}))
      ->default_str("all-or-nothing");
  cmd->add_option("--on-duplicate", o->on_duplicate,
                  "a row whose number belongs to a VIP already: fail, skip it, or update that VIP")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, vipcore::DuplicatePolicy>{{"fail", vipcore::DuplicatePolicy::fail},
                                                          {"skip", vipcore::DuplicatePolicy::skip},
                                                          {"update", vipcore::DuplicatePolicy::update}}))
      ->default_str("fail");
  cmd->footer(
      "Formats (same field names in both): JSON {\"vip_callers\": [{\"phone_number\": \"+1234567890\", "
      "\"caller_name\": \"John Doe\", \"vip_level\": \"GOLD\", \"tags\": [\"premium\"]}, ...]}; CSV with a header row "
      "naming the columns, list cells separated by '|' (\"PRIORITY_QUEUE|CUSTOM_GREETING\"). Fields: phone_number, "
      "alternative_phone_numbers, caller_name, company_name, vip_level, status, handling_rules, custom_greeting, "
      "max_wait_time, callback_priority, email, account_number, account_value, notes, tags, preferred_agent_id, "
      "preferred_department_id, valid_from, valid_until. Export's read-only fields (id, phones_masked...) are "
      "ignored. Failed rows are reported on stderr with their line (CSV) or index and line (JSON).");
  return {cmd, [o](const vipcore::Tenant& tenant) { return import_file(tenant, *o); }};
}

struct ExportCommandOptions {
  std::string format;
  std::string output;
};

// A new file for exported data, readable by its owner only: it holds
// decrypted names, e-mails and notes.
vipcore::Result<File> create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    const std::string message = fmt::format("cannot create {}: {}", path, std::strerror(error));
    return error == EEXIST ? Status::already_exists("output", message + " (vipctl never overwrites a file)")
                           : Status::invalid_argument("output", message);
  }
  return File(::fdopen(fd, "w"));
}

// Damaged callers are left out and their ids put in *damaged: the file is
// complete without them.
Status export_callers(const vipcore::Tenant& tenant, std::FILE* out, FileFormat format,
                      std::vector<std::string>* damaged) {
  CallerWriter writer(out, format);
  // One snapshot, in id order: callers the PBX adds or removes meanwhile
  // are not half in the file.
  Status written;
  Status s = tenant.for_each_caller(
      [&](const vipcore::VipCaller& c) {
        written = writer.write(c);
        return written.ok();
      },
      damaged);
  if (!s.ok()) return s;
  if (!written.ok()) return written;
  writer.finish();
  return vipcore::ok_status();
}

Status export_file(const vipcore::Tenant& tenant, const ExportCommandOptions& o) {
  auto format = o.format.empty() && o.output.empty() ? FileFormat::json : file_format(o.format, o.output);
  if (!format.ok()) return format.status();
  std::vector<std::string> damaged;
  if (o.output.empty()) {
    Status s = export_callers(tenant, stdout, *format, &damaged);
    return s.ok() ? damaged_callers(damaged) : s;
  }

  auto file = create_private_file(o.output);
  if (!file.ok()) return file.status();
  Status s = export_callers(tenant, file->get(), *format, &damaged);
  if (s.ok() && (std::fflush(file->get()) != 0 || std::ferror(file->get())))
    s = Status::storage_error(fmt::format("cannot write {}: {}", o.output, std::strerror(errno)));
  file->reset();
  if (!s.ok()) std::filesystem::remove(o.output);  // never leave half an export behind
  // A complete export of every caller that could be read is kept.
  return s.ok() ? damaged_callers(damaged) : s;
}

Command export_command(CLI::App& app) {
  auto o = std::make_shared<ExportCommandOptions>();
  CLI::App* cmd = app.add_subcommand("export", "Export every VIP caller of the tenant as JSON or CSV");
  cmd->add_option("--format", o->format, "json or csv (default: from --output's extension, else json)")
      ->check(CLI::IsMember({"json", "csv"}));
  cmd->add_option("-o,--output", o->output, "a new file, created with mode 0600 (default: stdout)");
  cmd->footer(
      "The import formats (vipctl import --help), without phone numbers: vipcore keeps only their hashes. "
      "phones_masked shows their last digits; add phone_number back to import the file elsewhere. A caller whose "
      "stored data is damaged is left out, named on stderr, and the command exits 6 after writing the others.");
  return {cmd, [o](const vipcore::Tenant& tenant) { return export_file(tenant, *o); }};
}

// ---- Escalation rules ----------------------------------------------------

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

vipcore::EscalationRule new_rule(const vipcore::EscalationRuleUpdate& u) {
  vipcore::EscalationRule r;
  r.name = u.name.value_or("");
  r.vip_levels = u.vip_levels.value_or(std::vector<vipcore::Level>());
  r.max_wait_time = u.max_wait_time.value_or(std::nullopt);
  r.max_queue_position = u.max_queue_position.value_or(std::nullopt);
  r.escalation_type = u.escalation_type.value_or(r.escalation_type);
  r.tier = u.tier.value_or(r.tier);
  r.notify = u.notify.value_or(vipcore::NotificationTargets());
  r.is_active = u.is_active.value_or(r.is_active);
  r.priority = u.priority.value_or(r.priority);
  r.schedule = u.schedule.value_or(r.schedule);
  r.business_hours = u.business_hours.value_or(std::nullopt);
  return r;
}

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

// ---- Calls, reports, maintenance -----------------------------------------

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

// Applies each "KEY=VALUE" of `items` (--target-wait GOLD=45, --rule-bonus
// PRIORITY_QUEUE=15): `parse_key` reads the key (a level or a handling rule,
// in any case), `set` takes its index and the value's text.
template <typename ParseKey, typename Set>
Status assign_each(const std::vector<std::string>& items, std::string_view option, std::string_view expected,
                   ParseKey&& parse_key, Set&& set) {
  for (const std::string& item : items) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) return Status::invalid_argument(option, fmt::format("expected {}", expected));
    auto key = parse_key(item.substr(0, eq), option);
    if (!key.ok()) return key.status();
    if (Status st = set(static_cast<std::size_t>(*key), item.substr(eq + 1)); !st.ok()) return st;
  }
  return vipcore::ok_status();
}

Command settings_command(CLI::App& app) {
  struct Options {
    std::string time_zone;
    std::string business_hours;
    std::optional<std::string> region, number_validation;
    std::vector<std::string> target_waits;
    std::vector<std::string> priorities;
    std::vector<std::string> escalation_rates;
    std::vector<std::string> rule_bonuses;
    // Set only when given.
    std::optional<double> rise_start, exponent, wait_factor, failed_rate, quality_drop;
    std::optional<std::uint64_t> min_identifications, min_calls;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "settings", "Show the tenant's settings, or change those given (time zone, hours, waits, priorities, alerts)");
  cmd->add_option("--time-zone", o->time_zone, "IANA time zone of the business hours, e.g. Europe/Paris");
  cmd->add_option("--business-hours", o->business_hours, "e.g. 'mon-fri 09:00-17:00; sat 10:00-14:00', '24/7'");
  cmd->add_option("--region", o->region,
                  "numbering region (ISO 3166-1 alpha-2, e.g. GB): how national numbers are read and checked");
  cmd->add_option("--number-validation", o->number_validation,
                  "strict (libphonenumber's possible-number check) or e164 (any E.164-shaped number)");
  cmd->add_option("--target-wait", o->target_waits, "LEVEL=SECONDS: max_wait_time of callers who have none");
  cmd->add_option("--priority", o->priorities, "LEVEL=N: the level's base routing priority");
  cmd->add_option("--alert-escalation-rate", o->escalation_rates, "LEVEL=RATE: alert above this rate, e.g. DIAMOND=0.05");
  cmd->add_option("--rule-bonus", o->rule_bonuses, "RULE=N: priority added by a handling rule, e.g. PRIORITY_QUEUE=15");
  cmd->add_option("--rise-start", o->rise_start,
                  "dynamic priority: the fraction (0 to <1) of the target wait before it rises");
  cmd->add_option("--exponent", o->exponent, "dynamic priority: the curve's exponent, 0.25 to 4 (1: linear)");
  cmd->add_option("--alert-wait-factor", o->wait_factor, "alert when a level's average wait exceeds target x this");
  cmd->add_option("--alert-failed-identifications", o->failed_rate,
                  "alert when this share (0-1) of identifications fails...");
  cmd->add_option("--alert-min-identifications", o->min_identifications, "...once this many were attempted")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--alert-quality-drop", o->quality_drop, "alert when a level's quality falls by more than these points");
  cmd->add_option("--alert-min-calls", o->min_calls, "levels with fewer calls than this are not judged")
      ->check(CLI::NonNegativeNumber);
  add_json_flag(*cmd, o->json);
  return {cmd, [o, cmd](const vipcore::Tenant& tenant) -> Status {
            auto settings = tenant.settings();
            if (!settings.ok()) return settings.status();
            // No setting given (at most --json): show them.
            const auto given = cmd->get_options(
                [](const CLI::Option* opt) { return opt->count() > 0 && opt->get_name() != "--json"; });
            if (given.empty()) return print_result(settings, style(o->json));
            vipcore::TenantSettings& s = *settings;
            const auto set_if_given = [](const auto& value, auto& setting) {
              if (value) setting = *value;
            };
            set_if_given(o->rise_start, s.dynamic_priority.rise_start);
            set_if_given(o->exponent, s.dynamic_priority.exponent);
            set_if_given(o->wait_factor, s.alerts.wait_factor);
            set_if_given(o->failed_rate, s.alerts.max_failed_identification_rate);
            set_if_given(o->min_identifications, s.alerts.min_identifications);
            set_if_given(o->quality_drop, s.alerts.max_quality_drop);
            set_if_given(o->min_calls, s.alerts.min_calls);
            if (!o->time_zone.empty()) s.time_zone = o->time_zone;
            if (o->region) {
              auto plan = vipcore::PhoneNormalizer::for_region(*o->region);
              if (!plan.ok()) return plan.status();
              s.region = plan->region();
            }
            if (o->number_validation) {
              auto v = vipcore::parse_number_validation(*o->number_validation, "number-validation");
              if (!v.ok()) return v.status();
              s.number_validation = *v;
            }
            if (!o->business_hours.empty()) {
              auto hours = vipcore::parse_weekly_hours(o->business_hours, "business-hours");
              if (!hours.ok()) return hours.status();
              s.business_hours = *hours;
            }
            const auto integer = [](std::string_view option, const std::string& v, int* out) {
              char* end = nullptr;
              const long n = std::strtol(v.c_str(), &end, 10);
              if (v.empty() || *end != '\0' || n < INT_MIN || n > INT_MAX)
                return Status::invalid_argument(option, "expects a whole number after '='");
              *out = static_cast<int>(n);
              return vipcore::ok_status();
            };
            constexpr std::string_view kLevelValue = "LEVEL=VALUE, e.g. GOLD=45";
            const auto level = [](std::string_view text, std::string_view option) {
              return vipcore::parse_level(text, option);
            };
            Status st = assign_each(o->target_waits, "target-wait", kLevelValue, level,
                                    [&](std::size_t l, const std::string& v) {
                                      return integer("target-wait", v, &s.level_waits[l]);
                                    });
            if (st.ok())
              st = assign_each(o->priorities, "priority", kLevelValue, level, [&](std::size_t l, const std::string& v) {
                return integer("priority", v, &s.priority.level_base[l]);
              });
            if (st.ok())
              st = assign_each(o->escalation_rates, "alert-escalation-rate", kLevelValue, level,
                               [&](std::size_t l, const std::string& v) {
                                 char* end = nullptr;
                                 s.alerts.max_escalation_rate[l] = std::strtod(v.c_str(), &end);
                                 if (v.empty() || *end != '\0')
                                   return Status::invalid_argument("alert-escalation-rate",
                                                                   "expects a number after '=', e.g. 0.05");
                                 return vipcore::ok_status();
                               });
            if (st.ok())
              st = assign_each(
                  o->rule_bonuses, "rule-bonus", "RULE=N, e.g. PRIORITY_QUEUE=15",
                  [](std::string_view text, std::string_view option) { return vipcore::parse_handling_rule(text, option); },
                  [&](std::size_t r, const std::string& v) { return integer("rule-bonus", v, &s.priority.rule_bonus[r]); });
            if (st.ok()) st = tenant.update_settings(s);
            if (!st.ok()) return st;
            return print_result(vipcore::Result<vipcore::TenantSettings>(s), style(o->json));
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

Status init(const GlobalOptions& g) {
  // Checked before anything is created, so that a refusal leaves nothing behind.
  if (std::filesystem::exists(g.db_path))
    return Status::already_exists("",
                                  fmt::format("{} already exists; vipctl init never overwrites a database", g.db_path));
  // An existing key file (e.g. made as the README shows) is used as it is;
  // a missing one is made.
  const bool new_key = !std::filesystem::exists(g.key_file);
  auto key = new_key ? new_key_file(g.key_file) : vipcore::MasterKey::from_file(g.key_file);
  if (!key.ok()) return key.status();
  auto db = vipcore::Database::open(g.db_path, *key, database_options(g));
  if (!db.ok()) {
    if (new_key) std::filesystem::remove(g.key_file);  // a key without its database is of no use
    return db.status();
  }
  fmt::print("created database {}\n{} key file {} ({}key fingerprint {})\n"
             "Keep the key file safe and backed up: without it the database cannot be read.\n",
             g.db_path, new_key ? "created" : "used the existing", g.key_file, new_key ? "mode 0600, " : "",
             key->fingerprint());
  return vipcore::ok_status();
}

Command init_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "init", "Create a database (--db) with the key in --key-file, making the key file (mode 0600) if it is missing");
  cmd->footer("Refuses to overwrite an existing database; an existing key file is used, never changed.");
  return {cmd, init};
}

Command rotate_key_command(CLI::App& app) {
  struct Options {
    std::string new_key_file;
    std::string generate_new_key;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("rotate-key", "Re-encrypt the database under a new master key (ADMIN)");
  CLI::Option_group* new_key = cmd->add_option_group("new key", "exactly one of");
  new_key->add_option("--new-key-file", o->new_key_file, "an existing key file with the new key");
  new_key->add_option("--generate-new-key", o->generate_new_key, "generate the new key into this new file (mode 0600)");
  new_key->require_option(1);
  cmd->footer(
      "Afterwards the database opens only with the new key: restart every process that has it open (the PBX) with "
      "the new key file. A rotation that stopped half-way is finished by running it again with the same new key.");
  return {cmd, [o](const GlobalOptions& g) -> Status {
            auto who = actor(g);
            if (!who.ok()) return who.status();
            // vipcore checks this too, but only once the new key exists: refuse
            // before a key file nobody may use is generated.
            if (!vipcore::is_allowed(who->role, vipcore::Operation::rotate_key))
              return Status::permission_denied(
                  fmt::format("role {} may not rotate the master key", vipcore::to_string(who->role)));
            auto db = open_database(g);
            if (!db.ok()) return db.status();
            const std::string& path = o->generate_new_key.empty() ? o->new_key_file : o->generate_new_key;
            auto key = o->generate_new_key.empty() ? vipcore::MasterKey::from_file(path) : new_key_file(path);
            if (!key.ok()) return key.status();
            auto report = db->rotate_master_key(*key, *who);
            if (!report.ok()) return report.status();
            fmt::print(
                "rotated the master key{}: key version {}, {} tenants, {} callers and {} rules re-encrypted\n"
                "the database now opens only with {} (key fingerprint {}); restart the processes that use it\n",
                report->resumed ? " (an interrupted rotation was finished)" : "", report->key_version, report->tenants,
                report->callers_reencrypted, report->rules_reencrypted, path, key->fingerprint());
            return vipcore::ok_status();
          }};
}

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
  app.add_option("--db", g.db_path, "the vipcore SQLite database file")->envname("VIPCTL_DB")->required();
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
