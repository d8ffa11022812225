/* vipcore — the Lua module, over the C API (capi/vipcore.h) only.
 *
 *   local vipcore = require "vipcore"
 *   local db = assert(vipcore.open("/var/lib/vipcore/vip.db", "/etc/vipcore/vip.key"))
 *   local t = assert(db:tenant("acme", "kamailio"))        -- role "SYSTEM" by default
 *   local who, err, code = t:identify("+1 (234) 567-8900")
 *   if who and who.is_vip and who.rules.PRIORITY_QUEUE then ... end
 *
 * One source for Lua 5.1 (and LuaJIT) and 5.4. Conventions, as luaposix and
 * lua-cjson have them:
 *  - a runtime failure (a malformed number, a wrong key, a locked or damaged
 *    database) returns nil, message, code; code is the name of vipcore's
 *    result code ("invalid_argument", "not_found", "key"...);
 *  - misuse (an argument of the wrong type, an unknown option or name, a
 *    closed handle) raises an error;
 *  - handles are userdata with one metatable per type; close() is
 *    idempotent, and the garbage collector (and, in 5.4, a to-be-closed
 *    variable) closes what is still open;
 *  - whatever the C API allocates is freed on every path, an error raised
 *    while building a result table included: such results are held by a
 *    collectable box until they are freed.
 * Messages never contain a key or a phone number (vipcore's own never do). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "vipcore.h"

#define DB_MT "vipcore.db"
#define TENANT_MT "vipcore.tenant"
#define BOX_MT "vipcore.box"

#if defined(__GNUC__)
#define LVIP_EXPORT __attribute__((visibility("default")))
#else
#define LVIP_EXPORT
#endif

LVIP_EXPORT int luaopen_vipcore(lua_State *L);

/* ------------------------------------------------------- 5.1 / 5.4 shims */

#if LUA_VERSION_NUM < 502
static void luaL_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  (void)nup; /* only used with 0 upvalues here */
  for (; l->name != NULL; l++) {
    lua_pushcfunction(L, l->func);
    lua_setfield(L, -2, l->name);
  }
}
#define lvip_rawlen(L, i) lua_objlen((L), (i))
#else
#define lvip_rawlen(L, i) lua_rawlen((L), (i))
#endif

/* ------------------------------------------------------------------ names */

static const char *const kLevels[] = {"STANDARD", "SILVER", "GOLD", "PLATINUM", "DIAMOND", NULL};
static const char *const kRules[] = {"IMMEDIATE_TRANSFER", "DEDICATED_AGENT", "PRIORITY_QUEUE",
                                     "CUSTOM_GREETING", "EXTENDED_HOURS", "CALLBACK_PRIORITY", NULL};
static const char *const kRoles[] = {"ADMIN", "MANAGER", "AGENT", "SYSTEM", "AUDITOR", NULL};
static const char *const kMatches[] = {"VIP", "NOT_FOUND", "INACTIVE", "SUSPENDED", "NOT_YET_VALID", "EXPIRED", NULL};
static const char *const kActions[] = {"TRANSFER", "WAIT_FOR_AGENT", "QUEUE", "AFTER_HOURS", NULL};

static const char *name_of(const char *const *names, int value) {
  int i;
  for (i = 0; names[i] != NULL; i++) {
    if (i == value) return names[i];
  }
  return "?";
}

static int index_of(const char *const *names, const char *name) {
  int i;
  for (i = 0; names[i] != NULL; i++) {
    if (strcmp(names[i], name) == 0) return i;
  }
  return -1;
}

/** vipcore's result codes by name (vipcore::Code's names; ENOMEM: "out_of_memory"). */
static const char *code_name(int code) {
  switch (code) {
    case VIPCORE_OK: return "ok";
    case VIPCORE_EINVAL: return "invalid_argument";
    case VIPCORE_ENOTFOUND: return "not_found";
    case VIPCORE_EEXISTS: return "already_exists";
    case VIPCORE_EPERM: return "permission_denied";
    case VIPCORE_ESTORAGE: return "storage";
    case VIPCORE_EBUSY: return "busy";
    case VIPCORE_EKEY: return "key";
    case VIPCORE_EINTEGRITY: return "integrity";
    case VIPCORE_EVERSION: return "version";
    case VIPCORE_ENOTIFIER: return "notifier";
    case VIPCORE_EINTERNAL: return "internal";
    case VIPCORE_ENOMEM: return "out_of_memory";
    default: return "unknown";
  }
}

