/* vipcore — the C API.
 *
 * Conventions (as in LevelDB's c.h, SQLite and libgit2):
 *  - every handle is opaque; each function that creates one has exactly one
 *    matching _free / _close, and passing NULL to it does nothing;
 *  - every call that can fail returns an int: VIPCORE_OK (0) or a negative
 *    VIPCORE_E* code; the output parameter, when there is one, comes first
 *    and is set to NULL (or zeroed) on failure;
 *  - after a failure, vipcore_last_error() describes it. The message belongs
 *    to the calling thread and stays valid until its next failing vipcore
 *    call. Messages never contain a key, a phone number or a decrypted field;
 *  - strings are NUL-terminated UTF-8. Strings passed in are copied; no call
 *    keeps a pointer it was given. Strings returned by accessors belong to
 *    the handle they come from and live as long as it does;
 *  - times are milliseconds since 1970-01-01T00:00:00Z (int64_t); 0 means
 *    "not set" wherever a time is optional;
 *  - no C++ exception ever crosses this API; a NULL argument where one is
 *    required is VIPCORE_EINVAL, never a crash;
 *  - structs begin with `struct_size`: initialize them with their _init
 *    function (or *_INIT macro), which sets it to the size this header knows.
 *    The library reads and writes only the fields that fit in it, so later
 *    versions can add fields at the end without breaking programs built
 *    against this header.
 *
 * Threading: vipcore_db and vipcore_tenant handles are safe for concurrent
 * use from multiple threads. The other handles (callers, lists, results,
 * reports) are values: share one between threads only with external
 * synchronization. Closing or freeing a handle requires that no other
 * thread is using it.
 */
#ifndef VIPCORE_H
#define VIPCORE_H

#include <stddef.h>
#include <stdint.h>

#include "vipcore/export.h"
#include "vipcore/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ errors */

/** Result codes: the C++ API's vipcore::Code values, negated. */
enum {
  VIPCORE_OK = 0,
  VIPCORE_EINVAL = -1,      /**< a bad argument; vipcore_last_error_field() names it */
  VIPCORE_ENOTFOUND = -2,   /**< no such caller, rule... */
  VIPCORE_EEXISTS = -3,     /**< e.g. a number that already belongs to a VIP */
  VIPCORE_EPERM = -4,       /**< the actor's role may not do this */
  VIPCORE_ESTORAGE = -5,    /**< the database file failed (I/O, corruption, full disk) */
  VIPCORE_EBUSY = -6,       /**< the database stayed locked past the busy timeout */
  VIPCORE_EKEY = -7,        /**< wrong, missing or malformed key */
  VIPCORE_EINTEGRITY = -8,  /**< stored data failed authentication (tampered) */
  VIPCORE_EVERSION = -9,    /**< a database from a newer vipcore, or not a vipcore database */
  VIPCORE_ENOTIFIER = -10,  /**< an escalation notifier failed */
  VIPCORE_EINTERNAL = -11,  /**< a bug in vipcore */
  VIPCORE_ENOMEM = -12      /**< out of memory */
};

/** The message of this thread's last failure ("" if none). */
VIPCORE_EXPORT const char *vipcore_last_error(void);
/** The field the last failure named ("" if none), e.g. "caller_name". */
VIPCORE_EXPORT const char *vipcore_last_error_field(void);
/** Forgets this thread's last failure: vipcore_last_error() and
 *  vipcore_last_error_field() return "" until the next failing call. (A
 *  successful call leaves the last error as it was; clear it first to tell
 *  whether a sequence of calls failed.) */
VIPCORE_EXPORT void vipcore_clear_error(void);
/** A static description of a result code, e.g. "not found". */
VIPCORE_EXPORT const char *vipcore_strerror(int code);

/** The library's version, "x.y.z". Static storage. */
VIPCORE_EXPORT const char *vipcore_version(void);
/** The library's VIPCORE_VERSION_NUMBER; compare with the header's. */
VIPCORE_EXPORT int vipcore_version_number(void);

