/* vipcore — the C API, continued: bulk import, escalation, call history and
 * analytics, metrics, audit and keys. Part of vipcore.h, which includes it
 * and states the conventions every function here follows; include
 * vipcore.h. */
#ifndef VIPCORE_OPERATIONS_H
#define VIPCORE_OPERATIONS_H

#include "vipcore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------------------- import */

/** Called with (rows done, total rows) now and then. Return 0 to go on,
 *  anything else to cancel (nothing is written), as with every callback
 *  of this API that can stop its caller. */
typedef int (*vipcore_progress_fn)(void *user_data, size_t done, size_t total);

typedef struct vipcore_import_options {
  uint32_t struct_size;
  int mode;          /**< a vipcore_import_mode (default ALL_OR_NOTHING) */
  int on_duplicate;  /**< a vipcore_duplicates (default FAIL) */
  vipcore_progress_fn progress;
  void *progress_user_data;
  size_t progress_every;  /**< default 1000 */
} vipcore_import_options;

VIPCORE_EXPORT void vipcore_import_options_init(vipcore_import_options *options);

typedef struct vipcore_import_report vipcore_import_report;
/** Imports `count` callers in one transaction. *report (required) is set
 *  even when the import fails, to say what happened to each row; free it
 *  with vipcore_import_report_free. Rows the library cannot read (an enum
 *  value out of range, a struct_size too small) are reported like rows that
 *  fail validation. Returns VIPCORE_OK when the import committed (possibly
 *  with failed rows in best-effort mode). */
VIPCORE_EXPORT int vipcore_import(vipcore_import_report **report, vipcore_tenant *tenant,
                                  const vipcore_caller_input *rows, size_t count,
                                  const vipcore_import_options *options);
VIPCORE_EXPORT size_t vipcore_import_report_created(const vipcore_import_report *r);
VIPCORE_EXPORT size_t vipcore_import_report_updated(const vipcore_import_report *r);
VIPCORE_EXPORT size_t vipcore_import_report_skipped(const vipcore_import_report *r);
VIPCORE_EXPORT size_t vipcore_import_report_failed(const vipcore_import_report *r);
VIPCORE_EXPORT int vipcore_import_report_committed(const vipcore_import_report *r);
VIPCORE_EXPORT size_t vipcore_import_report_error_count(const vipcore_import_report *r);
/** The i-th failed row: its 0-based index in the input, its code, field and message. */
VIPCORE_EXPORT size_t vipcore_import_report_error_row(const vipcore_import_report *r, size_t i);
VIPCORE_EXPORT int vipcore_import_report_error_code(const vipcore_import_report *r, size_t i);
VIPCORE_EXPORT const char *vipcore_import_report_error_field(const vipcore_import_report *r, size_t i);
VIPCORE_EXPORT const char *vipcore_import_report_error_message(const vipcore_import_report *r, size_t i);
VIPCORE_EXPORT void vipcore_import_report_free(vipcore_import_report *r);

/* ------------------------------------------------------------- escalation */

/** Bits of vipcore_rule_input.fields: which fields an update changes. */
#define VIPCORE_RULE_FIELD_NAME (1u << 0)
#define VIPCORE_RULE_FIELD_VIP_LEVELS (1u << 1)
#define VIPCORE_RULE_FIELD_MAX_WAIT_TIME (1u << 2)
#define VIPCORE_RULE_FIELD_MAX_QUEUE_POSITION (1u << 3)
#define VIPCORE_RULE_FIELD_ESCALATION_TYPE (1u << 4)
#define VIPCORE_RULE_FIELD_TIER (1u << 5)
#define VIPCORE_RULE_FIELD_NOTIFY (1u << 6)
#define VIPCORE_RULE_FIELD_IS_ACTIVE (1u << 7)
#define VIPCORE_RULE_FIELD_PRIORITY (1u << 8)
#define VIPCORE_RULE_FIELD_SCHEDULE (1u << 9)
#define VIPCORE_RULE_FIELD_BUSINESS_HOURS (1u << 10)

/** An escalation rule's fields. Initialize with vipcore_rule_input_init(). */
typedef struct vipcore_rule_input {
  uint32_t struct_size;
  uint32_t fields;          /**< for updates only: VIPCORE_RULE_FIELD_* bits */
  const char *name;
  uint32_t level_mask;      /**< bit n = level n; 0: every level */
  int max_wait_time;        /**< seconds; -1: no wait condition */
  int max_queue_position;   /**< -1: no position condition */
  const char *escalation_type;  /**< "agent", "supervisor", "manager" or custom; NULL: "supervisor" */
  int tier;                 /**< 0: the type's built-in tier */
  const char *const *emails;
  size_t email_count;
  const char *const *sms_numbers;
  size_t sms_count;
  const char *const *internal_alerts;
  size_t internal_alert_count;
  int is_active;            /**< default 1 */
  int priority;             /**< 1 is evaluated first (default 1) */
  int schedule;             /**< a vipcore_schedule (default ALWAYS) */
  const char *business_hours;  /**< "mon-fri 09:00-17:00"...; NULL: the tenant's */
} vipcore_rule_input;

