// vipctl init and rotate-key: the commands that act on the database itself,
// not in one tenant.
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string>

#include "commands.hpp"

namespace vipctl {
namespace {

Status init(const GlobalOptions& g) {
  auto where = vipcore::parse_location(g.db_path, "--db");
  if (!where.ok()) return where.status();
  // Checked before anything is created, so that a refusal leaves nothing behind.
  if (where->backend == vipcore::Location::Backend::sqlite && std::filesystem::exists(where->target))
    return Status::already_exists(
        "", fmt::format("{} already exists; vipctl init never overwrites a database", where->target));
  // An existing key file (e.g. made as the README shows) is used as it is;
  // a missing one is made.
  const bool new_key = !std::filesystem::exists(g.key_file);
  auto key = new_key ? new_key_file(g.key_file) : vipcore::MasterKey::from_file(g.key_file);
  if (!key.ok()) return key.status();
  auto db = open_location(g, *key, database_options(g));
  if (!db.ok()) {
    if (new_key) std::filesystem::remove(g.key_file);  // a key without its database is of no use
    return db.status();
  }
  fmt::print("created database {}\n{} key file {} ({}key fingerprint {})\n"
             "Keep the key file safe and backed up: without it the database cannot be read.\n",
             shown_location(*where), new_key ? "created" : "used the existing", g.key_file, new_key ? "mode 0600, " : "",
             key->fingerprint());
  return vipcore::ok_status();
}

}  // namespace

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

}  // namespace vipctl