/** Frees a string the library returned (documented where it does). NULL is a no-op. */
VIPCORE_EXPORT void vipcore_free(void *p);

/** Parses "2024-01-31" or an ISO 8601 time into milliseconds since the epoch. */
VIPCORE_EXPORT int vipcore_parse_time(int64_t *out_ms, const char *text);

/* ------------------------------------------------------------------- enums */

/** VIP levels: a higher value is a more important caller. */
typedef enum vipcore_level {
  VIPCORE_LEVEL_STANDARD = 0,
  VIPCORE_LEVEL_SILVER = 1,
  VIPCORE_LEVEL_GOLD = 2,
  VIPCORE_LEVEL_PLATINUM = 3,
  VIPCORE_LEVEL_DIAMOND = 4
} vipcore_level;

/** Caller statuses. Only ACTIVE callers are identified as VIP. */
typedef enum vipcore_status {
  VIPCORE_STATUS_ACTIVE = 0,
  VIPCORE_STATUS_INACTIVE = 1,
  VIPCORE_STATUS_SUSPENDED = 2
} vipcore_status;

/** Handling rules, as bits of a mask: (1u << VIPCORE_RULE_x). */
typedef enum vipcore_rule_bit {
  VIPCORE_RULE_IMMEDIATE_TRANSFER = 0,
  VIPCORE_RULE_DEDICATED_AGENT = 1,
  VIPCORE_RULE_PRIORITY_QUEUE = 2,
  VIPCORE_RULE_CUSTOM_GREETING = 3,
  VIPCORE_RULE_EXTENDED_HOURS = 4,
  VIPCORE_RULE_CALLBACK_PRIORITY = 5
} vipcore_rule_bit;

/** Roles of the actor a tenant scope acts as. */
typedef enum vipcore_role {
  VIPCORE_ROLE_ADMIN = 0,
  VIPCORE_ROLE_MANAGER = 1,
  VIPCORE_ROLE_AGENT = 2,
  VIPCORE_ROLE_SYSTEM = 3, /**< the PBX itself */
  VIPCORE_ROLE_AUDITOR = 4
} vipcore_role;

/** Why a number was or was not identified as a VIP. */
typedef enum vipcore_match {
  VIPCORE_MATCH_VIP = 0,
  VIPCORE_MATCH_NOT_FOUND = 1,
  VIPCORE_MATCH_INACTIVE = 2,
  VIPCORE_MATCH_SUSPENDED = 3,
  VIPCORE_MATCH_NOT_YET_VALID = 4,
  VIPCORE_MATCH_EXPIRED = 5
} vipcore_match;

/** The first thing the PBX should do with a call. */
typedef enum vipcore_route_action {
  VIPCORE_ROUTE_TRANSFER = 0,       /**< connect to target_agent_id now */
  VIPCORE_ROUTE_WAIT_FOR_AGENT = 1, /**< hold for target_agent_id up to wait_seconds, then ask again */
  VIPCORE_ROUTE_QUEUE = 2,          /**< queue with queue_priority (at the front when front_of_queue) */
  VIPCORE_ROUTE_AFTER_HOURS = 3     /**< closed: voicemail, or a callback when offer_callback */
} vipcore_route_action;

/** When an escalation rule applies. */
typedef enum vipcore_schedule {
  VIPCORE_SCHEDULE_ALWAYS = 0,
  VIPCORE_SCHEDULE_INSIDE_BUSINESS_HOURS = 1,
  VIPCORE_SCHEDULE_OUTSIDE_BUSINESS_HOURS = 2
} vipcore_schedule;

/** Bulk import: what a bad row does, and what a duplicate number does. */
typedef enum vipcore_import_mode { VIPCORE_IMPORT_ALL_OR_NOTHING = 0, VIPCORE_IMPORT_BEST_EFFORT = 1 } vipcore_import_mode;
typedef enum vipcore_duplicates {
  VIPCORE_DUPLICATES_FAIL = 0,
  VIPCORE_DUPLICATES_SKIP = 1,
  VIPCORE_DUPLICATES_UPDATE = 2
} vipcore_duplicates;

