/* vipcore — the C API.
 *
 * Conventions (as in LevelDB's c.h, SQLite and libgit2):
 *  - every handle is opaque; each vipcore_*_open has exactly one matching
 *    close, and closing NULL does nothing;
 *  - every call that can fail returns an int: VIPCORE_OK (0) or a negative
 *    VIPCORE_E* code; the output handle is the first parameter;
 *  - after a failure, vipcore_last_error() describes it. The message belongs
 *    to the calling thread and stays valid until its next failing vipcore
 *    call. Messages never contain a key, a phone number or a decrypted field;
 *  - strings are NUL-terminated UTF-8; no call keeps a pointer it was given;
 *  - no C++ exception ever crosses this API; a NULL argument where one is
 *    required is VIPCORE_EINVAL, never a crash;
 *  - structs the library fills begin with `struct_size`: set it to
 *    sizeof(the struct) (the *_INIT macros do) so that later versions can add
 *    fields without breaking programs built against this header.
 *
 * Threading: vipcore_db and vipcore_tenant handles are safe for concurrent
 * use from multiple threads. Closing a handle requires that no other thread
 * is using it.
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

/** Result codes. The C++ API's vipcore::Code values, negated. */
enum {
  VIPCORE_OK = 0,
  VIPCORE_EINVAL = -1,      /**< a bad argument; vipcore_last_error_field() names it */
  VIPCORE_ENOTFOUND = -2,   /**< no such caller */
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

/** VIP levels: a higher value is a more important caller. */
typedef enum vipcore_level {
  VIPCORE_LEVEL_STANDARD = 0,
  VIPCORE_LEVEL_SILVER = 1,
  VIPCORE_LEVEL_GOLD = 2,
  VIPCORE_LEVEL_PLATINUM = 3,
  VIPCORE_LEVEL_DIAMOND = 4
} vipcore_level;

/** Handling rules, as bits of a mask: (1u << VIPCORE_RULE_x). */
typedef enum vipcore_rule {
  VIPCORE_RULE_IMMEDIATE_TRANSFER = 0,
  VIPCORE_RULE_DEDICATED_AGENT = 1,
  VIPCORE_RULE_PRIORITY_QUEUE = 2,
  VIPCORE_RULE_CUSTOM_GREETING = 3,
  VIPCORE_RULE_EXTENDED_HOURS = 4,
  VIPCORE_RULE_CALLBACK_PRIORITY = 5
} vipcore_rule;

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

/** The library's version, "x.y.z". Static storage. */
VIPCORE_EXPORT const char *vipcore_version(void);
/** The library's VIPCORE_VERSION_NUMBER; compare with the header's. */
VIPCORE_EXPORT int vipcore_version_number(void);

/** The message of this thread's last failure ("" if none). Owned by the
 *  library; valid until this thread's next failing vipcore call. */
VIPCORE_EXPORT const char *vipcore_last_error(void);
/** The field the last VIPCORE_EINVAL/EEXISTS named ("" if none). */
VIPCORE_EXPORT const char *vipcore_last_error_field(void);
/** A static description of a result code, e.g. "not found". */
VIPCORE_EXPORT const char *vipcore_strerror(int code);

typedef struct vipcore_db vipcore_db;
typedef struct vipcore_tenant vipcore_tenant;

/** Options of vipcore_open. Initialize with vipcore_open_options_init(). */
typedef struct vipcore_open_options {
  uint32_t struct_size;
  /** The master key: either a key file (64 hex characters, mode 0600)... */
  const char *key_file;
  /** ...or key_len (32) raw bytes. Exactly one of the two must be given. */
  const uint8_t *key;
  size_t key_len;
  /** Numbers without an international prefix: country code (default 1)
   *  and trunk prefix (default "1"; NULL keeps the default). */
  int default_country_code;
  const char *trunk_prefix;
  /** Milliseconds to wait for another process's write lock (default 5000). */
  int busy_timeout_ms;
  /** 0: do not create a missing database file (default 1: create). */
  int create_if_missing;
} vipcore_open_options;

/** Sets every option to its default. */
VIPCORE_EXPORT void vipcore_open_options_init(vipcore_open_options *options);

/** Opens or creates the SQLite database at `path`.
 *  @param out      receives the handle; set to NULL on failure
 *  @param path     database file
 *  @param options  required (a key is required)
 *  @return VIPCORE_OK, VIPCORE_EKEY (wrong key), VIPCORE_EVERSION, VIPCORE_ESTORAGE, ... */
VIPCORE_EXPORT int vipcore_open(vipcore_db **out, const char *path, const vipcore_open_options *options);
/** Closes the database. Tenant handles opened from it stay usable until
 *  closed; the file is closed when the last one is. NULL is a no-op. */
VIPCORE_EXPORT void vipcore_close(vipcore_db *db);

/** Opens a scope on one tenant, acting as `actor_id` with `role` (a
 *  vipcore_role; taken as int so that any value can be checked safely).
 *  @return VIPCORE_OK or VIPCORE_EINVAL (bad tenant id, actor or role) */
VIPCORE_EXPORT int vipcore_tenant_open(vipcore_tenant **out, vipcore_db *db, const char *tenant_id,
                                       const char *actor_id, int role);
/** NULL is a no-op. */
VIPCORE_EXPORT void vipcore_tenant_close(vipcore_tenant *tenant);

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
  uint32_t handling_rules; /**< mask of (1u << vipcore_rule) */
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
VIPCORE_EXPORT int vipcore_identify(vipcore_tenant *tenant, const char *number, vipcore_identification *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VIPCORE_H */
