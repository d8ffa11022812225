#include "formats.hpp"

#include <csv.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iterator>
#include <utility>
#include <variant>

namespace vipcore::jsonmap {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using vipcore::CallerUpdate;
using vipcore::Status;

// Every caller field is a member std::optional<T> of CallerUpdate, and its T
// says how a value is read: one table serves the command line, JSON and CSV.
template <typename T>
using Member = std::optional<T> CallerUpdate::*;
using FieldMember =
    std::variant<Member<std::string>, Member<std::vector<std::string>>, Member<vipcore::Level>,
                 Member<vipcore::CallerStatus>, Member<vipcore::HandlingRules>, Member<int>, Member<std::optional<int>>,
                 Member<std::optional<double>>, Member<std::optional<vipcore::Timestamp>>>;

struct Field {
  std::string_view name;
  FieldMember member;
};

const Field kFields[] = {
    {"phone_number", &CallerUpdate::phone_number},
    {"alternative_phone_numbers", &CallerUpdate::alternative_phone_numbers},
    {"caller_name", &CallerUpdate::caller_name},
    {"company_name", &CallerUpdate::company_name},
    {"vip_level", &CallerUpdate::vip_level},
    {"status", &CallerUpdate::status},
    {"handling_rules", &CallerUpdate::handling_rules},
    {"custom_greeting", &CallerUpdate::custom_greeting},
    {"max_wait_time", &CallerUpdate::max_wait_time},
    {"callback_priority", &CallerUpdate::callback_priority},
    {"email", &CallerUpdate::email},
    {"account_number", &CallerUpdate::account_number},
    {"account_value", &CallerUpdate::account_value},
    {"notes", &CallerUpdate::notes},
    {"tags", &CallerUpdate::tags},
    {"preferred_agent_id", &CallerUpdate::preferred_agent_id},
    {"preferred_department_id", &CallerUpdate::preferred_department_id},
    {"valid_from", &CallerUpdate::valid_from},
    {"valid_until", &CallerUpdate::valid_until},
};

// Written by export, skipped by import: they describe a stored caller.
constexpr std::string_view kReadOnlyFields[] = {"id",         "phones_masked", "total_calls", "satisfaction_score",
                                                "created_at", "updated_at"};

// The separator of list items inside a CSV cell (see formats.hpp).
constexpr char kListSeparator = '|';

const Field* find_field(std::string_view name) {
  const auto it =
      std::find_if(std::begin(kFields), std::end(kFields), [name](const Field& f) { return f.name == name; });
  return it == std::end(kFields) ? nullptr : &*it;
}

bool is_read_only(std::string_view name) {
  return std::find(std::begin(kReadOnlyFields), std::end(kReadOnlyFields), name) != std::end(kReadOnlyFields);
}

// An unknown field or column name, quoted for an error message when it looks
// like a mistyped field name (lower case words joined by '_', as every field
// name is), else "": a CSV file without a header row has data (a phone
// number, a person's name) where the names should be, and that is never shown.
std::string quoted_if_name(std::string_view name) {
  const bool looks_like_field =
      name.size() >= 3 && name.size() <= 40 && name.find('_') != std::string_view::npos && name.front() != '_' &&
      std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
  return looks_like_field ? fmt::format("'{}'", name) : std::string();
}

bool is_list(const Field& field) {
  return std::holds_alternative<Member<std::vector<std::string>>>(field.member) ||
         std::holds_alternative<Member<vipcore::HandlingRules>>(field.member);
}

bool is_number(const Field& field) {
  return std::holds_alternative<Member<int>>(field.member) ||
         std::holds_alternative<Member<std::optional<int>>>(field.member) ||
         std::holds_alternative<Member<std::optional<double>>>(field.member);
}

template <typename... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <typename... F>
Overloaded(F...) -> Overloaded<F...>;

Status type_error(std::string_view field, std::string_view expected) {
  return Status::invalid_argument(field, fmt::format("must be {}", expected));
}

vipcore::Result<std::string> read_text(std::string_view field, const json& value) {
  if (!value.is_string()) return type_error(field, "a string");
  return value.get<std::string>();
}

vipcore::Result<std::vector<std::string>> read_list(std::string_view field, const json& value) {
  const auto not_list = [&] { return type_error(field, "a list of strings"); };
  if (!value.is_array()) return not_list();
  std::vector<std::string> items;
  items.reserve(value.size());
  for (const json& item : value) {
    if (!item.is_string()) return not_list();
    items.push_back(item.get<std::string>());
  }
  return items;
}

vipcore::Result<int> read_whole_number(std::string_view field, const json& value) {
  if (!value.is_number_integer()) return type_error(field, "a whole number");
  const bool fits = value.is_number_unsigned()
                        ? value.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT_MAX)
                        : value.get<std::int64_t>() >= INT_MIN && value.get<std::int64_t>() <= INT_MAX;
  if (!fits) return Status::invalid_argument(field, "is out of range");
  return static_cast<int>(value.get<std::int64_t>());
}