/** Kinds of alert. */
typedef enum vipcore_alert_kind_e {
  VIPCORE_ALERT_ESCALATION_RATE = 0,
  VIPCORE_ALERT_WAIT_TIME = 1,
  VIPCORE_ALERT_FAILED_IDENTIFICATIONS = 2,
  VIPCORE_ALERT_QUALITY_DROP = 3
} vipcore_alert_kind_t;

/* -------------------------------------------------------- database, tenant */

typedef struct vipcore_db vipcore_db;
typedef struct vipcore_tenant vipcore_tenant;

/** What a notifier receives when an escalation rule triggers for a call.
 *  Every pointer is valid only during the callback. It holds no number of
 *  the caller's; sms_numbers are the rule's own notification targets. */
typedef struct vipcore_escalation_notice {
  uint32_t struct_size;
  const char *tenant_id;
  const char *call_id;
  const char *rule_id;
  const char *rule_name;
  const char *escalation_type;  /**< "agent", "supervisor", "manager" or a custom name */
  int tier;
  const char *const *emails;
  size_t email_count;
  const char *const *sms_numbers;
  size_t sms_count;
  const char *const *internal_alerts;
  size_t internal_alert_count;
  const char *caller_id;
  const char *caller_name;
  int vip_level;
  int wait_seconds;
  int queue_position;
  int64_t at_ms;
} vipcore_escalation_notice;

/** Delivers an escalation notice (e-mail, SMS, wallboard...). Called from the
 *  thread that runs the escalation check, possibly from several threads at
 *  once. Return 0 on success; anything else is a failure that the check
 *  reports and a later check of the same call retries. */
typedef int (*vipcore_notify_fn)(void *user_data, const vipcore_escalation_notice *notice);

/** The current time in milliseconds since the epoch, for tests that fix
 *  time (validity windows, business hours, analytics ranges). Called from
 *  any thread that uses the database, possibly from several at once. */
typedef int64_t (*vipcore_now_fn)(void *user_data);

/** Options of vipcore_open and vipcore_open_memory. Initialize with
 *  vipcore_open_options_init(). */
typedef struct vipcore_open_options {
  uint32_t struct_size;
  /** The master key: either a key file (64 hex characters, mode 0600)... */
  const char *key_file;
  /** ...or key_len (32) raw bytes. Exactly one of the two must be given. */
  const uint8_t *key;
  size_t key_len;
  /** The numbering region (ISO 3166-1 alpha-2: "US", "GB", "DE"...) of
   *  tenants that set none in their settings (vipcore_settings.region). A
   *  new database stores it (NULL: "US"); an existing one keeps its own, and
   *  opening it with another is VIPCORE_EINVAL naming "default_region"
   *  (NULL: the database's, whatever it is). */
  const char *default_region;
  /** Milliseconds to wait for another process's write lock (default 5000). */
  int busy_timeout_ms;
  /** 0: do not create a missing database file (default 1: create). */
  int create_if_missing;
  /** Escalation notices go here (NULL: none are sent; triggers are still recorded). */
  vipcore_notify_fn notifier;
  void *notifier_user_data;
  /** The clock (NULL: the system clock). Read only from a struct_size that
   *  reaches it, like every field added after the first version. */
  vipcore_now_fn clock;
  void *clock_user_data;
  /** Nonzero: open the file read-only (identify from a database on a full
   *  disk or in a directory this process may not write); every write fails
   *  with VIPCORE_ESTORAGE saying so, and nothing is created. */
  int read_only;
  /** Permission bits of a new database file and its -wal and -shm files
   *  (default 0600: owner only). */
  unsigned file_mode;
} vipcore_open_options;

/** Sets every option to its default. */
VIPCORE_EXPORT void vipcore_open_options_init(vipcore_open_options *options);

