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

/// `s` without leading and trailing ASCII whitespace.
std::string_view trim(std::string_view s) noexcept;

}  // namespace vipcore::detail

#endif