// The error for a level, status or rule name vipcore does not know, without
// the name: in an import file it is a cell, and a file whose columns were
// swapped holds phone numbers or other personal data there.
template <typename Enum>
Status unknown_name(const Status& error, std::string_view what, int count) {
  std::string allowed;
  for (int i = 0; i < count; ++i)
    allowed += (i == 0 ? "" : ", ") + std::string(vipcore::to_string(static_cast<Enum>(i)));
  return Status::invalid_argument(error.field(), fmt::format("unknown {} (expected one of {})", what, allowed));
}

template <typename Enum>
vipcore::Result<Enum> without_input(vipcore::Result<Enum> parsed, std::string_view what, int count) {
  if (parsed.ok()) return parsed;
  return unknown_name<Enum>(parsed.status(), what, count);
}

// Reads `value` into the field's member of `*out`. Ranges and formats are
// left to vipcore, which checks them the same way for every source.
Status read_field(const Field& field, const json& value, CallerUpdate* out) {
  const std::string_view name = field.name;
  const auto assign = [out](auto member, auto result) -> Status {
    if (!result.ok()) return result.status();
    out->*member = *std::move(result);
    return vipcore::ok_status();
  };
  // Text that vipcore parses (levels, statuses, rules, times) is read first.
  const auto parsed = [&](auto member, auto parse) -> Status {
    auto text = read_text(name, value);
    return text.ok() ? assign(member, parse(*text)) : text.status();
  };
  const Overloaded read_into_member{
      [&](Member<std::string> m) { return assign(m, read_text(name, value)); },
      [&](Member<std::vector<std::string>> m) { return assign(m, read_list(name, value)); },
      [&](Member<vipcore::Level> m) {
        return parsed(m, [name](const std::string& t) {
          return without_input(vipcore::parse_level(t, name), "VIP level", vipcore::kLevelCount);
        });
      },
      [&](Member<vipcore::CallerStatus> m) {
        return parsed(m, [name](const std::string& t) {
          return without_input(vipcore::parse_caller_status(t, name), "status", 3);
        });
      },
      [&](Member<vipcore::HandlingRules> m) -> Status {
        auto names = read_list(name, value);
        if (!names.ok()) return names.status();
        auto rules = vipcore::parse_handling_rules(*names, name);
        if (!rules.ok()) return unknown_name<vipcore::HandlingRule>(rules.status(), "handling rule",
                                                                     vipcore::kHandlingRuleCount);
        return assign(m, std::move(rules));
      },
      [&](Member<int> m) { return assign(m, read_whole_number(name, value)); },
      [&](Member<std::optional<int>> m) { return assign(m, read_whole_number(name, value)); },
      [&](Member<std::optional<double>> m) -> Status {
        if (!value.is_number()) return type_error(name, "a number");
        out->*m = value.get<double>();
        return vipcore::ok_status();
      },
      [&](Member<std::optional<vipcore::Timestamp>> m) -> Status {
        // An empty time clears it, as an empty string clears a text field.
        if (value.is_string() && value.get_ref<const std::string&>().empty()) {
          out->*m = std::optional<vipcore::Timestamp>();
          return vipcore::ok_status();
        }
        return parsed(m, [name](const std::string& t) { return vipcore::parse_timestamp(t, name); });
      },
  };
  return std::visit(read_into_member, field.member);
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// The line `offset` lies on (1-based).
std::size_t line_at(std::string_view text, std::size_t offset) {
  const std::string_view before = text.substr(0, std::min(offset, text.size()));
  return 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
}

void add_row(ImportRows& rows, const RowOrigin& origin, vipcore::Result<CallerUpdate> fields) {
  if (fields.ok()) {
    rows.callers.push_back(new_caller(*std::move(fields)));
    rows.origins.push_back(origin);
  } else {
    rows.errors.push_back({origin, fields.status()});
  }
}

// ---- JSON ----------------------------------------------------------------

// Hands the text to nlohmann's parser one character at a time and counts the
// line breaks consumed so far, so that the parse callback can tell which line
// a row starts on (nlohmann 3.11 gives positions only in parse errors).
class LineCountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  LineCountingIterator(const char* at, std::size_t* line_breaks) : at_(at), line_breaks_(line_breaks) {}
  reference operator*() const { return *at_; }
  LineCountingIterator& operator++() {
    if (*at_ == '\n') ++*line_breaks_;
    ++at_;
    return *this;
  }
  LineCountingIterator operator++(int) {
    LineCountingIterator before = *this;
    ++*this;
    return before;
  }
  friend bool operator==(const LineCountingIterator& a, const LineCountingIterator& b) { return a.at_ == b.at_; }
  friend bool operator!=(const LineCountingIterator& a, const LineCountingIterator& b) { return a.at_ != b.at_; }

 private:
  const char* at_;
  std::size_t* line_breaks_;
};