/** Opens or creates the SQLite database at `path`. Only a missing file is
 *  created (and only with create_if_missing): an existing file that is not a
 *  vipcore database (an empty file, a SQLite file without vipcore's schema)
 *  is refused with VIPCORE_EVERSION, "not a vipcore database", and left as
 *  it is (a file that is not SQLite at all: VIPCORE_ESTORAGE).
 *  @param out      receives the handle; NULL on failure
 *  @param path     the database file
 *  @param options  required (a key is required)
 *  @return VIPCORE_OK, VIPCORE_EKEY (wrong key), VIPCORE_EVERSION, VIPCORE_ESTORAGE, ... */
VIPCORE_EXPORT int vipcore_open(vipcore_db **out, const char *path, const vipcore_open_options *options);
/** Opens a new, empty database held in memory (vipcore's in-memory
 *  backend), for integrators' tests: the same API and checks as a file,
 *  nothing on disk, gone when closed. busy_timeout_ms and
 *  create_if_missing do not apply. */
VIPCORE_EXPORT int vipcore_open_memory(vipcore_db **out, const vipcore_open_options *options);
/** Closes the database. Tenant handles opened from it stay usable until
 *  closed; the file is closed when the last one is. NULL is a no-op. */
VIPCORE_EXPORT void vipcore_close(vipcore_db *db);

/** Opens a scope on one tenant, acting as `actor_id` with `role` (a
 *  vipcore_role, taken as int so that any value can be checked safely).
 *  @return VIPCORE_OK or VIPCORE_EINVAL (bad tenant id, actor or role) */
VIPCORE_EXPORT int vipcore_tenant_open(vipcore_tenant **out, vipcore_db *db, const char *tenant_id,
                                       const char *actor_id, int role);
/** NULL is a no-op. */
VIPCORE_EXPORT void vipcore_tenant_close(vipcore_tenant *tenant);

/* --------------------------------------------------------------- identify */

#define VIPCORE_ID_SIZE 129        /**< ids up to 128 bytes and a NUL */
#define VIPCORE_NAME_SIZE 256      /**< caller_name up to 255 bytes and a NUL */
#define VIPCORE_GREETING_SIZE 1025 /**< custom_greeting up to 1024 bytes and a NUL */

/** What vipcore_identify fills. Fixed-size, so that identify allocates nothing. */
typedef struct vipcore_identification {
  uint32_t struct_size;
  int is_vip;           /**< 1 when the caller is a VIP now */
  int match;            /**< a vipcore_match */
  int routing_priority; /**< 0-100; 0 when not a VIP */
  int level;            /**< a vipcore_level (when is_vip) */
  uint32_t handling_rules; /**< mask of (1u << vipcore_rule_bit) */
  int max_wait_time;    /**< seconds */
  int callback_priority;
  char caller_id[VIPCORE_ID_SIZE]; /**< set whenever a caller owns the number */
  char caller_name[VIPCORE_NAME_SIZE];
  char custom_greeting[VIPCORE_GREETING_SIZE];
  char preferred_agent_id[VIPCORE_ID_SIZE];
  char preferred_department_id[VIPCORE_ID_SIZE];
} vipcore_identification;

#define VIPCORE_IDENTIFICATION_INIT {sizeof(vipcore_identification), 0, 0, 0, 0, 0, 0, 0, {0}, {0}, {0}, {0}, {0}}

/** The hot path: is the caller at `number` a VIP? Any format of the number
 *  works ("+1 (234) 567-8900", "001 234 567 8900", ...). Fills *out (set
 *  out->struct_size first); allocates nothing once warm.
 *  @return VIPCORE_OK (also when the caller is not a VIP: see out->is_vip),
 *          VIPCORE_EINVAL for a malformed number, VIPCORE_EPERM, VIPCORE_ESTORAGE...
 *          On failure *out reads "not a VIP", so a PBX can route the call anyway. */
VIPCORE_EXPORT int vipcore_identify(vipcore_identification *out, vipcore_tenant *tenant, const char *number);

