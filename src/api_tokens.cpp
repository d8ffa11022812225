// API tokens: Tenant::create_api_token, list_api_tokens, revoke_api_token
// and Database::tenant_for_api_token.
//
// A token is "vipcore_<tenant id>.<secret>", the secret 32 random bytes in
// unpadded base64url (43 characters, never a '.'). The tenant's metadata
// holds, under kTokensKey, one line per token:
//
//     <id> TAB <hash, 64 hex> TAB <role> TAB <created, unix ms> TAB <actor id> LF
//
// where the hash is BLAKE2b-256 of kHashLabel and the secret, keyed with the
// tenant's phone-hash key (stable across master-key rotations, which leave
// that key as it is). Actor ids hold no control characters (validate.cpp),
// so the lines parse back unambiguously.
#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "state.hpp"
#include "tenant_ops.hpp"
#include "text.hpp"
#include "validate.hpp"
#include "vipcore/database.hpp"
#include "vipcore/tenant.hpp"

namespace vipcore {
namespace {

constexpr std::string_view kTokensKey = "api_tokens";
constexpr std::string_view kPrefix = "vipcore_";
constexpr std::string_view kHashLabel = "vipcore api token";
constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kSecretChars = 43;  // base64url of 32 bytes, unpadded
constexpr std::size_t kIdBytes = 8;

struct StoredToken {
  ApiToken token;
  std::string hash_hex;
};

Status unknown_token() { return Status::permission_denied("unknown or revoked API token"); }

std::string hex(const unsigned char* bytes, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.pop_back();
  return out;
}

// The stored hash of a secret (its base64url text).
std::string token_hash(const std::uint8_t* hash_key, std::string_view secret) {
  std::array<unsigned char, crypto_generichash_BYTES> out{};
  crypto_generichash_state st;
  crypto_generichash_init(&st, hash_key, crypto_generichash_KEYBYTES, out.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kHashLabel.data()), kHashLabel.size());
  const unsigned char zero = 0;
  crypto_generichash_update(&st, &zero, 1);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_generichash_final(&st, out.data(), out.size());
  return hex(out.data(), out.size());
}

Result<std::vector<StoredToken>> decode(const std::optional<std::string>& stored) {
  std::vector<StoredToken> tokens;
  if (!stored) return tokens;
  std::string_view rest = *stored;
  const auto damaged = [] { return Status::storage_error("the tenant's API tokens are damaged"); };
  while (!rest.empty()) {
    const std::size_t eol = rest.find('\n');
    if (eol == std::string_view::npos) return damaged();
    std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 1);
    std::string_view cells[5];
    for (int c = 0; c < 4; ++c) {
      const std::size_t tab = line.find('\t');
      if (tab == std::string_view::npos) return damaged();
      cells[c] = line.substr(0, tab);
      line.remove_prefix(tab + 1);
    }
    cells[4] = line;
    StoredToken t;
    t.token.id = std::string(cells[0]);
    t.hash_hex = std::string(cells[1]);
    auto role = parse_role(cells[2]);
    std::int64_t ms = 0;
    const auto [end, ec] = std::from_chars(cells[3].data(), cells[3].data() + cells[3].size(), ms);
    if (!role.ok() || ec != std::errc() || end != cells[3].data() + cells[3].size() ||
        t.hash_hex.size() != crypto_generichash_BYTES * 2 || cells[4].empty())
      return damaged();
    t.token.actor = Actor{std::string(cells[4]), *role};
    t.token.created_at = from_unix_ms(ms);
    tokens.push_back(std::move(t));
  }
  return tokens;
}

std::string encode(const std::vector<StoredToken>& tokens) {
  std::string out;
  for (const StoredToken& t : tokens) {
    out += t.token.id + '\t' + t.hash_hex + '\t' + std::string(to_string(t.token.actor.role)) + '\t' +
           std::to_string(to_unix_ms(t.token.created_at)) + '\t' + t.token.actor.id + '\n';
  }
  return out;
}

// Rewrites the tenant's tokens with `change` applied, in one transaction
// with its audit entry.
template <typename Change>
Status change_tokens(const detail::TenantState& t, std::string_view action, std::string_view id, Change&& change) {
  auto txn = t.storage().begin_write();
  if (!txn.ok()) return txn.status();
  auto stored = (*txn)->get_meta(t.tenant_id(), kTokensKey);
  if (!stored.ok()) return stored.status();
  auto tokens = decode(*stored);
  if (!tokens.ok()) return tokens.status();
  if (Status s = change(*tokens); !s.ok()) return s;
  Status s = tokens->empty() ? (*txn)->delete_meta(t.tenant_id(), kTokensKey)
                             : (*txn)->put_meta(t.tenant_id(), kTokensKey, encode(*tokens));
  if (!s.ok()) return s;
  return detail::commit_with_audit(**txn, detail::audit_entry(t, t.db->now(), action, "api_token", id, {}, "ok"));
}

}  // namespace