vipcore::Result<ImportRows> read_json(std::string_view text) {
  std::size_t line_breaks = 0;
  std::vector<std::size_t> row_lines;  // the line each element of vip_callers starts on
  bool in_rows = false;
  std::string row_key;  // the last key read in the current row, for errors the parser throws
  // Depth 1 holds the top-level keys, depth 2 the elements of their arrays,
  // depth 3 the keys of those elements (the rows' fields).
  const json::parser_callback_t note_row_lines = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key) {
      in_rows = parsed == "vip_callers";
      if (in_rows) row_lines.clear();  // a repeated key: the parser keeps the last one
    } else if (depth == 2 && in_rows &&
               (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start ||
                event == json::parse_event_t::value)) {
      row_lines.push_back(line_breaks + 1);
      row_key.clear();
    } else if (depth == 3 && in_rows && event == json::parse_event_t::key && parsed.is_string()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      row_key = find_field(key) != nullptr || is_read_only(key) ? key : std::string("a field");
    }
    return true;
  };
  json document;
  try {
    document = json::parse(LineCountingIterator(text.data(), &line_breaks),
                           LineCountingIterator(text.data() + text.size(), &line_breaks), note_row_lines);
  } catch (const json::parse_error& e) {
    // e.what() quotes the text around the error, which may hold a phone
    // number: say only where it is.
    const std::size_t offset = std::min(e.byte > 0 ? e.byte - 1 : 0, text.size());  // the offending character
    const std::size_t last_break = text.substr(0, offset).rfind('\n');
    const std::size_t column = last_break == std::string_view::npos ? offset + 1 : offset - last_break;
    return Status::invalid_argument("",
                                    fmt::format("malformed JSON at line {}, column {}", line_at(text, offset), column));
  } catch (const json::exception&) {
    // A number too large for a double (1e999): the parser stops there, and
    // its message quotes the number. Name the row and field instead.
    const std::size_t line = line_breaks + 1;
    if (in_rows && !row_lines.empty() && !row_key.empty())
      return Status::invalid_argument(
          "", fmt::format("{}: {}: is a number out of range", to_string(RowOrigin{row_lines.back(), row_lines.size() - 1}), row_key));
    return Status::invalid_argument("", fmt::format("line {}: a number is out of range", line));
  }
  const auto rows = document.find("vip_callers");
  if (!document.is_object() || rows == document.end() || !rows->is_array())
    return Status::invalid_argument("", "the JSON must be an object {\"vip_callers\": [...]}");

  ImportRows out;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const RowOrigin origin{i < row_lines.size() ? row_lines[i] : 0, i};
    add_row(out, origin, caller_fields((*rows)[i]));
  }
  return out;
}

// ---- CSV -----------------------------------------------------------------

using CsvRowHandler = std::function<void(std::size_t line, std::vector<std::string>& cells)>;

