// The SQL statements of the SQLite backend. "{}" marks where a column list
// (k*Columns) or a clause is put in with fmt::format when the statement is
// prepared.
#ifndef VIPCORE_SRC_SQLITE_SQL_HPP
#define VIPCORE_SRC_SQLITE_SQL_HPP

#include <cstdint>

namespace vipcore::sqlite {

inline constexpr const char* kCallerColumns =
    "id, vip_level, status, handling_rules, preferred_agent_id, preferred_department_id, max_wait_time, "
    "callback_priority, tags, total_calls, satisfaction_score, valid_from, valid_until, created_at, updated_at, "
    "caller_name, company_name, email, account_number, account_value, notes, custom_greeting, phones, phone_masks, "
    "rated_calls, integrity";
// The same columns for readers, with the counters from the activity file.
inline constexpr const char* kCallerReadColumns =
    "c.id, c.vip_level, c.status, c.handling_rules, c.preferred_agent_id, c.preferred_department_id, "
    "c.max_wait_time, c.callback_priority, c.tags, coalesce(s.total_calls, 0), s.satisfaction_score, c.valid_from, "
    "c.valid_until, c.created_at, c.updated_at, c.caller_name, c.company_name, c.email, c.account_number, "
    "c.account_value, c.notes, c.custom_greeting, c.phones, c.phone_masks, coalesce(s.rated_calls, 0), c.integrity";
inline constexpr const char* kSelectCallerRead =
    "SELECT {} FROM vip_caller AS c LEFT JOIN vip_caller_stats AS s ON s.tenant_id = c.tenant_id "
    "AND s.caller_id = c.id WHERE c.tenant_id = ?1 AND c.id = ?2";
inline constexpr const char* kSelectCounters =
    "SELECT total_calls, rated_calls, satisfaction_score FROM vip_caller_stats WHERE tenant_id = ?1 AND caller_id = ?2";

inline constexpr const char* kSelectCaller = "SELECT {} FROM vip_caller WHERE tenant_id = ?1 AND id = ?2";
inline constexpr const char* kScanCallers =
    "SELECT {} FROM vip_caller AS c LEFT JOIN vip_caller_stats AS s ON s.tenant_id = c.tenant_id "
    "AND s.caller_id = c.id WHERE c.tenant_id = ?1 AND (?2 IS NULL OR c.vip_level = ?2) "
    "AND (?3 IS NULL OR c.status = ?3) AND c.id > ?6 ORDER BY c.id LIMIT ?4 OFFSET ?5";
inline constexpr const char* kCountCallers =
    "SELECT count(*) FROM vip_caller WHERE tenant_id = ?1 AND (?2 IS NULL OR vip_level = ?2) "
    "AND (?3 IS NULL OR status = ?3)";
inline constexpr const char* kFindPhone =
    "SELECT caller_id, summary FROM vip_phone WHERE tenant_id = ?1 AND phone_hash = ?2";
inline constexpr const char* kPhoneOwner = "SELECT caller_id FROM vip_phone WHERE tenant_id = ?1 AND phone_hash = ?2";
inline constexpr const char* kInsertCaller =
    "INSERT INTO vip_caller (tenant_id, {}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
    "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)";
inline constexpr const char* kUpdateCaller =
    "UPDATE vip_caller SET vip_level = ?3, status = ?4, handling_rules = ?5, preferred_agent_id = ?6, "
    "preferred_department_id = ?7, max_wait_time = ?8, callback_priority = ?9, tags = ?10, total_calls = ?11, "
    "satisfaction_score = ?12, valid_from = ?13, valid_until = ?14, created_at = ?15, updated_at = ?16, "
    "caller_name = ?17, company_name = ?18, email = ?19, account_number = ?20, account_value = ?21, notes = ?22, "
    "custom_greeting = ?23, phones = ?24, phone_masks = ?25, rated_calls = ?26, integrity = ?27 "
    "WHERE tenant_id = ?1 AND id = ?2";
inline constexpr const char* kDeleteCaller = "DELETE FROM vip_caller WHERE tenant_id = ?1 AND id = ?2";
inline constexpr const char* kInsertPhone =
    "INSERT INTO vip_phone (tenant_id, phone_hash, caller_id, summary) VALUES (?1, ?2, ?3, ?4)";
inline constexpr const char* kDeletePhone = "DELETE FROM vip_phone WHERE tenant_id = ?1 AND phone_hash = ?2";
inline constexpr const char* kGetMeta = "SELECT value FROM vip_meta WHERE scope = ?1 AND key = ?2";
inline constexpr const char* kPutMeta = "INSERT OR REPLACE INTO vip_meta (scope, key, value) VALUES (?1, ?2, ?3)";
inline constexpr const char* kDeleteMeta = "DELETE FROM vip_meta WHERE scope = ?1 AND key = ?2";
inline constexpr const char* kListTenants =
    "SELECT tenant_id FROM vip_caller GROUP BY tenant_id UNION SELECT tenant_id FROM vip_rule ORDER BY 1";
inline constexpr const char* kRuleColumns =
    "id, name, level_mask, max_wait_time, max_queue_position, escalation_type, tier, notify, is_active, priority, "
    "schedule, business_hours, created_at, updated_at";
inline constexpr const char* kSelectRules = "SELECT {} FROM vip_rule WHERE tenant_id = ?1";
inline constexpr const char* kSelectRule = "SELECT {} FROM vip_rule WHERE tenant_id = ?1 AND id = ?2";
inline constexpr const char* kInsertRule =
    "INSERT INTO vip_rule (tenant_id, {}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
inline constexpr const char* kUpdateRule =
    "UPDATE vip_rule SET name = ?3, level_mask = ?4, max_wait_time = ?5, max_queue_position = ?6, "
    "escalation_type = ?7, tier = ?8, notify = ?9, is_active = ?10, priority = ?11, schedule = ?12, "
    "business_hours = ?13, created_at = ?14, updated_at = ?15 WHERE tenant_id = ?1 AND id = ?2";
inline constexpr const char* kDeleteRule = "DELETE FROM vip_rule WHERE tenant_id = ?1 AND id = ?2";
inline constexpr const char* kSelectTriggers =
    "SELECT call_id, rule_id, caller_id, triggered_at, notified_at FROM vip_trigger "
    "WHERE tenant_id = ?1 AND call_id = ?2";
inline constexpr const char* kInsertTrigger =
    "INSERT OR IGNORE INTO vip_trigger (tenant_id, call_id, rule_id, caller_id, triggered_at, notified_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
inline constexpr const char* kMarkNotified =
    "UPDATE vip_trigger SET notified_at = ?4 WHERE tenant_id = ?1 AND call_id = ?2 AND rule_id = ?3";
inline constexpr const char* kPurgeTriggers =
    "DELETE FROM vip_trigger WHERE tenant_id = ?1 AND (call_id, rule_id) IN (SELECT call_id, rule_id "
    "FROM vip_trigger WHERE tenant_id = ?1 AND triggered_at < ?2 ORDER BY triggered_at LIMIT ?3)";
inline constexpr const char* kCallColumns =
    "call_id, caller_id, vip_level, handling_rules, wait_seconds, max_wait_time, escalation_triggered, "
    "satisfaction_rating, service_quality_score, at";
inline constexpr const char* kInsertCall =
    "INSERT INTO vip_call (tenant_id, {}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
inline constexpr const char* kListCalls =
    "SELECT {} FROM vip_call WHERE tenant_id = ?1 AND caller_id = ?2 AND at >= ?3 AND at < ?4 "
    "ORDER BY at, call_id LIMIT ?5";
// The calls of a range, streamed in key order: one pass over the clustered
// rows. The first {} is the columns, the second an INDEXED BY clause, the
// third a caller_id condition. scan_calls reads kCallColumns; aggregate_calls
// kAggregateColumns (no ids), adding them up in C++ (CallAggregator, which
// also counts the wait histogram) with no GROUP BY sort (which cost most of
// an overview).
inline constexpr const char* kScanCalls = "SELECT {} FROM vip_call{} WHERE tenant_id = ?1 AND at >= ?2 AND at < ?3{}";
inline constexpr const char* kAggregateColumns =
    "vip_level, wait_seconds, max_wait_time, escalation_triggered, satisfaction_rating, service_quality_score, "
    "handling_rules";
// Calls' waits are validated to lie in 0..86400 seconds (a day).
inline constexpr std::int64_t kMaxStoredCallWait = 86400;
// Streamed and counted in C++, like the calls of kScanCalls: no GROUP BY sort.
inline constexpr const char* kCountByLevelStatus = "SELECT vip_level, status FROM vip_caller WHERE tenant_id = ?1";
// One more call in a caller's counters; ?3 is the rating or NULL.
inline constexpr const char* kCountCall =
    "INSERT INTO vip_caller_stats (tenant_id, caller_id, total_calls, rated_calls, satisfaction_score) "
    "VALUES (?1, ?2, 1, ?3 IS NOT NULL, ?3) ON CONFLICT (tenant_id, caller_id) DO UPDATE SET "
    "total_calls = total_calls + 1, "
    "satisfaction_score = CASE WHEN ?3 IS NULL THEN satisfaction_score "
    "ELSE (coalesce(satisfaction_score, 0.0) * rated_calls + ?3) / (rated_calls + 1) END, "
    "rated_calls = rated_calls + (?3 IS NOT NULL)";
inline constexpr const char* kPurgeCalls =
    "DELETE FROM vip_call WHERE tenant_id = ?1 AND (at, call_id) IN (SELECT at, call_id FROM vip_call "
    "WHERE tenant_id = ?1 AND at < ?2 ORDER BY at LIMIT ?3)";
inline constexpr const char* kSelectAudit =
    "SELECT seq, at, actor_id, role, action, entity_type, entity_id, fields, outcome FROM vip_audit "
    "WHERE tenant_id = ?1";  // query_audit adds its filters
inline constexpr const char* kInsertAudit =
    "INSERT INTO vip_audit (tenant_id, at, actor_id, role, action, entity_type, entity_id, fields, outcome) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

}  // namespace vipcore::sqlite

#endif