/** Returns nil, message, code for a failed call. */
static int push_failure(lua_State *L, int code) {
  const char *message = vipcore_last_error();
  lua_pushnil(L);
  lua_pushstring(L, message != NULL && message[0] != '\0' ? message : vipcore_strerror(code));
  lua_pushstring(L, code_name(code));
  return 3;
}

/* ------------------------------------------------------ argument checking */

/* Fields of option and input tables. A missing (nil) field takes its
 * default; a field of the wrong type raises, naming the function's
 * argument and the field. */

static void field_type_error(lua_State *L, int arg, const char *field, const char *expected) {
  const char *msg = lua_pushfstring(L, "field '%s' must be %s, not %s", field, expected, luaL_typename(L, -1));
  luaL_argerror(L, arg, msg);
}

/** Pushes t[field] (t at absolute index arg); returns 0 (and pops it) when nil. */
static int get_field(lua_State *L, int arg, const char *field) {
  lua_getfield(L, arg, field);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  return 1;
}

static int check_range(lua_State *L, int arg, const char *field, lua_Number value, lua_Number min, lua_Number max) {
  if (value != value || value < min || value > max || value != (lua_Number)(long long)value) {
    char msg[160];
    snprintf(msg, sizeof msg, "field '%s' must be an integer from %.0f to %.0f", field, (double)min, (double)max);
    return luaL_argerror(L, arg, msg);
  }
  return 0;
}

static int int_field(lua_State *L, int arg, const char *field, int def, int min, int max) {
  lua_Number v;
  if (!get_field(L, arg, field)) return def;
  if (lua_type(L, -1) != LUA_TNUMBER) field_type_error(L, arg, field, "a number");
  v = lua_tonumber(L, -1);
  if (v != v || v < (lua_Number)min || v > (lua_Number)max || v != (lua_Number)(int)v) {
    luaL_argerror(L, arg, lua_pushfstring(L, "field '%s' must be an integer from %d to %d", field, min, max));
  }
  lua_pop(L, 1);
  return (int)v;
}

/* An integer from min to max, both within +-2^53 (every integer up to it is exact in a double). */
static lua_Number whole_field(lua_State *L, int arg, const char *field, lua_Number def, lua_Number min,
                              lua_Number max) {
  lua_Number v;
  if (!get_field(L, arg, field)) return def;
  if (lua_type(L, -1) != LUA_TNUMBER) field_type_error(L, arg, field, "a number");
  v = lua_tonumber(L, -1);
  check_range(L, arg, field, v, min, max);
  lua_pop(L, 1);
  return v;
}

#define TWO_TO_53 9007199254740992.0

static int bool_field(lua_State *L, int arg, const char *field, int def) {
  int v;
  if (!get_field(L, arg, field)) return def;
  if (lua_type(L, -1) != LUA_TBOOLEAN) field_type_error(L, arg, field, "a boolean");
  v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

/** The string t[field], or NULL when nil. The string stays valid while the
 *  table (on the stack at arg) is: it is not popped from the table. */
static const char *string_field(lua_State *L, int arg, const char *field, size_t *len) {
  const char *s;
  if (!get_field(L, arg, field)) {
    if (len != NULL) *len = 0;
    return NULL;
  }
  if (lua_type(L, -1) != LUA_TSTRING) field_type_error(L, arg, field, "a string");
  s = lua_tolstring(L, -1, len);
  lua_pop(L, 1); /* still referenced by the table */
  return s;
}

/** A name of `names` in t[field]; def when nil. */
static int name_field(lua_State *L, int arg, const char *field, const char *const *names, int def) {
  const char *s = string_field(L, arg, field, NULL);
  int v;
  if (s == NULL) return def;
  v = index_of(names, s);
  if (v < 0) {
    const char *msg = lua_pushfstring(L, "field '%s': unknown name '%s'", field, s);
    luaL_argerror(L, arg, msg);
  }
  return v;
}

/** A set of rule names ({PRIORITY_QUEUE = true}) at stack index idx, as a mask. */
static uint32_t rule_set(lua_State *L, int arg, int idx, const char *what) {
  uint32_t mask = 0;
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  if (lua_type(L, idx) != LUA_TTABLE) {
    const char *msg = lua_pushfstring(L, "%s must be a set of rule names ({PRIORITY_QUEUE = true}), not %s", what,
                                      luaL_typename(L, idx));
    luaL_argerror(L, arg, msg);
  }
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    int bit;
    if (lua_type(L, -2) != LUA_TSTRING) {
      const char *msg = lua_pushfstring(L, "%s: keys must be rule names", what);
      luaL_argerror(L, arg, msg);
    }
    bit = index_of(kRules, lua_tostring(L, -2));
    if (bit < 0) {
      const char *msg = lua_pushfstring(L, "%s: unknown rule '%s'", what, lua_tostring(L, -2));
      luaL_argerror(L, arg, msg);
    }
    if (lua_toboolean(L, -1)) mask |= 1u << (unsigned)bit;
    lua_pop(L, 1);
  }
  return mask;
}

