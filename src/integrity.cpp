// Integrity tags for callers stored before vipcore tagged them.
//
// Schema version 4 added CallerRecord::integrity. The storage cannot compute
// tags (it never sees a key), so migrating a database that has callers marks
// it "integrity.pending", and the first Database::open with the key tags
// every caller (in batches, one transaction each) and removes the mark.
// Until then untagged callers read as Code::integrity: a process of this
// version never serves a caller it cannot vouch for.
#include <fmt/format.h>

#include <algorithm>

#include "state.hpp"
#include "validate.hpp"

namespace vipcore::detail {

Status tag_untagged_callers(DatabaseState& db) {
  Storage& storage = *db.storage;
  auto pending = storage.get_meta("", kIntegrityPendingKey);
  if (!pending.ok()) return pending.status();
  if (!*pending) return ok_status();
  if (db.read_only)
    return Status::version_error(
        "the callers have no integrity tags yet (the database was upgraded and not opened read-write since); "
        "open it once read-write to write them");
  auto tenants = storage.list_tenants();
  if (!tenants.ok()) return tenants.status();
  constexpr std::uint64_t kBatch = 2000;
  for (const std::string& tenant_id : *tenants) {
    auto loaded = db.keys_for(tenant_id);
    if (!loaded.ok()) return loaded.status();
    const std::unique_ptr<TenantKeys> keys = std::move(*loaded);
    CallerFilter filter;
    filter.limit = kBatch;
    for (;;) {
      std::vector<std::string> untagged;
      std::string last;
      Status scan = storage.scan_callers(tenant_id, filter, [&](CallerRecord&& r) {
        last = r.id;
        if (std::all_of(r.integrity.begin(), r.integrity.end(), [](std::uint8_t b) { return b == 0; }))
          untagged.push_back(std::move(r.id));
        return true;
      });
      if (!scan.ok()) return scan;
      if (last.empty()) break;
      filter.after_id = last;
      if (untagged.empty()) continue;
      auto txn = storage.begin_write();
      if (!txn.ok()) return txn.status();
      for (const std::string& id : untagged) {
        auto current = (*txn)->get_caller(tenant_id, id);  // again, inside the transaction
        if (!current.ok()) return current.status();
        if (!*current) continue;
        CallerRecord& r = **current;
        r.integrity = integrity_tag(*keys, r);
        if (Status s = (*txn)->replace_caller(tenant_id, r); !s.ok()) return s;
      }
      if (Status s = (*txn)->commit(); !s.ok()) return s;
    }
  }
  auto txn = storage.begin_write();
  if (!txn.ok()) return txn.status();
  if (Status s = (*txn)->delete_meta("", kIntegrityPendingKey); !s.ok()) return s;
  return (*txn)->commit();
}

}  // namespace vipcore::detail