Result<IssuedApiToken> Tenant::create_api_token(const Actor& holder) const {
  const detail::TenantState& t = *state_;
  if (Status s = t.authorize(Operation::manage_tokens); !s.ok()) return s;
  if (Status s = detail::validate_actor_id(holder.id); !s.ok()) return s;
  if (static_cast<int>(holder.role) >= kRoleCount) return Status::invalid_argument("actor.role", "is not a role");

  std::array<unsigned char, kSecretBytes> secret_bytes{};
  std::array<unsigned char, kIdBytes> id_bytes{};
  randombytes_buf(secret_bytes.data(), secret_bytes.size());
  randombytes_buf(id_bytes.data(), id_bytes.size());
  std::string secret(sodium_base64_ENCODED_LEN(kSecretBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(secret.data(), secret.size(), secret_bytes.data(), secret_bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  secret.resize(kSecretChars);
  sodium_memzero(secret_bytes.data(), secret_bytes.size());

  IssuedApiToken issued;
  issued.token.id = hex(id_bytes.data(), id_bytes.size());
  issued.token.actor = holder;
  issued.token.actor.id = std::string(detail::trim(holder.id));
  issued.token.created_at = t.db->now();
  issued.secret = std::string(kPrefix) + t.tenant_id() + "." + secret;
  StoredToken stored{issued.token, token_hash(t.ctx->keys().hash_key(), secret)};
  sodium_memzero(secret.data(), secret.size());
  Status s = change_tokens(t, "create_api_token", issued.token.id, [&](std::vector<StoredToken>& tokens) {
    if (tokens.size() >= kMaxApiTokens)
      return Status::invalid_argument("api_token", "the tenant already has the most tokens allowed (" +
                                                       std::to_string(kMaxApiTokens) + "); revoke some first");
    tokens.push_back(stored);
    return ok_status();
  });
  if (!s.ok()) return s;
  return issued;
}

Result<std::vector<ApiToken>> Tenant::list_api_tokens() const {
  const detail::TenantState& t = *state_;
  if (Status s = t.authorize(Operation::manage_tokens); !s.ok()) return s;
  auto stored = t.storage().get_meta(t.tenant_id(), kTokensKey);
  if (!stored.ok()) return stored.status();
  auto tokens = decode(*stored);
  if (!tokens.ok()) return tokens.status();
  std::vector<ApiToken> out;
  out.reserve(tokens->size());
  for (StoredToken& st : *tokens) out.push_back(std::move(st.token));
  return out;
}

Status Tenant::revoke_api_token(std::string_view id) const {
  const detail::TenantState& t = *state_;
  if (Status s = t.authorize(Operation::manage_tokens); !s.ok()) return s;
  const std::string wanted(detail::trim(id));
  return change_tokens(t, "revoke_api_token", wanted, [&](std::vector<StoredToken>& tokens) {
    const auto it = std::find_if(tokens.begin(), tokens.end(), [&](const StoredToken& st) { return st.token.id == wanted; });
    if (it == tokens.end())
      return Status::not_found("tenant " + t.tenant_id() + " has no API token with this id");
    tokens.erase(it);
    return ok_status();
  });
}

Result<Tenant> Database::tenant_for_api_token(std::string_view token) const {
  if (token.size() <= kPrefix.size() + 1 + kSecretChars || token.substr(0, kPrefix.size()) != kPrefix ||
      token[token.size() - kSecretChars - 1] != '.')
    return unknown_token();
  const std::string_view tenant_id = token.substr(kPrefix.size(), token.size() - kPrefix.size() - kSecretChars - 1);
  const std::string_view secret = token.substr(token.size() - kSecretChars);
  if (!detail::validate_tenant_id(tenant_id).ok()) return unknown_token();
  auto checker = tenant(tenant_id, Actor{"api-token-check", Role::system});
  if (!checker.ok()) return checker.status();
  const detail::TenantState& t = *checker->state_;
  auto stored = t.storage().get_meta(tenant_id, kTokensKey);
  if (!stored.ok()) return stored.status();
  auto tokens = decode(*stored);
  if (!tokens.ok()) return tokens.status();
  const std::string hash = token_hash(t.ctx->keys().hash_key(), secret);
  for (const StoredToken& st : *tokens)
    if (sodium_memcmp(st.hash_hex.data(), hash.data(), hash.size()) == 0) return tenant(tenant_id, st.token.actor);
  return unknown_token();
}

}  // namespace vipcore