static uint32_t rules_field(lua_State *L, int arg, const char *field) {
  uint32_t mask;
  const char *what;
  if (!get_field(L, arg, field)) return 0;
  what = lua_pushfstring(L, "field '%s'", field);
  mask = rule_set(L, arg, -2, what);
  lua_pop(L, 2);
  return mask;
}

/** Rejects keys of the table at arg that are not in `known` (a misspelled option would otherwise be ignored). */
static void check_known_fields(lua_State *L, int arg, const char *const *known) {
  lua_pushnil(L);
  while (lua_next(L, arg) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING || index_of(known, lua_tostring(L, -2)) < 0) {
      if (lua_type(L, -2) != LUA_TSTRING) luaL_argerror(L, arg, "field names must be strings");
      luaL_argerror(L, arg, lua_pushfstring(L, "unknown field '%s'", lua_tostring(L, -2)));
    }
    lua_pop(L, 1);
  }
}

static void copy_field(lua_State *L, int arg, const char *field, char *dst, size_t size) {
  size_t len = 0;
  const char *s = string_field(L, arg, field, &len);
  if (s == NULL) {
    dst[0] = '\0';
    return;
  }
  if (len >= size) {
    const char *msg = lua_pushfstring(L, "field '%s' is longer than %d bytes", field, (int)(size - 1));
    luaL_argerror(L, arg, msg);
  }
  memcpy(dst, s, len + 1);
}

/* -------------------------------------------------------------------- box */

/* A C API result held by a userdata until it is freed, so that an error
 * raised while it is read (out of memory) does not leak it. */
typedef void (*free_fn)(void *);
typedef struct box {
  void *p;
  free_fn free;
} box;

static box *new_box(lua_State *L, free_fn f) {
  box *b = (box *)lua_newuserdata(L, sizeof(box));
  b->p = NULL;
  b->free = f;
  luaL_getmetatable(L, BOX_MT);
  lua_setmetatable(L, -2);
  return b;
}

static void box_release(box *b) {
  if (b->p != NULL) {
    b->free(b->p);
    b->p = NULL;
  }
}

static int box_gc(lua_State *L) {
  box_release((box *)luaL_checkudata(L, 1, BOX_MT));
  return 0;
}

static void free_escalation(void *p) { vipcore_escalation_free((vipcore_escalation *)p); }
static void free_string(void *p) { vipcore_free(p); }

/* ---------------------------------------------------------------- handles */

typedef struct ldb {
  vipcore_db *db;
} ldb;

typedef struct ltenant {
  vipcore_tenant *tenant;
} ltenant;

static vipcore_db *check_db(lua_State *L) {
  ldb *d = (ldb *)luaL_checkudata(L, 1, DB_MT);
  if (d->db == NULL) luaL_argerror(L, 1, "the vipcore database is closed");
  return d->db;
}

static vipcore_tenant *check_tenant(lua_State *L) {
  ltenant *t = (ltenant *)luaL_checkudata(L, 1, TENANT_MT);
  if (t->tenant == NULL) luaL_argerror(L, 1, "the vipcore tenant is closed");
  return t->tenant;
}

static const char *const kOpenOptions[] = {"key", "default_region", "busy_timeout_ms", "create", "read_only",
                                           "file_mode", "cache_bytes", NULL};

