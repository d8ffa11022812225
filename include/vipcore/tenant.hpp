// vipcore — the tenant scope: every operation on VIP callers.
//
// A Tenant is obtained from Database::tenant(tenant_id, actor). Everything it
// does is confined to that tenant and checked against the actor's role (see
// roles.hpp); every change writes an audit entry in the same transaction.
//
// Threading: safe for concurrent access from multiple threads. A Tenant is a
// cheap, copyable handle: copies share the same state.
#ifndef VIPCORE_TENANT_HPP
#define VIPCORE_TENANT_HPP

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vipcore/analytics.hpp"
#include "vipcore/audit.hpp"
#include "vipcore/caller.hpp"
#include "vipcore/escalation.hpp"
#include "vipcore/export.h"
#include "vipcore/import.hpp"
#include "vipcore/metrics.hpp"
#include "vipcore/roles.hpp"
#include "vipcore/routing.hpp"
#include "vipcore/settings.hpp"
#include "vipcore/status.hpp"

namespace vipcore {

/// What list() returns.
struct ListQuery {
  std::uint64_t skip = 0;
  std::uint64_t limit = 100;  ///< 1 to kMaxLimit
  std::optional<Level> vip_level;
  std::optional<CallerStatus> status;
  /// When not empty: callers whose name, company or e-mail contains it
  /// (ignoring ASCII case), or who own it as a phone number (in any format).
  /// It is matched as data, never interpreted.
  std::string search;

  static constexpr std::uint64_t kMaxLimit = 1000;
};

/// A bearer token of the tenant's, for a service that serves vipcore over
/// a network (vipd): whoever presents it acts in this tenant as `actor`,
/// so roles and the audit trail apply to each request as to a direct call.
/// Only a keyed hash of the token is stored (BLAKE2b keyed with the
/// tenant's phone-hash key); the token itself is shown once, at creation.
struct ApiToken {
  std::string id;  ///< not secret: names the token in lists, the audit trail and revoke
  Actor actor;
  Timestamp created_at{};
};

/// A token as create_api_token() makes it.
struct IssuedApiToken {
  ApiToken token;
  /// What the holder presents ("vipcore_<tenant>.<43 characters>"). It
  /// exists nowhere else: keep it secret, and revoke the token if it leaks.
  std::string secret;
};

namespace detail {
struct TenantState;
}

class VIPCORE_EXPORT Tenant {
 public:
  const std::string& id() const noexcept;
  const Actor& actor() const noexcept;

  /// Creates a VIP caller. Every field is validated first; a bad one fails
  /// with Code::invalid_argument naming it, a number that already belongs to
  /// a VIP of the tenant with Code::already_exists; nothing is written then.
  Result<VipCaller> create(const NewCaller& caller) const;
  /// The caller with this id; Code::not_found when the tenant has none.
  Result<VipCaller> get(std::string_view id) const;
  /// Changes the fields `update` sets; updated_at moves to now.
  Result<VipCaller> update(std::string_view id, const CallerUpdate& update) const;
  /// Deletes a caller and its numbers.
  Status remove(std::string_view id) const;
  /// Callers in ascending order of id, filtered and paged by `query`. A
  /// skip past the last caller (up to 2^64-1) gives an empty page.
  ///
  /// A caller whose stored data fails authentication (a damaged or tampered
  /// row) fails the whole call with Code::integrity naming the caller's id.
  Result<std::vector<VipCaller>> list(const ListQuery& query) const;
  /// The same, except that damaged callers are left out and their ids put
  /// in *damaged (cleared first), so that an administrator sees the others
  /// and can repair or remove those (get and identify of a damaged caller
  /// keep failing with Code::integrity). A page may then hold fewer than
  /// `limit` callers; skip counts damaged callers like the others.
  Result<std::vector<VipCaller>> list(const ListQuery& query, std::vector<std::string>* damaged) const;
  /// Every caller of the tenant, in ascending order of id, as one consistent
  /// snapshot (one read transaction: changes committed meanwhile are not
  /// seen), one at a time, until `visit` returns false. For exports and
  /// backups. `visit` must not call vipcore on this database: with the SQLite
  /// backend the snapshot holds a reader connection; with the memory backend
  /// it holds the lock that every writer of the database, in any thread,
  /// waits for until the walk ends (so keep `visit` quick there).
  /// A damaged caller stops the walk with Code::integrity naming its id.
  Status for_each_caller(const std::function<bool(const VipCaller&)>& visit) const;
  /// The same, except that damaged callers are not visited: their ids go
  /// to *damaged (cleared first) and the walk goes on. Exports use this, so
  /// that one damaged row does not keep the rest of the tenant from a backup.
  Status for_each_caller(const std::function<bool(const VipCaller&)>& visit, std::vector<std::string>* damaged) const;

