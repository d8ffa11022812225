// Fuzz harness: an import file, end to end — the JSON or CSV reader of vipctl and vipd
// (tools/common/formats.cpp) and then the library's import of the rows it read,
// into an in-memory database. Built twice: FUZZ_IMPORT_JSON or FUZZ_IMPORT_CSV.
// Properties: never crashes; every row is either read or reported; row
// errors never repeat the cell they are about (checked for a marker that the
// seed corpus plants in cells).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "formats.hpp"
#include "vipcore/vipcore.hpp"

namespace {

#if defined(FUZZ_IMPORT_JSON)
constexpr vipcore::jsonmap::FileFormat kFormat = vipcore::jsonmap::FileFormat::json;
#else
constexpr vipcore::jsonmap::FileFormat kFormat = vipcore::jsonmap::FileFormat::csv;
#endif

// A cell content no message may repeat (the corpus puts it in many cells).
constexpr std::string_view kSecret = "5550123";

bool leaks(const vipcore::Status& s) { return s.message().find(kSecret) != std::string::npos; }

const vipcore::Tenant& tenant() {
  static const vipcore::Database db = [] {
    vipcore::Options o;
    o.clock = std::make_shared<vipcore::ManualClock>(vipcore::from_unix_ms(1705320000000));
    auto key = vipcore::MasterKey::for_testing("fuzz");
    auto opened = vipcore::Database::open(vipcore::new_memory_storage(), *key, o);
    if (!opened.ok()) std::abort();
    return std::move(*opened);
  }();
  static const vipcore::Tenant t = *db.tenant("fuzz", vipcore::Actor{"fuzzer", vipcore::Role::admin});
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;  // big inputs only slow the search down
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rows = vipcore::jsonmap::read_import_file(text, kFormat);
  if (!rows.ok()) {
    if (leaks(rows.status())) std::abort();
    return 0;
  }
  if (rows->callers.size() != rows->origins.size()) std::abort();
  for (const vipcore::jsonmap::RowError& e : rows->errors)
    if (leaks(e.error) || e.error.ok()) std::abort();
  // The library's import path: validation, hashing, sealing; all-or-nothing
  // never writes, so every input sees the same empty tenant.
  vipcore::ImportOptions options;
  options.mode = vipcore::ImportMode::all_or_nothing;
  vipcore::ImportReport report;
  const vipcore::Status s = tenant().import_callers(rows->callers, options, &report);
  if (report.total != rows->callers.size()) std::abort();
  for (const vipcore::ImportRowError& e : report.errors)
    if (leaks(e.error) || e.index >= rows->callers.size()) std::abort();
  if (leaks(s)) std::abort();
  if (s.ok()) {
    // It committed: undo it so that the next input starts from an empty tenant.
    vipcore::ListQuery q;
    q.limit = vipcore::ListQuery::kMaxLimit;
    for (;;) {
      auto page = tenant().list(q);
      if (!page.ok()) std::abort();
      if (page->empty()) break;
      for (const vipcore::VipCaller& c : *page)
        if (!tenant().remove(c.id).ok()) std::abort();
    }
  }
  return 0;
}
