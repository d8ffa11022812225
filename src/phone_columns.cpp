#include "phone_columns.hpp"

#include <algorithm>
#include <cstdint>

namespace vipcore::detail {

std::string encode_phone_hashes(const std::vector<StoredPhone>& phones) {
  std::string out;
  out.reserve(phones.size() * sizeof(PhoneHash));
  for (const StoredPhone& p : phones) out.append(reinterpret_cast<const char*>(p.hash.data()), p.hash.size());
  return out;
}

std::string encode_phone_masks(const std::vector<StoredPhone>& phones) {
  std::string out;
  for (std::size_t i = 0; i < phones.size(); ++i) {
    if (i) out.push_back(',');
    out.append(phones[i].masked);
  }
  return out;
}

Status decode_phones(std::string_view hashes, std::string_view masks, std::vector<StoredPhone>* out) {
  if (hashes.empty() || hashes.size() % sizeof(PhoneHash) != 0)
    return Status::storage_error("vip_caller.phones is malformed");
  for (std::size_t off = 0; off < hashes.size(); off += sizeof(PhoneHash)) {
    StoredPhone p;
    std::copy_n(reinterpret_cast<const std::uint8_t*>(hashes.data() + off), p.hash.size(), p.hash.begin());
    const std::size_t comma = masks.find(',');
    p.masked = std::string(masks.substr(0, comma));
    masks = comma == std::string_view::npos ? std::string_view() : masks.substr(comma + 1);
    out->push_back(std::move(p));
  }
  return ok_status();
}

}  // namespace vipcore::detail
