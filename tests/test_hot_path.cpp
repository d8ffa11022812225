// The identify path allocates nothing once warm: this program replaces the
// global operator new to count allocations, so it is its own executable.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "support.hpp"
#include "vipcore.h"

namespace {
std::atomic<long> g_allocations{0};
}

// The whole (unaligned) family is replaced, so that every new is paired with
// the delete of the same allocator (sanitizers check that).
namespace {
void* counted(std::size_t size) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

void* operator new(std::size_t size) {
  if (void* p = counted(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = counted(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace vipcore;
using namespace vipcore::test;

namespace {

// Allocations made by `f`, run after the same call has warmed every buffer.
template <typename F>
long allocations_of(F&& f) {
  f();
  const long before = g_allocations.load();
  for (int i = 0; i < 100; ++i) f();
  return g_allocations.load() - before;
}

}  // namespace

TEST_CASE_TEMPLATE("identify allocates nothing once warm, for VIPs and non-VIPs", B, VIPCORE_BACKENDS) {
  Env env = B::open();
  NewCaller c = michael_chen();  // a greeting longer than any small-string buffer
  c.preferred_agent_id = "agent-with-a-rather-long-identifier-0001";
  REQUIRE(env.tenant().create(c).ok());
  const Tenant pbx = env.tenant("acme", Role::system);
  Identification out;
  CHECK(allocations_of([&] { REQUIRE(pbx.identify("+1 456 789 0123", &out).ok()); }) == 0);
  CHECK(out.is_vip);
  CHECK(allocations_of([&] { REQUIRE(pbx.identify("(800) 555-0199", &out).ok()); }) == 0);
  CHECK_FALSE(out.is_vip);
  // The counter does see allocations: the overload that returns a fresh
  // Identification allocates its strings every time.
  CHECK(allocations_of([&] { REQUIRE(pbx.identify("+1 456 789 0123").ok()); }) > 0);
  // Alternating VIP and non-VIP reuses the same buffers too.
  CHECK(allocations_of([&] {
          REQUIRE(pbx.identify("+1 456 789 0123", &out).ok());
          REQUIRE(pbx.identify("+1 800 555 0199", &out).ok());
        }) == 0);
}

TEST_CASE_TEMPLATE("a PBX polling a waiting call's escalation allocates nothing once warm", B, VIPCORE_BACKENDS) {
  Env env = B::open();
  const Tenant admin = env.tenant();
  NewCaller c = michael_chen();
  c.vip_level = Level::gold;
  REQUIRE(admin.create(c).ok());
  for (int i = 0; i < 20; ++i) {
    EscalationRule r;
    r.name = "a rule with a name longer than any small-string buffer " + std::to_string(i);
    r.max_wait_time = 30 + i;
    r.escalation_type = "supervisor";
    r.notify.emails = {"oncall-team-with-a-long-address@example.com"};
    REQUIRE(admin.create_rule(r).ok());
  }
  const Tenant pbx = env.tenant("acme", Role::system);
  Identification who;
  REQUIRE(pbx.identify("+1 456 789 0123", &who).ok());
  REQUIRE(who.is_vip);
  EscalationResult out;
  CHECK(allocations_of([&] { REQUIRE(pbx.check_escalation(who.caller, 120, 3, "call-1", &out).ok()); }) == 0);
  CHECK(out.should_escalate);
  CHECK(out.triggered_rules.size() == 20);
  CHECK(out.triggered_rules[0].already_triggered);
  // Without a call id too; and the counter sees the overload that returns a fresh result.
  CHECK(allocations_of([&] { REQUIRE(pbx.check_escalation(who.caller, 120, 3, {}, &out).ok()); }) == 0);
  CHECK(allocations_of([&] { REQUIRE(pbx.check_escalation(who.caller, 120, 3, "call-1").ok()); }) > 0);
}

TEST_CASE("the C API's identify allocates nothing once warm") {
  TempDir dir;
  static const std::uint8_t key[32] = {9};
  vipcore_open_options o;
  vipcore_open_options_init(&o);
  o.key = key;
  o.key_len = sizeof key;
  vipcore_db* db = nullptr;
  REQUIRE(vipcore_open(&db, dir.file("vip.db").c_str(), &o) == VIPCORE_OK);
  vipcore_tenant* admin = nullptr;
  REQUIRE(vipcore_tenant_open(&admin, db, "acme", "admin", VIPCORE_ROLE_ADMIN) == VIPCORE_OK);
  vipcore_caller_input in;
  vipcore_caller_input_init(&in);
  in.phone_number = "+1 456 789 0123";
  in.caller_name = "Michael Chen";
  in.vip_level = VIPCORE_LEVEL_DIAMOND;
  REQUIRE(vipcore_caller_create(nullptr, admin, &in) == VIPCORE_OK);
  vipcore_tenant* pbx = nullptr;
  REQUIRE(vipcore_tenant_open(&pbx, db, "acme", "pbx", VIPCORE_ROLE_SYSTEM) == VIPCORE_OK);
  vipcore_identification who = VIPCORE_IDENTIFICATION_INIT;
  CHECK(allocations_of([&] { REQUIRE(vipcore_identify(&who, pbx, "011 1 456 789 0123") == VIPCORE_OK); }) == 0);
  CHECK(who.is_vip == 1);
  vipcore_tenant_close(pbx);
  vipcore_tenant_close(admin);
  vipcore_close(db);
}
