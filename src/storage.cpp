#include "vipcore/storage.hpp"

#include <new>

namespace vipcore {
WriteTransaction::~WriteTransaction() = default;

Status WriteTransaction::find_phone_owners(std::string_view tenant_id, const std::vector<PhoneHash>& hashes,
                                           std::vector<std::optional<std::string>>* owners) {
  owners->clear();
  try {
    owners->reserve(hashes.size());
  } catch (const std::bad_alloc&) {
    return Status::internal_error("out of memory while looking phone numbers up");
  }
  for (const PhoneHash& h : hashes) {
    auto owner = find_phone_owner(tenant_id, h);
    if (!owner.ok()) return owner.status();
    owners->push_back(std::move(*owner));
  }
  return ok_status();
}

Status WriteTransaction::insert_bulk_callers(std::string_view tenant_id,
                                             const std::vector<const CallerRecord*>& callers) {
  std::vector<CallerRecord> copy;
  try {
    copy.reserve(callers.size());
    for (const CallerRecord* c : callers) copy.push_back(*c);
  } catch (const std::bad_alloc&) {
    return Status::internal_error("out of memory while inserting callers");
  }
  return insert_callers(tenant_id, copy);
}

Status WriteTransaction::finish_bulk_callers(std::string_view, const std::function<bool(std::size_t, std::size_t)>&) {
  return ok_status();
}

Storage::~Storage() = default;

std::uint64_t Storage::number_generation(std::string_view tenant_id, const PhoneHash&) const noexcept {
  return change_generation(tenant_id);
}

Result<LevelAggregates> Storage::aggregate_calls(std::string_view tenant_id, Timestamp from, Timestamp until,
                                                 std::string_view caller_id) {
  CallAggregator sum;
  Status added;
  Status scanned = scan_calls(tenant_id, from, until, caller_id, [&](const CallRow& call) {
    added = sum.add(call);
    return added.ok();
  });
  if (!scanned.ok()) return scanned;
  if (!added.ok()) return added;
  return sum.result();
}

}  // namespace vipcore