/** The routing priority (0-100) of a VIP of this level with these rules,
 *  under the tenant's policy. */
VIPCORE_EXPORT int vipcore_routing_priority(int *out, vipcore_tenant *tenant, int level, uint32_t handling_rules);

/* ---------------------------------------------------------------- routing */

/** What the PBX knows when it routes a call. */
typedef struct vipcore_pbx_state {
  uint32_t struct_size;
  const char *const *free_agents; /**< ids of the agents free now */
  size_t free_agent_count;
  int inside_business_hours;      /**< 1, 0, or -1: from the tenant's business hours */
  int waited_seconds;             /**< how long the caller has waited so far */
} vipcore_pbx_state;

VIPCORE_EXPORT void vipcore_pbx_state_init(vipcore_pbx_state *state);

/** One plain answer a PBX can act on. */
typedef struct vipcore_routing_plan {
  uint32_t struct_size;
  int action;                  /**< a vipcore_route_action */
  int is_vip;
  char target_agent_id[VIPCORE_ID_SIZE];
  int wait_seconds;            /**< for VIPCORE_ROUTE_WAIT_FOR_AGENT */
  int front_of_queue;
  int queue_priority;          /**< dynamic priority now, 0-100 */
  int asterisk_queue_prio;     /**< Asterisk QUEUE_PRIO at queue entry (higher first) */
  int freeswitch_base_score;   /**< FreeSWITCH cc_base_score: seconds of head start */
  int queue_age_bonus_seconds; /**< Amazon Connect / Genesys: seconds added to the contact's age */
  char greeting[VIPCORE_GREETING_SIZE];
  int offer_callback;
  int callback_priority;
  char reason[256];            /**< why, for logs */
} vipcore_routing_plan;

#define VIPCORE_ROUTING_PLAN_INIT {sizeof(vipcore_routing_plan), 0, 0, {0}, 0, 0, 0, 0, 0, 0, {0}, 0, 0, {0}}

/** How to route the caller `who` (as vipcore_identify filled it) now.
 *  See Tenant::routing_plan in tenant.hpp for the rules. */
VIPCORE_EXPORT int vipcore_plan_route(vipcore_routing_plan *out, vipcore_tenant *tenant,
                                      const vipcore_identification *who, const vipcore_pbx_state *state);
/** The dynamic priority of `who` after `waited_seconds` (routing.hpp gives the formula). */
VIPCORE_EXPORT int vipcore_queue_priority(int *out, vipcore_tenant *tenant, const vipcore_identification *who,
                                          int waited_seconds);

/* --------------------------------------------------------------- settings */

#define VIPCORE_TIME_ZONE_SIZE 64 /**< IANA zone names and a NUL */
#define VIPCORE_HOURS_SIZE 1024   /**< business hours in text form and a NUL */

/** A tenant's settings (settings.hpp gives their meaning and limits). Read
 *  them with vipcore_settings_get, change fields, write them back with
 *  vipcore_settings_set. Arrays are indexed by vipcore_level or
 *  vipcore_rule_bit. */
/** Sizes of vipcore_settings.region, and number_validation's values. */
#define VIPCORE_REGION_SIZE 8
#define VIPCORE_NUMBER_VALIDATION_STRICT 0
#define VIPCORE_NUMBER_VALIDATION_E164 1

