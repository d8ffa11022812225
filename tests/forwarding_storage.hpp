// A Storage that forwards every call to another: the base of the tests'
// decorators, which override the one or two calls they watch or delay.
#ifndef VIPCORE_TESTS_FORWARDING_STORAGE_HPP
#define VIPCORE_TESTS_FORWARDING_STORAGE_HPP

#include <memory>

#include "vipcore/storage.hpp"

namespace vipcore::test {

class ForwardingStorage : public Storage {
 public:
  explicit ForwardingStorage(std::unique_ptr<Storage> inner) : inner_(std::move(inner)) {}

  std::string_view name() const noexcept override { return inner_->name(); }
  Status find_by_phone(std::string_view t, const PhoneHash& hash, IdentifyRecord* out, bool* found) override {
    return inner_->find_by_phone(t, hash, out, found);
  }
  std::uint64_t change_generation(std::string_view t) const noexcept override { return inner_->change_generation(t); }
  Result<std::optional<CallerRecord>> get_caller(std::string_view t, std::string_view id) override {
    return inner_->get_caller(t, id);
  }
  Status scan_callers(std::string_view t, const CallerFilter& f,
                      const std::function<bool(CallerRecord&&)>& visit) override {
    return inner_->scan_callers(t, f, visit);
  }
  Result<std::uint64_t> count_callers(std::string_view t, const CallerFilter& f) override {
    return inner_->count_callers(t, f);
  }
  Result<std::vector<std::string>> list_tenants() override { return inner_->list_tenants(); }
  Result<std::optional<std::string>> get_meta(std::string_view scope, std::string_view key) override {
    return inner_->get_meta(scope, key);
  }
  Result<std::vector<RuleRecord>> list_rules(std::string_view t) override { return inner_->list_rules(t); }
  Result<std::vector<TriggerRecord>> get_triggers(std::string_view t, std::string_view call) override {
    return inner_->get_triggers(t, call);
  }
  Status scan_calls(std::string_view t, Timestamp from, Timestamp until, std::string_view caller,
                    const std::function<bool(const CallRow&)>& visit) override {
    return inner_->scan_calls(t, from, until, caller, visit);
  }
  Result<LevelAggregates> aggregate_calls(std::string_view t, Timestamp from, Timestamp until,
                                          std::string_view caller) override {
    return inner_->aggregate_calls(t, from, until, caller);
  }
  Result<std::vector<CallRow>> list_calls(std::string_view t, std::string_view caller, Timestamp from,
                                          Timestamp until, std::uint64_t limit) override {
    return inner_->list_calls(t, caller, from, until, limit);
  }
  Result<CallerCounts> count_callers_by_level_status(std::string_view t) override {
    return inner_->count_callers_by_level_status(t);
  }
  Result<std::vector<AuditEntry>> query_audit(std::string_view t, const AuditQuery& q) override {
    return inner_->query_audit(t, q);
  }
  Result<std::unique_ptr<WriteTransaction>> begin_write() override { return inner_->begin_write(); }
  Result<std::unique_ptr<WriteTransaction>> begin_activity_write() override { return inner_->begin_activity_write(); }

 protected:
  std::unique_ptr<Storage> inner_;
};

}  // namespace vipcore::test

#endif