// Parses CSV with libcsv, strictly (a stray quote is an error, not data),
// calling `on_row` for every row that is not blank with the line it starts on.
Status parse_csv(std::string_view text, const CsvRowHandler& on_row) {
  struct State {
    const CsvRowHandler& on_row;
    std::vector<std::string> cells;
    std::size_t line = 1;      // the line the parser has reached
    std::size_t row_line = 1;  // the line the current row started on
  } state{on_row, {}, 1, 1};
  // libcsv reports cells and row ends, not positions: lines are counted from
  // the line breaks inside quoted cells and those that end rows, which
  // CSV_REPALL_NL reports even for blank lines.
  const auto on_cell = [](void* data, std::size_t size, void* self) {
    State& s = *static_cast<State*>(self);
    const char* chars = static_cast<const char*>(data);
    if (s.cells.empty()) s.row_line = s.line;
    s.line += static_cast<std::size_t>(std::count(chars, chars + size, '\n'));
    s.cells.emplace_back(chars, size);
  };
  const auto on_row_end = [](int terminator, void* self) {
    State& s = *static_cast<State*>(self);
    if (!s.cells.empty()) s.on_row(s.row_line, s.cells);
    s.cells.clear();
    if (terminator == '\n') ++s.line;
  };

  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
    return Status::internal_error("libcsv could not be initialized");
  Status result;
  const std::size_t parsed = csv_parse(&parser, text.data(), text.size(), on_cell, on_row_end, &state);
  if (parsed != text.size()) {
    result = Status::invalid_argument(
        "", fmt::format("malformed CSV at line {}: a quote inside an unquoted cell, or text after a closing quote",
                        line_at(text, parsed)));
  } else if (csv_fini(&parser, on_cell, on_row_end, &state) != 0) {
    result =
        Status::invalid_argument("", fmt::format("malformed CSV: a quoted cell of the row at line {} is never closed",
                                                 state.cells.empty() ? state.line : state.row_line));
  }
  csv_free(&parser);
  return result;
}

// The fields the header's columns hold, in column order; nullptr for the
// read-only columns of an export.
vipcore::Result<std::vector<const Field*>> header_fields(const std::vector<std::string>& header, std::size_t line) {
  std::vector<const Field*> fields;
  for (std::size_t c = 0; c < header.size(); ++c) {
    const std::string_view name = trim(header[c]);
    const Field* field = find_field(name);
    if (field == nullptr && !is_read_only(name)) {
      const std::string quoted = quoted_if_name(name);
      return Status::invalid_argument(
          "", fmt::format("CSV header (line {}): column {}{} is not a VIP caller field; the first row must name the "
                          "columns (phone_number, caller_name, vip_level...)",
                          line, c + 1, quoted.empty() ? "" : " (" + quoted + ")"));
    }
    if (field != nullptr && std::find(fields.begin(), fields.end(), field) != fields.end())
      return Status::invalid_argument("", fmt::format("CSV header (line {}): column {} appears twice", line, name));
    fields.push_back(field);
  }
  for (const std::string_view required : {"phone_number", "caller_name"})
    if (std::find(fields.begin(), fields.end(), find_field(required)) == fields.end())
      return Status::invalid_argument("", fmt::format("CSV header (line {}): no {} column", line, required));
  return fields;
}

// A cell as the JSON value caller_fields() reads: a list split at '|', a
// number as a JSON number. A number cell that is not one stays text, which
// caller_fields() refuses with the field's name.
json cell_value(const Field& field, const std::string& cell) {
  if (is_list(field)) {
    json items = json::array();
    std::string_view rest = cell;
    while (!rest.empty()) {
      const std::size_t end = std::min(rest.find(kListSeparator), rest.size());
      if (const std::string_view item = trim(rest.substr(0, end)); !item.empty()) items.emplace_back(item);
      rest.remove_prefix(std::min(end + 1, rest.size()));
    }
    return items;
  }
  if (is_number(field)) {
    json number = json::parse(cell, nullptr, /*allow_exceptions=*/false);
    if (number.is_number()) return number;
  }
  return cell;
}

