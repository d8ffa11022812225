// vipctl import and export: VIP callers from and to JSON and CSV files.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "formats.hpp"

namespace vipctl {
namespace {

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

}  // namespace

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

}  // namespace vipctl