typedef struct vipcore_settings {
  uint32_t struct_size;
  /** max_wait_time of callers who have none, by level (seconds). */
  int level_waits[5];
  /** Routing priority: the base of each level, plus each handling rule's bonus. */
  int level_priority[5];
  int rule_bonus[6];
  /** Dynamic priority (routing.hpp): the fraction of the target wait before
   *  the priority starts rising (0 <= x < 1), and the curve's exponent (0.25..4). */
  double dynamic_rise_start;
  double dynamic_exponent;
  /** The tenant's IANA time zone, in which business hours are read. */
  char time_zone[VIPCORE_TIME_ZONE_SIZE];
  /** "mon-fri 09:00-17:00; sat 10:00-14:00", "24/7" or "closed". */
  char business_hours[VIPCORE_HOURS_SIZE];
  /** Alert thresholds (analytics.hpp): escalation rate by level (0..1),
   *  average wait above target × wait_factor, failed identifications above
   *  this share once min_identifications were attempted, quality falling by
   *  more than max_quality_drop points; levels with fewer than min_calls
   *  calls are not judged. */
  double alert_max_escalation_rate[5];
  double alert_wait_factor;
  double alert_max_failed_identification_rate;
  uint64_t alert_min_identifications;
  double alert_max_quality_drop;
  uint64_t alert_min_calls;
  /** The numbering plan: the tenant's region, ISO 3166-1 alpha-2 ("US",
   *  "GB"), from which country code, trunk and exit prefixes follow
   *  (libphonenumber). "" in vipcore_settings_set keeps the region in force. */
  char region[VIPCORE_REGION_SIZE];
  /** What writes check of a number: VIPCORE_NUMBER_VALIDATION_STRICT
   *  (libphonenumber's possible-number check; the default) or
   *  VIPCORE_NUMBER_VALIDATION_E164 (any E.164-shaped number with a known
   *  country code, as the seed's placeholder numbers need). */
  int number_validation;
} vipcore_settings;

/** Sets every field to the defaults a tenant has before it saves any. */
VIPCORE_EXPORT void vipcore_settings_init(vipcore_settings *settings);
/** The tenant's settings (ADMIN, MANAGER and AUDITOR). Set out->struct_size
 *  first (vipcore_settings_init does). */
VIPCORE_EXPORT int vipcore_settings_get(vipcore_settings *out, vipcore_tenant *tenant);
/** Validates and saves the fields (those that fit in settings->struct_size;
 *  fields a later header adds keep their stored values); they apply at once
 *  to every tenant handle of this database. ADMIN only. VIPCORE_EINVAL names
 *  a bad field in settings.hpp's terms: "level_waits[GOLD]", "priority.level_base[GOLD]",
 *  "priority.rule_bonus[PRIORITY_QUEUE]", "dynamic_priority.exponent",
 *  "time_zone", "business_hours", "alerts.wait_factor"... */
VIPCORE_EXPORT int vipcore_settings_set(vipcore_tenant *tenant, const vipcore_settings *settings);
/** *out = 1 when the tenant is inside its business hours now, else 0. */
VIPCORE_EXPORT int vipcore_inside_business_hours(int *out, vipcore_tenant *tenant);

/* ---------------------------------------------------------------- callers */

/** Bits of vipcore_caller_input.fields: which fields an update changes. */
#define VIPCORE_FIELD_PHONE_NUMBER (1u << 0)
#define VIPCORE_FIELD_ALTERNATIVE_PHONE_NUMBERS (1u << 1)
#define VIPCORE_FIELD_CALLER_NAME (1u << 2)
#define VIPCORE_FIELD_COMPANY_NAME (1u << 3)
#define VIPCORE_FIELD_VIP_LEVEL (1u << 4)
#define VIPCORE_FIELD_STATUS (1u << 5)
#define VIPCORE_FIELD_PREFERRED_AGENT_ID (1u << 6)
#define VIPCORE_FIELD_PREFERRED_DEPARTMENT_ID (1u << 7)
#define VIPCORE_FIELD_HANDLING_RULES (1u << 8)
#define VIPCORE_FIELD_CUSTOM_GREETING (1u << 9)
#define VIPCORE_FIELD_MAX_WAIT_TIME (1u << 10)
#define VIPCORE_FIELD_CALLBACK_PRIORITY (1u << 11)
#define VIPCORE_FIELD_EMAIL (1u << 12)
#define VIPCORE_FIELD_ACCOUNT_NUMBER (1u << 13)
#define VIPCORE_FIELD_ACCOUNT_VALUE (1u << 14)
#define VIPCORE_FIELD_NOTES (1u << 15)
#define VIPCORE_FIELD_TAGS (1u << 16)
#define VIPCORE_FIELD_VALID_FROM (1u << 17)
#define VIPCORE_FIELD_VALID_UNTIL (1u << 18)