/* key_file at arg 2 (a string, or nil with options.key), options at arg 3. */
static void check_open_options(lua_State *L, vipcore_open_options *o, int key_file_arg, int options_arg) {
  size_t key_len = 0;
  const char *key = NULL;
  vipcore_open_options_init(o);
  o->key_file = luaL_optstring(L, key_file_arg, NULL);
  if (!lua_isnoneornil(L, options_arg)) {
    lua_Number cache;
    luaL_checktype(L, options_arg, LUA_TTABLE);
    check_known_fields(L, options_arg, kOpenOptions);
    key = string_field(L, options_arg, "key", &key_len);
    o->default_region = string_field(L, options_arg, "default_region", NULL);
    o->busy_timeout_ms = int_field(L, options_arg, "busy_timeout_ms", o->busy_timeout_ms, 0, INT_MAX);
    o->create_if_missing = bool_field(L, options_arg, "create", o->create_if_missing != 0);
    o->read_only = bool_field(L, options_arg, "read_only", 0);
    o->file_mode = (unsigned)int_field(L, options_arg, "file_mode", (int)o->file_mode, 0, 07777);
    cache = whole_field(L, options_arg, "cache_bytes", (lua_Number)o->cache_bytes, 0, TWO_TO_53);
    o->cache_bytes = (uint64_t)cache;
  }
  if (key != NULL) {
    if (o->key_file != NULL) luaL_argerror(L, options_arg, "give either a key file or options.key, not both");
    o->key = (const uint8_t *)key;
    o->key_len = key_len;
  } else if (o->key_file == NULL) {
    luaL_argerror(L, key_file_arg, "a key file (or options.key) is required");
  }
}

/* The userdata comes before the handle: raising (out of memory) after the
 * open would leak it. */
static ldb *new_db(lua_State *L) {
  ldb *d = (ldb *)lua_newuserdata(L, sizeof(ldb));
  d->db = NULL;
  luaL_getmetatable(L, DB_MT);
  lua_setmetatable(L, -2);
  return d;
}

/** vipcore.open(location, key_file [, options]) -> db | nil, message, code */
static int l_open(lua_State *L) {
  const char *location = luaL_checkstring(L, 1);
  vipcore_open_options o;
  vipcore_db *handle = NULL;
  ldb *d;
  int rc;
  check_open_options(L, &o, 2, 3);
  d = new_db(L);
  rc = vipcore_open(&handle, location, &o);
  if (rc != VIPCORE_OK) return push_failure(L, rc);
  d->db = handle;
  return 1;
}

/** vipcore.open_memory(key_file [, options]) -> db: a new, empty database in memory (for tests). */
static int l_open_memory(lua_State *L) {
  vipcore_open_options o;
  vipcore_db *handle = NULL;
  ldb *d;
  int rc;
  check_open_options(L, &o, 1, 2);
  d = new_db(L);
  rc = vipcore_open_memory(&handle, &o);
  if (rc != VIPCORE_OK) return push_failure(L, rc);
  d->db = handle;
  return 1;
}

static int db_close(lua_State *L) {
  ldb *d = (ldb *)luaL_checkudata(L, 1, DB_MT);
  vipcore_close(d->db);
  d->db = NULL;
  return 0;
}

static int db_tostring(lua_State *L) {
  ldb *d = (ldb *)luaL_checkudata(L, 1, DB_MT);
  if (d->db == NULL) {
    lua_pushliteral(L, "vipcore.db (closed)");
  } else {
    lua_pushfstring(L, "vipcore.db (%p)", (void *)d->db);
  }
  return 1;
}

/** db:tenant(id, actor [, role = "SYSTEM"]) -> tenant | nil, message, code */
static int db_tenant(lua_State *L) {
  vipcore_db *db = check_db(L);
  const char *id = luaL_checkstring(L, 2);
  const char *actor = luaL_checkstring(L, 3);
  const char *role_name = luaL_optstring(L, 4, "SYSTEM");
  int role = index_of(kRoles, role_name);
  vipcore_tenant *handle = NULL;
  ltenant *t;
  int rc;
  if (role < 0) {
    return luaL_argerror(L, 4, lua_pushfstring(L, "unknown role '%s' (ADMIN, MANAGER, AGENT, SYSTEM or AUDITOR)",
                                               role_name));
  }
  t = (ltenant *)lua_newuserdata(L, sizeof(ltenant));
  t->tenant = NULL;
  luaL_getmetatable(L, TENANT_MT);
  lua_setmetatable(L, -2);
  rc = vipcore_tenant_open(&handle, db, id, actor, role);
  if (rc != VIPCORE_OK) return push_failure(L, rc);
  t->tenant = handle;
  return 1;
}

