// vipcore.h, "import": bulk import of callers, and its report.
#include "capi_internal.hpp"

using namespace vipcore::capi;

namespace {

// The rows as the C++ API takes them. Rows the C layer cannot read (a struct
// that is too small, an enum value out of range) are reported like rows
// that fail validation.
struct ReadRows {
  std::vector<vipcore::NewCaller> callers;
  std::vector<std::size_t> original;  // callers[k] is rows[original[k]]
  std::vector<vipcore::ImportRowError> unreadable;
};

ReadRows read_rows(const vipcore_caller_input* rows, std::size_t count) {
  ReadRows r;
  r.callers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    vipcore::NewCaller c;
    Status s = rows[i].struct_size < kCallerInputV1
                   ? Status::invalid_argument("struct_size", "is too small: initialize rows with vipcore_caller_input_init")
                   : to_new_caller(rows[i], &c);
    if (!s.ok()) {
      r.unreadable.push_back(vipcore::ImportRowError{i, std::move(s)});
      continue;
    }
    r.callers.push_back(std::move(c));
    r.original.push_back(i);
  }
  return r;
}

Arg import_options_arg(const vipcore_import_options* options) noexcept {
  const Arg a = input(options, VIPCORE_V1_SIZE(vipcore_import_options, progress_every), "options");
  if (!a.ok) return a;
  if (options->mode < 0 || options->mode > 1) return {false, "mode", "is not a vipcore_import_mode"};
  return {options->on_duplicate >= 0 && options->on_duplicate <= 2, "on_duplicate", "is not a vipcore_duplicates"};
}

vipcore::ImportOptions import_options_of(const vipcore_import_options& in) {
  vipcore::ImportOptions o;
  o.mode = static_cast<vipcore::ImportMode>(in.mode);
  o.on_duplicate = static_cast<vipcore::DuplicatePolicy>(in.on_duplicate);
  o.progress_every = in.progress_every;
  if (in.progress != nullptr) {
    const vipcore_progress_fn fn = in.progress;
    void* user_data = in.progress_user_data;
    o.progress = [fn, user_data](std::size_t done, std::size_t total) { return fn(user_data, done, total) == 0; };
  }
  return o;
}

// Imports the rows that could be read, unless an unreadable row stops an
// all-or-nothing import; then merges the unreadable rows into the report,
// in row order, as failed ones.
Status import_rows(vipcore::Tenant& tenant, ReadRows& rows, std::size_t count, const vipcore::ImportOptions& o,
                   vipcore::ImportReport* report) {
  Status s;
  if (!rows.unreadable.empty() && o.mode == vipcore::ImportMode::all_or_nothing) {
    const vipcore::ImportRowError& first = rows.unreadable.front();
    s = Status::invalid_argument("import", std::to_string(rows.unreadable.size()) + " of " + std::to_string(count) +
                                               " rows could not be read (first: row " + std::to_string(first.index) +
                                               ": " + first.error.message() + "); nothing was written");
  } else {
    s = tenant.import_callers(rows.callers, o, report);
    for (vipcore::ImportRowError& e : report->errors) e.index = rows.original[e.index];
  }
  report->total = count;
  report->failed += rows.unreadable.size();
  report->errors.insert(report->errors.end(), rows.unreadable.begin(), rows.unreadable.end());
  std::stable_sort(report->errors.begin(), report->errors.end(),
                   [](const vipcore::ImportRowError& a, const vipcore::ImportRowError& b) { return a.index < b.index; });
  return s;
}

const std::vector<vipcore::ImportRowError>* errors_of(const vipcore_import_report* r) noexcept {
  return r == nullptr ? nullptr : &r->r.errors;
}

}  // namespace

extern "C" {

void vipcore_import_options_init(vipcore_import_options* options) {
  if (options == nullptr) return;
  *options = vipcore_import_options{};
  options->struct_size = sizeof *options;
  options->progress_every = 1000;
}

int vipcore_import(vipcore_import_report** report, vipcore_tenant* tenant, const vipcore_caller_input* rows,
                   size_t count, const vipcore_import_options* options) {
  return api_call({output(report, "report"), given(tenant, "tenant"),
                   {rows != nullptr || count == 0, "rows", "is NULL but count is not 0"},
                   import_options_arg(options)},
                  [&]() -> Status {
                    ReadRows read = read_rows(rows, count);
                    auto r = std::make_unique<vipcore_import_report>();
                    Status s = import_rows(tenant->tenant, read, count, import_options_of(*options), &r->r);
                    *report = r.release();
                    return s;
                  });
}

size_t vipcore_import_report_created(const vipcore_import_report* r) { return r ? r->r.created : 0; }
size_t vipcore_import_report_updated(const vipcore_import_report* r) { return r ? r->r.updated : 0; }
size_t vipcore_import_report_skipped(const vipcore_import_report* r) { return r ? r->r.skipped : 0; }
size_t vipcore_import_report_failed(const vipcore_import_report* r) { return r ? r->r.failed : 0; }
int vipcore_import_report_committed(const vipcore_import_report* r) { return r && r->r.committed ? 1 : 0; }
size_t vipcore_import_report_error_count(const vipcore_import_report* r) { return r ? r->r.errors.size() : 0; }
size_t vipcore_import_report_error_row(const vipcore_import_report* r, size_t i) {
  return read_at(errors_of(r), i, [](const auto* e) { return e->index; }, 0);
}
int vipcore_import_report_error_code(const vipcore_import_report* r, size_t i) {
  return read_at(errors_of(r), i, [](const auto* e) { return -static_cast<int>(e->error.code()); }, VIPCORE_OK);
}
const char* vipcore_import_report_error_field(const vipcore_import_report* r, size_t i) {
  return read_at(errors_of(r), i, [](const auto* e) { return e->error.field().c_str(); }, "");
}
const char* vipcore_import_report_error_message(const vipcore_import_report* r, size_t i) {
  return read_at(errors_of(r), i, [](const auto* e) { return e->error.message().c_str(); }, "");
}
void vipcore_import_report_free(vipcore_import_report* r) { delete r; }

}  // extern "C"
