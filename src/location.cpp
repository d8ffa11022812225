#include "location.hpp"

#include <fmt/format.h>

#include <cctype>

namespace vipcore {
namespace {

bool is_alpha(char c) noexcept { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_alnum(char c) noexcept { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// The scheme of "scheme:rest" (RFC 3986: a letter, then letters, digits, "+",
// "-" or "."), lower-cased; "" when the string does not start with one. One
// letter is not a scheme: "C:" is a drive, not a URI.
std::string scheme_of(std::string_view s) {
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon < 2 || !is_alpha(s[0])) return {};
  std::string scheme;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = s[i];
    if (!is_alnum(c) && c != '+' && c != '-' && c != '.') return {};
    scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return scheme;
}

// libpq's key=value form: a keyword (letters, digits, "_"), optional blanks, "=".
bool is_conninfo(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) ++i;
  if (i == s.size() || !(is_alpha(s[i]) || s[i] == '_')) return false;
  while (i < s.size() && (is_alnum(s[i]) || s[i] == '_')) ++i;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i < s.size() && s[i] == '=';
}

constexpr const char* kForms =
    "a file path, sqlite:<path>, sqlite:///<absolute path>, postgresql://... or a libpq conninfo (host=... dbname=...)";

Result<Location> sqlite_location(std::string_view rest, std::string_view field) {
  if (rest.substr(0, 2) == "//") {
    // sqlite://[host]/path: only a local file can be opened.
    rest.remove_prefix(2);
    const std::size_t slash = rest.find('/');
    const std::string_view host = rest.substr(0, slash);
    if (!host.empty() && host != "localhost")
      return Status::invalid_argument(
          field, "a sqlite: URI names a local file (sqlite:///absolute/path or sqlite:relative/path), not a host");
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  if (rest.empty()) return Status::invalid_argument(field, "sqlite: names no file");
  return Location{Location::Backend::sqlite, std::string(rest)};
}

}  // namespace

Result<Location> parse_location(std::string_view location, std::string_view field) {
  if (location.empty()) return Status::invalid_argument(field, fmt::format("is empty; give {}", kForms));
  const std::string scheme = scheme_of(location);
  if (scheme == "sqlite") return sqlite_location(location.substr(scheme.size() + 1), field);
  if (scheme == "postgresql" || scheme == "postgres") {
    if (location.substr(scheme.size() + 1, 2) != "//")
      return Status::invalid_argument(field, fmt::format("a PostgreSQL URI starts with {}://", scheme));
    return Location{Location::Backend::postgresql, std::string(location)};
  }
  if (!scheme.empty() && location.substr(scheme.size() + 1, 2) == "//")
    return Status::invalid_argument(field, fmt::format("unknown scheme \"{}:\"; give {}", scheme, kForms));
  if (is_conninfo(location)) return Location{Location::Backend::postgresql, std::string(location)};
  return Location{Location::Backend::sqlite, std::string(location)};
}

namespace detail {

Result<std::unique_ptr<Storage>> open_location_storage(const Location& location, const Options& options) {
  switch (location.backend) {
    case Location::Backend::sqlite: return open_sqlite_storage(location.target, options.sqlite);
    case Location::Backend::postgresql: return open_postgresql_storage(location.target, options.postgresql);
  }
  return Status::internal_error("a location of no known backend");
}

}  // namespace detail
}  // namespace vipcore