/** db:metrics_prometheus() -> text | nil, message, code */
static int db_metrics_prometheus(lua_State *L) {
  vipcore_db *db = check_db(L);
  box *b = new_box(L, free_string);
  char *text = NULL;
  int rc = vipcore_metrics_prometheus(&text, db);
  if (rc != VIPCORE_OK) return push_failure(L, rc);
  b->p = text;
  lua_pushstring(L, text);
  box_release(b);
  return 1;
}

static int tenant_close(lua_State *L) {
  ltenant *t = (ltenant *)luaL_checkudata(L, 1, TENANT_MT);
  vipcore_tenant_close(t->tenant);
  t->tenant = NULL;
  return 0;
}

static int tenant_tostring(lua_State *L) {
  ltenant *t = (ltenant *)luaL_checkudata(L, 1, TENANT_MT);
  if (t->tenant == NULL) {
    lua_pushliteral(L, "vipcore.tenant (closed)");
  } else {
    lua_pushfstring(L, "vipcore.tenant (%p)", (void *)t->tenant);
  }
  return 1;
}

/* ------------------------------------------------------------ identify */

static void set_string(lua_State *L, const char *field, const char *value) {
  if (value[0] == '\0') return; /* not set: nil */
  lua_pushstring(L, value);
  lua_setfield(L, -2, field);
}

static void set_int(lua_State *L, const char *field, int value) {
  lua_pushinteger(L, (lua_Integer)value);
  lua_setfield(L, -2, field);
}

static void set_bool(lua_State *L, const char *field, int value) {
  lua_pushboolean(L, value != 0);
  lua_setfield(L, -2, field);
}

static void push_rule_set(lua_State *L, uint32_t mask) {
  int bit;
  lua_newtable(L);
  for (bit = 0; kRules[bit] != NULL; bit++) {
    if (mask & (1u << (unsigned)bit)) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, kRules[bit]);
    }
  }
}

static void push_identification(lua_State *L, const vipcore_identification *w) {
  lua_createtable(L, 0, 14);
  set_bool(L, "is_vip", w->is_vip);
  lua_pushstring(L, name_of(kMatches, w->match));
  lua_setfield(L, -2, "match");
  lua_pushstring(L, name_of(kLevels, w->level));
  lua_setfield(L, -2, "level");
  set_int(L, "priority", w->routing_priority);
  push_rule_set(L, w->handling_rules);
  lua_setfield(L, -2, "rules");
  set_int(L, "max_wait", w->max_wait_time);
  set_int(L, "callback_priority", w->callback_priority);
  set_string(L, "caller_id", w->caller_id);
  set_string(L, "name", w->caller_name);
  set_string(L, "greeting", w->custom_greeting);
  set_string(L, "agent", w->preferred_agent_id);
  set_string(L, "department", w->preferred_department_id);
}

static const char *const kWhoFields[] = {"is_vip", "match", "level", "priority", "rules", "max_wait",
                                         "callback_priority", "caller_id", "name", "greeting", "agent",
                                         "department", NULL};

/** The table t:identify returned (at arg), back as the C API's struct. */
static void check_who(lua_State *L, int arg, vipcore_identification *w) {
  vipcore_identification init = VIPCORE_IDENTIFICATION_INIT;
  *w = init;
  luaL_checktype(L, arg, LUA_TTABLE);
  check_known_fields(L, arg, kWhoFields);
  w->is_vip = bool_field(L, arg, "is_vip", 0);
  w->match = name_field(L, arg, "match", kMatches, w->is_vip ? VIPCORE_MATCH_VIP : VIPCORE_MATCH_NOT_FOUND);
  w->level = name_field(L, arg, "level", kLevels, VIPCORE_LEVEL_STANDARD);
  w->routing_priority = int_field(L, arg, "priority", 0, 0, 100);
  w->handling_rules = rules_field(L, arg, "rules");
  w->max_wait_time = int_field(L, arg, "max_wait", 0, 0, INT_MAX);
  w->callback_priority = int_field(L, arg, "callback_priority", 0, 0, INT_MAX);
  copy_field(L, arg, "caller_id", w->caller_id, sizeof w->caller_id);
  copy_field(L, arg, "name", w->caller_name, sizeof w->caller_name);
  copy_field(L, arg, "greeting", w->custom_greeting, sizeof w->custom_greeting);
  copy_field(L, arg, "agent", w->preferred_agent_id, sizeof w->preferred_agent_id);
  copy_field(L, arg, "department", w->preferred_department_id, sizeof w->preferred_department_id);
}

