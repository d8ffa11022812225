// A storage backend written outside vipcore, as an integrator's would be,
// proven with the installed conformance suite. It keeps everything in a
// vipcore memory storage and counts its calls: what matters here is that a
// class derived from Storage, built against the installed headers and
// library, runs every test case of the suite.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <memory>

#include <vipcore/testing/storage_conformance.hpp>

namespace {

class CountingStorage final : public vipcore::Storage {
 public:
  std::string_view name() const noexcept override { return "counting"; }
  vipcore::Status find_by_phone(std::string_view t, const vipcore::PhoneHash& h, vipcore::IdentifyRecord* out,
                                bool* found) override {
    ++calls;
    return inner_->find_by_phone(t, h, out, found);
  }
  std::uint64_t change_generation(std::string_view t) const noexcept override { return inner_->change_generation(t); }
  vipcore::Result<std::optional<vipcore::CallerRecord>> get_caller(std::string_view t, std::string_view id) override {
    ++calls;
    return inner_->get_caller(t, id);
  }
  vipcore::Status scan_callers(std::string_view t, const vipcore::CallerFilter& f,
                               const std::function<bool(vipcore::CallerRecord&&)>& visit) override {
    return inner_->scan_callers(t, f, visit);
  }
  vipcore::Result<std::uint64_t> count_callers(std::string_view t, const vipcore::CallerFilter& f) override {
    return inner_->count_callers(t, f);
  }
  vipcore::Result<std::vector<std::string>> list_tenants() override { return inner_->list_tenants(); }
  vipcore::Result<std::optional<std::string>> get_meta(std::string_view scope, std::string_view key) override {
    return inner_->get_meta(scope, key);
  }
  vipcore::Result<std::vector<vipcore::RuleRecord>> list_rules(std::string_view t) override {
    return inner_->list_rules(t);
  }
  vipcore::Result<std::vector<vipcore::TriggerRecord>> get_triggers(std::string_view t,
                                                                    std::string_view call) override {
    return inner_->get_triggers(t, call);
  }
  // No aggregate_calls: Storage's default adds up what scan_calls streams.
  vipcore::Status scan_calls(std::string_view t, vipcore::Timestamp from, vipcore::Timestamp until,
                             std::string_view caller, const std::function<bool(const vipcore::CallRow&)>& visit) override {
    return inner_->scan_calls(t, from, until, caller, visit);
  }
  vipcore::Result<std::vector<vipcore::CallRow>> list_calls(std::string_view t, std::string_view caller,
                                                            vipcore::Timestamp from, vipcore::Timestamp until,
                                                            std::uint64_t limit) override {
    return inner_->list_calls(t, caller, from, until, limit);
  }
  vipcore::Result<vipcore::CallerCounts> count_callers_by_level_status(std::string_view t) override {
    return inner_->count_callers_by_level_status(t);
  }
  vipcore::Result<std::vector<vipcore::AuditEntry>> query_audit(std::string_view t,
                                                                const vipcore::AuditQuery& q) override {
    return inner_->query_audit(t, q);
  }
  vipcore::Result<std::unique_ptr<vipcore::WriteTransaction>> begin_write() override { return inner_->begin_write(); }

  std::atomic<int> calls{0};

 private:
  std::unique_ptr<vipcore::Storage> inner_ = vipcore::new_memory_storage();
};

struct CountingBackend {
  static vipcore::Result<std::unique_ptr<vipcore::Storage>> make() {
    return std::unique_ptr<vipcore::Storage>(std::make_unique<CountingStorage>());
  }
};

}  // namespace

VIPCORE_STORAGE_CONFORMANCE("consumer backend", CountingBackend)
