// vipcore — bulk import of VIP callers.
#ifndef VIPCORE_IMPORT_HPP
#define VIPCORE_IMPORT_HPP

#include <cstddef>
#include <functional>
#include <vector>

#include "vipcore/status.hpp"

namespace vipcore {

enum class ImportMode {
  /// Any bad row writes nothing: the report lists every bad row.
  all_or_nothing,
  /// Good rows are written, bad rows are reported and left out.
  best_effort,
};

/// What to do with a row whose number already belongs to a VIP of the
/// tenant (or to an earlier row of the same import).
enum class DuplicatePolicy {
  fail,    ///< the row is an error (Code::already_exists)
  skip,    ///< the row is left out and counted as skipped
  update,  ///< the existing VIP takes the row's fields (those it sets);
           ///< a duplicate within the import itself is still an error
};

struct ImportOptions {
  ImportMode mode = ImportMode::all_or_nothing;
  DuplicatePolicy on_duplicate = DuplicatePolicy::fail;
  /// Called from the importing thread with (rows done, total rows) each time
  /// `done` passes a multiple of `progress_every`, and once with (total,
  /// total) at the end. `done` measures the whole job — validating,
  /// encrypting and writing — in rows, so it grows steadily; nothing is
  /// committed before the end. Return false to cancel: nothing is written
  /// and the import fails with Code::invalid_argument.
  std::function<bool(std::size_t done, std::size_t total)> progress;
  std::size_t progress_every = 1000;
  /// Threads that validate, seal (encrypt) and hash the rows, the importing
  /// thread among them: 0 means one per core, at most 64. The others prepare
  /// blocks of rows while the importing thread decides and writes the blocks
  /// already prepared, in row order (and prepares one itself rather than
  /// wait). Validation (the full libphonenumber check a single create makes,
  /// its per-country answers remembered) runs on them, so it costs a bulk
  /// import no more than sealing does.
  unsigned threads = 0;
};

/// One row that was not imported.
struct ImportRowError {
  std::size_t index = 0;  ///< 0-based position of the row in the input
  Status error;           ///< field() names the bad field
};

struct ImportReport {
  std::size_t total = 0;
  std::size_t created = 0;
  std::size_t updated = 0;
  std::size_t skipped = 0;
  std::size_t failed = 0;
  bool committed = false;  ///< true when the good rows were written
  std::vector<ImportRowError> errors;  ///< in row order
};

}  // namespace vipcore

#endif  // VIPCORE_IMPORT_HPP
