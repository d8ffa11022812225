// How a caller's stored phones travel in two columns, the same in every SQL
// backend: their hashes back to back in one blob, and their masked forms
// comma-separated in one text. Private.
#ifndef VIPCORE_SRC_PHONE_COLUMNS_HPP
#define VIPCORE_SRC_PHONE_COLUMNS_HPP

#include <string>
#include <string_view>
#include <vector>

#include "vipcore/status.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::detail {

std::string encode_phone_hashes(const std::vector<StoredPhone>& phones);
std::string encode_phone_masks(const std::vector<StoredPhone>& phones);
/// Appends the phones the two columns hold to *out; Code::storage naming
/// vip_caller.phones when the hashes are not whole (or none).
Status decode_phones(std::string_view hashes, std::string_view masks, std::vector<StoredPhone>* out);

}  // namespace vipcore::detail

#endif
