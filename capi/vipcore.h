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
  /** Bytes identify's cache may use, over every tenant (default 256 MiB;
   *  0: off, every identify reads the database). It holds hashes and sealed
   *  fields, and a change committed by any process is seen by the next
   *  identify all the same. */
  uint64_t cache_bytes;
  /** Nonzero (the default): the cache may also keep the decrypted name and
   *  greeting of a VIP that called, so that the next call need not decrypt
   *  them: only in memory locked in RAM and kept out of core dumps, wiped
   *  when the entry goes, at most half of RLIMIT_MEMLOCK. 0: sealed fields
   *  only, opened on every hit. */
  int cache_decrypted;
} vipcore_open_options;

/** Sets every option to its default. */
VIPCORE_EXPORT void vipcore_open_options_init(vipcore_open_options *options);

/** Opens or creates the database `path` names. `path` is a location
 *  string: a SQLite file ("/var/lib/pbx/vip.db", "sqlite:vip.db",
 *  "sqlite:///var/lib/pbx/vip.db") or a PostgreSQL database
 *  ("postgresql://user@host/vip", "postgres://...", or a libpq conninfo such
 *  as "host=/run/postgresql dbname=vip"); a location that names nothing
 *  (empty, an unknown scheme, or PostgreSQL in a vipcore built without it)
 *  is VIPCORE_EINVAL naming "path". For SQLite, only a missing file is
 *  created (and only with create_if_missing): an existing file that is not a
 *  vipcore database (an empty file, a SQLite file without vipcore's schema)
 *  is refused with VIPCORE_EVERSION, "not a vipcore database", and left as
 *  it is (a file that is not SQLite at all: VIPCORE_ESTORAGE).
 *  @param out      receives the handle; NULL on failure
 *  @param path     the database's location (above)
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

/* The rest of the API (import, escalation, call history and analytics,
 * metrics, audit, keys) is in vipcore_operations.h, included here. */

#ifdef __cplusplus
} /* extern "C" */
#endif

#include "vipcore_operations.h"

#endif /* VIPCORE_H */