/** A caller's fields, for create, update and import. Initialize with
 *  vipcore_caller_input_init(). NULL strings are "not set" (for an update
 *  whose fields bit is set: cleared). */
typedef struct vipcore_caller_input {
  uint32_t struct_size;
  uint32_t fields;  /**< for updates only: VIPCORE_FIELD_* bits of the fields that change */
  const char *phone_number;
  const char *const *alternative_phone_numbers;
  size_t alternative_phone_count;
  const char *caller_name;
  const char *company_name;
  int vip_level;    /**< a vipcore_level; -1: STANDARD (create) */
  int status;       /**< a vipcore_status; -1: ACTIVE (create) */
  const char *preferred_agent_id;
  const char *preferred_department_id;
  uint32_t handling_rules;
  const char *custom_greeting;
  int max_wait_time;      /**< seconds; 0: the level's default */
  int callback_priority;  /**< 0: the default (1), in creates and updates */
  const char *email;
  const char *account_number;
  int has_account_value;
  double account_value;
  const char *notes;
  const char *const *tags;
  size_t tag_count;
  int64_t valid_from_ms;  /**< 0: none */
  int64_t valid_until_ms; /**< 0: none */
} vipcore_caller_input;

VIPCORE_EXPORT void vipcore_caller_input_init(vipcore_caller_input *input);

/** A caller as read back: opaque; read it with the accessors below. */
typedef struct vipcore_caller vipcore_caller;

/** Creates a caller. `out` may be NULL when the result is not needed. */
VIPCORE_EXPORT int vipcore_caller_create(vipcore_caller **out, vipcore_tenant *tenant,
                                         const vipcore_caller_input *input);
VIPCORE_EXPORT int vipcore_caller_get(vipcore_caller **out, vipcore_tenant *tenant, const char *id);
/** Changes the fields whose bits are set in changes->fields. `out` may be NULL. */
VIPCORE_EXPORT int vipcore_caller_update(vipcore_caller **out, vipcore_tenant *tenant, const char *id,
                                         const vipcore_caller_input *changes);
VIPCORE_EXPORT int vipcore_caller_delete(vipcore_tenant *tenant, const char *id);
/** NULL is a no-op. */
VIPCORE_EXPORT void vipcore_caller_free(vipcore_caller *caller);

/* Accessors. Strings are "" when not set and live as long as the caller.
 * Given NULL they return "" or 0. */