/** t:identify(number) -> {is_vip, match, level, priority, rules, max_wait, ...} | nil, message, code */
static int tenant_identify(lua_State *L) {
  vipcore_tenant *t = check_tenant(L);
  const char *number = luaL_checkstring(L, 2);
  vipcore_identification w = VIPCORE_IDENTIFICATION_INIT;
  int rc = vipcore_identify(&w, t, number);
  if (rc != VIPCORE_OK) return push_failure(L, rc);
  push_identification(L, &w);
  return 1;
}

/** t:routing_priority(level, rules) -> 0..100 | nil, message, code */
static int tenant_routing_priority(lua_State *L) {
  vipcore_tenant *t = check_tenant(L);
  int level = luaL_checkoption(L, 2, NULL, kLevels);
  uint32_t rules = lua_isnoneornil(L, 3) ? 0u : rule_set(L, 3, 3, "rules");
  int out = 0;
  int rc = vipcore_routing_priority(&out, t, level, rules);
  if (rc != VIPCORE_OK) return push_failure(L, rc);
  lua_pushinteger(L, (lua_Integer)out);
  return 1;
}

/** The caller at arg: an identify table, or a number string to identify now. */
static int who_arg(lua_State *L, vipcore_tenant *t, int arg, vipcore_identification *w) {
  if (lua_type(L, arg) == LUA_TSTRING) {
    vipcore_identification init = VIPCORE_IDENTIFICATION_INIT;
    *w = init;
    return vipcore_identify(w, t, lua_tostring(L, arg));
  }
  if (lua_type(L, arg) != LUA_TTABLE) {
    luaL_argerror(L, arg, lua_pushfstring(L, "a table from identify() or a number expected, got %s",
                                          luaL_typename(L, arg)));
  }
  check_who(L, arg, w);
  return VIPCORE_OK;
}

static const char *const kStateFields[] = {"free_agents", "inside_business_hours", "waited_seconds", NULL};

/** t:routing_plan(who [, {free_agents = {...}, inside_business_hours = bool, waited_seconds = n}])
 *  -> {action, is_vip, target_agent, wait_seconds, front_of_queue, queue_priority, queue_prio,
 *      cc_base_score, queue_age_bonus_seconds, greeting, offer_callback, callback_priority, reason}
 *  | nil, message, code. who: a table from identify(), or a number (identified first). */
static int tenant_routing_plan(lua_State *L) {
  vipcore_tenant *t = check_tenant(L);
  vipcore_identification w;
  vipcore_pbx_state state;
  vipcore_routing_plan plan = VIPCORE_ROUTING_PLAN_INIT;
  int rc;
  vipcore_pbx_state_init(&state);
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    check_known_fields(L, 3, kStateFields);
    if (get_field(L, 3, "free_agents")) {
      size_t n, i;
      const char **agents;
      if (lua_type(L, -1) != LUA_TTABLE) field_type_error(L, 3, "free_agents", "an array of agent ids");
      n = lvip_rawlen(L, -1);
      /* collected with the call's stack; the strings stay in the table */
      agents = (const char **)lua_newuserdata(L, (n > 0 ? n : 1) * sizeof(const char *));
      for (i = 0; i < n; i++) {
        lua_rawgeti(L, -2, (int)(i + 1));
        if (lua_type(L, -1) != LUA_TSTRING) {
          luaL_argerror(L, 3, lua_pushfstring(L, "free_agents[%d] must be a string", (int)(i + 1)));
        }
        agents[i] = lua_tostring(L, -1);
        lua_pop(L, 1);
      }
      state.free_agents = agents;
      state.free_agent_count = n;
      /* free_agents table and the array stay on the stack until we return */
    }
    if (get_field(L, 3, "inside_business_hours")) {
      if (lua_type(L, -1) != LUA_TBOOLEAN) field_type_error(L, 3, "inside_business_hours", "a boolean or nil");
      state.inside_business_hours = lua_toboolean(L, -1);
      lua_pop(L, 1);
    }
    state.waited_seconds = int_field(L, 3, "waited_seconds", 0, 0, INT_MAX);
  }
  rc = who_arg(L, t, 2, &w);
  if (rc == VIPCORE_OK) rc = vipcore_plan_route(&plan, t, &w, &state);
  if (rc != VIPCORE_OK) return push_failure(L, rc);
  lua_createtable(L, 0, 13);
  lua_pushstring(L, name_of(kActions, plan.action));
  lua_setfield(L, -2, "action");
  set_bool(L, "is_vip", plan.is_vip);
  set_string(L, "target_agent", plan.target_agent_id);
  set_int(L, "wait_seconds", plan.wait_seconds);
  set_bool(L, "front_of_queue", plan.front_of_queue);
  set_int(L, "queue_priority", plan.queue_priority);
  set_int(L, "queue_prio", plan.asterisk_queue_prio);
  set_int(L, "cc_base_score", plan.freeswitch_base_score);
  set_int(L, "queue_age_bonus_seconds", plan.queue_age_bonus_seconds);
  set_string(L, "greeting", plan.greeting);
  set_bool(L, "offer_callback", plan.offer_callback);
  set_int(L, "callback_priority", plan.callback_priority);
  set_string(L, "reason", plan.reason);
  return 1;
}

