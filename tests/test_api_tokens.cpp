// API tokens (Tenant::create_api_token, Database::tenant_for_api_token)
// against every storage backend.
#include <doctest/doctest.h>

#include <sodium.h>

#include "support.hpp"

using namespace vipcore;
using namespace vipcore::test;

TEST_SUITE("api tokens") {
  TEST_CASE_TEMPLATE("a token gives its tenant scope as its holder, until it is revoked", B, VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant admin = env.tenant("acme", Role::admin);
    auto issued = admin.create_api_token(Actor{"alice", Role::manager});
    REQUIRE_MESSAGE(issued.ok(), issued.status().to_string());
    CHECK(issued->secret.rfind("vipcore_acme.", 0) == 0);
    CHECK(issued->token.id.size() == 16);

    auto scope = env.db->tenant_for_api_token(issued->secret);
    REQUIRE_MESSAGE(scope.ok(), scope.status().to_string());
    CHECK(scope->id() == "acme");
    CHECK(scope->actor().id == "alice");
    CHECK(scope->actor().role == Role::manager);
    // The holder's role applies: a MANAGER manages callers but not settings.
    const VipCaller john = *scope->create(john_doe());
    CHECK(scope->update_settings(TenantSettings{}).is_permission_denied());
    // And the audit trail names the holder.
    const auto trail = *admin.audit({});
    bool by_alice = false;
    for (const AuditEntry& e : trail) by_alice = by_alice || (e.action == "create" && e.actor_id == "alice");
    CHECK(by_alice);

    auto listed = admin.list_api_tokens();
    REQUIRE(listed.ok());
    REQUIRE(listed->size() == 1);
    CHECK(listed->front().id == issued->token.id);
    CHECK(listed->front().actor.id == "alice");
    CHECK(listed->front().actor.role == Role::manager);

    // A second database handle on the same storage (another process) sees the revocation at once.
    REQUIRE(admin.revoke_api_token(issued->token.id).ok());
    CHECK(env.db->tenant_for_api_token(issued->secret).status().is_permission_denied());
    CHECK(admin.list_api_tokens()->empty());
    CHECK(admin.revoke_api_token(issued->token.id).code() == Code::not_found);
    (void)john;
  }

  TEST_CASE_TEMPLATE("a malformed, forged or other tenant's token is refused, and the message never repeats it", B,
                     VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant acme = env.tenant("acme", Role::admin);
    Tenant globex = env.tenant("globex", Role::admin);
    const auto a = *acme.create_api_token(Actor{"alice", Role::admin});
    const auto g = *globex.create_api_token(Actor{"gary", Role::admin});
    const std::string secret_a = a.secret.substr(a.secret.rfind('.') + 1);
    const std::string secret_g = g.secret.substr(g.secret.rfind('.') + 1);
    std::string flipped = a.secret;
    flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
    const std::string forged[] = {
        "",
        "vipcore_",
        "Bearer " + a.secret,
        a.secret + "x",
        a.secret.substr(0, a.secret.size() - 1),
        flipped,
        "vipcore_globex." + secret_a,  // acme's secret presented for globex
        "vipcore_acme." + secret_g,
        "vipcore_no tenant." + secret_a,
        "vipcore_nobody." + secret_a,
    };
    for (const std::string& t : forged) {
      CAPTURE(t.size());
      const Status s = env.db->tenant_for_api_token(t).status();
      CHECK(s.is_permission_denied());
      if (!secret_a.empty()) CHECK(s.message().find(secret_a) == std::string::npos);
    }
    CHECK(env.db->tenant_for_api_token(g.secret)->id() == "globex");
  }

  TEST_CASE_TEMPLATE("only an ADMIN manages tokens; each change is audited and a bad holder is refused", B,
                     VIPCORE_BACKENDS) {
    Env env = B::open();
    Tenant admin = env.tenant("acme", Role::admin);
    for (Role r : {Role::manager, Role::agent, Role::system, Role::auditor}) {
      Tenant t = env.tenant("acme", r);
      CHECK(t.create_api_token(Actor{"x", Role::agent}).status().is_permission_denied());
      CHECK(t.list_api_tokens().status().is_permission_denied());
      CHECK(t.revoke_api_token("0011223344556677").is_permission_denied());
    }
    CHECK(admin.create_api_token(Actor{"", Role::agent}).status().field() == "actor.id");
    CHECK(admin.create_api_token(Actor{"bad\nid", Role::agent}).status().field() == "actor.id");
    CHECK(admin.create_api_token(Actor{"x", static_cast<Role>(9)}).status().field() == "actor.role");
    CHECK(admin.list_api_tokens()->empty());

    const auto issued = *admin.create_api_token(Actor{"pbx-gw", Role::system});
    REQUIRE(admin.revoke_api_token(issued.token.id).ok());
    int created = 0, revoked = 0;
    for (const AuditEntry& e : *admin.audit({})) {
      if (e.entity_type != "api_token") continue;
      CHECK(e.entity_id == issued.token.id);
      created += e.action == "create_api_token";
      revoked += e.action == "revoke_api_token";
      for (const std::string& f : e.fields) CHECK(f.find(issued.secret) == std::string::npos);
    }
    CHECK(created == 1);
    CHECK(revoked == 1);
  }
}
