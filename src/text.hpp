// Small text helpers shared by the implementation.
#ifndef VIPCORE_SRC_TEXT_HPP
#define VIPCORE_SRC_TEXT_HPP

#include <cstddef>
#include <string>
#include <string_view>

namespace vipcore::detail {

inline char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

/// True when `needle` occurs in `haystack`, ignoring ASCII case.
bool icontains(std::string_view haystack, std::string_view needle) noexcept;

/// True when `s` is well-formed UTF-8 without control characters other than
/// tab and (when allow_newlines) newline and carriage return.
bool is_clean_utf8(std::string_view s, bool allow_newlines) noexcept;

/// True when well-formed UTF-8 `s` holds a character that changes how the
/// text around it is displayed without being visible itself: C1 controls
/// (U+0080..U+009F), bidirectional marks, embeddings, overrides and isolates
/// (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) and the line and
/// paragraph separators U+2028, U+2029. Names must not hold them: a
/// right-to-left override lets a name disguise itself in tables and logs.
bool has_invisible_controls(std::string_view s) noexcept;

/// `s` without leading and trailing ASCII whitespace.
std::string_view trim(std::string_view s) noexcept;

}  // namespace vipcore::detail

#endif