vipcore::Result<ImportRows> read_csv(std::string_view text) {
  constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";  // spreadsheets often start files with it
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());

  ImportRows out;
  std::optional<vipcore::Result<std::vector<const Field*>>> columns;  // set by the header row
  const Status parsed = parse_csv(text, [&](std::size_t line, std::vector<std::string>& cells) {
    if (!columns) {
      columns = header_fields(cells, line);
      return;
    }
    if (!columns->ok()) return;
    const std::vector<const Field*>& fields = **columns;
    const RowOrigin origin{line, std::nullopt};
    if (cells.size() != fields.size()) {
      out.errors.push_back({origin, Status::invalid_argument("", fmt::format("has {} cells where the header has {}",
                                                                             cells.size(), fields.size()))});
      return;
    }
    json object = json::object();
    for (std::size_t c = 0; c < cells.size(); ++c)
      if (fields[c] != nullptr && !cells[c].empty())
        object[std::string(fields[c]->name)] = cell_value(*fields[c], cells[c]);
    add_row(out, origin, caller_fields(object));
  });
  if (!parsed.ok()) return parsed;
  if (!columns) return Status::invalid_argument("", "the CSV file is empty: it needs a header row");
  if (!columns->ok()) return columns->status();
  return out;
}

// A JSON value of caller_to_json() as a CSV cell.
vipcore::Result<std::string> cell_text(std::string_view field, const ordered_json& value) {
  if (value.is_null()) return std::string();
  if (value.is_string()) return value.get<std::string>();
  if (!value.is_array()) return value.dump();
  std::string cell;
  for (const ordered_json& item : value) {
    const std::string& text = item.get_ref<const std::string&>();
    if (text.find(kListSeparator) != std::string::npos)
      return Status::invalid_argument(
          field, fmt::format("an item holds '{}', which separates list items in CSV; export as JSON", kListSeparator));
    if (!cell.empty()) cell += kListSeparator;
    cell += text;
  }
  return cell;
}

void write_csv_row(std::FILE* out, const std::vector<std::string>& cells) {
  for (std::size_t c = 0; c < cells.size(); ++c) {
    if (c > 0) std::fputc(',', out);
    csv_fwrite(out, cells[c].data(), cells[c].size());  // quotes the cell, doubling its quotes
  }
  std::fputc('\n', out);
}

}  // namespace

