// Uses the C++ API through the installed headers and library, including a
// class derived from one of vipcore's interfaces (which needs its vtable and
// type information exported).
#include <vipcore/vipcore.hpp>

#include <cstdio>
#include <memory>

namespace {
class CountingNotifier final : public vipcore::Notifier {
 public:
  vipcore::Status notify(const vipcore::EscalationNotice&) override {
    ++count;
    return vipcore::ok_status();
  }
  int count = 0;
};
}  // namespace

int main() {
  if (vipcore::version() != std::string(VIPCORE_VERSION)) return 1;
  vipcore::Options options;
  auto notifier = std::make_shared<CountingNotifier>();
  options.notifier = notifier;
  auto db = vipcore::Database::open(vipcore::new_memory_storage(), *vipcore::MasterKey::for_testing("consumer"),
                                    options);
  if (!db.ok()) return 2;
  auto admin = db->tenant("acme", {"consumer", vipcore::Role::admin});
  vipcore::NewCaller john;
  john.phone_number = "+1 (234) 567-8900";
  john.caller_name = "John Doe";
  john.vip_level = vipcore::Level::gold;
  john.handling_rules = {vipcore::HandlingRule::priority_queue};
  auto created = admin->create(john);
  if (!created.ok()) return 3;
  vipcore::EscalationRule rule;
  rule.name = "Wait";
  rule.max_wait_time = 10;
  if (!admin->create_rule(rule).ok()) return 4;
  auto who = admin->identify("011 1 234 567 8900");
  if (!who.ok() || !who->is_vip || who->routing_priority != 85) return 5;
  if (!admin->check_escalation(who->caller, 20, 1, "call-1").ok() || notifier->count != 1) return 6;
  std::printf("consumer (C++): %s is a VIP with priority %d\n", who->caller.caller_name.c_str(), who->routing_priority);
  return 0;
}