VIPCORE_EXPORT void vipcore_rule_input_init(vipcore_rule_input *input);

typedef struct vipcore_rule vipcore_rule;
VIPCORE_EXPORT int vipcore_rule_create(vipcore_rule **out, vipcore_tenant *tenant, const vipcore_rule_input *input);
VIPCORE_EXPORT int vipcore_rule_get(vipcore_rule **out, vipcore_tenant *tenant, const char *id);
VIPCORE_EXPORT int vipcore_rule_update(vipcore_rule **out, vipcore_tenant *tenant, const char *id,
                                       const vipcore_rule_input *changes);
VIPCORE_EXPORT int vipcore_rule_delete(vipcore_tenant *tenant, const char *id);
VIPCORE_EXPORT void vipcore_rule_free(vipcore_rule *rule);
VIPCORE_EXPORT const char *vipcore_rule_id(const vipcore_rule *r);
VIPCORE_EXPORT const char *vipcore_rule_name(const vipcore_rule *r);
VIPCORE_EXPORT uint32_t vipcore_rule_level_mask(const vipcore_rule *r);
VIPCORE_EXPORT int vipcore_rule_max_wait_time(const vipcore_rule *r);       /**< -1 when none */
VIPCORE_EXPORT int vipcore_rule_max_queue_position(const vipcore_rule *r);  /**< -1 when none */
VIPCORE_EXPORT const char *vipcore_rule_escalation_type(const vipcore_rule *r);
VIPCORE_EXPORT int vipcore_rule_tier(const vipcore_rule *r);
VIPCORE_EXPORT int vipcore_rule_is_active(const vipcore_rule *r);
VIPCORE_EXPORT int vipcore_rule_priority(const vipcore_rule *r);
VIPCORE_EXPORT int vipcore_rule_schedule(const vipcore_rule *r);
VIPCORE_EXPORT size_t vipcore_rule_email_count(const vipcore_rule *r);
VIPCORE_EXPORT const char *vipcore_rule_email(const vipcore_rule *r, size_t i);
/** SMS targets, normalized to E.164. */
VIPCORE_EXPORT size_t vipcore_rule_sms_count(const vipcore_rule *r);
VIPCORE_EXPORT const char *vipcore_rule_sms(const vipcore_rule *r, size_t i);
VIPCORE_EXPORT size_t vipcore_rule_internal_alert_count(const vipcore_rule *r);
VIPCORE_EXPORT const char *vipcore_rule_internal_alert(const vipcore_rule *r, size_t i);
/** The rule's own business hours in text form; "" when it uses the tenant's. */
VIPCORE_EXPORT const char *vipcore_rule_business_hours(const vipcore_rule *r);

typedef struct vipcore_rule_list vipcore_rule_list;
/** The tenant's rules in evaluation order. */
VIPCORE_EXPORT int vipcore_rule_list_get(vipcore_rule_list **out, vipcore_tenant *tenant);
VIPCORE_EXPORT size_t vipcore_rule_list_count(const vipcore_rule_list *list);
VIPCORE_EXPORT const vipcore_rule *vipcore_rule_list_at(const vipcore_rule_list *list, size_t i);
VIPCORE_EXPORT void vipcore_rule_list_free(vipcore_rule_list *list);

typedef struct vipcore_escalation vipcore_escalation;
/** The escalation check of a waiting call. With a call_id each (call, rule)
 *  triggers and notifies once; with NULL or "" the check only evaluates. */
VIPCORE_EXPORT int vipcore_escalation_check(vipcore_escalation **out, vipcore_tenant *tenant, const char *caller_id,
                                            int wait_seconds, int queue_position, const char *call_id);
/** The same check for the caller vipcore_identify returned in `who` (which
 *  must be a VIP): no lookup by id, the cheaper call for a PBX polling every
 *  few seconds. */
VIPCORE_EXPORT int vipcore_escalation_check_caller(vipcore_escalation **out, vipcore_tenant *tenant,
                                                   const vipcore_identification *who, int wait_seconds,
                                                   int queue_position, const char *call_id);