/** t:dynamic_priority(who, waited_seconds) -> 0..100 | nil, message, code */
static int tenant_dynamic_priority(lua_State *L) {
  vipcore_tenant *t = check_tenant(L);
  vipcore_identification w;
  lua_Integer waited = luaL_checkinteger(L, 3);
  int out = 0;
  int rc;
  if (waited < 0 || waited > INT_MAX) return luaL_argerror(L, 3, "waited_seconds must be from 0 to INT_MAX");
  rc = who_arg(L, t, 2, &w);
  if (rc == VIPCORE_OK) rc = vipcore_queue_priority(&out, t, &w, (int)waited);
  if (rc != VIPCORE_OK) return push_failure(L, rc);
  lua_pushinteger(L, (lua_Integer)out);
  return 1;
}

static int check_int_arg(lua_State *L, int arg) {
  lua_Integer v = luaL_checkinteger(L, arg);
  if (v < INT_MIN || v > INT_MAX) luaL_argerror(L, arg, "out of the range of an int");
  return (int)v;
}

/** t:escalation_check(who, wait_seconds, queue_position [, call_id])
 *  -> {should_escalate, highest_tier, highest_type, sla_breached, triggered = {...}, failures = {...}}
 *  | nil, message, code. who: a table from identify() (no lookup), or a caller id string. */
static int tenant_escalation_check(lua_State *L) {
  vipcore_tenant *t = check_tenant(L);
  int wait = check_int_arg(L, 3);
  int position = check_int_arg(L, 4);
  const char *call_id = luaL_optstring(L, 5, NULL);
  vipcore_escalation *e = NULL;
  box *b;
  size_t i, n;
  int rc;
  if (lua_type(L, 2) == LUA_TTABLE) {
    vipcore_identification w;
    check_who(L, 2, &w);
    b = new_box(L, free_escalation);
    rc = vipcore_escalation_check_caller(&e, t, &w, wait, position, call_id);
  } else {
    const char *caller_id = luaL_checkstring(L, 2);
    b = new_box(L, free_escalation);
    rc = vipcore_escalation_check(&e, t, caller_id, wait, position, call_id);
  }
  if (rc != VIPCORE_OK) return push_failure(L, rc);
  b->p = e;
  lua_createtable(L, 0, 6);
  set_bool(L, "should_escalate", vipcore_escalation_should_escalate(e));
  set_int(L, "highest_tier", vipcore_escalation_highest_tier(e));
  set_string(L, "highest_type", vipcore_escalation_highest_type(e));
  set_bool(L, "sla_breached", vipcore_escalation_sla_breached(e));
  n = vipcore_escalation_triggered_count(e);
  lua_createtable(L, n > INT_MAX ? INT_MAX : (int)n, 0);
  for (i = 0; i < n; i++) {
    lua_createtable(L, 0, 7);
    set_string(L, "rule_id", vipcore_escalation_triggered_rule_id(e, i));
    set_string(L, "rule_name", vipcore_escalation_triggered_rule_name(e, i));
    set_int(L, "tier", vipcore_escalation_triggered_tier(e, i));
    set_bool(L, "already", vipcore_escalation_triggered_already(e, i));
    set_bool(L, "notified", vipcore_escalation_triggered_notified(e, i));
    set_bool(L, "wait_exceeded", vipcore_escalation_triggered_wait_exceeded(e, i));
    set_bool(L, "position_exceeded", vipcore_escalation_triggered_position_exceeded(e, i));
    lua_rawseti(L, -2, (int)(i + 1));
  }
  lua_setfield(L, -2, "triggered");
  n = vipcore_escalation_notification_failures(e);
  lua_createtable(L, n > INT_MAX ? INT_MAX : (int)n, 0);
  for (i = 0; i < n; i++) {
    lua_createtable(L, 0, 3);
    set_string(L, "rule_id", vipcore_escalation_failure_rule_id(e, i));
    lua_pushstring(L, code_name(vipcore_escalation_failure_code(e, i)));
    lua_setfield(L, -2, "code");
    set_string(L, "message", vipcore_escalation_failure_message(e, i));
    lua_rawseti(L, -2, (int)(i + 1));
  }
  lua_setfield(L, -2, "failures");
  box_release(b);
  return 1;
}