VIPCORE_EXPORT const char *vipcore_caller_id(const vipcore_caller *c);
VIPCORE_EXPORT const char *vipcore_caller_name(const vipcore_caller *c);
VIPCORE_EXPORT const char *vipcore_caller_company(const vipcore_caller *c);
VIPCORE_EXPORT int vipcore_caller_level(const vipcore_caller *c);
VIPCORE_EXPORT int vipcore_caller_status(const vipcore_caller *c);
VIPCORE_EXPORT uint32_t vipcore_caller_handling_rules(const vipcore_caller *c);
VIPCORE_EXPORT const char *vipcore_caller_greeting(const vipcore_caller *c);
VIPCORE_EXPORT const char *vipcore_caller_preferred_agent(const vipcore_caller *c);
VIPCORE_EXPORT const char *vipcore_caller_preferred_department(const vipcore_caller *c);
VIPCORE_EXPORT int vipcore_caller_max_wait_time(const vipcore_caller *c);
VIPCORE_EXPORT int vipcore_caller_callback_priority(const vipcore_caller *c);
VIPCORE_EXPORT const char *vipcore_caller_email(const vipcore_caller *c);
VIPCORE_EXPORT const char *vipcore_caller_account_number(const vipcore_caller *c);
/** 1 and *out set when the caller has an account value, else 0. */
VIPCORE_EXPORT int vipcore_caller_account_value(const vipcore_caller *c, double *out);
VIPCORE_EXPORT const char *vipcore_caller_notes(const vipcore_caller *c);
VIPCORE_EXPORT size_t vipcore_caller_tag_count(const vipcore_caller *c);
VIPCORE_EXPORT const char *vipcore_caller_tag(const vipcore_caller *c, size_t i);
/** Masked phone numbers ("*******8900"), primary first. */
VIPCORE_EXPORT size_t vipcore_caller_phone_count(const vipcore_caller *c);
VIPCORE_EXPORT const char *vipcore_caller_phone_masked(const vipcore_caller *c, size_t i);
VIPCORE_EXPORT int64_t vipcore_caller_total_calls(const vipcore_caller *c);
/** 1 and *out set when the caller has rated calls, else 0. */
VIPCORE_EXPORT int vipcore_caller_satisfaction(const vipcore_caller *c, double *out);
VIPCORE_EXPORT int64_t vipcore_caller_valid_from(const vipcore_caller *c);
VIPCORE_EXPORT int64_t vipcore_caller_valid_until(const vipcore_caller *c);
VIPCORE_EXPORT int64_t vipcore_caller_created_at(const vipcore_caller *c);
VIPCORE_EXPORT int64_t vipcore_caller_updated_at(const vipcore_caller *c);

/** Which callers vipcore_caller_list returns. */
typedef struct vipcore_list_query {
  uint32_t struct_size;
  uint64_t skip;
  uint64_t limit;      /**< 1..1000 (default 100) */
  int vip_level;       /**< -1: any */
  int status;          /**< -1: any */
  const char *search;  /**< name, company, e-mail or phone number; NULL or "": none */
} vipcore_list_query;

VIPCORE_EXPORT void vipcore_list_query_init(vipcore_list_query *query);

typedef struct vipcore_caller_list vipcore_caller_list;
VIPCORE_EXPORT int vipcore_caller_list_get(vipcore_caller_list **out, vipcore_tenant *tenant,
                                           const vipcore_list_query *query);
VIPCORE_EXPORT size_t vipcore_caller_list_count(const vipcore_caller_list *list);
/** The i-th caller, owned by the list; NULL when i is out of range. */
VIPCORE_EXPORT const vipcore_caller *vipcore_caller_list_at(const vipcore_caller_list *list, size_t i);
/** Callers whose stored data failed authentication (a damaged or tampered
 *  row) are left out of the list, which still succeeds: how many, and the
 *  i-th one's id (owned by the list; NULL out of range), so that an
 *  administrator can repair or remove them. vipcore_caller_get and
 *  vipcore_identify of such a caller fail with VIPCORE_EINTEGRITY. */
VIPCORE_EXPORT size_t vipcore_caller_list_damaged_count(const vipcore_caller_list *list);
VIPCORE_EXPORT const char *vipcore_caller_list_damaged_id(const vipcore_caller_list *list, size_t i);
VIPCORE_EXPORT void vipcore_caller_list_free(vipcore_caller_list *list);

/** Called once per caller by vipcore_caller_foreach; `caller` is valid only
 *  during the call. Return 0 to go on, anything else to stop. */
typedef int (*vipcore_caller_fn)(void *user_data, const vipcore_caller *caller);
/** Every caller of the tenant in ascending order of id, as one consistent
 *  snapshot (for exports and backups). Stopping early is not an error. A
 *  damaged caller stops the walk with VIPCORE_EINTEGRITY, the message naming
 *  its id (vipcore_caller_list_get lists the others and names the damaged). The
 *  callback must not call vipcore on this database: the walk holds a
 *  SQLite read transaction, and with vipcore_open_memory the lock that
 *  every writer of the database (in any thread) waits for until it ends. */
VIPCORE_EXPORT int vipcore_caller_foreach(vipcore_tenant *tenant, vipcore_caller_fn visit, void *user_data);

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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VIPCORE_H */