VIPCORE_EXPORT int vipcore_escalation_should_escalate(const vipcore_escalation *e);
VIPCORE_EXPORT int vipcore_escalation_highest_tier(const vipcore_escalation *e);
VIPCORE_EXPORT const char *vipcore_escalation_highest_type(const vipcore_escalation *e);
VIPCORE_EXPORT int vipcore_escalation_sla_breached(const vipcore_escalation *e);
VIPCORE_EXPORT size_t vipcore_escalation_triggered_count(const vipcore_escalation *e);
VIPCORE_EXPORT const char *vipcore_escalation_triggered_rule_id(const vipcore_escalation *e, size_t i);
VIPCORE_EXPORT const char *vipcore_escalation_triggered_rule_name(const vipcore_escalation *e, size_t i);
VIPCORE_EXPORT int vipcore_escalation_triggered_tier(const vipcore_escalation *e, size_t i);
VIPCORE_EXPORT int vipcore_escalation_triggered_already(const vipcore_escalation *e, size_t i);
VIPCORE_EXPORT int vipcore_escalation_triggered_notified(const vipcore_escalation *e, size_t i);
/** Which condition of the i-th triggered rule the call exceeded (either or both). */
VIPCORE_EXPORT int vipcore_escalation_triggered_wait_exceeded(const vipcore_escalation *e, size_t i);
VIPCORE_EXPORT int vipcore_escalation_triggered_position_exceeded(const vipcore_escalation *e, size_t i);
/** Notifications that failed in this check (a later check retries them):
 *  how many, and for the i-th the rule, the result code and the message. */
VIPCORE_EXPORT size_t vipcore_escalation_notification_failures(const vipcore_escalation *e);
VIPCORE_EXPORT const char *vipcore_escalation_failure_rule_id(const vipcore_escalation *e, size_t i);
VIPCORE_EXPORT int vipcore_escalation_failure_code(const vipcore_escalation *e, size_t i);
VIPCORE_EXPORT const char *vipcore_escalation_failure_message(const vipcore_escalation *e, size_t i);
VIPCORE_EXPORT void vipcore_escalation_free(vipcore_escalation *e);

/* ------------------------------------------------ call history, analytics */

/** One VIP call, reported when it ends. */
typedef struct vipcore_call_input {
  uint32_t struct_size;
  const char *call_id;        /**< unique in the tenant */
  const char *caller_id;
  int vip_level_at_call;      /**< -1: the caller's level now */
  uint32_t handling_rules_applied;
  int wait_seconds;
  int escalation_triggered;
  int satisfaction_rating;    /**< 1..5; 0: none */
  int has_quality_score;
  double service_quality_score;  /**< 0..100 */
  int64_t at_ms;              /**< 0: now */
} vipcore_call_input;

VIPCORE_EXPORT void vipcore_call_input_init(vipcore_call_input *input);
/** Records a call and keeps the caller's totals current. */
VIPCORE_EXPORT int vipcore_record_call(vipcore_tenant *tenant, const vipcore_call_input *call);

typedef struct vipcore_call_list vipcore_call_list;
/** One caller's recorded calls with start_ms <= at < end_ms, oldest first,
 *  at most `limit` (0: no limit). */
VIPCORE_EXPORT int vipcore_call_history_get(vipcore_call_list **out, vipcore_tenant *tenant, const char *caller_id,
                                            int64_t start_ms, int64_t end_ms, uint64_t limit);
VIPCORE_EXPORT size_t vipcore_call_list_count(const vipcore_call_list *list);
/* The i-th call's fields; "" or 0 when i is out of range. */
VIPCORE_EXPORT const char *vipcore_call_id(const vipcore_call_list *list, size_t i);
VIPCORE_EXPORT int64_t vipcore_call_at(const vipcore_call_list *list, size_t i);
VIPCORE_EXPORT int vipcore_call_level(const vipcore_call_list *list, size_t i); /**< -1 out of range */
VIPCORE_EXPORT uint32_t vipcore_call_handling_rules(const vipcore_call_list *list, size_t i);
VIPCORE_EXPORT int vipcore_call_wait_seconds(const vipcore_call_list *list, size_t i);
/** The caller's target wait when the call was recorded: the SLA it was measured against. */
VIPCORE_EXPORT int vipcore_call_max_wait_time(const vipcore_call_list *list, size_t i);
VIPCORE_EXPORT int vipcore_call_escalated(const vipcore_call_list *list, size_t i);
/** 1..5; 0 when the call was not rated. */
VIPCORE_EXPORT int vipcore_call_rating(const vipcore_call_list *list, size_t i);
/** 1 and *out set when the call has a quality score, else 0. */
VIPCORE_EXPORT int vipcore_call_quality(const vipcore_call_list *list, size_t i, double *out);
VIPCORE_EXPORT void vipcore_call_list_free(vipcore_call_list *list);