  /// The hot path: is the caller at `number` a VIP, and how must they be
  /// treated? A malformed number is Code::invalid_argument; a number no VIP
  /// owns is ok, with is_vip false.
  ///
  /// This overload reuses *out's strings: once they have grown, identify
  /// does not allocate. On error *out is reset to "not a VIP".
  Status identify(std::string_view number, Identification* out) const;
  Result<Identification> identify(std::string_view number) const;

  /// The routing priority of a VIP with this level and these rules, under
  /// the tenant's policy (see PriorityPolicy).
  int routing_priority(Level level, HandlingRules rules) const noexcept;

  /// How to route an identified caller now, given the PBX's state. A caller
  /// who is not a VIP gets a plain queue plan. See routing.hpp; the rules:
  ///  - outside business hours only EXTENDED_HOURS callers are served; the
  ///    others get after_hours (with a callback offer under CALLBACK_PRIORITY);
  ///  - IMMEDIATE_TRANSFER: the preferred agent if free, else any free agent,
  ///    else the front of the queue;
  ///  - DEDICATED_AGENT: the preferred agent if free; else wait for them until
  ///    the caller's max_wait_time, then any free agent, then the queue;
  ///  - PRIORITY_QUEUE: the front of the queue;
  ///  - CUSTOM_GREETING: the greeting to play; CALLBACK_PRIORITY: offer a
  ///    callback with callback_priority.
  Result<RoutingPlan> routing_plan(const Identification& who, const PbxState& state) const;
  /// The dynamic priority (routing.hpp) of an identified caller who has
  /// waited `waited_seconds`; a non-VIP rises from 0 over the STANDARD target.
  int queue_priority(const Identification& who, int waited_seconds) const noexcept;
  /// The priority in Asterisk, FreeSWITCH and contact-centre forms.
  PbxPriorities pbx_priorities(const Identification& who) const noexcept;
  /// Whether the tenant is open now, by its business hours and time zone.
  Result<bool> inside_business_hours() const;

  /// Escalation rules (escalation.hpp). create_rule ignores the id and
  /// timestamps it is given and returns the stored rule.
  Result<EscalationRule> create_rule(const EscalationRule& rule) const;
  Result<EscalationRule> get_rule(std::string_view id) const;
  Result<EscalationRule> update_rule(std::string_view id, const EscalationRuleUpdate& update) const;
  Status remove_rule(std::string_view id) const;
  /// All rules, in evaluation order.
  Result<std::vector<EscalationRule>> list_rules() const;

  /// The escalation check of a waiting call (see escalation.hpp): the
  /// caller by id, or by the summary identify() returned (no lookup).
  /// `wait_seconds` and `queue_position` must not be negative. With a
  /// `call_id`, triggers are stored and notified once per (call, rule);
  /// without one the check only evaluates.
  Result<EscalationResult> check_escalation(std::string_view caller_id, int wait_seconds, int queue_position,
                                            std::string_view call_id = {}) const;
  Result<EscalationResult> check_escalation(const CallerSummary& caller, int wait_seconds, int queue_position,
                                            std::string_view call_id = {}) const;
  /// The same, into *out: its strings and vectors keep their capacity, so a
  /// PBX polling a waiting call with one EscalationResult per call allocates
  /// nothing once it has grown to size (and the call's triggers are known
  /// stored). On failure *out is unspecified.
  Status check_escalation(const CallerSummary& caller, int wait_seconds, int queue_position, std::string_view call_id,
                          EscalationResult* out) const;
  /// Deletes escalation triggers older than `before`, `batch_size` rows per
  /// transaction; returns how many went. Meant for the triggers of calls
  /// that ended: a process that saw a trigger stored and notified remembers
  /// it for the calls it polls (a bounded number), so until it forgets, its
  /// checks of that call still answer already triggered and notified after
  /// another process (or another Database) purged it; a purge through this
  /// Database forgets at once.
  Result<std::uint64_t> purge_escalation_triggers(Timestamp before, std::uint64_t batch_size = 10000) const;