static const char *const kCallFields[] = {"call_id", "caller_id", "level", "rules", "wait_seconds",
                                          "escalation_triggered", "rating", "quality", "at_ms", NULL};

/** t:record_call{call_id, caller_id, level?, rules?, wait_seconds?, escalation_triggered?, rating?,
 *  quality?, at_ms?} -> true | nil, message, code */
static int tenant_record_call(lua_State *L) {
  vipcore_tenant *t = check_tenant(L);
  vipcore_call_input c;
  int rc;
  vipcore_call_input_init(&c);
  luaL_checktype(L, 2, LUA_TTABLE);
  check_known_fields(L, 2, kCallFields);
  c.call_id = string_field(L, 2, "call_id", NULL);
  c.caller_id = string_field(L, 2, "caller_id", NULL);
  c.vip_level_at_call = name_field(L, 2, "level", kLevels, -1);
  c.handling_rules_applied = rules_field(L, 2, "rules");
  c.wait_seconds = int_field(L, 2, "wait_seconds", 0, INT_MIN, INT_MAX);
  c.escalation_triggered = bool_field(L, 2, "escalation_triggered", 0);
  c.satisfaction_rating = int_field(L, 2, "rating", 0, INT_MIN, INT_MAX);
  if (get_field(L, 2, "quality")) {
    if (lua_type(L, -1) != LUA_TNUMBER) field_type_error(L, 2, "quality", "a number");
    c.has_quality_score = 1;
    c.service_quality_score = (double)lua_tonumber(L, -1);
    lua_pop(L, 1);
  }
  c.at_ms = (int64_t)whole_field(L, 2, "at_ms", 0, -TWO_TO_53, TWO_TO_53);
  rc = vipcore_record_call(t, &c);
  if (rc != VIPCORE_OK) return push_failure(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

/* ----------------------------------------------------------- registration */

static const luaL_Reg kDbMethods[] = {{"tenant", db_tenant},
                                      {"metrics_prometheus", db_metrics_prometheus},
                                      {"close", db_close},
                                      {NULL, NULL}};
static const luaL_Reg kTenantMethods[] = {{"identify", tenant_identify},
                                          {"routing_priority", tenant_routing_priority},
                                          {"routing_plan", tenant_routing_plan},
                                          {"dynamic_priority", tenant_dynamic_priority},
                                          {"escalation_check", tenant_escalation_check},
                                          {"record_call", tenant_record_call},
                                          {"close", tenant_close},
                                          {NULL, NULL}};
static const luaL_Reg kFunctions[] = {{"open", l_open}, {"open_memory", l_open_memory}, {NULL, NULL}};

static void new_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction close,
                      lua_CFunction tostring) {
  luaL_newmetatable(L, name);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__gc");
#if LUA_VERSION_NUM >= 504
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__close");
#endif
  lua_pushcfunction(L, tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "vipcore handle"); /* getmetatable() hides the methods */
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
}

int luaopen_vipcore(lua_State *L) {
  new_class(L, DB_MT, kDbMethods, db_close, db_tostring);
  new_class(L, TENANT_MT, kTenantMethods, tenant_close, tenant_tostring);
  luaL_newmetatable(L, BOX_MT);
  lua_pushcfunction(L, box_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);

  lua_newtable(L);
  luaL_setfuncs(L, kFunctions, 0);
  lua_pushstring(L, vipcore_version());
  lua_setfield(L, -2, "version");
  return 1;
}