/** What a set of calls adds up to. Rates and averages are -1 when there is
 *  nothing to compute them over. This struct is embedded in others and has
 *  no struct_size: it keeps its layout; new figures would come as new fields
 *  of the structs that embed it. */
typedef struct vipcore_call_stats {
  uint64_t calls;
  double wait_average;
  int wait_max;
  int wait_p50;
  int wait_p90;
  uint64_t sla_met;
  double sla_met_rate;
  uint64_t escalations;
  double escalation_rate;
  uint64_t rated_calls;
  double average_satisfaction;
  uint64_t scored_calls;
  double average_quality;
  uint64_t handling_rules_applied[6];  /**< indexed by vipcore_rule_bit */
} vipcore_call_stats;

typedef struct vipcore_caller_analytics {
  uint32_t struct_size;
  vipcore_call_stats stats;
} vipcore_caller_analytics;

typedef struct vipcore_overview {
  uint32_t struct_size;
  uint64_t callers[5][3];  /**< callers now, [level][status] */
  uint64_t total_callers;
  vipcore_call_stats all;
  vipcore_call_stats by_level[5];
} vipcore_overview;

/** The range of a report from the text of its bounds, each a date
 *  (YYYY-MM-DD) or an ISO 8601 time: *start_ms <= at < *end_ms. A date is a
 *  whole local day in the tenant's time zone: as `start` that day's first
 *  instant, as `end` the next day's, so "2024-01-01" to "2024-01-31" is all
 *  of January. A time is exact, and the end excluded. Errors name "start" or
 *  "end"; both outputs are 0 then. */
VIPCORE_EXPORT int vipcore_date_range(int64_t *start_ms, int64_t *end_ms, vipcore_tenant *tenant, const char *start,
                                      const char *end);
/** Analytics of one caller's calls with start_ms <= at < end_ms. Set out->struct_size first. */
VIPCORE_EXPORT int vipcore_caller_analytics_get(vipcore_caller_analytics *out, vipcore_tenant *tenant,
                                                const char *caller_id, int64_t start_ms, int64_t end_ms);
/** The tenant's overview over start_ms <= at < end_ms. Set out->struct_size first. */
VIPCORE_EXPORT int vipcore_overview_get(vipcore_overview *out, vipcore_tenant *tenant, int64_t start_ms,
                                        int64_t end_ms);

typedef struct vipcore_alert_list vipcore_alert_list;
/** The alerts over start_ms <= at < end_ms, with the tenant's thresholds. */
VIPCORE_EXPORT int vipcore_alerts_get(vipcore_alert_list **out, vipcore_tenant *tenant, int64_t start_ms,
                                      int64_t end_ms);
VIPCORE_EXPORT size_t vipcore_alert_count(const vipcore_alert_list *list);
VIPCORE_EXPORT int vipcore_alert_kind(const vipcore_alert_list *list, size_t i);   /**< a VIPCORE_ALERT_* kind */
VIPCORE_EXPORT int vipcore_alert_level(const vipcore_alert_list *list, size_t i);  /**< -1 when none */
VIPCORE_EXPORT double vipcore_alert_measured(const vipcore_alert_list *list, size_t i);
VIPCORE_EXPORT double vipcore_alert_threshold(const vipcore_alert_list *list, size_t i);
VIPCORE_EXPORT const char *vipcore_alert_message(const vipcore_alert_list *list, size_t i);
VIPCORE_EXPORT void vipcore_alert_list_free(vipcore_alert_list *list);

/** Deletes calls and escalation triggers older than before_ms, batch_size
 *  rows per transaction (0: 10000); either count pointer may be NULL. */
VIPCORE_EXPORT int vipcore_purge(vipcore_tenant *tenant, int64_t before_ms, uint64_t batch_size,
                                 uint64_t *calls_purged, uint64_t *triggers_purged);

/* ---------------------------------------------------------------- metrics */

/** A tenant's counters since its database handle opened. */
typedef struct vipcore_metrics {
  uint32_t struct_size;
  uint64_t identify_attempted;
  uint64_t identify_matched;
  uint64_t identify_not_vip;
  uint64_t identify_failed;
  uint64_t escalation_checks;
  uint64_t escalations_by_level[5];
  uint64_t notification_failures;
  uint64_t calls_recorded_by_level[5];
  uint64_t wait_seconds_sum_by_level[5];
  /** Identify calls answered from the cache, without a storage read
   *  (vipcore_open_options.cache_bytes); and the numbers and bytes the
   *  tenant's cache holds now. Filled when struct_size reaches them. */
  uint64_t identify_cache_hits;
  uint64_t cache_entries;
  uint64_t cache_bytes;
} vipcore_metrics;

