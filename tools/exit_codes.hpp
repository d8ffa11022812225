// vipctl — exit codes: what a script that runs vipctl can rely on.
//
//   0  ok
//   1  anything else: an unexpected failure (a notifier, a bug)
//   2  usage error: unknown command or option, missing argument, an option
//      value of the wrong type (CLI11's parse errors)
//   3  not found: no such caller or rule, no such input file or database
//   4  permission denied: the --role may not do this
//   5  bad input: a value vipcore refuses (unknown level, bad phone number,
//      bad date...), something that already exists (a number, a call id, a
//      file vipctl would overwrite), a malformed import file or import rows
//   6  storage error: the database stayed locked past --busy-timeout, is
//      damaged (or its sealed data fails authentication), or was written by
//      a newer vipcore; or an export file could not be written; or list or
//      export left out callers whose stored data is damaged (they are named
//      on stderr; the output holds every other caller)
//   7  key error: a missing, unreadable or wrong key file
//
// The table below is the same list, printed at the foot of `vipctl --help`.
#ifndef VIPCTL_EXIT_CODES_HPP
#define VIPCTL_EXIT_CODES_HPP

#include <string_view>

#include "vipcore/status.hpp"

namespace vipctl {

enum class ExitCode : int {
  ok = 0,
  failure = 1,
  usage = 2,
  not_found = 3,
  permission_denied = 4,
  bad_input = 5,
  storage = 6,
  key = 7,
};

struct ExitCodeHelp {
  ExitCode code;
  std::string_view meaning;
};

inline constexpr ExitCodeHelp kExitCodeHelp[] = {
    {ExitCode::ok, "ok"},
    {ExitCode::failure, "any other failure"},
    {ExitCode::usage, "usage error (unknown command or option, missing argument)"},
    {ExitCode::not_found, "not found (caller, rule, input file, database)"},
    {ExitCode::permission_denied, "permission denied for --role"},
    {ExitCode::bad_input, "bad input (invalid value, already exists, malformed file or rows)"},
    {ExitCode::storage, "storage error (database busy past --busy-timeout, damaged or newer; a file not written)"},
    {ExitCode::key, "key error (missing, unreadable or wrong key file)"},
};

/// The exit code of a command that failed with `code`.
constexpr ExitCode exit_code_for(vipcore::Code code) noexcept {
  switch (code) {
    case vipcore::Code::ok: return ExitCode::ok;
    case vipcore::Code::not_found: return ExitCode::not_found;
    case vipcore::Code::permission_denied: return ExitCode::permission_denied;
    case vipcore::Code::invalid_argument:
    case vipcore::Code::already_exists: return ExitCode::bad_input;
    // An integrity failure means the file's sealed data was damaged or
    // tampered with: a property of the database, like corruption.
    case vipcore::Code::storage:
    case vipcore::Code::busy:
    case vipcore::Code::integrity:
    case vipcore::Code::version: return ExitCode::storage;
    case vipcore::Code::key: return ExitCode::key;
    case vipcore::Code::notifier:
    case vipcore::Code::internal: return ExitCode::failure;
  }
  return ExitCode::failure;
}

}  // namespace vipctl

#endif  // VIPCTL_EXIT_CODES_HPP