vipcore::Result<FileFormat> file_format(std::string_view name, std::string_view path) {
  std::string chosen(name);
  if (chosen.empty()) {
    chosen = std::filesystem::path(path).extension().string();
    if (!chosen.empty()) chosen.erase(0, 1);
    std::transform(chosen.begin(), chosen.end(), chosen.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  }
  if (chosen == "json") return FileFormat::json;
  if (chosen == "csv") return FileFormat::csv;
  return Status::invalid_argument("format", "cannot tell from the file name: give --format json or --format csv");
}

vipcore::Result<CallerUpdate> caller_fields(const json& object) {
  if (!object.is_object()) return Status::invalid_argument("", "a caller must be a JSON object of fields");
  CallerUpdate fields;
  for (const auto& [name, value] : object.items()) {
    if (value.is_null() || is_read_only(name)) continue;
    const Field* field = find_field(name);
    if (field == nullptr) {
      const std::string quoted = quoted_if_name(name);
      return Status::invalid_argument("", (quoted.empty() ? "a key" : quoted) + " is not a VIP caller field");
    }
    if (Status s = read_field(*field, value, &fields); !s.ok()) return s;
  }
  return fields;
}

vipcore::NewCaller new_caller(CallerUpdate fields) {
  vipcore::NewCaller c;
  c.phone_number = std::move(fields.phone_number).value_or(std::string());
  c.alternative_phone_numbers = std::move(fields.alternative_phone_numbers).value_or(std::vector<std::string>());
  c.caller_name = std::move(fields.caller_name).value_or(std::string());
  c.company_name = std::move(fields.company_name).value_or(std::string());
  c.vip_level = fields.vip_level;
  c.status = fields.status;
  c.preferred_agent_id = std::move(fields.preferred_agent_id).value_or(std::string());
  c.preferred_department_id = std::move(fields.preferred_department_id).value_or(std::string());
  c.handling_rules = fields.handling_rules.value_or(vipcore::HandlingRules());
  c.custom_greeting = std::move(fields.custom_greeting).value_or(std::string());
  c.max_wait_time = fields.max_wait_time.value_or(std::nullopt);
  c.callback_priority = fields.callback_priority;
  c.email = std::move(fields.email).value_or(std::string());
  c.account_number = std::move(fields.account_number).value_or(std::string());
  c.account_value = fields.account_value.value_or(std::nullopt);
  c.notes = std::move(fields.notes).value_or(std::string());
  c.tags = std::move(fields.tags).value_or(std::vector<std::string>());
  c.valid_from = fields.valid_from.value_or(std::nullopt);
  c.valid_until = fields.valid_until.value_or(std::nullopt);
  return c;
}

std::string to_string(const RowOrigin& origin) {
  if (!origin.index) return fmt::format("line {}", origin.line);
  return fmt::format("vip_callers[{}] (line {})", *origin.index, origin.line);
}

vipcore::Result<ImportRows> read_import_file(std::string_view text, FileFormat format) {
  return format == FileFormat::json ? read_json(text) : read_csv(text);
}

ordered_json caller_to_json(const vipcore::VipCaller& c) {
  const auto text = [](const std::string& s) { return s.empty() ? ordered_json() : ordered_json(s); };
  const auto optional = [](const auto& value) { return value ? ordered_json(*value) : ordered_json(); };
  const auto time = [](const std::optional<vipcore::Timestamp>& t) {
    return t ? ordered_json(vipcore::format_timestamp(*t)) : ordered_json();
  };
  ordered_json phones = ordered_json::array();
  for (const vipcore::MaskedPhone& p : c.phones) phones.push_back(p.masked);
  return ordered_json{
      {"id", c.id},
      {"caller_name", c.caller_name},
      {"company_name", text(c.company_name)},
      {"vip_level", vipcore::to_string(c.vip_level)},
      {"status", vipcore::to_string(c.status)},
      {"handling_rules", vipcore::handling_rule_names(c.handling_rules)},
      {"custom_greeting", text(c.custom_greeting)},
      {"max_wait_time", c.max_wait_time_is_default ? ordered_json() : ordered_json(c.max_wait_time)},
      {"callback_priority", c.callback_priority},
      {"email", text(c.email)},
      {"account_number", text(c.account_number)},
      {"account_value", optional(c.account_value)},
      {"notes", text(c.notes)},
      {"tags", c.tags},
      {"preferred_agent_id", text(c.preferred_agent_id)},
      {"preferred_department_id", text(c.preferred_department_id)},
      {"valid_from", time(c.valid_from)},
      {"valid_until", time(c.valid_until)},
      {"phones_masked", phones},
      {"total_calls", c.total_calls},
      {"satisfaction_score", optional(c.satisfaction_score)},
      {"created_at", vipcore::format_timestamp(c.created_at)},
      {"updated_at", vipcore::format_timestamp(c.updated_at)},
  };
}

CallerWriter::CallerWriter(std::FILE* out, FileFormat format) : out_(out), format_(format) {
  if (format_ == FileFormat::json) {
    std::fputs("{\"vip_callers\": [", out_);
    return;
  }
  // The columns are the JSON fields, in the same order.
  const ordered_json fields = caller_to_json(vipcore::VipCaller());
  std::vector<std::string> header;
  for (const auto& [name, value] : fields.items()) header.push_back(name);
  write_csv_row(out_, header);
}

Status CallerWriter::write(const vipcore::VipCaller& caller) {
  const ordered_json row = caller_to_json(caller);
  if (format_ == FileFormat::json) {
    // One caller per line: large files stay readable and diffable.
    std::fputs(written_ == 0 ? "\n  " : ",\n  ", out_);
    std::fputs(row.dump(-1, ' ', false, ordered_json::error_handler_t::replace).c_str(), out_);
  } else {
    std::vector<std::string> cells;
    for (const auto& [name, value] : row.items()) {
      auto cell = cell_text(name, value);
      if (!cell.ok()) return cell.status().with_context(fmt::format("caller {}", caller.id));
      cells.push_back(*std::move(cell));
    }
    write_csv_row(out_, cells);
  }
  ++written_;
  return vipcore::ok_status();
}

void CallerWriter::finish() {
  if (format_ == FileFormat::json) std::fputs(written_ == 0 ? "]}\n" : "\n]}\n", out_);
}

}  // namespace vipcore::jsonmap