  /// Records a VIP call (analytics.hpp), and in the same transaction keeps
  /// the caller's total_calls and satisfaction_score (the average of the
  /// ratings) current. A call id recorded before is Code::already_exists.
  /// Call records are operational data, not changes to the VIP list: they
  /// are counted in metrics, not written to the audit trail.
  Result<CallHistoryEntry> record_call(const CallRecord& call) const;
  /// The range of parse_date_range, read in the tenant's time zone
  /// (TenantSettings::time_zone): "2024-01-31" as an end includes that
  /// whole local day. Any role may ask. Errors name the fields given.
  Result<DateRange> date_range(std::string_view start, std::string_view end, std::string_view start_field = "start",
                               std::string_view end_field = "end") const;
  /// One caller's recorded calls in `range`, oldest first, at most `limit`.
  Result<std::vector<CallHistoryEntry>> call_history(std::string_view caller_id, const DateRange& range,
                                                     std::uint64_t limit = 1000) const;
  /// Analytics of one caller's calls in `range` (start < end required).
  Result<CallerAnalytics> caller_analytics(std::string_view caller_id, const DateRange& range) const;
  /// Analytics of the tenant: callers by level and status now, and the
  /// calls in `range`, overall and by level.
  Result<OverviewAnalytics> overview(const DateRange& range) const;
  /// The alerts of analytics.hpp over `range`, with the tenant's thresholds
  /// (TenantSettings::alerts); quality drops compare with the period of the
  /// same length just before `range`.
  Result<std::vector<Alert>> evaluate_alerts(const DateRange& range) const;
  /// The tenant's counters in this Database handle since it was opened.
  Result<MetricsSnapshot> metrics() const;
  /// Deletes recorded calls and escalation triggers older than `before`,
  /// `batch_size` rows per transaction (so a PBX writing meanwhile waits at
  /// most one batch); reports how many went. Each batch is audited.
  Result<PurgeReport> purge(Timestamp before, std::uint64_t batch_size = 10000) const;

  /// Imports callers in one transaction; see import.hpp. `report` (required)
  /// says what happened to every row. Returns ok when the import committed
  /// (in best_effort mode, possibly with failed rows), and an error when
  /// nothing was written: Code::invalid_argument (field "import") for bad
  /// rows in all_or_nothing mode or a cancelled import, or the error that
  /// stopped it (storage, busy, permission).
  Status import_callers(const std::vector<NewCaller>& callers, const ImportOptions& options,
                        ImportReport* report) const;

  /// The tenant's settings (defaults when never saved).
  Result<TenantSettings> settings() const;
  /// Validates and saves settings; they apply at once to every Tenant
  /// handle of this Database. Another process sees them at its next
  /// Database::tenant() call.
  Status update_settings(const TenantSettings& settings) const;

  /// Audit entries of this tenant, oldest first.
  Result<std::vector<AuditEntry>> audit(const AuditQuery& query) const;

  /// API tokens (see ApiToken; Database::tenant_for_api_token reads them).
  /// Creating, listing and revoking them is Operation::manage_tokens. A
  /// tenant has at most kMaxApiTokens; the holder's id is validated as an
  /// actor id (Code::invalid_argument naming "actor.id").
  Result<IssuedApiToken> create_api_token(const Actor& holder) const;
  /// The tenant's tokens, oldest first (never their secrets).
  Result<std::vector<ApiToken>> list_api_tokens() const;
  /// From now on the token is refused. Code::not_found when the tenant has
  /// no token with this id.
  Status revoke_api_token(std::string_view id) const;
  static constexpr std::size_t kMaxApiTokens = 1000;

 private:
  friend class Database;
  explicit Tenant(std::shared_ptr<const detail::TenantState> state) noexcept;
  std::shared_ptr<const detail::TenantState> state_;
};

}  // namespace vipcore

#endif  // VIPCORE_TENANT_HPP