VIPCORE_EXPORT int vipcore_metrics_get(vipcore_metrics *out, vipcore_tenant *tenant);
/** Every tenant's counters in Prometheus text format. Free *out with vipcore_free. */
VIPCORE_EXPORT int vipcore_metrics_prometheus(char **out, vipcore_db *db);

/* ------------------------------------------------------------------ audit */

typedef struct vipcore_audit_query {
  uint32_t struct_size;
  int64_t from_ms;         /**< 0: from the start */
  int64_t until_ms;        /**< 0: to the end */
  const char *actor_id;    /**< NULL: any */
  const char *entity_id;   /**< NULL: any */
  size_t limit;            /**< 0: no limit (default 1000) */
} vipcore_audit_query;

VIPCORE_EXPORT void vipcore_audit_query_init(vipcore_audit_query *query);

typedef struct vipcore_audit_list vipcore_audit_list;
/** The tenant's audit entries, oldest first (ADMIN and AUDITOR). */
VIPCORE_EXPORT int vipcore_audit_get(vipcore_audit_list **out, vipcore_tenant *tenant,
                                     const vipcore_audit_query *query);
/** The entries that belong to no tenant (master key rotations), oldest first. */
VIPCORE_EXPORT int vipcore_db_audit_get(vipcore_audit_list **out, vipcore_db *db, const vipcore_audit_query *query);
VIPCORE_EXPORT size_t vipcore_audit_count(const vipcore_audit_list *list);
VIPCORE_EXPORT int64_t vipcore_audit_at(const vipcore_audit_list *list, size_t i);
VIPCORE_EXPORT const char *vipcore_audit_actor(const vipcore_audit_list *list, size_t i);
VIPCORE_EXPORT int vipcore_audit_role(const vipcore_audit_list *list, size_t i);
VIPCORE_EXPORT const char *vipcore_audit_action(const vipcore_audit_list *list, size_t i);
VIPCORE_EXPORT const char *vipcore_audit_entity_type(const vipcore_audit_list *list, size_t i);
VIPCORE_EXPORT const char *vipcore_audit_entity_id(const vipcore_audit_list *list, size_t i);
/** The changed fields' names, comma-separated ("" when none). */
VIPCORE_EXPORT const char *vipcore_audit_fields(const vipcore_audit_list *list, size_t i);
VIPCORE_EXPORT const char *vipcore_audit_outcome(const vipcore_audit_list *list, size_t i);
VIPCORE_EXPORT void vipcore_audit_list_free(vipcore_audit_list *list);

/* ------------------------------------------------------------------- keys */

/** Rotates the master key to `new_key_file` (or `new_key`, 32 bytes; give
 *  exactly one), acting as `actor_id` with `role` (a vipcore_role; only
 *  VIPCORE_ROLE_ADMIN may, else VIPCORE_EPERM). See
 *  Database::rotate_master_key in database.hpp. */
VIPCORE_EXPORT int vipcore_rotate_master_key(vipcore_db *db, const char *new_key_file, const uint8_t *new_key,
                                             size_t new_key_len, const char *actor_id, int role);

/* ------------------------------------------------------------- API tokens */

/** Makes an API token (Tenant::create_api_token in tenant.hpp): whoever
 *  presents it acts in the tenant as `holder_id` with `holder_role` (a
 *  vipcore_role). Only an ADMIN scope may (else VIPCORE_EPERM); the change is
 *  audited. *out_token is the token, which exists nowhere else (only its
 *  keyed hash is stored), and *out_id the id that lists and revokes it:
 *  new strings, free each with vipcore_free. */
VIPCORE_EXPORT int vipcore_api_token_create(char **out_token, char **out_id, vipcore_tenant *tenant,
                                            const char *holder_id, int holder_role);
/** Refuses the token from now on, in every process. VIPCORE_ENOTFOUND when
 *  the tenant has no token with this id. ADMIN only. */
VIPCORE_EXPORT int vipcore_api_token_revoke(vipcore_tenant *tenant, const char *id);
/** Opens the scope a token gives: its tenant, acting as its holder.
 *  VIPCORE_EPERM for a malformed, unknown or revoked token (the message never
 *  repeats it). Close it with vipcore_tenant_close. */
VIPCORE_EXPORT int vipcore_tenant_open_with_token(vipcore_tenant **out, vipcore_db *db, const char *token);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VIPCORE_OPERATIONS_H */
