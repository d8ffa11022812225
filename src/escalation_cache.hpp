// What the escalation check keeps per tenant between checks, so that a PBX
// polling a waiting call pays neither a per-rule cost it paid last time nor
// a storage read for triggers it already knows:
//
//  - the tenant's rules compiled for evaluation (CompiledRules): per rule,
//    the level mask, the thresholds as plain integers and the schedule, the
//    inactive rules left out; built once per RuleSet;
//  - TriggerMemory: the (call, rule) triggers this process knows to be
//    stored and notified, for a bounded number of calls.
//
// Private; owned by the TenantContext (src/state.hpp).
#ifndef VIPCORE_SRC_ESCALATION_CACHE_HPP
#define VIPCORE_SRC_ESCALATION_CACHE_HPP

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "vipcore/escalation.hpp"

namespace vipcore::detail {

struct RuleSet;

/// One active rule, ready for evaluation.
struct CompiledRule {
  std::uint32_t levels = 0;  ///< bit n = Level n; every bit when the rule lists no level
  int max_wait = 0;          ///< exceeded when wait > max_wait; INT_MAX when unset
  int max_position = 0;      ///< likewise for the queue position
  RuleSchedule schedule = RuleSchedule::always;
  const EscalationRule* rule = nullptr;  ///< in the vector compiled from
};

/// A rule vector's active rules in its order. Points into that vector:
/// `source` keeps it alive when it is a RuleSet's.
struct CompiledRules {
  std::shared_ptr<const RuleSet> source;
  std::vector<CompiledRule> active;
};

/// Compiles `rules` (which must outlive the result unless `source` holds them).
CompiledRules compile_rules(const std::vector<EscalationRule>& rules);

/// evaluate_escalation over compiled rules: the same answer, with the
/// local time of the week computed at most once per check.
/// Into *out, whose strings and vectors keep their capacity: nothing is
/// allocated once they have grown to size. On failure *out is unspecified.
Status evaluate_compiled(const CompiledRules& rules, const CallerSummary& caller, int wait_seconds, int queue_position,
                         Timestamp now, const WeeklyHours& business_hours, std::string_view time_zone,
                         EscalationResult* out);

/// The triggers of calls this process knows to be stored, and which of them
/// it knows notified.
///
/// Why a remembered "stored and notified" is never wrong, even with other
/// processes and handles writing the same database: a trigger is written
/// insert-unless-exists, once per (call, rule), and notified_at, once set, is
/// never cleared; no write path changes or removes a trigger except the
/// purge of old triggers. So once this process has seen a trigger stored and
/// notified, every later read of the storage would say the same — until a
/// purge. A purge through this tenant context forgets everything (forget_all),
/// and a check that read the storage before such a purge cannot put what it
/// read back afterwards (the epoch). A purge by another process makes the
/// storage forget what this process still remembers: the fact remembered
/// ("an earlier check of this call triggered this rule and the notifier was
/// told") stays true, so the check still answers already_triggered and
/// notified, as it would have an instant before the purge, and does not tell
/// the notifier a second time; purges are meant for the triggers of calls
/// that ended long ago, which nobody polls. With a notifier, a trigger not
/// known notified is read again at every check (it may have been notified
/// elsewhere since; otherwise the notifier is retried). Without a notifier
/// nobody is told by this process, so a known stored trigger is enough, and
/// its notified flag is what was read (false stays false: the documented
/// answer when no notifier is configured).
///
/// Bounded: at most kMaxCalls calls (the oldest remembered call is dropped
/// first) and kMaxRulesPerCall rules per call. It holds call ids and rule
/// ids, nothing secret. Thread-safe.
class TriggerMemory {
 public:
  static constexpr std::size_t kMaxCalls = 1024;
  static constexpr std::size_t kMaxRulesPerCall = 64;

  /// The purge epoch, read before a check reads the stored triggers.
  std::uint64_t epoch() const;
  /// Whether every rule of `triggered` is known stored for `call_id`, and
  /// notified too when `need_notified` (a notifier is configured, which
  /// must be retried); if so, marks them already_triggered, and notified as
  /// known.
  bool mark_known(std::string_view call_id, std::vector<TriggeredRule>& triggered, bool need_notified) const;
  /// Remembers the rules of `triggered`, all stored, for `call_id`, with
  /// their notified flag, unless a purge began since `epoch`.
  void remember(std::string_view call_id, std::uint64_t epoch, const std::vector<TriggeredRule>& triggered);
  /// Forgets every call (a purge of triggers).
  void forget_all();
  /// The calls remembered.
  std::size_t calls() const;

 private:
  struct Known {
    std::string rule_id;
    bool notified = false;
  };
  struct Call {
    std::string call_id;
    std::vector<Known> rules;  ///< stored; the most recent check's rules first, in its order
  };
  mutable std::mutex mu_;
  std::uint64_t epoch_ = 0;
  // Keyed by the hash of the call id; a call whose hash collides with a
  // remembered one replaces it.
  std::unordered_map<std::size_t, Call> calls_;
  std::deque<std::size_t> order_;  ///< keys of calls_, oldest first
};

/// The escalation check's per-tenant state.
class EscalationCache {
 public:
  /// `rules` compiled, from the cache while `rules` is the same RuleSet.
  std::shared_ptr<const CompiledRules> compiled(const std::shared_ptr<const RuleSet>& rules);

  TriggerMemory& triggers() noexcept { return triggers_; }

 private:
  std::mutex mu_;
  std::shared_ptr<const CompiledRules> compiled_;
  TriggerMemory triggers_;
};

}  // namespace vipcore::detail

#endif
