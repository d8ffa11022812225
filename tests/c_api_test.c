/* The C API, exercised from C (compiled as C99 with -Wstrict-prototypes
 * -pedantic -Werror), as a PBX or an admin tool written in C would use it.
 *
 * Every function of vipcore.h is called here: the happy path with its
 * values checked, the documented errors (and the field they name), and a
 * NULL for every pointer argument. One static function per area; they run
 * in order against one database in a fresh temporary directory:
 *
 *   tenant "acme"   the seed's three VIPs, identify, routing, import,
 *                   escalation rules and checks, audit, purge of triggers;
 *   tenant "stats"  a hand-made call history with exact analytics, alerts
 *                   and metrics, then purged.
 *
 * The database is opened with a key file and a notifier callback; the last
 * area rotates the master key and reopens the file with each key. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <sqlite3.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "vipcore.h"

static int failures = 0;

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                      \
    }                                                                  \
  } while (0)

/* Like CHECK, but print both sides on a mismatch. */
#define CHECK_INT(actual, expected) check_int((long long)(actual), (long long)(expected), #actual, __LINE__)
#define CHECK_STR(actual, expected) check_str((actual), (expected), #actual, __LINE__)
#define CHECK_NEAR(actual, expected) check_near((actual), (expected), #actual, __LINE__)
/* A call that must succeed / fail with `code`, naming `field` (NULL: any). */
#define CHECK_OK(call) check_rc((call), VIPCORE_OK, NULL, #call, __LINE__)
#define CHECK_FAILS(call, code, field) check_rc((call), (code), (field), #call, __LINE__)

static void check_int(long long actual, long long expected, const char *what, int line) {
  if (actual == expected) return;
  fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n", __FILE__, line, what, actual, expected);
  ++failures;
}

static void check_str(const char *actual, const char *expected, const char *what, int line) {
  if (actual != NULL && strcmp(actual, expected) == 0) return;
  fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, line, what, actual ? actual : "(null)",
          expected);
  ++failures;
}

static void check_near(double actual, double expected, const char *what, int line) {
  const double d = actual - expected;
  if (d < 1e-9 && d > -1e-9) return;
  fprintf(stderr, "%s:%d: %s is %g, expected %g\n", __FILE__, line, what, actual, expected);
  ++failures;
}

static void check_rc(int rc, int expected, const char *field, const char *what, int line) {
  if (rc != expected) {
    fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d\n", __FILE__, line, what, rc,
            rc == VIPCORE_OK ? "" : vipcore_last_error(), expected);
    ++failures;
  } else if (expected != VIPCORE_OK && vipcore_last_error()[0] == '\0') {
    fprintf(stderr, "%s:%d: %s failed without a message\n", __FILE__, line, what);
    ++failures;
  } else if (field != NULL && strcmp(vipcore_last_error_field(), field) != 0) {
    fprintf(stderr, "%s:%d: %s named field \"%s\", expected \"%s\" (%s)\n", __FILE__, line, what,
            vipcore_last_error_field(), field, vipcore_last_error());
    ++failures;
  }
}

/* ------------------------------------------------------------ fixtures */

static const uint8_t kKey[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
/* A valid id that names nothing. */
static const char kNoSuchId[] = "00000000-0000-4000-8000-000000000000";
#define SEED_COUNT 3

/* What the escalation notifier callback was told. */
typedef struct notices {
  int calls;          /* callbacks received */
  int fail;           /* nonzero: the callback reports a failure */
  int expect_wait;    /* what the next notices must carry */
  int expect_position;
  const char *expect_call_id;
  char last_rule_id[VIPCORE_ID_SIZE];
  char last_type[64];
  int last_tier;
} notices;

static struct fixture {
  char dir[64];
  char db_path[128];
  char key_path[128];
  int64_t start_ms;
  vipcore_db *db;
  /* tenant "acme", one handle per role */
  vipcore_tenant *admin, *manager, *agent, *pbx, *auditor;
  /* tenant "stats" */
  vipcore_tenant *stats_admin, *stats_pbx;
  char seed_id[SEED_COUNT][VIPCORE_ID_SIZE]; /* "acme": John Doe, Sarah Johnson, Michael Chen */
  char gina[VIPCORE_ID_SIZE], dia[VIPCORE_ID_SIZE]; /* "stats": Gina Gold, Dia Diamond */
  notices notices;
} fx;

/* The wall clock to the millisecond, as vipcore reads it. Not time(NULL):
 * glibc reads that from the coarse clock, which can lag a few milliseconds
 * behind and so, just after a second starts, name the second before. */
static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t at(const char *iso) {
  int64_t ms = 0;
  CHECK_OK(vipcore_parse_time(&ms, iso));
  return ms;
}

static void copy_id(char dst[VIPCORE_ID_SIZE], const char *src) {
  strncpy(dst, src, VIPCORE_ID_SIZE - 1);
  dst[VIPCORE_ID_SIZE - 1] = '\0';
}

static int contains(const char *haystack, const char *needle) { return strstr(haystack, needle) != NULL; }

/* Writes `key` as 64 hex characters to a new file with `mode`; fchmod, so
 * that the umask does not decide the mode under test. */
static int write_key_file(const char *path, const uint8_t key[32], mode_t mode) {
  char hex[65];
  int fd, ok;
  size_t i;
  for (i = 0; i < 32; ++i) snprintf(hex + 2 * i, 3, "%02x", key[i]);
  hex[64] = '\n';
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return -1;
  ok = fchmod(fd, mode) == 0 && write(fd, hex, sizeof hex) == (ssize_t)sizeof hex;
  return close(fd) == 0 && ok ? 0 : -1;
}

static void path_in_dir(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", fx.dir, name); }

/* Removes the temporary directory and whatever the test left in it. */
static void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[512];
  if (d == NULL) return;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

static int on_escalation(void *user_data, const vipcore_escalation_notice *n);

/* Opens fx.db_path with exactly one of a key file and key bytes, with the notifier. */
static int open_db(vipcore_db **db, const char *key_file, const uint8_t *key) {
  vipcore_open_options o;
  vipcore_open_options_init(&o);
  o.key_file = key_file;
  o.key = key;
  o.key_len = key != NULL ? 32 : 0;
  o.busy_timeout_ms = 2000;
  o.notifier = on_escalation;
  o.notifier_user_data = &fx.notices;
  return vipcore_open(db, fx.db_path, &o);
}

static vipcore_tenant *tenant(const char *tenant_id, const char *actor, int role) {
  vipcore_tenant *t = NULL;
  CHECK_OK(vipcore_tenant_open(&t, fx.db, tenant_id, actor, role));
  CHECK(t != NULL);
  return t;
}

static void open_fixture(void) {
  fx.db = NULL;
  CHECK_OK(open_db(&fx.db, fx.key_path, NULL));
  fx.admin = tenant("acme", "alice", VIPCORE_ROLE_ADMIN);
  fx.manager = tenant("acme", "mona", VIPCORE_ROLE_MANAGER);
  fx.agent = tenant("acme", "agent-007", VIPCORE_ROLE_AGENT);
  fx.pbx = tenant("acme", "pbx-1", VIPCORE_ROLE_SYSTEM);
  fx.auditor = tenant("acme", "audrey", VIPCORE_ROLE_AUDITOR);
  fx.stats_admin = tenant("stats", "alice", VIPCORE_ROLE_ADMIN);
  fx.stats_pbx = tenant("stats", "pbx-1", VIPCORE_ROLE_SYSTEM);
}

static void close_fixture(void) {
  vipcore_tenant_close(fx.admin);
  vipcore_tenant_close(fx.manager);
  vipcore_tenant_close(fx.agent);
  vipcore_tenant_close(fx.pbx);
  vipcore_tenant_close(fx.auditor);
  vipcore_tenant_close(fx.stats_admin);
  vipcore_tenant_close(fx.stats_pbx);
  vipcore_close(fx.db);
  fx.db = NULL;
}

/* The seed's three example VIPs. */
static vipcore_caller_input john_doe(void) {
  static const char *const alternatives[] = {"+1 (234) 567-8901", "+44 20 7946 0958"};
  static const char *const tags[] = {"premium", "enterprise"};
  vipcore_caller_input in;
  vipcore_caller_input_init(&in);
  in.phone_number = "+1 (234) 567-8900";
  in.alternative_phone_numbers = alternatives;
  in.alternative_phone_count = 2;
  in.caller_name = "John Doe";
  in.company_name = "Acme Corp";
  in.vip_level = VIPCORE_LEVEL_GOLD;
  in.status = VIPCORE_STATUS_ACTIVE;
  in.preferred_department_id = "sales";
  in.handling_rules = (1u << VIPCORE_RULE_PRIORITY_QUEUE) | (1u << VIPCORE_RULE_CUSTOM_GREETING);
  in.custom_greeting = "Hello Mr. Doe, thank you for calling.";
  in.max_wait_time = 30;
  in.callback_priority = 2;
  in.email = "john.doe@acme.com";
  in.account_number = "ACC123456";
  in.has_account_value = 1;
  in.account_value = 50000.0;
  in.notes = "High-value customer";
  in.tags = tags;
  in.tag_count = 2;
  return in;
}

static vipcore_caller_input sarah_johnson(void) {
  vipcore_caller_input in;
  vipcore_caller_input_init(&in);
  in.phone_number = "+1 345 678 9012";
  in.caller_name = "Sarah Johnson";
  in.vip_level = VIPCORE_LEVEL_PLATINUM;
  in.handling_rules = (1u << VIPCORE_RULE_DEDICATED_AGENT) | (1u << VIPCORE_RULE_CUSTOM_GREETING);
  in.preferred_agent_id = "agent-007";
  in.custom_greeting = "Good day Ms. Johnson, connecting you to your account manager.";
  in.max_wait_time = 30;
  return in;
}

static vipcore_caller_input michael_chen(void) {
  vipcore_caller_input in;
  vipcore_caller_input_init(&in);
  in.phone_number = "+1 456 789 0123";
  in.caller_name = "Michael Chen";
  in.vip_level = VIPCORE_LEVEL_DIAMOND;
  in.handling_rules = (1u << VIPCORE_RULE_IMMEDIATE_TRANSFER) | (1u << VIPCORE_RULE_CUSTOM_GREETING);
  in.custom_greeting = "Hello Mr. Chen, transferring you immediately.";
  in.max_wait_time = 15;
  in.has_account_value = 1;
  in.account_value = 500000.0;
  return in;
}

static vipcore_caller_input minimal_caller(const char *number, const char *name, int level) {
  vipcore_caller_input in;
  vipcore_caller_input_init(&in);
  in.phone_number = number;
  in.caller_name = name;
  in.vip_level = level;
  return in;
}

/* Creates a caller and returns its id in `id` ("" on failure). */
static void create(vipcore_tenant *t, const vipcore_caller_input *in, char id[VIPCORE_ID_SIZE]) {
  vipcore_caller *c = NULL;
  CHECK_OK(vipcore_caller_create(&c, t, in));
  copy_id(id, vipcore_caller_id(c));
  vipcore_caller_free(c);
}

static vipcore_identification identify(vipcore_tenant *t, const char *number) {
  vipcore_identification who = VIPCORE_IDENTIFICATION_INIT;
  CHECK_OK(vipcore_identify(&who, t, number));
  return who;
}

/* ------------------------------------------- version, errors, parse_time */

static void test_version_and_errors(void) {
  static const struct {
    int code;
    const char *text;
  } codes[] = {{VIPCORE_OK, "ok"},
               {VIPCORE_EINVAL, "invalid argument"},
               {VIPCORE_ENOTFOUND, "not found"},
               {VIPCORE_EEXISTS, "already exists"},
               {VIPCORE_EPERM, "permission denied"},
               {VIPCORE_ESTORAGE, "storage error"},
               {VIPCORE_EBUSY, "busy"},
               {VIPCORE_EKEY, "key error"},
               {VIPCORE_EINTEGRITY, "integrity error"},
               {VIPCORE_EVERSION, "version error"},
               {VIPCORE_ENOTIFIER, "notifier error"},
               {VIPCORE_EINTERNAL, "internal error"},
               {VIPCORE_ENOMEM, "out of memory"},
               {-13, "not a vipcore result code"},
               {-999, "not a vipcore result code"},
               {INT_MIN, "not a vipcore result code"},
               {1, "not a vipcore result code"}};
  size_t i;
  /* Nothing has failed on this thread yet. */
  CHECK_STR(vipcore_last_error(), "");
  CHECK_STR(vipcore_last_error_field(), "");
  CHECK_STR(vipcore_version(), VIPCORE_VERSION);
  CHECK_INT(vipcore_version_number(), VIPCORE_VERSION_NUMBER);
  for (i = 0; i < sizeof codes / sizeof codes[0]; ++i) CHECK_STR(vipcore_strerror(codes[i].code), codes[i].text);
  vipcore_free(NULL);
}

static void test_parse_time(void) {
  int64_t ms = 42;
  CHECK_OK(vipcore_parse_time(&ms, "2024-01-31"));
  CHECK_INT(ms, 1706659200000LL);
  CHECK_OK(vipcore_parse_time(&ms, "2024-01-31T10:15:00.250Z"));
  CHECK_INT(ms, 1706659200000LL + 36900250LL);
  CHECK_OK(vipcore_parse_time(&ms, "2024-01-31T10:15:00+01:00"));
  CHECK_INT(ms, 1706659200000LL + 33300000LL);
  CHECK_FAILS(vipcore_parse_time(&ms, "yesterday"), VIPCORE_EINVAL, "text");
  CHECK_INT(ms, 0); /* zeroed on failure */
  CHECK_FAILS(vipcore_parse_time(&ms, NULL), VIPCORE_EINVAL, "text");
  CHECK_FAILS(vipcore_parse_time(NULL, "2024-01-31"), VIPCORE_EINVAL, "out_ms");
}

/* The last error stays after a successful call and goes with vipcore_clear_error. */
static void test_clear_error(void) {
  int64_t ms = 0;
  CHECK_FAILS(vipcore_parse_time(&ms, "yesterday"), VIPCORE_EINVAL, "text");
  CHECK_OK(vipcore_parse_time(&ms, "2024-01-31"));
  CHECK(contains(vipcore_last_error(), "text"));
  CHECK_STR(vipcore_last_error_field(), "text");
  vipcore_clear_error();
  CHECK_STR(vipcore_last_error(), "");
  CHECK_STR(vipcore_last_error_field(), "");
  CHECK_FAILS(vipcore_parse_time(NULL, "2024-01-31"), VIPCORE_EINVAL, "out_ms");
  CHECK_STR(vipcore_last_error_field(), "out_ms");
  vipcore_clear_error();
  CHECK_STR(vipcore_last_error_field(), "");
}

/* ------------------------------------------------------- open and close */

static void test_open_options(void) {
  vipcore_open_options o;
  memset(&o, 0xab, sizeof o);
  vipcore_open_options_init(&o);
  CHECK_INT(o.struct_size, sizeof o);
  CHECK(o.key_file == NULL && o.key == NULL && o.key_len == 0 && o.default_region == NULL);
  CHECK_INT(o.busy_timeout_ms, 5000);
  CHECK_INT(o.create_if_missing, 1);
  CHECK(o.notifier == NULL && o.notifier_user_data == NULL);
  CHECK(o.clock == NULL && o.clock_user_data == NULL);
  CHECK_INT(o.read_only, 0);
  CHECK_INT(o.file_mode, 0600);
  vipcore_open_options_init(NULL); /* a no-op */
}

/* A test's clock: it stands still until the test moves it. */
static int64_t manual_clock(void *user_data) { return *(const int64_t *)user_data; }

/* The in-memory database with a fixed clock, as an integrator's C tests use it. */
static void test_open_memory(void) {
  vipcore_db *db = (vipcore_db *)1, *other = NULL;
  vipcore_tenant *t = NULL;
  vipcore_open_options o;
  vipcore_caller_input in = minimal_caller("+1 (234) 567-8900", "John Doe", VIPCORE_LEVEL_GOLD);
  vipcore_caller *c = NULL;
  vipcore_identification who;
  char id[VIPCORE_ID_SIZE];
  int64_t now = at("2024-01-15T10:00:00Z"); /* a Monday morning */
  int open = -1;
  size_t old_size;

  vipcore_open_options_init(&o);
  o.key = kKey;
  o.key_len = sizeof kKey;
  o.clock = manual_clock;
  o.clock_user_data = &now;
  CHECK_OK(vipcore_open_memory(&db, &o));
  CHECK_OK(vipcore_tenant_open(&t, db, "acme", "alice", VIPCORE_ROLE_ADMIN));
  in.valid_from_ms = at("2024-01-16");
  CHECK_OK(vipcore_caller_create(&c, t, &in));
  CHECK_INT(vipcore_caller_created_at(c), now); /* the test's clock */
  copy_id(id, vipcore_caller_id(c));
  vipcore_caller_free(c);
  who = identify(t, "011 1 234 567 8900");
  CHECK_INT(who.is_vip, 0);
  CHECK_INT(who.match, VIPCORE_MATCH_NOT_YET_VALID);
  CHECK_OK(vipcore_inside_business_hours(&open, t));
  CHECK_INT(open, 1); /* mon-fri 09:00-17:00 UTC */
  now = at("2024-01-16T20:00:00Z"); /* the next evening */
  who = identify(t, "011 1 234 567 8900");
  CHECK_INT(who.is_vip, 1);
  CHECK_STR(who.caller_id, id);
  CHECK_OK(vipcore_inside_business_hours(&open, t));
  CHECK_INT(open, 0);
  vipcore_tenant_close(t);

  /* Each in-memory database is its own. */
  CHECK_OK(vipcore_open_memory(&other, &o));
  CHECK_OK(vipcore_tenant_open(&t, other, "acme", "pbx", VIPCORE_ROLE_SYSTEM));
  CHECK_INT(identify(t, "011 1 234 567 8900").match, VIPCORE_MATCH_NOT_FOUND);
  vipcore_tenant_close(t);
  vipcore_close(other);

  /* With sealed fields only in the cache, a hit answers the same name. */
  CHECK_INT(o.cache_decrypted, 1); /* the default */
  o.cache_decrypted = 0;
  CHECK_OK(vipcore_open_memory(&other, &o));
  CHECK_OK(vipcore_tenant_open(&t, other, "acme", "alice", VIPCORE_ROLE_ADMIN));
  CHECK_OK(vipcore_caller_create(&c, t, &in));
  vipcore_caller_free(c);
  CHECK_STR(identify(t, "011 1 234 567 8900").caller_name, "John Doe");
  CHECK_STR(identify(t, "011 1 234 567 8900").caller_name, "John Doe"); /* from the cache */
  vipcore_tenant_close(t);
  vipcore_close(other);
  o.cache_decrypted = 1;
  vipcore_close(db);

  /* A program built against the first header passes a smaller struct:
   * the fields after it (the clock) are not read. */
  old_size = offsetof(vipcore_open_options, clock);
  o.struct_size = (uint32_t)old_size; /* o.clock is still the 2024 clock */
  CHECK_OK(vipcore_open_memory(&db, &o));
  CHECK_OK(vipcore_tenant_open(&t, db, "acme", "alice", VIPCORE_ROLE_ADMIN));
  CHECK_OK(vipcore_caller_create(&c, t, &in));
  CHECK(vipcore_caller_created_at(c) >= fx.start_ms); /* the system clock, not 2024 */
  vipcore_caller_free(c);
  vipcore_tenant_close(t);
  vipcore_close(db);
  o.struct_size = (uint32_t)old_size - 1;
  CHECK_FAILS(vipcore_open_memory(&db, &o), VIPCORE_EINVAL, "options");

  vipcore_open_options_init(&o);
  db = (vipcore_db *)1;
  CHECK_FAILS(vipcore_open_memory(&db, &o), VIPCORE_EINVAL, "options"); /* no key */
  CHECK(db == NULL);
  o.key = kKey;
  o.key_len = 31;
  CHECK_FAILS(vipcore_open_memory(&db, &o), VIPCORE_EKEY, NULL);
  CHECK_FAILS(vipcore_open_memory(NULL, &o), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_open_memory(&db, NULL), VIPCORE_EINVAL, "options");
}

static void test_open_errors(void) {
  vipcore_db *db = (vipcore_db *)1;
  vipcore_open_options o;
  char missing[160];
  vipcore_open_options_init(&o);
  CHECK_FAILS(vipcore_open(NULL, fx.db_path, &o), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_open(&db, NULL, &o), VIPCORE_EINVAL, "path");
  CHECK(db == NULL);
  CHECK_FAILS(vipcore_open(&db, fx.db_path, NULL), VIPCORE_EINVAL, "options");
  CHECK_FAILS(vipcore_open(&db, fx.db_path, &o), VIPCORE_EINVAL, "options"); /* no key */
  CHECK(contains(vipcore_last_error(), "exactly one"));
  o.key = kKey;
  o.key_file = fx.key_path; /* both */
  CHECK_FAILS(vipcore_open(&db, fx.db_path, &o), VIPCORE_EINVAL, "options");
  o.key_file = NULL;
  o.key_len = 31;
  CHECK_FAILS(vipcore_open(&db, fx.db_path, &o), VIPCORE_EKEY, NULL);
  CHECK(contains(vipcore_last_error(), "32 bytes"));
  o.key_len = 32;
  o.struct_size = 4;
  CHECK_FAILS(vipcore_open(&db, fx.db_path, &o), VIPCORE_EINVAL, "options");
  /* No database is created where none may be. */
  vipcore_open_options_init(&o);
  o.key = kKey;
  o.key_len = 32;
  o.create_if_missing = 0;
  path_in_dir(missing, sizeof missing, "missing.db");
  db = (vipcore_db *)1;
  CHECK(vipcore_open(&db, missing, &o) < 0);
  CHECK(db == NULL);
  CHECK(access(missing, F_OK) != 0);
  /* Nor read-only. */
  o.create_if_missing = 1;
  o.read_only = 1;
  CHECK(vipcore_open(&db, missing, &o) < 0);
  CHECK(access(missing, F_OK) != 0);
  /* An empty file (a failed copy) is not a vipcore database, and stays empty. */
  {
    char empty[160];
    struct stat st;
    FILE *f;
    path_in_dir(empty, sizeof empty, "empty.db");
    f = fopen(empty, "w");
    CHECK(f != NULL);
    if (f != NULL) fclose(f);
    o.read_only = 0;
    CHECK_FAILS(vipcore_open(&db, empty, &o), VIPCORE_EVERSION, NULL);
    CHECK(contains(vipcore_last_error(), "not a vipcore database"));
    CHECK(stat(empty, &st) == 0 && st.st_size == 0);
  }
  vipcore_close(NULL); /* a no-op */
}

/* vipcore_open takes a location string: SQLite in any of its forms, and clear refusals. */
static void test_open_locations(void) {
  vipcore_db *db = (vipcore_db *)1;
  vipcore_open_options o;
  char file[160], location[200];
  vipcore_open_options_init(&o);
  o.key = kKey;
  o.key_len = 32;
  CHECK_FAILS(vipcore_open(&db, "", &o), VIPCORE_EINVAL, "path");
  CHECK(contains(vipcore_last_error(), "empty"));
  CHECK(db == NULL);
  CHECK_FAILS(vipcore_open(&db, "mysql://db.example/vip", &o), VIPCORE_EINVAL, "path");
  CHECK(contains(vipcore_last_error(), "unknown scheme \"mysql:\""));
  CHECK_FAILS(vipcore_open(&db, "sqlite://db.example/vip.db", &o), VIPCORE_EINVAL, "path");
  CHECK_FAILS(vipcore_open(&db, "sqlite:", &o), VIPCORE_EINVAL, "path");
  /* A conninfo names PostgreSQL; a server that is not there (only a local socket directory that
   * does not exist is tried) is a storage error that never repeats it (it may hold a password). */
  CHECK_FAILS(vipcore_open(&db, "host=/nonexistent-vipcore-socket-dir dbname=vip password=hunter2", &o),
              VIPCORE_ESTORAGE, NULL);
  CHECK(!contains(vipcore_last_error(), "hunter2"));
  CHECK_FAILS(vipcore_open(&db, "postgresql://pbx:hunter2@/vip?host=/nonexistent-vipcore-socket-dir", &o),
              VIPCORE_ESTORAGE, NULL);
  CHECK(!contains(vipcore_last_error(), "hunter2"));
  /* sqlite:<path> creates the file at <path>; sqlite:///<absolute path> opens the same one. */
  path_in_dir(file, sizeof file, "located.db");
  snprintf(location, sizeof location, "sqlite:%s", file);
  CHECK_OK(vipcore_open(&db, location, &o));
  vipcore_close(db);
  CHECK(access(file, F_OK) == 0);
  o.create_if_missing = 0;
  CHECK(file[0] == '/');
  snprintf(location, sizeof location, "sqlite://%s", file);
  db = NULL;
  CHECK_OK(vipcore_open(&db, location, &o));
  CHECK(db != NULL);
  vipcore_close(db);
}

/* A database opened read-only identifies; writes say it is read-only. New files are owner-only. */
static void test_open_read_only(void) {
  vipcore_db *db = NULL;
  vipcore_tenant *t = NULL;
  vipcore_open_options o;
  vipcore_caller_input in = minimal_caller("+1 (456) 789-0123", "Michael Chen", VIPCORE_LEVEL_DIAMOND);
  vipcore_caller *c = NULL;
  vipcore_identification who = VIPCORE_IDENTIFICATION_INIT;
  char path[160], wal[170];
  struct stat st;
  path_in_dir(path, sizeof path, "readonly.db");
  vipcore_open_options_init(&o);
  o.key = kKey;
  o.key_len = 32;
  CHECK_OK(vipcore_open(&db, path, &o));
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
  CHECK_OK(vipcore_tenant_open(&t, db, "acme", "alice", VIPCORE_ROLE_ADMIN));
  CHECK_OK(vipcore_caller_create(&c, t, &in));
  vipcore_caller_free(c);
  vipcore_tenant_close(t);
  vipcore_close(db);
  db = NULL;
  /* The -wal name is taken: the directory cannot take SQLite's files. */
  snprintf(wal, sizeof wal, "%s-wal", path);
  CHECK(mkdir(wal, 0700) == 0);
  snprintf(wal, sizeof wal, "%s-shm", path);
  CHECK(mkdir(wal, 0700) == 0);
  o.read_only = 1;
  CHECK_OK(vipcore_open(&db, path, &o));
  CHECK_OK(vipcore_tenant_open(&t, db, "acme", "pbx-1", VIPCORE_ROLE_SYSTEM));
  CHECK_OK(vipcore_identify(&who, t, "+1 456 789 0123"));
  CHECK(who.is_vip);
  in = minimal_caller("+1 (345) 678-9012", "Sarah Johnson", VIPCORE_LEVEL_PLATINUM);
  CHECK_FAILS(vipcore_caller_create(&c, t, &in), VIPCORE_EPERM, NULL); /* SYSTEM may not create... */
  vipcore_tenant_close(t);
  CHECK_OK(vipcore_tenant_open(&t, db, "acme", "alice", VIPCORE_ROLE_ADMIN));
  CHECK_FAILS(vipcore_caller_create(&c, t, &in), VIPCORE_ESTORAGE, NULL); /* ...and ADMIN cannot here */
  CHECK(contains(vipcore_last_error(), "read-only"));
  vipcore_tenant_close(t);
  vipcore_close(db);
}

/* Key files: 64 hex characters, mode 0600; anything readable by others is refused. */
static void test_key_files(void) {
  char loose[160], short_key[160], absent[160];
  vipcore_db *db = (vipcore_db *)1;
  vipcore_tenant *t = NULL;
  int fd;

  CHECK_INT(write_key_file(fx.key_path, kKey, 0600), 0);
  path_in_dir(loose, sizeof loose, "loose.key");
  CHECK_INT(write_key_file(loose, kKey, 0640), 0);
  CHECK_FAILS(open_db(&db, loose, NULL), VIPCORE_EKEY, NULL);
  CHECK(db == NULL);
  CHECK(contains(vipcore_last_error(), "readable by group or others"));
  CHECK(!contains(vipcore_last_error(), "0102030405")); /* never the key */

  path_in_dir(short_key, sizeof short_key, "short.key");
  fd = open(short_key, O_WRONLY | O_CREAT | O_EXCL, 0600);
  CHECK(fd >= 0 && fchmod(fd, 0600) == 0 && write(fd, "abcdef\n", 7) == 7);
  if (fd >= 0) close(fd);
  CHECK_FAILS(open_db(&db, short_key, NULL), VIPCORE_EKEY, NULL);

  path_in_dir(absent, sizeof absent, "absent.key");
  CHECK_FAILS(open_db(&db, absent, NULL), VIPCORE_EKEY, NULL);

  /* The key file creates the database; the same key as bytes opens it. */
  CHECK_OK(open_db(&db, fx.key_path, NULL));
  CHECK(db != NULL);
  vipcore_close(db);
  db = NULL;
  CHECK_OK(open_db(&db, NULL, kKey));
  CHECK_OK(vipcore_tenant_open(&t, db, "acme", "alice", VIPCORE_ROLE_ADMIN));
  /* A tenant handle outlives the database handle it came from. */
  vipcore_close(db);
  {
    vipcore_identification who = identify(t, "+1 800 555 0199");
    CHECK_INT(who.match, VIPCORE_MATCH_NOT_FOUND);
  }
  vipcore_tenant_close(t);
}

/* default_region, stored by a new database, decides how tenants without a
 * region of their own read national numbers, in every process. */
static void test_phone_options(void) {
  char path[160];
  vipcore_open_options o;
  vipcore_db *db = NULL;
  vipcore_tenant *t = NULL;
  vipcore_caller_input in = minimal_caller("07400 123456", "Jane Smith", VIPCORE_LEVEL_SILVER);
  vipcore_identification who;
  vipcore_settings settings;
  char id[VIPCORE_ID_SIZE];

  path_in_dir(path, sizeof path, "uk.db");
  vipcore_open_options_init(&o);
  o.key = kKey;
  o.key_len = sizeof kKey;
  o.default_region = "GB";
  CHECK_OK(vipcore_open(&db, path, &o));
  CHECK_OK(vipcore_tenant_open(&t, db, "london", "alice", VIPCORE_ROLE_ADMIN));
  create(t, &in, id);
  who = identify(t, "+44 7400 123456");
  CHECK_INT(who.is_vip, 1);
  CHECK_STR(who.caller_id, id);
  /* Leeds, dialled nationally in the UK: not the Spanish +34 960000. */
  CHECK_INT(identify(t, "0113 496 0000").match, VIPCORE_MATCH_NOT_FOUND);
  vipcore_settings_init(&settings);
  CHECK_OK(vipcore_settings_get(&settings, t));
  CHECK_STR(settings.region, "GB");
  CHECK_INT(settings.number_validation, VIPCORE_NUMBER_VALIDATION_STRICT);
  vipcore_tenant_close(t);
  vipcore_close(db);

  /* Another process that names no region reads the tenant as GB; one that
   * names another region is told the database's. */
  o.default_region = "US";
  CHECK_FAILS(vipcore_open(&db, path, &o), VIPCORE_EINVAL, "default_region");
  o.default_region = NULL;
  CHECK_OK(vipcore_open(&db, path, &o));
  CHECK_OK(vipcore_tenant_open(&t, db, "london", "pbx-1", VIPCORE_ROLE_SYSTEM));
  CHECK_STR(identify(t, "07400 123456").caller_id, id);
  vipcore_tenant_close(t);
  /* A new tenant there is a GB one too, until it sets its own region. */
  CHECK_OK(vipcore_tenant_open(&t, db, "munich", "alice", VIPCORE_ROLE_ADMIN));
  CHECK_OK(vipcore_settings_get(&settings, t));
  CHECK_STR(settings.region, "GB");
  /* The region is a setting: set it, and an unknown one is refused by name. */
  strcpy(settings.region, "ZZ");
  CHECK_FAILS(vipcore_settings_set(t, &settings), VIPCORE_EINVAL, "region");
  strcpy(settings.region, "de");
  settings.number_validation = VIPCORE_NUMBER_VALIDATION_E164;
  CHECK_OK(vipcore_settings_set(t, &settings));
  CHECK_OK(vipcore_settings_get(&settings, t));
  CHECK_STR(settings.region, "DE");
  CHECK_INT(settings.number_validation, VIPCORE_NUMBER_VALIDATION_E164);
  settings.number_validation = 7;
  CHECK_FAILS(vipcore_settings_set(t, &settings), VIPCORE_EINVAL, "number_validation");
  vipcore_tenant_close(t);
  vipcore_close(db);

  /* An unknown default region is refused at open. */
  o.default_region = "XX";
  CHECK_FAILS(vipcore_open(&db, path, &o), VIPCORE_EINVAL, "default_region");
  CHECK(db == NULL);
}

/* ---------------------------------------------------------------- tenants */

static void test_tenant_open(void) {
  vipcore_tenant *t = (vipcore_tenant *)1;
  int role;
  CHECK_FAILS(vipcore_tenant_open(NULL, fx.db, "acme", "pbx-1", VIPCORE_ROLE_SYSTEM), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_tenant_open(&t, NULL, "acme", "pbx-1", VIPCORE_ROLE_SYSTEM), VIPCORE_EINVAL, "db");
  CHECK(t == NULL);
  CHECK_FAILS(vipcore_tenant_open(&t, fx.db, NULL, "pbx-1", VIPCORE_ROLE_SYSTEM), VIPCORE_EINVAL, "tenant_id");
  CHECK_FAILS(vipcore_tenant_open(&t, fx.db, "acme", NULL, VIPCORE_ROLE_SYSTEM), VIPCORE_EINVAL, "actor_id");
  CHECK_FAILS(vipcore_tenant_open(&t, fx.db, "acme corp", "pbx-1", VIPCORE_ROLE_SYSTEM), VIPCORE_EINVAL,
              "tenant_id");
  CHECK_FAILS(vipcore_tenant_open(&t, fx.db, "", "pbx-1", VIPCORE_ROLE_SYSTEM), VIPCORE_EINVAL, "tenant_id");
  CHECK_FAILS(vipcore_tenant_open(&t, fx.db, "acme", " ", VIPCORE_ROLE_SYSTEM), VIPCORE_EINVAL, NULL);
  CHECK_FAILS(vipcore_tenant_open(&t, fx.db, "acme", "pbx-1", 99), VIPCORE_EINVAL, "role");
  CHECK_FAILS(vipcore_tenant_open(&t, fx.db, "acme", "pbx-1", -1), VIPCORE_EINVAL, "role");
  CHECK_FAILS(vipcore_tenant_open(&t, fx.db, "acme", "pbx-1", VIPCORE_ROLE_AUDITOR + 1), VIPCORE_EINVAL, "role");
  CHECK(t == NULL);
  for (role = VIPCORE_ROLE_ADMIN; role <= VIPCORE_ROLE_AUDITOR; ++role) {
    CHECK_OK(vipcore_tenant_open(&t, fx.db, "acme", "someone", role));
    vipcore_tenant_close(t);
  }
  vipcore_tenant_close(NULL); /* a no-op */
}

/* ---------------------------------------------------------------- callers */

static void check_john(const vipcore_caller *c) {
  double value = 0;
  CHECK_INT(strlen(vipcore_caller_id(c)), 36);
  CHECK_STR(vipcore_caller_name(c), "John Doe");
  CHECK_STR(vipcore_caller_company(c), "Acme Corp");
  CHECK_INT(vipcore_caller_level(c), VIPCORE_LEVEL_GOLD);
  CHECK_INT(vipcore_caller_status(c), VIPCORE_STATUS_ACTIVE);
  CHECK_INT(vipcore_caller_handling_rules(c), (1u << VIPCORE_RULE_PRIORITY_QUEUE) | (1u << VIPCORE_RULE_CUSTOM_GREETING));
  CHECK_STR(vipcore_caller_greeting(c), "Hello Mr. Doe, thank you for calling.");
  CHECK_STR(vipcore_caller_preferred_agent(c), "");
  CHECK_STR(vipcore_caller_preferred_department(c), "sales");
  CHECK_INT(vipcore_caller_max_wait_time(c), 30);
  CHECK_INT(vipcore_caller_callback_priority(c), 2);
  CHECK_STR(vipcore_caller_email(c), "john.doe@acme.com");
  CHECK_STR(vipcore_caller_account_number(c), "ACC123456");
  CHECK_INT(vipcore_caller_account_value(c, &value), 1);
  CHECK_NEAR(value, 50000.0);
  CHECK_INT(vipcore_caller_account_value(c, NULL), 1);
  CHECK_STR(vipcore_caller_notes(c), "High-value customer");
  CHECK_INT(vipcore_caller_tag_count(c), 2);
  CHECK_STR(vipcore_caller_tag(c, 0), "premium");
  CHECK_STR(vipcore_caller_tag(c, 1), "enterprise");
  CHECK_STR(vipcore_caller_tag(c, 2), "");
  /* Numbers come back masked only, primary first. */
  CHECK_INT(vipcore_caller_phone_count(c), 3);
  CHECK(contains(vipcore_caller_phone_masked(c, 0), "8900") && !contains(vipcore_caller_phone_masked(c, 0), "567"));
  CHECK(contains(vipcore_caller_phone_masked(c, 1), "8901") && !contains(vipcore_caller_phone_masked(c, 1), "567"));
  CHECK(contains(vipcore_caller_phone_masked(c, 2), "0958") && !contains(vipcore_caller_phone_masked(c, 2), "7946"));
  CHECK_STR(vipcore_caller_phone_masked(c, 3), "");
  CHECK_INT(vipcore_caller_total_calls(c), 0);
  CHECK_INT(vipcore_caller_satisfaction(c, &value), 0);
  CHECK_INT(vipcore_caller_valid_from(c), 0);
  CHECK_INT(vipcore_caller_valid_until(c), 0);
  CHECK(vipcore_caller_created_at(c) >= fx.start_ms && vipcore_caller_created_at(c) <= now_ms() + 1000);
  CHECK(vipcore_caller_updated_at(c) >= vipcore_caller_created_at(c));
}

/* Creates the seed's three VIPs; checks every accessor on John Doe. */
static void test_caller_create_and_get(void) {
  vipcore_caller_input seeds[SEED_COUNT];
  vipcore_caller *c = NULL;
  size_t i;
  seeds[0] = john_doe();
  seeds[1] = sarah_johnson();
  seeds[2] = michael_chen();
  for (i = 0; i < SEED_COUNT; ++i) create(fx.admin, &seeds[i], fx.seed_id[i]);

  CHECK_OK(vipcore_caller_get(&c, fx.manager, fx.seed_id[0]));
  check_john(c);
  CHECK_STR(vipcore_caller_id(c), fx.seed_id[0]);
  vipcore_caller_free(c);
  /* Agents may read callers; the PBX and auditors may not. */
  CHECK_OK(vipcore_caller_get(&c, fx.agent, fx.seed_id[1]));
  CHECK_STR(vipcore_caller_name(c), "Sarah Johnson");
  CHECK_STR(vipcore_caller_preferred_agent(c), "agent-007");
  vipcore_caller_free(c);
  c = (vipcore_caller *)1;
  CHECK_FAILS(vipcore_caller_get(&c, fx.pbx, fx.seed_id[0]), VIPCORE_EPERM, NULL);
  CHECK(c == NULL);
  CHECK_FAILS(vipcore_caller_get(&c, fx.auditor, fx.seed_id[0]), VIPCORE_EPERM, NULL);

  /* `out` may be NULL for create. */
  {
    vipcore_caller_input in = minimal_caller("+1 555 010 0001", "Quiet Caller", -1);
    CHECK_OK(vipcore_caller_create(NULL, fx.admin, &in));
    CHECK_INT(identify(fx.pbx, "+15550100001").level, VIPCORE_LEVEL_STANDARD); /* -1: STANDARD */
  }
  CHECK_FAILS(vipcore_caller_get(&c, fx.admin, kNoSuchId), VIPCORE_ENOTFOUND, NULL);
  CHECK_FAILS(vipcore_caller_get(&c, fx.admin, "not-an-id"), VIPCORE_EINVAL, "id");
  CHECK_FAILS(vipcore_caller_get(NULL, fx.admin, fx.seed_id[0]), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_caller_get(&c, NULL, fx.seed_id[0]), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_caller_get(&c, fx.admin, NULL), VIPCORE_EINVAL, "id");
  CHECK(c == NULL);
}

/* Every bad field fails with EINVAL naming it, and writes nothing. */
static void test_caller_create_errors(void) {
  static const char *const bad_alternative[] = {"call me maybe"};
  static const char *const null_entry[] = {NULL};
  static const char *const repeated_tags[] = {"vip", "vip"};
  vipcore_caller_input in;
  vipcore_caller *c = (vipcore_caller *)1;

#define EXPECT_BAD_FIELD(change, code, field)                                    \
  do {                                                                           \
    in = minimal_caller("+1 555 010 0002", "Bad Caller", VIPCORE_LEVEL_GOLD);    \
    change;                                                                      \
    CHECK_FAILS(vipcore_caller_create(&c, fx.admin, &in), code, field);          \
    CHECK(c == NULL);                                                            \
  } while (0)
  EXPECT_BAD_FIELD(in.caller_name = "", VIPCORE_EINVAL, "caller_name");
  EXPECT_BAD_FIELD(in.caller_name = NULL, VIPCORE_EINVAL, "caller_name");
  EXPECT_BAD_FIELD(in.phone_number = NULL, VIPCORE_EINVAL, "phone_number");
  EXPECT_BAD_FIELD(in.phone_number = "anonymous", VIPCORE_EINVAL, "phone_number");
  EXPECT_BAD_FIELD(in.vip_level = 7, VIPCORE_EINVAL, "vip_level");
  EXPECT_BAD_FIELD(in.status = 3, VIPCORE_EINVAL, "status");
  EXPECT_BAD_FIELD(in.handling_rules = 1u << 6, VIPCORE_EINVAL, "handling_rules");
  EXPECT_BAD_FIELD(in.handling_rules = 1u << VIPCORE_RULE_CUSTOM_GREETING, VIPCORE_EINVAL, "custom_greeting");
  EXPECT_BAD_FIELD(in.max_wait_time = 3601, VIPCORE_EINVAL, "max_wait_time");
  EXPECT_BAD_FIELD(in.callback_priority = 101, VIPCORE_EINVAL, "callback_priority");
  EXPECT_BAD_FIELD(in.email = "john at acme", VIPCORE_EINVAL, "email");
  EXPECT_BAD_FIELD((in.has_account_value = 1, in.account_value = -1.0), VIPCORE_EINVAL, "account_value");
  EXPECT_BAD_FIELD((in.alternative_phone_numbers = bad_alternative, in.alternative_phone_count = 1), VIPCORE_EINVAL,
                   "alternative_phone_numbers[0]");
  EXPECT_BAD_FIELD(in.alternative_phone_count = 1, VIPCORE_EINVAL, "alternative_phone_numbers"); /* NULL array */
  EXPECT_BAD_FIELD((in.alternative_phone_numbers = null_entry, in.alternative_phone_count = 1), VIPCORE_EINVAL,
                   "alternative_phone_numbers");
  EXPECT_BAD_FIELD((in.tags = repeated_tags, in.tag_count = 2), VIPCORE_EINVAL, "tags[1]");
  EXPECT_BAD_FIELD(in.tag_count = 1, VIPCORE_EINVAL, "tags");
  EXPECT_BAD_FIELD((in.valid_from_ms = 2000, in.valid_until_ms = 1000), VIPCORE_EINVAL, "valid_until");
  EXPECT_BAD_FIELD(in.struct_size = 8, VIPCORE_EINVAL, "input");
  /* John's number in another format, and his alternative as a primary. */
  EXPECT_BAD_FIELD(in.phone_number = "011 1 234 567 8900", VIPCORE_EEXISTS, "phone_number");
  EXPECT_BAD_FIELD(in.phone_number = "1-234-567-8901", VIPCORE_EEXISTS, "phone_number");
  CHECK(!contains(vipcore_last_error(), "8901")); /* never a number in a message */
  CHECK_INT(identify(fx.pbx, "+1 555 010 0002").match, VIPCORE_MATCH_NOT_FOUND);
  /* Permissions: agents, the PBX and auditors create nothing. */
  in = minimal_caller("+1 555 010 0003", "Not Allowed", VIPCORE_LEVEL_GOLD);
  CHECK_FAILS(vipcore_caller_create(&c, fx.agent, &in), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_caller_create(&c, fx.pbx, &in), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_caller_create(&c, fx.auditor, &in), VIPCORE_EPERM, NULL);
  CHECK_INT(identify(fx.pbx, "+1 555 010 0003").match, VIPCORE_MATCH_NOT_FOUND);
  CHECK_FAILS(vipcore_caller_create(&c, NULL, &in), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_caller_create(&c, fx.admin, NULL), VIPCORE_EINVAL, "input");
#undef EXPECT_BAD_FIELD
  CHECK(c == NULL);
  vipcore_caller_input_init(NULL); /* a no-op */
}

/* Updates change exactly the fields whose bits are set; NULL/0 with the bit set clears. */
static void test_caller_update_and_delete(void) {
  static const char *const new_tags[] = {"gold-club"};
  static const char *const alternatives[] = {"+1 555 010 0011"};
  vipcore_caller_input in = minimal_caller("+1 555 010 0010", "Lena Update", VIPCORE_LEVEL_SILVER);
  vipcore_caller_input changes;
  vipcore_caller *c = NULL;
  char id[VIPCORE_ID_SIZE];
  double value = 0;
  int64_t created;

  in.company_name = "Old Co";
  in.notes = "to be cleared";
  in.max_wait_time = 45;
  in.has_account_value = 1;
  in.account_value = 12.5;
  create(fx.admin, &in, id);

  vipcore_caller_input_init(&changes);
  changes.fields = VIPCORE_FIELD_VIP_LEVEL | VIPCORE_FIELD_COMPANY_NAME | VIPCORE_FIELD_NOTES |
                   VIPCORE_FIELD_MAX_WAIT_TIME | VIPCORE_FIELD_ACCOUNT_VALUE | VIPCORE_FIELD_TAGS |
                   VIPCORE_FIELD_ALTERNATIVE_PHONE_NUMBERS | VIPCORE_FIELD_STATUS;
  changes.vip_level = VIPCORE_LEVEL_PLATINUM;
  changes.status = VIPCORE_STATUS_ACTIVE;
  changes.company_name = NULL; /* cleared */
  changes.notes = "";          /* cleared too */
  changes.max_wait_time = 0;   /* back to the level's default: PLATINUM 30 s */
  changes.has_account_value = 0;
  changes.tags = new_tags;
  changes.tag_count = 1;
  changes.alternative_phone_numbers = alternatives;
  changes.alternative_phone_count = 1;
  changes.caller_name = "ignored: its bit is not set";
  CHECK_OK(vipcore_caller_update(&c, fx.manager, id, &changes));
  CHECK_STR(vipcore_caller_name(c), "Lena Update");
  CHECK_INT(vipcore_caller_level(c), VIPCORE_LEVEL_PLATINUM);
  CHECK_STR(vipcore_caller_company(c), "");
  CHECK_STR(vipcore_caller_notes(c), "");
  CHECK_INT(vipcore_caller_max_wait_time(c), 30);
  CHECK_INT(vipcore_caller_account_value(c, &value), 0);
  CHECK_INT(vipcore_caller_tag_count(c), 1);
  CHECK_STR(vipcore_caller_tag(c, 0), "gold-club");
  CHECK_INT(vipcore_caller_phone_count(c), 2);
  created = vipcore_caller_created_at(c);
  CHECK(vipcore_caller_updated_at(c) >= created);
  vipcore_caller_free(c);
  CHECK_STR(identify(fx.pbx, "(555) 010-0011").caller_id, id);

  /* A validity window, set then cleared, and a status. `out` may be NULL. */
  vipcore_caller_input_init(&changes);
  changes.fields = VIPCORE_FIELD_VALID_FROM | VIPCORE_FIELD_VALID_UNTIL | VIPCORE_FIELD_CALLER_NAME;
  changes.valid_from_ms = at("2024-01-01");
  changes.valid_until_ms = at("2099-01-01");
  changes.caller_name = "Lena Renamed";
  CHECK_OK(vipcore_caller_update(NULL, fx.admin, id, &changes));
  CHECK_OK(vipcore_caller_get(&c, fx.admin, id));
  CHECK_STR(vipcore_caller_name(c), "Lena Renamed");
  CHECK_INT(vipcore_caller_valid_from(c), at("2024-01-01"));
  CHECK_INT(vipcore_caller_valid_until(c), at("2099-01-01"));
  vipcore_caller_free(c);
  changes.fields = VIPCORE_FIELD_VALID_FROM | VIPCORE_FIELD_VALID_UNTIL | VIPCORE_FIELD_STATUS;
  changes.valid_from_ms = changes.valid_until_ms = 0;
  changes.status = VIPCORE_STATUS_SUSPENDED;
  CHECK_OK(vipcore_caller_update(&c, fx.admin, id, &changes));
  CHECK_INT(vipcore_caller_valid_from(c), 0);
  CHECK_INT(vipcore_caller_valid_until(c), 0);
  CHECK_INT(vipcore_caller_status(c), VIPCORE_STATUS_SUSPENDED);
  vipcore_caller_free(c);

  /* Errors. */
  c = (vipcore_caller *)1;
  vipcore_caller_input_init(&changes);
  CHECK_FAILS(vipcore_caller_update(&c, fx.admin, id, &changes), VIPCORE_EINVAL, "update"); /* no bit */
  CHECK(c == NULL);
  changes.fields = 1u << 19;
  CHECK_FAILS(vipcore_caller_update(&c, fx.admin, id, &changes), VIPCORE_EINVAL, "fields");
  changes.fields = VIPCORE_FIELD_CALLER_NAME;
  changes.caller_name = NULL; /* the name cannot be cleared */
  CHECK_FAILS(vipcore_caller_update(&c, fx.admin, id, &changes), VIPCORE_EINVAL, "caller_name");
  changes.fields = VIPCORE_FIELD_VIP_LEVEL;
  changes.vip_level = -1; /* -1 means STANDARD for create only */
  CHECK_FAILS(vipcore_caller_update(&c, fx.admin, id, &changes), VIPCORE_EINVAL, "vip_level");
  changes.fields = VIPCORE_FIELD_PHONE_NUMBER;
  changes.phone_number = "+1 (234) 567-8900"; /* John's */
  CHECK_FAILS(vipcore_caller_update(&c, fx.admin, id, &changes), VIPCORE_EEXISTS, "phone_number");
  changes.phone_number = "+1 555 010 0012";
  CHECK_FAILS(vipcore_caller_update(&c, fx.admin, kNoSuchId, &changes), VIPCORE_ENOTFOUND, NULL);
  CHECK_FAILS(vipcore_caller_update(&c, fx.agent, id, &changes), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_caller_update(&c, fx.auditor, id, &changes), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_caller_update(&c, NULL, id, &changes), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_caller_update(&c, fx.admin, NULL, &changes), VIPCORE_EINVAL, "id");
  CHECK_FAILS(vipcore_caller_update(&c, fx.admin, id, NULL), VIPCORE_EINVAL, "changes");
  changes.struct_size = 4;
  CHECK_FAILS(vipcore_caller_update(&c, fx.admin, id, &changes), VIPCORE_EINVAL, "changes");
  CHECK(c == NULL);

  /* Delete. */
  CHECK_FAILS(vipcore_caller_delete(fx.agent, id), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_caller_delete(fx.pbx, id), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_caller_delete(NULL, id), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_caller_delete(fx.admin, NULL), VIPCORE_EINVAL, "id");
  CHECK_FAILS(vipcore_caller_delete(fx.admin, "nope"), VIPCORE_EINVAL, "id");
  CHECK_OK(vipcore_caller_delete(fx.manager, id));
  CHECK_FAILS(vipcore_caller_get(&c, fx.admin, id), VIPCORE_ENOTFOUND, NULL);
  CHECK_FAILS(vipcore_caller_delete(fx.admin, id), VIPCORE_ENOTFOUND, NULL);
  CHECK_INT(identify(fx.pbx, "+1 555 010 0011").match, VIPCORE_MATCH_NOT_FOUND); /* its numbers went too */
  vipcore_caller_free(NULL); /* a no-op */
}

/* ------------------------------------------------------------------ lists */

/* Lists with `q` and returns how many came back (-1 on failure); the names in `names`. */
static long list_names(vipcore_tenant *t, const vipcore_list_query *q, char *names, size_t size) {
  vipcore_caller_list *list = NULL;
  size_t i, n;
  if (names != NULL) names[0] = '\0';
  if (vipcore_caller_list_get(&list, t, q) != VIPCORE_OK) return -1;
  n = vipcore_caller_list_count(list);
  for (i = 0; i < n && names != NULL; ++i) {
    if (i > 0) strncat(names, ",", size - strlen(names) - 1);
    strncat(names, vipcore_caller_name(vipcore_caller_list_at(list, i)), size - strlen(names) - 1);
  }
  CHECK(vipcore_caller_list_at(list, n) == NULL);
  vipcore_caller_list_free(list);
  return (long)n;
}

static long search(const char *text, char *names, size_t size) {
  vipcore_list_query q;
  vipcore_list_query_init(&q);
  q.search = text;
  return list_names(fx.agent, &q, names, size);
}

/* The tenant holds the seed's three VIPs and "Quiet Caller" (STANDARD) here. */
/* What vipcore_caller_foreach saw: the callers' names, comma-separated. */
typedef struct visited {
  int count;
  int stop_after; /* 0: never */
  char names[256];
} visited;

static int visit_caller(void *user_data, const vipcore_caller *c) {
  visited *v = (visited *)user_data;
  size_t used = strlen(v->names);
  snprintf(v->names + used, sizeof v->names - used, "%s%s", used ? "," : "", vipcore_caller_name(c));
  ++v->count;
  return v->stop_after != 0 && v->count == v->stop_after;
}

static void test_list(void) {
  vipcore_list_query q;
  vipcore_caller_list *list = (vipcore_caller_list *)1;
  char names[256], page[256];

  memset(&q, 0xab, sizeof q);
  vipcore_list_query_init(&q);
  CHECK_INT(q.struct_size, sizeof q);
  CHECK(q.skip == 0 && q.limit == 100 && q.vip_level == -1 && q.status == -1 && q.search == NULL);
  vipcore_list_query_init(NULL); /* a no-op */

  CHECK_INT(list_names(fx.manager, &q, NULL, 0), 4);
  q.vip_level = VIPCORE_LEVEL_GOLD;
  CHECK_INT(list_names(fx.manager, &q, names, sizeof names), 1);
  CHECK_STR(names, "John Doe");
  q.vip_level = -1;
  q.status = VIPCORE_STATUS_SUSPENDED;
  CHECK_INT(list_names(fx.manager, &q, NULL, 0), 0);
  q.status = VIPCORE_STATUS_ACTIVE;
  CHECK_INT(list_names(fx.manager, &q, NULL, 0), 4);

  /* Search: by name (any case), company, e-mail, and by number in any format. */
  CHECK_INT(search("doe", names, sizeof names), 1);
  CHECK_STR(names, "John Doe");
  CHECK_INT(search("ACME", names, sizeof names), 1);
  CHECK_INT(search("john.doe@", names, sizeof names), 1);
  CHECK_INT(search("011 1 234 567 8900", names, sizeof names), 1);
  CHECK_STR(names, "John Doe");
  CHECK_INT(search("+1.234.567.8901", names, sizeof names), 1); /* his alternative */
  CHECK_INT(search("+1 456 789 0123", names, sizeof names), 1);
  CHECK_STR(names, "Michael Chen");
  CHECK_INT(search("nobody here", names, sizeof names), 0);
  CHECK_INT(search("", names, sizeof names), 4); /* "": no search */

  /* Paging: ascending ids, so two pages make the whole list exactly once. */
  vipcore_list_query_init(&q);
  q.limit = 3;
  CHECK_INT(list_names(fx.manager, &q, names, sizeof names), 3);
  q.skip = 3;
  CHECK_INT(list_names(fx.manager, &q, page, sizeof page), 1);
  CHECK(!contains(names, page));
  q.skip = 4;
  CHECK_INT(list_names(fx.manager, &q, NULL, 0), 0);
  /* A skip past 2^63 is past the end too: it never wraps to the first page. */
  q.skip = (uint64_t)1 << 63;
  CHECK_INT(list_names(fx.manager, &q, NULL, 0), 0);
  q.skip = UINT64_MAX;
  CHECK_INT(list_names(fx.manager, &q, NULL, 0), 0);
  /* ...also with a search ("o": John Doe and Sarah Johnson). */
  vipcore_list_query_init(&q);
  q.search = "o";
  CHECK_INT(list_names(fx.manager, &q, names, sizeof names), 2);
  q.skip = 1;
  q.limit = 1;
  CHECK_INT(list_names(fx.manager, &q, page, sizeof page), 1);
  CHECK(contains(names, page));

  /* Every caller, one snapshot, in the list's order; stopped early on request. */
  {
    visited v;
    memset(&v, 0, sizeof v);
    vipcore_list_query_init(&q);
    list_names(fx.manager, &q, names, sizeof names);
    CHECK_OK(vipcore_caller_foreach(fx.manager, visit_caller, &v));
    CHECK_INT(v.count, 4);
    CHECK_STR(v.names, names);
    memset(&v, 0, sizeof v);
    v.stop_after = 2;
    CHECK_OK(vipcore_caller_foreach(fx.admin, visit_caller, &v));
    CHECK_INT(v.count, 2);
    CHECK_FAILS(vipcore_caller_foreach(fx.pbx, visit_caller, &v), VIPCORE_EPERM, NULL);
    CHECK_FAILS(vipcore_caller_foreach(NULL, visit_caller, &v), VIPCORE_EINVAL, "tenant");
    CHECK_FAILS(vipcore_caller_foreach(fx.admin, NULL, &v), VIPCORE_EINVAL, "visit");
    CHECK_INT(v.count, 2); /* not called */
  }

  /* Errors. */
  vipcore_list_query_init(&q);
  q.limit = 0;
  CHECK_FAILS(vipcore_caller_list_get(&list, fx.admin, &q), VIPCORE_EINVAL, "limit");
  CHECK(list == NULL);
  q.limit = 1001;
  CHECK_FAILS(vipcore_caller_list_get(&list, fx.admin, &q), VIPCORE_EINVAL, "limit");
  vipcore_list_query_init(&q);
  q.vip_level = 5;
  CHECK_FAILS(vipcore_caller_list_get(&list, fx.admin, &q), VIPCORE_EINVAL, "vip_level");
  vipcore_list_query_init(&q);
  q.status = 3;
  CHECK_FAILS(vipcore_caller_list_get(&list, fx.admin, &q), VIPCORE_EINVAL, "status");
  vipcore_list_query_init(&q);
  CHECK_FAILS(vipcore_caller_list_get(&list, fx.pbx, &q), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_caller_list_get(&list, fx.auditor, &q), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_caller_list_get(NULL, fx.admin, &q), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_caller_list_get(&list, NULL, &q), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_caller_list_get(&list, fx.admin, NULL), VIPCORE_EINVAL, "query");
  q.struct_size = 4;
  CHECK_FAILS(vipcore_caller_list_get(&list, fx.admin, &q), VIPCORE_EINVAL, "query");
  CHECK(list == NULL);
  vipcore_caller_list_free(NULL); /* a no-op */
}

/* A caller whose sealed name was tampered with in the file: the list names
 * it and goes on with the others; reading it fails with VIPCORE_EINTEGRITY. */
static void test_list_damaged(void) {
  vipcore_tenant *t = tenant("damaged", "alice", VIPCORE_ROLE_ADMIN);
  vipcore_caller_input john = john_doe(), sarah = sarah_johnson();
  char john_id[VIPCORE_ID_SIZE], sarah_id[VIPCORE_ID_SIZE], sql[512];
  vipcore_list_query q;
  vipcore_caller_list *list = NULL;
  vipcore_caller *c = NULL;
  sqlite3 *raw = NULL;
  visited v;
  create(t, &john, john_id);
  create(t, &sarah, sarah_id);
  CHECK(sqlite3_open(fx.db_path, &raw) == SQLITE_OK);
  snprintf(sql, sizeof sql,
           "UPDATE vip_caller SET caller_name = substr(caller_name, 1, 40) || CASE WHEN substr(caller_name, 41, 1) = "
           "X'00' THEN X'01' ELSE X'00' END || substr(caller_name, 42) WHERE id = '%s'",
           john_id);
  CHECK(sqlite3_exec(raw, sql, NULL, NULL, NULL) == SQLITE_OK);
  sqlite3_close(raw);

  vipcore_list_query_init(&q);
  CHECK_OK(vipcore_caller_list_get(&list, t, &q));
  CHECK_INT(vipcore_caller_list_count(list), 1);
  CHECK_STR(vipcore_caller_name(vipcore_caller_list_at(list, 0)), "Sarah Johnson");
  CHECK_INT(vipcore_caller_list_damaged_count(list), 1);
  CHECK_STR(vipcore_caller_list_damaged_id(list, 0), john_id);
  CHECK(vipcore_caller_list_damaged_id(list, 1) == NULL);
  vipcore_caller_list_free(list);
  CHECK_INT(vipcore_caller_list_damaged_count(NULL), 0);
  CHECK(vipcore_caller_list_damaged_id(NULL, 0) == NULL);

  CHECK_FAILS(vipcore_caller_get(&c, t, john_id), VIPCORE_EINTEGRITY, NULL);
  memset(&v, 0, sizeof v);
  CHECK_FAILS(vipcore_caller_foreach(t, visit_caller, &v), VIPCORE_EINTEGRITY, NULL);
  CHECK(strstr(vipcore_last_error(), john_id) != NULL);
  CHECK_OK(vipcore_caller_delete(t, john_id)); /* the repair: later key rotations re-encrypt every caller */
  vipcore_tenant_close(t);
}

/* --------------------------------------------------------------- identify */

static void check_john_identified(const vipcore_identification *who) {
  CHECK_INT(who->is_vip, 1);
  CHECK_INT(who->match, VIPCORE_MATCH_VIP);
  CHECK_INT(who->routing_priority, 85); /* GOLD 70 + PRIORITY_QUEUE 15 */
  CHECK_INT(who->level, VIPCORE_LEVEL_GOLD);
  CHECK_INT(who->handling_rules, (1u << VIPCORE_RULE_PRIORITY_QUEUE) | (1u << VIPCORE_RULE_CUSTOM_GREETING));
  CHECK_INT(who->max_wait_time, 30);
  CHECK_INT(who->callback_priority, 2);
  CHECK_STR(who->caller_id, fx.seed_id[0]);
  CHECK_STR(who->caller_name, "John Doe");
  CHECK_STR(who->custom_greeting, "Hello Mr. Doe, thank you for calling.");
  CHECK_STR(who->preferred_agent_id, "");
  CHECK_STR(who->preferred_department_id, "sales");
}

/* A caller who owns `number` but is not a VIP now: `match` says why. */
static void check_not_vip_now(const vipcore_caller_input *in, int match) {
  char id[VIPCORE_ID_SIZE];
  vipcore_identification who;
  create(fx.admin, in, id);
  who = identify(fx.pbx, in->phone_number);
  CHECK_INT(who.is_vip, 0);
  CHECK_INT(who.match, match);
  CHECK_INT(who.routing_priority, 0);
  CHECK_STR(who.caller_id, id);
  CHECK_STR(who.caller_name, "");
}

static void test_identify(void) {
  static const char *const johns_numbers[] = {"+1 (234) 567-8900", "011 1 234 567 8900", "011 1 234 567 8900",
                                              "1-234-567-8900",    "2345678900",       "+1.234.567.8901",
                                              "+44 20 7946 0958",  "011 44 20 7946 0958"};
  vipcore_identification who = VIPCORE_IDENTIFICATION_INIT;
  vipcore_caller_input in;
  size_t i;

  for (i = 0; i < sizeof johns_numbers / sizeof johns_numbers[0]; ++i) {
    who = identify(fx.pbx, johns_numbers[i]);
    check_john_identified(&who);
  }
  /* Any role but AUDITOR may identify. */
  who = identify(fx.agent, "+12345678900");
  check_john_identified(&who);
  CHECK_FAILS(vipcore_identify(&who, fx.auditor, "+12345678900"), VIPCORE_EPERM, NULL);
  CHECK_INT(who.is_vip, 0);

  who = identify(fx.pbx, "+1 (800) 555-0199");
  CHECK_INT(who.is_vip, 0);
  CHECK_INT(who.match, VIPCORE_MATCH_NOT_FOUND);
  CHECK_STR(who.caller_id, "");

  /* A malformed number fails, and still reads "not a VIP". */
  who = identify(fx.pbx, "+1 (234) 567-8900");
  CHECK_FAILS(vipcore_identify(&who, fx.pbx, "anonymous"), VIPCORE_EINVAL, "phone_number");
  CHECK_INT(who.is_vip, 0);
  CHECK_INT(who.match, VIPCORE_MATCH_NOT_FOUND);
  CHECK_STR(who.caller_name, "");
  CHECK(!contains(vipcore_last_error(), "anonymous"));
  CHECK_FAILS(vipcore_identify(&who, fx.pbx, ""), VIPCORE_EINVAL, "phone_number");
  CHECK_FAILS(vipcore_identify(&who, fx.pbx, NULL), VIPCORE_EINVAL, "phone_number");
  CHECK_FAILS(vipcore_identify(&who, NULL, "+12345678900"), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_identify(NULL, fx.pbx, "+12345678900"), VIPCORE_EINVAL, "out");
  who.struct_size = 2;
  CHECK_FAILS(vipcore_identify(&who, fx.pbx, "+12345678900"), VIPCORE_EINVAL, "out");

  /* A struct from an older, shorter header: only the fields that fit are written. */
  memset(&who, 0x5a, sizeof who);
  who.struct_size = (uint32_t)offsetof(vipcore_identification, caller_name);
  CHECK_OK(vipcore_identify(&who, fx.pbx, "+12345678900"));
  CHECK_INT(who.is_vip, 1);
  CHECK_INT(who.routing_priority, 85);
  CHECK_STR(who.caller_id, fx.seed_id[0]);
  CHECK_INT((unsigned char)who.caller_name[0], 0x5a);
  CHECK_INT((unsigned char)who.preferred_department_id[VIPCORE_ID_SIZE - 1], 0x5a);

  /* Known numbers that are not VIPs now. */
  in = minimal_caller("+1 555 020 0001", "Ina Inactive", VIPCORE_LEVEL_GOLD);
  in.status = VIPCORE_STATUS_INACTIVE;
  check_not_vip_now(&in, VIPCORE_MATCH_INACTIVE);
  in = minimal_caller("+1 555 020 0002", "Sue Suspended", VIPCORE_LEVEL_GOLD);
  in.status = VIPCORE_STATUS_SUSPENDED;
  check_not_vip_now(&in, VIPCORE_MATCH_SUSPENDED);
  in = minimal_caller("+1 555 020 0003", "Nate Notyet", VIPCORE_LEVEL_GOLD);
  in.valid_from_ms = now_ms() + 86400000;
  check_not_vip_now(&in, VIPCORE_MATCH_NOT_YET_VALID);
  in = minimal_caller("+1 555 020 0004", "Ed Expired", VIPCORE_LEVEL_GOLD);
  in.valid_from_ms = now_ms() - 2 * 86400000LL;
  in.valid_until_ms = now_ms() - 86400000;
  check_not_vip_now(&in, VIPCORE_MATCH_EXPIRED);
}

static void test_routing_priority(void) {
  int p = -1;
  CHECK_OK(vipcore_routing_priority(&p, fx.pbx, VIPCORE_LEVEL_GOLD, 1u << VIPCORE_RULE_PRIORITY_QUEUE));
  CHECK_INT(p, 85);
  CHECK_OK(vipcore_routing_priority(&p, fx.pbx, VIPCORE_LEVEL_DIAMOND, 1u << VIPCORE_RULE_IMMEDIATE_TRANSFER));
  CHECK_INT(p, 100); /* 90 + 20, clamped */
  CHECK_OK(vipcore_routing_priority(&p, fx.agent, VIPCORE_LEVEL_STANDARD, 0));
  CHECK_INT(p, 50);
  CHECK_OK(vipcore_routing_priority(&p, fx.pbx, VIPCORE_LEVEL_PLATINUM, 1u << VIPCORE_RULE_DEDICATED_AGENT));
  CHECK_INT(p, 80);
  CHECK_FAILS(vipcore_routing_priority(&p, fx.pbx, 5, 0), VIPCORE_EINVAL, "level");
  CHECK_INT(p, 0);
  CHECK_FAILS(vipcore_routing_priority(&p, fx.pbx, -1, 0), VIPCORE_EINVAL, "level");
  CHECK_FAILS(vipcore_routing_priority(NULL, fx.pbx, VIPCORE_LEVEL_GOLD, 0), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_routing_priority(&p, NULL, VIPCORE_LEVEL_GOLD, 0), VIPCORE_EINVAL, "tenant");
}

/* ---------------------------------------------------------------- routing */

/* The plan for `who` with these free agents, open or not (-1: the tenant's hours), after `waited` s. */
static vipcore_routing_plan plan(const vipcore_identification *who, const char *const *free_agents, size_t free_count,
                                 int inside_hours, int waited) {
  vipcore_routing_plan p = VIPCORE_ROUTING_PLAN_INIT;
  vipcore_pbx_state state;
  vipcore_pbx_state_init(&state);
  state.free_agents = free_agents;
  state.free_agent_count = free_count;
  state.inside_business_hours = inside_hours;
  state.waited_seconds = waited;
  CHECK_OK(vipcore_plan_route(&p, fx.pbx, who, &state));
  CHECK(p.reason[0] != '\0');
  return p;
}

/* The seed's update example, as written: PLATINUM, notes, and IMMEDIATE_TRANSFER
 * with DEDICATED_AGENT for a caller who has no preferred agent. The plan says so
 * and falls back to the first free agent, then the queue. */
static void test_seed_update_example(void) {
  static const char *const agents[] = {"agent-001"};
  vipcore_tenant *admin = tenant("seedco", "alice", VIPCORE_ROLE_ADMIN);
  vipcore_tenant *pbx = tenant("seedco", "pbx-1", VIPCORE_ROLE_SYSTEM);
  vipcore_settings settings;
  vipcore_caller_input in = minimal_caller("+1234567890", "John Doe", VIPCORE_LEVEL_GOLD);
  vipcore_caller_input changes;
  vipcore_caller *c = NULL;
  vipcore_identification who;
  vipcore_routing_plan p = VIPCORE_ROUTING_PLAN_INIT;
  vipcore_pbx_state state;
  char id[VIPCORE_ID_SIZE];

  vipcore_settings_init(&settings);
  CHECK_OK(vipcore_settings_get(&settings, admin));
  settings.number_validation = VIPCORE_NUMBER_VALIDATION_E164; /* the seed's placeholder numbers */
  CHECK_OK(vipcore_settings_set(admin, &settings));
  create(admin, &in, id);

  vipcore_caller_input_init(&changes);
  changes.fields = VIPCORE_FIELD_VIP_LEVEL | VIPCORE_FIELD_NOTES | VIPCORE_FIELD_HANDLING_RULES;
  changes.vip_level = VIPCORE_LEVEL_PLATINUM;
  changes.notes = "Upgraded to Platinum level";
  changes.handling_rules = (1u << VIPCORE_RULE_IMMEDIATE_TRANSFER) | (1u << VIPCORE_RULE_DEDICATED_AGENT);
  CHECK_OK(vipcore_caller_update(&c, admin, id, &changes));
  CHECK_INT(vipcore_caller_level(c), VIPCORE_LEVEL_PLATINUM);
  CHECK_STR(vipcore_caller_notes(c), "Upgraded to Platinum level");
  CHECK_INT(vipcore_caller_handling_rules(c), changes.handling_rules);
  vipcore_caller_free(c);

  who = identify(pbx, "+1234567890");
  CHECK_INT(who.is_vip, 1);
  vipcore_pbx_state_init(&state);
  state.free_agents = agents;
  state.free_agent_count = 1;
  state.inside_business_hours = 1;
  CHECK_OK(vipcore_plan_route(&p, pbx, &who, &state));
  CHECK_INT(p.action, VIPCORE_ROUTE_TRANSFER);
  CHECK_STR(p.target_agent_id, "agent-001");
  CHECK(strstr(p.reason, "no preferred agent") != NULL);
  state.free_agents = NULL;
  state.free_agent_count = 0;
  CHECK_OK(vipcore_plan_route(&p, pbx, &who, &state));
  CHECK_INT(p.action, VIPCORE_ROUTE_QUEUE);
  CHECK(strstr(p.reason, "no preferred agent") != NULL);
  vipcore_tenant_close(pbx);
  vipcore_tenant_close(admin);
}

/* Date-only bounds are whole local days in the tenant's time zone; times are exact. */
static void test_date_range(void) {
  vipcore_tenant *admin = tenant("tokyo", "alice", VIPCORE_ROLE_ADMIN);
  vipcore_settings settings;
  int64_t start = -1, end = -1;

  vipcore_settings_init(&settings);
  CHECK_OK(vipcore_settings_get(&settings, admin));
  strcpy(settings.time_zone, "Asia/Tokyo");
  CHECK_OK(vipcore_settings_set(admin, &settings));
  CHECK_OK(vipcore_date_range(&start, &end, admin, "2024-01-01", "2024-01-31"));
  CHECK_INT(start, at("2023-12-31T15:00:00Z"));
  CHECK_INT(end, at("2024-01-31T15:00:00Z")); /* 31 January, 23:30 in Tokyo, is inside */
  CHECK(at("2024-01-31T23:30:00+09:00") < end);
  CHECK_OK(vipcore_date_range(&start, &end, admin, "2024-01-01T00:00:00Z", "2024-01-31T00:00:00Z"));
  CHECK_INT(start, at("2024-01-01"));
  CHECK_INT(end, at("2024-01-31"));
  CHECK_FAILS(vipcore_date_range(&start, &end, admin, "2024-13-01", "2024-01-31"), VIPCORE_EINVAL, "start");
  CHECK_INT(start, 0);
  CHECK_FAILS(vipcore_date_range(&start, &end, admin, "2024-02-01", "2024-01-31"), VIPCORE_EINVAL, "end");
  CHECK_FAILS(vipcore_date_range(&start, &end, NULL, "2024-01-01", "2024-01-31"), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_date_range(&start, &end, admin, NULL, "2024-01-31"), VIPCORE_EINVAL, "start");
  CHECK_FAILS(vipcore_date_range(NULL, &end, admin, "2024-01-01", "2024-01-31"), VIPCORE_EINVAL, "start_ms");
  vipcore_tenant_close(admin);
}

static void test_plan_route(void) {
  static const char *const agents[] = {"agent-001", "agent-002"};
  static const char *const with_007[] = {"agent-001", "agent-007"};
  const vipcore_identification john = identify(fx.pbx, "+1 (234) 567-8900");
  const vipcore_identification sarah = identify(fx.pbx, "+1 345 678 9012");
  const vipcore_identification michael = identify(fx.pbx, "+1 456 789 0123");
  const vipcore_identification stranger = identify(fx.pbx, "+1 800 555 0199");
  vipcore_routing_plan p;
  vipcore_pbx_state state;

  memset(&state, 0xab, sizeof state);
  vipcore_pbx_state_init(&state);
  CHECK_INT(state.struct_size, sizeof state);
  CHECK(state.free_agents == NULL && state.free_agent_count == 0 && state.waited_seconds == 0);
  CHECK_INT(state.inside_business_hours, -1);
  vipcore_pbx_state_init(NULL); /* a no-op */

  /* DIAMOND IMMEDIATE_TRANSFER: the first free agent; none free: the front of the queue. */
  p = plan(&michael, agents, 2, 1, 0);
  CHECK_INT(p.action, VIPCORE_ROUTE_TRANSFER);
  CHECK_INT(p.is_vip, 1);
  CHECK_STR(p.target_agent_id, "agent-001");
  CHECK_STR(p.greeting, "Hello Mr. Chen, transferring you immediately.");
  CHECK_INT(p.queue_priority, 100);
  p = plan(&michael, NULL, 0, 1, 0);
  CHECK_INT(p.action, VIPCORE_ROUTE_QUEUE);
  CHECK_INT(p.front_of_queue, 1);
  CHECK_STR(p.target_agent_id, "");

  /* PLATINUM DEDICATED_AGENT: wait for agent-007 up to max_wait_time, then fall back. */
  p = plan(&sarah, agents, 2, 1, 10);
  CHECK_INT(p.action, VIPCORE_ROUTE_WAIT_FOR_AGENT);
  CHECK_STR(p.target_agent_id, "agent-007");
  CHECK_INT(p.wait_seconds, 20);
  p = plan(&sarah, agents, 2, 1, 30);
  CHECK_INT(p.action, VIPCORE_ROUTE_TRANSFER);
  CHECK_STR(p.target_agent_id, "agent-001");
  p = plan(&sarah, NULL, 0, 1, 30);
  CHECK_INT(p.action, VIPCORE_ROUTE_QUEUE);
  p = plan(&sarah, with_007, 2, 1, 0);
  CHECK_INT(p.action, VIPCORE_ROUTE_TRANSFER);
  CHECK_STR(p.target_agent_id, "agent-007");

  /* GOLD PRIORITY_QUEUE: the front of the queue, priority 85, in each PBX's form. */
  p = plan(&john, agents, 2, 1, 0);
  CHECK_INT(p.action, VIPCORE_ROUTE_QUEUE);
  CHECK_INT(p.front_of_queue, 1);
  CHECK_INT(p.queue_priority, 85);
  CHECK_INT(p.asterisk_queue_prio, 85);
  CHECK_INT(p.freeswitch_base_score, 120 - 30); /* longest level target - John's */
  CHECK_INT(p.queue_age_bonus_seconds, 90);
  CHECK_STR(p.greeting, "Hello Mr. Doe, thank you for calling.");
  CHECK_INT(p.offer_callback, 0);
  /* After hours, without EXTENDED_HOURS: closed for VIPs as for others. */
  p = plan(&john, agents, 2, 0, 0);
  CHECK_INT(p.action, VIPCORE_ROUTE_AFTER_HOURS);
  p = plan(&stranger, agents, 2, 1, 0);
  CHECK_INT(p.action, VIPCORE_ROUTE_QUEUE);
  CHECK_INT(p.is_vip, 0);
  CHECK_INT(p.queue_priority, 0);
  CHECK_INT(p.asterisk_queue_prio, 0);
  p = plan(&stranger, NULL, 0, 0, 0);
  CHECK_INT(p.action, VIPCORE_ROUTE_AFTER_HOURS);
  p = plan(&john, NULL, 0, -1, 0); /* the tenant's own hours decide: some answer, whatever the time */
  CHECK(p.action == VIPCORE_ROUTE_QUEUE || p.action == VIPCORE_ROUTE_AFTER_HOURS);

  /* Errors: the plan then reads "queue". */
  vipcore_pbx_state_init(&state);
  p.action = VIPCORE_ROUTE_TRANSFER;
  CHECK_FAILS(vipcore_plan_route(&p, fx.auditor, &john, &state), VIPCORE_EPERM, NULL);
  CHECK_INT(p.action, VIPCORE_ROUTE_QUEUE);
  state.waited_seconds = -1;
  CHECK_FAILS(vipcore_plan_route(&p, fx.pbx, &john, &state), VIPCORE_EINVAL, "waited_seconds");
  vipcore_pbx_state_init(&state);
  state.free_agent_count = 1;
  CHECK_FAILS(vipcore_plan_route(&p, fx.pbx, &john, &state), VIPCORE_EINVAL, "free_agents");
  vipcore_pbx_state_init(&state);
  state.struct_size = 4;
  CHECK_FAILS(vipcore_plan_route(&p, fx.pbx, &john, &state), VIPCORE_EINVAL, "state");
  vipcore_pbx_state_init(&state);
  {
    vipcore_identification bad = john;
    bad.match = 9;
    CHECK_FAILS(vipcore_plan_route(&p, fx.pbx, &bad, &state), VIPCORE_EINVAL, "who.match");
    bad = john;
    bad.level = 9;
    CHECK_FAILS(vipcore_plan_route(&p, fx.pbx, &bad, &state), VIPCORE_EINVAL, "who.level");
    bad = john;
    bad.struct_size = 8;
    CHECK_FAILS(vipcore_plan_route(&p, fx.pbx, &bad, &state), VIPCORE_EINVAL, "who");
  }
  CHECK_FAILS(vipcore_plan_route(NULL, fx.pbx, &john, &state), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_plan_route(&p, NULL, &john, &state), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_plan_route(&p, fx.pbx, NULL, &state), VIPCORE_EINVAL, "who");
  CHECK_FAILS(vipcore_plan_route(&p, fx.pbx, &john, NULL), VIPCORE_EINVAL, "state");
  p.struct_size = 4;
  CHECK_FAILS(vipcore_plan_route(&p, fx.pbx, &john, &state), VIPCORE_EINVAL, "out");
}

/* The priority rises from 85 after half of John's 30 s target, to 100 at 30 s. */
static void test_queue_priority(void) {
  static const int waits[] = {0, 15, 24, 29, 30, 600};
  static const int expected[] = {85, 85, 94, 99, 100, 100};
  const vipcore_identification john = identify(fx.pbx, "+1 (234) 567-8900");
  const vipcore_identification stranger = identify(fx.pbx, "+1 800 555 0199");
  int p = -1;
  size_t i;
  for (i = 0; i < sizeof waits / sizeof waits[0]; ++i) {
    CHECK_OK(vipcore_queue_priority(&p, fx.pbx, &john, waits[i]));
    CHECK_INT(p, expected[i]);
  }
  CHECK_OK(vipcore_queue_priority(&p, fx.pbx, &stranger, 0));
  CHECK_INT(p, 0);
  CHECK_OK(vipcore_queue_priority(&p, fx.pbx, &stranger, 120)); /* the STANDARD target */
  CHECK_INT(p, 100);
  CHECK_FAILS(vipcore_queue_priority(&p, fx.pbx, &john, -1), VIPCORE_EINVAL, "waited_seconds");
  CHECK_INT(p, 0);
  CHECK_FAILS(vipcore_queue_priority(NULL, fx.pbx, &john, 0), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_queue_priority(&p, NULL, &john, 0), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_queue_priority(&p, fx.pbx, NULL, 0), VIPCORE_EINVAL, "who");
}

/* ----------------------------------------------------------------- import */

typedef struct progress {
  int cancel_at; /* cancel (return nonzero) on this call (1-based); 0: never */
  int calls;     /* per import */
  size_t last_done, total;
} progress;

static int on_progress(void *user_data, size_t done, size_t total) {
  progress *p = (progress *)user_data;
  ++p->calls;
  CHECK(done >= p->last_done && done <= total);
  p->last_done = done;
  p->total = total;
  return p->cancel_at != 0 && p->calls >= p->cancel_at;
}

#define IMPORT_ROWS 4

/* Four rows: numbers +1 555 030 00<base+i>, the third one with an empty name. */
static void import_rows(vipcore_caller_input rows[IMPORT_ROWS], char numbers[IMPORT_ROWS][32], int base) {
  size_t i;
  for (i = 0; i < IMPORT_ROWS; ++i) {
    snprintf(numbers[i], sizeof numbers[i], "+1 555 030 %04d", base + (int)i);
    rows[i] = minimal_caller(numbers[i], "Imported Caller", VIPCORE_LEVEL_SILVER);
  }
  rows[2].caller_name = "";
}

static int is_vip(const char *number) { return identify(fx.pbx, number).is_vip; }

static int run_import(vipcore_import_report **r, const vipcore_caller_input *rows, size_t count, int mode,
                      int on_duplicate, progress *p) {
  vipcore_import_options o;
  p->calls = 0;
  p->last_done = p->total = 0;
  vipcore_import_options_init(&o);
  o.mode = mode;
  o.on_duplicate = on_duplicate;
  o.progress = on_progress;
  o.progress_user_data = p;
  o.progress_every = 1;
  return vipcore_import(r, fx.admin, rows, count, &o);
}

static void test_import_all_or_nothing(void) {
  vipcore_caller_input rows[IMPORT_ROWS];
  char numbers[IMPORT_ROWS][32];
  vipcore_import_report *r = NULL;
  progress p = {0, 0, 0, 0};

  import_rows(rows, numbers, 0);
  /* A bad row: the report names it, nothing is written. */
  CHECK_FAILS(run_import(&r, rows, IMPORT_ROWS, VIPCORE_IMPORT_ALL_OR_NOTHING, VIPCORE_DUPLICATES_FAIL, &p),
              VIPCORE_EINVAL, "import");
  CHECK(r != NULL);
  CHECK_INT(vipcore_import_report_committed(r), 0);
  CHECK_INT(vipcore_import_report_created(r), 0);
  CHECK_INT(vipcore_import_report_failed(r), 1);
  CHECK_INT(vipcore_import_report_error_count(r), 1);
  CHECK_INT(vipcore_import_report_error_row(r, 0), 2);
  CHECK_INT(vipcore_import_report_error_code(r, 0), VIPCORE_EINVAL);
  CHECK_STR(vipcore_import_report_error_field(r, 0), "caller_name");
  CHECK(contains(vipcore_import_report_error_message(r, 0), "caller_name"));
  vipcore_import_report_free(r);
  CHECK_INT(is_vip(numbers[0]), 0);

  /* Good rows, with progress; cancelling on the second report writes nothing. */
  rows[2].caller_name = "Fixed Name";
  p.cancel_at = 2;
  CHECK_FAILS(run_import(&r, rows, IMPORT_ROWS, VIPCORE_IMPORT_ALL_OR_NOTHING, VIPCORE_DUPLICATES_FAIL, &p),
              VIPCORE_EINVAL, "import");
  CHECK_INT(p.calls, 2);
  CHECK_INT(vipcore_import_report_committed(r), 0);
  vipcore_import_report_free(r);
  CHECK_INT(is_vip(numbers[0]), 0);
  p.cancel_at = 0;
  CHECK_OK(run_import(&r, rows, IMPORT_ROWS, VIPCORE_IMPORT_ALL_OR_NOTHING, VIPCORE_DUPLICATES_FAIL, &p));
  CHECK(p.calls >= 2);
  CHECK_INT(p.last_done, IMPORT_ROWS);
  CHECK_INT(p.total, IMPORT_ROWS);
  CHECK_INT(vipcore_import_report_committed(r), 1);
  CHECK_INT(vipcore_import_report_created(r), IMPORT_ROWS);
  CHECK_INT(vipcore_import_report_updated(r), 0);
  CHECK_INT(vipcore_import_report_skipped(r), 0);
  CHECK_INT(vipcore_import_report_failed(r), 0);
  CHECK_INT(vipcore_import_report_error_count(r), 0);
  vipcore_import_report_free(r);
  CHECK_INT(is_vip(numbers[3]), 1);

  /* The same rows again: duplicates fail, are skipped, or update. */
  CHECK_FAILS(run_import(&r, rows, IMPORT_ROWS, VIPCORE_IMPORT_ALL_OR_NOTHING, VIPCORE_DUPLICATES_FAIL, &p),
              VIPCORE_EINVAL, "import");
  CHECK_INT(vipcore_import_report_failed(r), IMPORT_ROWS);
  CHECK_INT(vipcore_import_report_error_code(r, 3), VIPCORE_EEXISTS);
  CHECK_STR(vipcore_import_report_error_field(r, 3), "phone_number");
  CHECK_INT(vipcore_import_report_error_row(r, 3), 3);
  vipcore_import_report_free(r);
  CHECK_OK(run_import(&r, rows, IMPORT_ROWS, VIPCORE_IMPORT_ALL_OR_NOTHING, VIPCORE_DUPLICATES_SKIP, &p));
  CHECK_INT(vipcore_import_report_skipped(r), IMPORT_ROWS);
  CHECK_INT(vipcore_import_report_created(r), 0);
  vipcore_import_report_free(r);
  rows[0].vip_level = VIPCORE_LEVEL_DIAMOND;
  CHECK_OK(run_import(&r, rows, 1, VIPCORE_IMPORT_ALL_OR_NOTHING, VIPCORE_DUPLICATES_UPDATE, &p));
  CHECK_INT(vipcore_import_report_updated(r), 1);
  vipcore_import_report_free(r);
  CHECK_INT(identify(fx.pbx, numbers[0]).level, VIPCORE_LEVEL_DIAMOND);
}

static void test_import_best_effort(void) {
  vipcore_caller_input rows[IMPORT_ROWS + 1];
  char numbers[IMPORT_ROWS][32];
  vipcore_import_report *r = NULL;
  progress p = {0, 0, 0, 0};

  import_rows(rows, numbers, 100);
  rows[IMPORT_ROWS] = minimal_caller("+1 (234) 567-8900", "John Again", VIPCORE_LEVEL_GOLD); /* John's */
  CHECK_OK(run_import(&r, rows, IMPORT_ROWS + 1, VIPCORE_IMPORT_BEST_EFFORT, VIPCORE_DUPLICATES_FAIL, &p));
  CHECK_INT(vipcore_import_report_committed(r), 1);
  CHECK_INT(vipcore_import_report_created(r), 3);
  CHECK_INT(vipcore_import_report_failed(r), 2);
  CHECK_INT(vipcore_import_report_error_count(r), 2);
  CHECK_INT(vipcore_import_report_error_row(r, 0), 2);
  CHECK_INT(vipcore_import_report_error_code(r, 0), VIPCORE_EINVAL);
  CHECK_STR(vipcore_import_report_error_field(r, 0), "caller_name");
  CHECK_INT(vipcore_import_report_error_row(r, 1), IMPORT_ROWS);
  CHECK_INT(vipcore_import_report_error_code(r, 1), VIPCORE_EEXISTS);
  CHECK_STR(vipcore_import_report_error_field(r, 1), "phone_number");
  CHECK(!contains(vipcore_import_report_error_message(r, 1), "8900"));
  /* Out of range. */
  CHECK_INT(vipcore_import_report_error_row(r, 2), 0);
  CHECK_INT(vipcore_import_report_error_code(r, 2), VIPCORE_OK);
  CHECK_STR(vipcore_import_report_error_field(r, 2), "");
  CHECK_STR(vipcore_import_report_error_message(r, 2), "");
  vipcore_import_report_free(r);
  CHECK_INT(is_vip(numbers[0]), 1);
  CHECK_INT(is_vip(numbers[2]), 0);
  CHECK_STR(identify(fx.pbx, "+1 (234) 567-8900").caller_name, "John Doe"); /* untouched */

  /* Skip and update in best-effort mode too; cancelling still writes nothing. */
  rows[1].caller_name = "Updated By Import";
  CHECK_OK(run_import(&r, rows, 2, VIPCORE_IMPORT_BEST_EFFORT, VIPCORE_DUPLICATES_UPDATE, &p));
  CHECK_INT(vipcore_import_report_updated(r), 2);
  vipcore_import_report_free(r);
  CHECK_STR(identify(fx.pbx, numbers[1]).caller_name, "Updated By Import");
  CHECK_OK(run_import(&r, rows, 2, VIPCORE_IMPORT_BEST_EFFORT, VIPCORE_DUPLICATES_SKIP, &p));
  CHECK_INT(vipcore_import_report_skipped(r), 2);
  vipcore_import_report_free(r);
  rows[2].caller_name = "Late Arrival";
  p.cancel_at = 1;
  CHECK_FAILS(run_import(&r, rows + 2, 1, VIPCORE_IMPORT_BEST_EFFORT, VIPCORE_DUPLICATES_FAIL, &p), VIPCORE_EINVAL,
              "import");
  CHECK_INT(p.calls, 1);
  vipcore_import_report_free(r);
  CHECK_INT(is_vip(numbers[2]), 0);
}

static void test_import_errors(void) {
  vipcore_caller_input rows[1];
  vipcore_import_options o;
  vipcore_import_report *r = (vipcore_import_report *)1;

  memset(&o, 0xab, sizeof o);
  vipcore_import_options_init(&o);
  CHECK_INT(o.struct_size, sizeof o);
  CHECK(o.mode == VIPCORE_IMPORT_ALL_OR_NOTHING && o.on_duplicate == VIPCORE_DUPLICATES_FAIL);
  CHECK(o.progress == NULL && o.progress_user_data == NULL && o.progress_every == 1000);
  vipcore_import_options_init(NULL); /* a no-op */

  rows[0] = minimal_caller("+1 555 030 0200", "Row Zero", VIPCORE_LEVEL_GOLD);
  CHECK_OK(vipcore_import(&r, fx.admin, NULL, 0, &o)); /* nothing to do */
  CHECK_INT(vipcore_import_report_committed(r), 1);
  CHECK_INT(vipcore_import_report_created(r), 0);
  vipcore_import_report_free(r);
  /* Refused by role: nothing written, the report says so. */
  CHECK_FAILS(vipcore_import(&r, fx.agent, rows, 1, &o), VIPCORE_EPERM, NULL);
  CHECK_INT(vipcore_import_report_committed(r), 0);
  vipcore_import_report_free(r);
  CHECK_FAILS(vipcore_import(&r, fx.pbx, rows, 1, &o), VIPCORE_EPERM, NULL);
  vipcore_import_report_free(r);
  o.progress_every = 0;
  CHECK_FAILS(vipcore_import(&r, fx.admin, rows, 1, &o), VIPCORE_EINVAL, "progress_every");
  vipcore_import_report_free(r);
  vipcore_import_options_init(&o);
  o.mode = 2;
  CHECK_FAILS(vipcore_import(&r, fx.admin, rows, 1, &o), VIPCORE_EINVAL, "mode");
  CHECK(r == NULL);
  o.mode = VIPCORE_IMPORT_ALL_OR_NOTHING;
  o.on_duplicate = 3;
  CHECK_FAILS(vipcore_import(&r, fx.admin, rows, 1, &o), VIPCORE_EINVAL, "on_duplicate");
  vipcore_import_options_init(&o);
  CHECK_FAILS(vipcore_import(NULL, fx.admin, rows, 1, &o), VIPCORE_EINVAL, "report");
  CHECK_FAILS(vipcore_import(&r, NULL, rows, 1, &o), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_import(&r, fx.admin, NULL, 1, &o), VIPCORE_EINVAL, "rows");
  CHECK_FAILS(vipcore_import(&r, fx.admin, rows, 1, NULL), VIPCORE_EINVAL, "options");
  o.struct_size = 4;
  CHECK_FAILS(vipcore_import(&r, fx.admin, rows, 1, &o), VIPCORE_EINVAL, "options");
  vipcore_import_options_init(&o);
  /* A row the library cannot read (here a struct_size too small) is reported
   * like an invalid row, with a report, and in all-or-nothing mode nothing is written. */
  rows[0].struct_size = 4;
  CHECK_FAILS(vipcore_import(&r, fx.admin, rows, 1, &o), VIPCORE_EINVAL, "import");
  CHECK(r != NULL);
  CHECK_INT(vipcore_import_report_committed(r), 0);
  CHECK_INT(vipcore_import_report_failed(r), 1);
  CHECK_INT(vipcore_import_report_error_count(r), 1);
  CHECK_INT(vipcore_import_report_error_row(r, 0), 0);
  CHECK_STR(vipcore_import_report_error_field(r, 0), "struct_size");
  vipcore_import_report_free(r);
  CHECK_INT(is_vip("+1 555 030 0200"), 0);
  vipcore_import_report_free(NULL); /* a no-op */
}

static void test_import_unreadable_rows_best_effort(void) {
  vipcore_caller_input rows[3];
  vipcore_import_options o;
  vipcore_import_report *r = NULL;

  vipcore_import_options_init(&o);
  o.mode = VIPCORE_IMPORT_BEST_EFFORT;
  rows[0] = minimal_caller("+1 555 030 0301", "Good One", VIPCORE_LEVEL_GOLD);
  rows[1] = minimal_caller("+1 555 030 0302", "Bad Level", VIPCORE_LEVEL_GOLD);
  rows[1].vip_level = 9;
  rows[2] = minimal_caller("+1 555 030 0303", "Good Two", VIPCORE_LEVEL_SILVER);
  CHECK_OK(vipcore_import(&r, fx.admin, rows, 3, &o));
  CHECK_INT(vipcore_import_report_committed(r), 1);
  CHECK_INT(vipcore_import_report_created(r), 2);
  CHECK_INT(vipcore_import_report_failed(r), 1);
  CHECK_INT(vipcore_import_report_error_row(r, 0), 1); /* its position in the input, not among the good rows */
  CHECK_INT(vipcore_import_report_error_code(r, 0), VIPCORE_EINVAL);
  CHECK_STR(vipcore_import_report_error_field(r, 0), "vip_level");
  vipcore_import_report_free(r);
  CHECK_INT(is_vip("+1 555 030 0301"), 1);
  CHECK_INT(is_vip("+1 555 030 0302"), 0);
  CHECK_INT(is_vip("+1 555 030 0303"), 1);
}

/* ---------------------------------------------------------------- rules */

static vipcore_rule_input rule_input(const char *name, uint32_t level_mask, int max_wait, int max_position,
                                     const char *type, int priority) {
  vipcore_rule_input in;
  vipcore_rule_input_init(&in);
  in.name = name;
  in.level_mask = level_mask;
  in.max_wait_time = max_wait;
  in.max_queue_position = max_position;
  in.escalation_type = type;
  in.priority = priority;
  return in;
}

static void create_rule(const vipcore_rule_input *in, char id[VIPCORE_ID_SIZE]) {
  vipcore_rule *r = NULL;
  CHECK_OK(vipcore_rule_create(&r, fx.manager, in));
  copy_id(id, vipcore_rule_id(r));
  vipcore_rule_free(r);
}

/* Rule names in evaluation order, comma-separated. */
static void rule_names(vipcore_tenant *t, char *out, size_t size) {
  vipcore_rule_list *list = NULL;
  size_t i;
  out[0] = '\0';
  CHECK_OK(vipcore_rule_list_get(&list, t));
  for (i = 0; i < vipcore_rule_list_count(list); ++i) {
    if (i > 0) strncat(out, ",", size - strlen(out) - 1);
    strncat(out, vipcore_rule_name(vipcore_rule_list_at(list, i)), size - strlen(out) - 1);
  }
  CHECK(vipcore_rule_list_at(list, i) == NULL);
  vipcore_rule_list_free(list);
}

static void test_rule_crud(void) {
  static const char *const emails[] = {"supervisors@acme.com", "duty@acme.com"};
  static const char *const sms[] = {"+1 555 040 0001"};
  static const char *const alerts[] = {"wallboard-1"};
  vipcore_rule_input in = rule_input("Slow Gold", (1u << VIPCORE_LEVEL_GOLD) | (1u << VIPCORE_LEVEL_DIAMOND), 45, 3,
                                     "manager", 5);
  vipcore_rule *r = NULL;
  char id[VIPCORE_ID_SIZE], other[VIPCORE_ID_SIZE], names[256];

  memset(&in, 0xab, sizeof in);
  vipcore_rule_input_init(&in);
  CHECK_INT(in.struct_size, sizeof in);
  CHECK(in.fields == 0 && in.name == NULL && in.level_mask == 0 && in.escalation_type == NULL && in.tier == 0);
  CHECK(in.max_wait_time == -1 && in.max_queue_position == -1 && in.is_active == 1 && in.priority == 1);
  CHECK(in.schedule == VIPCORE_SCHEDULE_ALWAYS && in.business_hours == NULL && in.email_count == 0);
  vipcore_rule_input_init(NULL); /* a no-op */

  in = rule_input("Slow Gold", (1u << VIPCORE_LEVEL_GOLD) | (1u << VIPCORE_LEVEL_DIAMOND), 45, 3, "Manager", 5);
  in.emails = emails;
  in.email_count = 2;
  in.sms_numbers = sms;
  in.sms_count = 1;
  in.internal_alerts = alerts;
  in.internal_alert_count = 1;
  in.schedule = VIPCORE_SCHEDULE_INSIDE_BUSINESS_HOURS;
  in.business_hours = "mon-fri 09:00-17:00";
  CHECK_OK(vipcore_rule_create(&r, fx.manager, &in));
  copy_id(id, vipcore_rule_id(r));
  vipcore_rule_free(r);

  CHECK_OK(vipcore_rule_get(&r, fx.auditor, id)); /* auditors read rules */
  CHECK_STR(vipcore_rule_id(r), id);
  CHECK_STR(vipcore_rule_name(r), "Slow Gold");
  CHECK_INT(vipcore_rule_level_mask(r), (1u << VIPCORE_LEVEL_GOLD) | (1u << VIPCORE_LEVEL_DIAMOND));
  CHECK_INT(vipcore_rule_max_wait_time(r), 45);
  CHECK_INT(vipcore_rule_max_queue_position(r), 3);
  CHECK_STR(vipcore_rule_escalation_type(r), "manager"); /* canonical */
  CHECK_INT(vipcore_rule_tier(r), 3);                    /* the type's built-in tier */
  CHECK_INT(vipcore_rule_is_active(r), 1);
  CHECK_INT(vipcore_rule_priority(r), 5);
  CHECK_INT(vipcore_rule_schedule(r), VIPCORE_SCHEDULE_INSIDE_BUSINESS_HOURS);
  CHECK_INT(vipcore_rule_email_count(r), 2);
  CHECK_STR(vipcore_rule_email(r, 0), "supervisors@acme.com");
  CHECK_STR(vipcore_rule_email(r, 1), "duty@acme.com");
  CHECK_STR(vipcore_rule_email(r, 2), "");
  CHECK_INT(vipcore_rule_sms_count(r), 1);
  CHECK_STR(vipcore_rule_sms(r, 0), "+15550400001"); /* normalized to E.164 */
  CHECK_STR(vipcore_rule_sms(r, 1), "");
  CHECK_INT(vipcore_rule_internal_alert_count(r), 1);
  CHECK_STR(vipcore_rule_internal_alert(r, 0), "wallboard-1");
  CHECK_STR(vipcore_rule_internal_alert(r, 1), "");
  CHECK_STR(vipcore_rule_business_hours(r), "mon-fri 09:00-17:00");
  vipcore_rule_free(r);

  /* Update: name, clear the wait condition, deactivate, a custom type with its tier. */
  vipcore_rule_input_init(&in);
  in.fields = VIPCORE_RULE_FIELD_NAME | VIPCORE_RULE_FIELD_MAX_WAIT_TIME | VIPCORE_RULE_FIELD_IS_ACTIVE |
              VIPCORE_RULE_FIELD_ESCALATION_TYPE | VIPCORE_RULE_FIELD_TIER | VIPCORE_RULE_FIELD_NOTIFY |
              VIPCORE_RULE_FIELD_VIP_LEVELS | VIPCORE_RULE_FIELD_PRIORITY | VIPCORE_RULE_FIELD_SCHEDULE |
              VIPCORE_RULE_FIELD_BUSINESS_HOURS;
  in.name = "Crowded Queue";
  in.max_wait_time = -1; /* cleared: the position condition remains */
  in.is_active = 0;
  in.escalation_type = "account_team";
  in.tier = 4;
  in.level_mask = 0; /* every level */
  in.priority = 7;
  in.schedule = VIPCORE_SCHEDULE_ALWAYS;
  CHECK_OK(vipcore_rule_update(&r, fx.admin, id, &in));
  CHECK_STR(vipcore_rule_name(r), "Crowded Queue");
  CHECK_INT(vipcore_rule_max_wait_time(r), -1);
  CHECK_INT(vipcore_rule_max_queue_position(r), 3);
  CHECK_INT(vipcore_rule_is_active(r), 0);
  CHECK_STR(vipcore_rule_escalation_type(r), "account_team");
  CHECK_INT(vipcore_rule_tier(r), 4);
  CHECK_INT(vipcore_rule_email_count(r), 0);
  CHECK_INT(vipcore_rule_sms_count(r), 0);
  CHECK_INT(vipcore_rule_internal_alert_count(r), 0);
  CHECK_STR(vipcore_rule_business_hours(r), ""); /* cleared: the tenant's hours */
  CHECK_INT(vipcore_rule_level_mask(r), 0);
  CHECK_INT(vipcore_rule_priority(r), 7);
  CHECK_INT(vipcore_rule_schedule(r), VIPCORE_SCHEDULE_ALWAYS);
  vipcore_rule_free(r);
  in.fields = VIPCORE_RULE_FIELD_PRIORITY;
  in.priority = 1;
  CHECK_OK(vipcore_rule_update(NULL, fx.manager, id, &in)); /* `out` may be NULL */

  /* The list is in evaluation order: priority, then name. */
  in = rule_input("Another Rule", 0, 600, -1, NULL, 1);
  create_rule(&in, other);
  rule_names(fx.agent, names, sizeof names);
  CHECK_STR(names, "Another Rule,Crowded Queue");

  CHECK_OK(vipcore_rule_delete(fx.manager, id));
  CHECK_FAILS(vipcore_rule_get(&r, fx.admin, id), VIPCORE_ENOTFOUND, NULL);
  CHECK_FAILS(vipcore_rule_delete(fx.admin, id), VIPCORE_ENOTFOUND, NULL);
  in.fields = VIPCORE_RULE_FIELD_NAME;
  CHECK_FAILS(vipcore_rule_update(&r, fx.admin, id, &in), VIPCORE_ENOTFOUND, NULL);
  CHECK_OK(vipcore_rule_delete(fx.admin, other));
  rule_names(fx.auditor, names, sizeof names);
  CHECK_STR(names, "");
}

static void test_rule_errors(void) {
  static const char *const bad_email[] = {"nobody"};
  vipcore_rule_input in;
  vipcore_rule *r = (vipcore_rule *)1;
  vipcore_rule_list *list = (vipcore_rule_list *)1;
  char id[VIPCORE_ID_SIZE];

#define EXPECT_BAD_RULE(change, field)                                        \
  do {                                                                        \
    in = rule_input("Bad Rule", 0, 30, -1, NULL, 1);                          \
    change;                                                                   \
    CHECK_FAILS(vipcore_rule_create(&r, fx.admin, &in), VIPCORE_EINVAL, field); \
    CHECK(r == NULL);                                                         \
  } while (0)
  EXPECT_BAD_RULE(in.name = NULL, "name");
  EXPECT_BAD_RULE(in.max_wait_time = -1, "max_wait_time"); /* no condition at all */
  EXPECT_BAD_RULE(in.max_queue_position = -5, "max_queue_position");
  EXPECT_BAD_RULE(in.level_mask = 1u << 5, "vip_levels");
  EXPECT_BAD_RULE(in.escalation_type = "night shift!", "escalation_type");
  EXPECT_BAD_RULE(in.escalation_type = "account_team", "tier"); /* custom types need a tier */
  EXPECT_BAD_RULE(in.tier = 11, "tier");
  EXPECT_BAD_RULE(in.priority = 0, "priority");
  EXPECT_BAD_RULE(in.schedule = 3, "schedule");
  EXPECT_BAD_RULE(in.business_hours = "whenever", "business_hours");
  EXPECT_BAD_RULE((in.emails = bad_email, in.email_count = 1), "notify.emails[0]");
  EXPECT_BAD_RULE(in.email_count = 1, "notify.emails"); /* NULL arrays with a count */
  EXPECT_BAD_RULE(in.sms_count = 1, "notify.sms_numbers");
  EXPECT_BAD_RULE(in.internal_alert_count = 1, "notify.internal_alerts");
  EXPECT_BAD_RULE(in.struct_size = 4, "input");
#undef EXPECT_BAD_RULE
  in = rule_input("Fine Rule", 0, 30, -1, NULL, 1);
  CHECK_FAILS(vipcore_rule_create(&r, fx.agent, &in), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_rule_create(&r, fx.pbx, &in), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_rule_create(&r, fx.auditor, &in), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_rule_create(&r, NULL, &in), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_rule_create(&r, fx.admin, NULL), VIPCORE_EINVAL, "input");
  CHECK_OK(vipcore_rule_create(NULL, fx.admin, &in)); /* `out` may be NULL */

  CHECK_OK(vipcore_rule_list_get(&list, fx.admin));
  CHECK_INT(vipcore_rule_list_count(list), 1);
  copy_id(id, vipcore_rule_id(vipcore_rule_list_at(list, 0)));
  vipcore_rule_list_free(list);
  CHECK_FAILS(vipcore_rule_list_get(&list, fx.pbx), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_rule_list_get(NULL, fx.admin), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_rule_list_get(&list, NULL), VIPCORE_EINVAL, "tenant");
  CHECK(list == NULL);

  CHECK_FAILS(vipcore_rule_get(&r, fx.pbx, id), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_rule_get(&r, fx.admin, "nope"), VIPCORE_EINVAL, "id");
  CHECK_FAILS(vipcore_rule_get(&r, fx.admin, kNoSuchId), VIPCORE_ENOTFOUND, NULL);
  CHECK_FAILS(vipcore_rule_get(NULL, fx.admin, id), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_rule_get(&r, NULL, id), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_rule_get(&r, fx.admin, NULL), VIPCORE_EINVAL, "id");

  vipcore_rule_input_init(&in);
  CHECK_FAILS(vipcore_rule_update(&r, fx.admin, id, &in), VIPCORE_EINVAL, "update"); /* no bit */
  in.fields = 1u << 11;
  CHECK_FAILS(vipcore_rule_update(&r, fx.admin, id, &in), VIPCORE_EINVAL, "fields");
  in.fields = VIPCORE_RULE_FIELD_MAX_WAIT_TIME; /* would leave no condition */
  CHECK_FAILS(vipcore_rule_update(&r, fx.admin, id, &in), VIPCORE_EINVAL, "max_wait_time");
  in.fields = VIPCORE_RULE_FIELD_NAME;
  in.name = "Renamed";
  CHECK_FAILS(vipcore_rule_update(&r, fx.agent, id, &in), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_rule_update(&r, fx.admin, "nope", &in), VIPCORE_EINVAL, "id");
  CHECK_FAILS(vipcore_rule_update(&r, NULL, id, &in), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_rule_update(&r, fx.admin, NULL, &in), VIPCORE_EINVAL, "id");
  CHECK_FAILS(vipcore_rule_update(&r, fx.admin, id, NULL), VIPCORE_EINVAL, "changes");
  CHECK(r == NULL);

  CHECK_FAILS(vipcore_rule_delete(fx.agent, id), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_rule_delete(fx.admin, "nope"), VIPCORE_EINVAL, "id");
  CHECK_FAILS(vipcore_rule_delete(NULL, id), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_rule_delete(fx.admin, NULL), VIPCORE_EINVAL, "id");
  CHECK_OK(vipcore_rule_delete(fx.admin, id));
  vipcore_rule_free(NULL);      /* no-ops */
  vipcore_rule_list_free(NULL);
}

/* ---------------------------------------------------------------- settings */

static void check_default_settings(const vipcore_settings *s) {
  static const int waits[5] = {120, 90, 60, 30, 15}, bases[5] = {50, 60, 70, 80, 90};
  static const double rates[5] = {0.20, 0.15, 0.10, 0.08, 0.05};
  int l;
  for (l = 0; l < 5; ++l) {
    CHECK_INT(s->level_waits[l], waits[l]);
    CHECK_INT(s->level_priority[l], bases[l]);
    CHECK_NEAR(s->alert_max_escalation_rate[l], rates[l]);
  }
  CHECK_INT(s->rule_bonus[VIPCORE_RULE_IMMEDIATE_TRANSFER], 20);
  CHECK_INT(s->rule_bonus[VIPCORE_RULE_PRIORITY_QUEUE], 15);
  CHECK_INT(s->rule_bonus[VIPCORE_RULE_DEDICATED_AGENT], 0);
  CHECK_NEAR(s->dynamic_rise_start, 0.5);
  CHECK_NEAR(s->dynamic_exponent, 1.0);
  CHECK_STR(s->time_zone, "UTC");
  CHECK_STR(s->business_hours, "mon-fri 09:00-17:00");
  CHECK_NEAR(s->alert_wait_factor, 1.0);
  CHECK_NEAR(s->alert_max_failed_identification_rate, 0.01);
  CHECK_INT(s->alert_min_identifications, 100);
  CHECK_NEAR(s->alert_max_quality_drop, 5.0);
  CHECK_INT(s->alert_min_calls, 10);
}

/* On a tenant of its own ("beta"), so that the other areas keep the defaults. */
static void test_settings(void) {
  vipcore_tenant *admin = tenant("beta", "alice", VIPCORE_ROLE_ADMIN);
  vipcore_tenant *manager = tenant("beta", "mona", VIPCORE_ROLE_MANAGER);
  vipcore_tenant *pbx = tenant("beta", "pbx-node-1", VIPCORE_ROLE_SYSTEM);
  vipcore_settings s, bad;
  int open = -1, priority = 0;

  memset(&s, 0xab, sizeof s);
  vipcore_settings_init(&s);
  CHECK_INT(s.struct_size, sizeof s);
  check_default_settings(&s);
  vipcore_settings_init(NULL); /* a no-op */
  memset(&s, 0xab, sizeof s);
  s.struct_size = sizeof s;
  CHECK_OK(vipcore_settings_get(&s, manager)); /* never saved: the defaults */
  check_default_settings(&s);

  s.level_waits[VIPCORE_LEVEL_GOLD] = 45;
  s.level_priority[VIPCORE_LEVEL_GOLD] = 75;
  s.rule_bonus[VIPCORE_RULE_PRIORITY_QUEUE] = 10;
  s.dynamic_exponent = 2;
  snprintf(s.time_zone, sizeof s.time_zone, "%s", "Europe/Paris");
  snprintf(s.business_hours, sizeof s.business_hours, "%s", "24/7");
  s.alert_max_escalation_rate[VIPCORE_LEVEL_DIAMOND] = 0.1;
  s.alert_min_calls = 3;
  CHECK_FAILS(vipcore_settings_set(manager, &s), VIPCORE_EPERM, NULL); /* ADMIN only */
  CHECK_OK(vipcore_settings_set(admin, &s));
  vipcore_settings_init(&s);
  CHECK_OK(vipcore_settings_get(&s, manager));
  CHECK_INT(s.level_waits[VIPCORE_LEVEL_GOLD], 45);
  CHECK_INT(s.level_waits[VIPCORE_LEVEL_SILVER], 90);
  CHECK_INT(s.level_priority[VIPCORE_LEVEL_GOLD], 75);
  CHECK_INT(s.rule_bonus[VIPCORE_RULE_PRIORITY_QUEUE], 10);
  CHECK_NEAR(s.dynamic_exponent, 2);
  CHECK_STR(s.time_zone, "Europe/Paris");
  CHECK_STR(s.business_hours, "24/7");
  CHECK_NEAR(s.alert_max_escalation_rate[VIPCORE_LEVEL_DIAMOND], 0.1);
  CHECK_INT(s.alert_min_calls, 3);
  /* They apply at once: GOLD 75 + PRIORITY_QUEUE 10, and open around the clock. */
  CHECK_OK(vipcore_routing_priority(&priority, pbx, VIPCORE_LEVEL_GOLD, 1u << VIPCORE_RULE_PRIORITY_QUEUE));
  CHECK_INT(priority, 85);
  CHECK_OK(vipcore_inside_business_hours(&open, pbx));
  CHECK_INT(open, 1);
  snprintf(s.business_hours, sizeof s.business_hours, "%s", "closed");
  CHECK_OK(vipcore_settings_set(admin, &s));
  CHECK_OK(vipcore_inside_business_hours(&open, pbx));
  CHECK_INT(open, 0);

  /* Every bad field is named, and a refused change writes nothing. */
#define EXPECT_BAD_SETTINGS(change, field)                           \
  do {                                                               \
    bad = s;                                                         \
    change;                                                          \
    CHECK_FAILS(vipcore_settings_set(admin, &bad), VIPCORE_EINVAL, field); \
  } while (0)
  EXPECT_BAD_SETTINGS(bad.level_waits[VIPCORE_LEVEL_GOLD] = 0, "level_waits[GOLD]");
  EXPECT_BAD_SETTINGS(bad.level_priority[VIPCORE_LEVEL_DIAMOND] = 10, "priority.level_base[DIAMOND]");
  EXPECT_BAD_SETTINGS(bad.rule_bonus[VIPCORE_RULE_CALLBACK_PRIORITY] = 101, "priority.rule_bonus[CALLBACK_PRIORITY]");
  EXPECT_BAD_SETTINGS(bad.dynamic_rise_start = 1, "dynamic_priority.rise_start");
  EXPECT_BAD_SETTINGS(bad.dynamic_exponent = 9, "dynamic_priority.exponent");
  EXPECT_BAD_SETTINGS(snprintf(bad.time_zone, sizeof bad.time_zone, "%s", "Mars/Olympus"), "time_zone");
  EXPECT_BAD_SETTINGS(memset(bad.time_zone, 'x', sizeof bad.time_zone), "time_zone"); /* no NUL */
  EXPECT_BAD_SETTINGS(snprintf(bad.business_hours, sizeof bad.business_hours, "%s", "mon 09:00-25:00"),
                      "business_hours");
  EXPECT_BAD_SETTINGS(memset(bad.business_hours, 'x', sizeof bad.business_hours), "business_hours");
  EXPECT_BAD_SETTINGS(bad.alert_max_escalation_rate[VIPCORE_LEVEL_GOLD] = 1.5, "alerts.max_escalation_rate[GOLD]");
  EXPECT_BAD_SETTINGS(bad.alert_wait_factor = 0, "alerts.wait_factor");
  EXPECT_BAD_SETTINGS(bad.alert_max_failed_identification_rate = -0.1, "alerts.max_failed_identification_rate");
  EXPECT_BAD_SETTINGS(bad.alert_max_quality_drop = 101, "alerts.max_quality_drop");
  EXPECT_BAD_SETTINGS(bad.struct_size = 4, "settings");
#undef EXPECT_BAD_SETTINGS
  vipcore_settings_init(&bad);
  CHECK_OK(vipcore_settings_get(&bad, admin));
  CHECK_INT(bad.level_waits[VIPCORE_LEVEL_GOLD], 45);
  CHECK_STR(bad.time_zone, "Europe/Paris");
  CHECK_STR(bad.business_hours, "closed");

  CHECK_FAILS(vipcore_settings_get(&s, pbx), VIPCORE_EPERM, NULL); /* the PBX routes; it does not read them */
  CHECK(s.struct_size == sizeof s && s.level_waits[VIPCORE_LEVEL_GOLD] == 0 && s.time_zone[0] == '\0'); /* zeroed */
  CHECK_FAILS(vipcore_settings_get(NULL, admin), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_settings_get(&s, NULL), VIPCORE_EINVAL, "tenant");
  s.struct_size = 4;
  CHECK_FAILS(vipcore_settings_get(&s, admin), VIPCORE_EINVAL, "out");
  vipcore_settings_init(&s);
  CHECK_FAILS(vipcore_settings_set(NULL, &s), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_settings_set(admin, NULL), VIPCORE_EINVAL, "settings");
  CHECK_FAILS(vipcore_inside_business_hours(NULL, pbx), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_inside_business_hours(&open, NULL), VIPCORE_EINVAL, "tenant");
  vipcore_tenant_close(admin);
  vipcore_tenant_close(manager);
  vipcore_tenant_close(pbx);
}

/* ------------------------------------------------------------- escalation */

/* The notifier: checks each notice against what the test expects, and
 * remembers the last one. It carries no phone number but the SMS targets. */
static int on_escalation(void *user_data, const vipcore_escalation_notice *n) {
  notices *s = (notices *)user_data;
  CHECK(s == &fx.notices);
  ++s->calls;
  CHECK(n->struct_size >= sizeof *n);
  CHECK_STR(n->tenant_id, "acme");
  CHECK_STR(n->call_id, s->expect_call_id != NULL ? s->expect_call_id : "");
  CHECK_STR(n->caller_id, fx.seed_id[0]);
  CHECK_STR(n->caller_name, "John Doe");
  CHECK_INT(n->vip_level, VIPCORE_LEVEL_GOLD);
  CHECK_INT(n->wait_seconds, s->expect_wait);
  CHECK_INT(n->queue_position, s->expect_position);
  CHECK(n->at_ms >= fx.start_ms && n->at_ms <= now_ms() + 1000);
  CHECK_INT(strlen(n->rule_id), 36);
  if (strcmp(n->rule_name, "Gold wait") == 0) {
    CHECK_STR(n->escalation_type, "supervisor");
    CHECK_INT(n->tier, 2);
    CHECK_INT(n->email_count, 1);
    CHECK_STR(n->emails[0], "supervisors@acme.com");
    CHECK_INT(n->sms_count, 1);
    CHECK_STR(n->sms_numbers[0], "+15550400001"); /* normalized to E.164 */
    CHECK_INT(n->internal_alert_count, 1);
    CHECK_STR(n->internal_alerts[0], "wallboard-1");
  } else {
    CHECK_STR(n->rule_name, "Long queue");
    CHECK_STR(n->escalation_type, "manager");
    CHECK_INT(n->tier, 3);
    CHECK(n->email_count == 0 && n->sms_count == 0 && n->internal_alert_count == 0);
  }
  copy_id(s->last_rule_id, n->rule_id);
  snprintf(s->last_type, sizeof s->last_type, "%s", n->escalation_type);
  s->last_tier = n->tier;
  return s->fail ? 42 : 0;
}

/* One check of John's call `call_id`; the notifier expects these values. */
static vipcore_escalation *check(int wait, int position, const char *call_id) {
  vipcore_escalation *e = NULL;
  fx.notices.expect_wait = wait;
  fx.notices.expect_position = position;
  fx.notices.expect_call_id = call_id;
  CHECK_OK(vipcore_escalation_check(&e, fx.pbx, fx.seed_id[0], wait, position, call_id));
  CHECK(e != NULL);
  return e;
}

/* Five rules; for John (GOLD) only "Gold wait" (wait) and "Long queue" (position) can trigger. */
static void create_escalation_rules(char gold_wait[VIPCORE_ID_SIZE], char long_queue[VIPCORE_ID_SIZE]) {
  static const char *const emails[] = {"supervisors@acme.com"};
  static const char *const sms[] = {"(555) 040-0001"};
  static const char *const alerts[] = {"wallboard-1"};
  vipcore_rule_input in;
  char ignored[VIPCORE_ID_SIZE];

  in = rule_input("Gold wait", (1u << VIPCORE_LEVEL_GOLD) | (1u << VIPCORE_LEVEL_PLATINUM), 30, -1, "supervisor", 1);
  in.emails = emails;
  in.email_count = 1;
  in.sms_numbers = sms;
  in.sms_count = 1;
  in.internal_alerts = alerts;
  in.internal_alert_count = 1;
  in.schedule = VIPCORE_SCHEDULE_INSIDE_BUSINESS_HOURS;
  in.business_hours = "24/7"; /* so that the schedule always matches */
  create_rule(&in, gold_wait);
  in = rule_input("Long queue", 0, -1, 5, "manager", 2);
  create_rule(&in, long_queue);
  in = rule_input("Inactive", 0, 0, -1, "agent", 3);
  in.is_active = 0;
  create_rule(&in, ignored);
  in = rule_input("Diamond only", 1u << VIPCORE_LEVEL_DIAMOND, 0, -1, "agent", 3);
  create_rule(&in, ignored);
  in = rule_input("Never open", 0, 0, -1, "agent", 3);
  in.schedule = VIPCORE_SCHEDULE_OUTSIDE_BUSINESS_HOURS;
  in.business_hours = "24/7";
  create_rule(&in, ignored);
}

static void test_escalation_once_per_call(void) {
  char gold_wait[VIPCORE_ID_SIZE], long_queue[VIPCORE_ID_SIZE];
  vipcore_escalation *e;

  create_escalation_rules(gold_wait, long_queue);
  /* Exactly at the max is not exceeding it. */
  e = check(30, 5, "call-1");
  CHECK_INT(vipcore_escalation_should_escalate(e), 0);
  CHECK_INT(vipcore_escalation_triggered_count(e), 0);
  CHECK_INT(vipcore_escalation_highest_tier(e), 0);
  CHECK_STR(vipcore_escalation_highest_type(e), "");
  CHECK_INT(vipcore_escalation_sla_breached(e), 0);
  vipcore_escalation_free(e);
  CHECK_INT(fx.notices.calls, 0);

  e = check(31, 5, "call-1");
  CHECK_INT(fx.notices.calls, 1);
  CHECK_STR(fx.notices.last_rule_id, gold_wait);
  CHECK_INT(vipcore_escalation_should_escalate(e), 1);
  CHECK_INT(vipcore_escalation_sla_breached(e), 1); /* John's own target is 30 s */
  CHECK_INT(vipcore_escalation_highest_tier(e), 2);
  CHECK_STR(vipcore_escalation_highest_type(e), "supervisor");
  CHECK_INT(vipcore_escalation_triggered_count(e), 1);
  CHECK_STR(vipcore_escalation_triggered_rule_id(e, 0), gold_wait);
  CHECK_STR(vipcore_escalation_triggered_rule_name(e, 0), "Gold wait");
  CHECK_INT(vipcore_escalation_triggered_tier(e, 0), 2);
  CHECK_INT(vipcore_escalation_triggered_already(e, 0), 0);
  CHECK_INT(vipcore_escalation_triggered_notified(e, 0), 1);
  CHECK_INT(vipcore_escalation_triggered_wait_exceeded(e, 0), 1);
  CHECK_INT(vipcore_escalation_triggered_position_exceeded(e, 0), 0); /* 5 is not past 5 */
  CHECK_INT(vipcore_escalation_notification_failures(e), 0);
  CHECK_STR(vipcore_escalation_failure_rule_id(e, 0), "");
  /* Out of range. */
  CHECK_STR(vipcore_escalation_triggered_rule_id(e, 1), "");
  CHECK_STR(vipcore_escalation_triggered_rule_name(e, 1), "");
  CHECK_INT(vipcore_escalation_triggered_tier(e, 1), 0);
  CHECK_INT(vipcore_escalation_triggered_already(e, 1), 0);
  CHECK_INT(vipcore_escalation_triggered_notified(e, 1), 0);
  CHECK_INT(vipcore_escalation_triggered_wait_exceeded(e, 1), 0);
  CHECK_INT(vipcore_escalation_triggered_position_exceeded(e, 1), 0);
  vipcore_escalation_free(e);

  /* The next poll of the same call: already triggered, nobody told twice. */
  e = check(36, 5, "call-1");
  CHECK_INT(fx.notices.calls, 1);
  CHECK_INT(vipcore_escalation_triggered_already(e, 0), 1);
  CHECK_INT(vipcore_escalation_triggered_notified(e, 0), 1);
  vipcore_escalation_free(e);

  /* The queue grows: the second rule triggers, once. */
  e = check(41, 6, "call-1");
  CHECK_INT(fx.notices.calls, 2);
  CHECK_STR(fx.notices.last_rule_id, long_queue);
  CHECK_INT(vipcore_escalation_triggered_count(e), 2);
  CHECK_STR(vipcore_escalation_triggered_rule_name(e, 1), "Long queue");
  CHECK_INT(vipcore_escalation_triggered_wait_exceeded(e, 1), 0); /* no wait condition */
  CHECK_INT(vipcore_escalation_triggered_position_exceeded(e, 1), 1);
  CHECK_INT(vipcore_escalation_triggered_already(e, 0), 1);
  CHECK_INT(vipcore_escalation_triggered_already(e, 1), 0);
  CHECK_INT(vipcore_escalation_highest_tier(e), 3);
  CHECK_STR(vipcore_escalation_highest_type(e), "manager");
  vipcore_escalation_free(e);

  /* Without a call id the check only evaluates: no trigger stored, nobody told. */
  e = check(99, 9, NULL);
  CHECK_INT(vipcore_escalation_triggered_count(e), 2);
  CHECK_INT(vipcore_escalation_triggered_notified(e, 0), 0);
  vipcore_escalation_free(e);
  e = check(99, 9, "");
  CHECK_INT(vipcore_escalation_should_escalate(e), 1);
  vipcore_escalation_free(e);
  CHECK_INT(fx.notices.calls, 2);
}

/* A notifier that fails is reported, not fatal; the next check retries. */
static void test_escalation_notifier_failure(void) {
  vipcore_escalation *e;
  fx.notices.calls = 0;
  fx.notices.fail = 1;
  e = check(31, 1, "call-2");
  CHECK_INT(fx.notices.calls, 1);
  CHECK_INT(vipcore_escalation_should_escalate(e), 1);
  CHECK_INT(vipcore_escalation_notification_failures(e), 1);
  CHECK_STR(vipcore_escalation_failure_rule_id(e, 0), fx.notices.last_rule_id);
  CHECK_INT(vipcore_escalation_failure_code(e, 0), VIPCORE_ENOTIFIER);
  CHECK(contains(vipcore_escalation_failure_message(e, 0), "returned 42"));
  CHECK_STR(vipcore_escalation_failure_rule_id(e, 1), "");
  CHECK_INT(vipcore_escalation_failure_code(e, 1), VIPCORE_OK);
  CHECK_STR(vipcore_escalation_failure_message(e, 1), "");
  CHECK_INT(vipcore_escalation_triggered_notified(e, 0), 0);
  vipcore_escalation_free(e);

  fx.notices.fail = 0;
  e = check(36, 1, "call-2");
  CHECK_INT(fx.notices.calls, 2); /* retried */
  CHECK_INT(vipcore_escalation_notification_failures(e), 0);
  CHECK_INT(vipcore_escalation_triggered_already(e, 0), 1);
  CHECK_INT(vipcore_escalation_triggered_notified(e, 0), 1);
  vipcore_escalation_free(e);
  e = check(41, 1, "call-2");
  CHECK_INT(fx.notices.calls, 2); /* delivered now: not again */
  vipcore_escalation_free(e);
}

/* The check from identify's answer: the same result, no lookup by id. */
static void test_escalation_check_caller(void) {
  vipcore_identification who = VIPCORE_IDENTIFICATION_INIT;
  vipcore_identification nobody = VIPCORE_IDENTIFICATION_INIT;
  vipcore_escalation *e = (vipcore_escalation *)1;
  const int before = fx.notices.calls;

  CHECK_OK(vipcore_identify(&who, fx.pbx, "(234) 567-8900"));
  CHECK_INT(who.is_vip, 1);
  fx.notices.expect_wait = 31;
  fx.notices.expect_position = 1;
  fx.notices.expect_call_id = "call-4";
  CHECK_OK(vipcore_escalation_check_caller(&e, fx.pbx, &who, 31, 1, "call-4"));
  CHECK_INT(vipcore_escalation_should_escalate(e), 1);
  CHECK_STR(vipcore_escalation_triggered_rule_name(e, 0), "Gold wait");
  CHECK_INT(vipcore_escalation_triggered_notified(e, 0), 1);
  CHECK_INT(fx.notices.calls, before + 1);
  vipcore_escalation_free(e);

  CHECK_OK(vipcore_identify(&nobody, fx.pbx, "+1 800 555 0199"));
  CHECK_FAILS(vipcore_escalation_check_caller(&e, fx.pbx, &nobody, 31, 1, "call-5"), VIPCORE_EINVAL, "who");
  CHECK(e == NULL);
  CHECK_FAILS(vipcore_escalation_check_caller(NULL, fx.pbx, &who, 31, 1, "call-5"), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_escalation_check_caller(&e, NULL, &who, 31, 1, "call-5"), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_escalation_check_caller(&e, fx.pbx, NULL, 31, 1, "call-5"), VIPCORE_EINVAL, "who");
  CHECK_FAILS(vipcore_escalation_check_caller(&e, fx.pbx, &who, -1, 1, "call-5"), VIPCORE_EINVAL, "wait_seconds");
  CHECK_FAILS(vipcore_escalation_check_caller(&e, fx.auditor, &who, 31, 1, "call-5"), VIPCORE_EPERM, NULL);
}

static void test_escalation_errors(void) {
  vipcore_escalation *e = (vipcore_escalation *)1;
  const char *john = fx.seed_id[0];
  CHECK_FAILS(vipcore_escalation_check(&e, fx.pbx, kNoSuchId, 31, 1, "call-3"), VIPCORE_ENOTFOUND, NULL);
  CHECK(e == NULL);
  CHECK_FAILS(vipcore_escalation_check(&e, fx.pbx, "nope", 31, 1, "call-3"), VIPCORE_EINVAL, "caller_id");
  CHECK_FAILS(vipcore_escalation_check(&e, fx.pbx, john, -1, 1, "call-3"), VIPCORE_EINVAL, "wait_seconds");
  CHECK_FAILS(vipcore_escalation_check(&e, fx.pbx, john, 31, -1, "call-3"), VIPCORE_EINVAL, "queue_position");
  CHECK_FAILS(vipcore_escalation_check(&e, fx.auditor, john, 31, 1, "call-3"), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_escalation_check(NULL, fx.pbx, john, 31, 1, "call-3"), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_escalation_check(&e, NULL, john, 31, 1, "call-3"), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_escalation_check(&e, fx.pbx, NULL, 31, 1, "call-3"), VIPCORE_EINVAL, "caller_id");
  CHECK(e == NULL);
  CHECK_INT(fx.notices.calls, 2);
  vipcore_escalation_free(NULL); /* a no-op */
}

/* --------------------------------------------- call history and analytics */

typedef struct call_spec {
  const char *id;
  const char *at;
  int level; /* -1: the caller's level now */
  uint32_t rules;
  int wait, escalated, rating;
  double quality; /* < 0: none */
} call_spec;

static void record(vipcore_tenant *t, const char *caller_id, const call_spec *s) {
  vipcore_call_input in;
  vipcore_call_input_init(&in);
  in.call_id = s->id;
  in.caller_id = caller_id;
  in.vip_level_at_call = s->level;
  in.handling_rules_applied = s->rules;
  in.wait_seconds = s->wait;
  in.escalation_triggered = s->escalated;
  in.satisfaction_rating = s->rating;
  in.has_quality_score = s->quality >= 0;
  in.service_quality_score = s->quality;
  in.at_ms = at(s->at);
  CHECK_OK(vipcore_record_call(t, &in));
}

#define PQ (1u << VIPCORE_RULE_PRIORITY_QUEUE)
#define CG (1u << VIPCORE_RULE_CUSTOM_GREETING)

/* Gina (GOLD, target 30 s): five calls in [Jan 10, Jan 20), one after. */
static const call_spec kGinaCalls[] = {
    {"jan-1", "2024-01-10T10:00:00Z", -1, PQ, 10, 0, 5, 90},
    {"jan-2", "2024-01-11T10:00:00Z", -1, PQ, 20, 0, 4, 80},
    {"jan-3", "2024-01-12T10:00:00Z", -1, PQ, 30, 1, 0, -1},
    {"jan-4", "2024-01-13T10:00:00Z", -1, PQ | CG, 40, 1, 3, -1},
    {"jan-5", "2024-01-19T23:59:59Z", VIPCORE_LEVEL_SILVER, 0, 100, 0, 0, -1},
    {"jan-6", "2024-01-20T00:00:00Z", -1, 0, 5, 0, 2, -1}, /* the range's end is excluded */
};

/* Tenant "stats": Gina (GOLD), Dia (DIAMOND), Sid (SILVER, SUSPENDED). */
static void create_stats_callers(void) {
  vipcore_caller_input in = minimal_caller("+1 555 050 0001", "Gina Gold", VIPCORE_LEVEL_GOLD);
  char sid[VIPCORE_ID_SIZE];
  in.max_wait_time = 30;
  create(fx.stats_admin, &in, fx.gina);
  in = minimal_caller("+1 555 050 0002", "Dia Diamond", VIPCORE_LEVEL_DIAMOND);
  create(fx.stats_admin, &in, fx.dia);
  in = minimal_caller("+1 555 050 0003", "Sid Silver", VIPCORE_LEVEL_SILVER);
  in.status = VIPCORE_STATUS_SUSPENDED;
  create(fx.stats_admin, &in, sid);
}

static void test_record_call(void) {
  vipcore_call_input in;
  vipcore_caller *c = NULL;
  double satisfaction = 0;
  size_t i;

  memset(&in, 0xab, sizeof in);
  vipcore_call_input_init(&in);
  CHECK_INT(in.struct_size, sizeof in);
  CHECK(in.call_id == NULL && in.caller_id == NULL && in.vip_level_at_call == -1 && in.at_ms == 0);
  CHECK(in.wait_seconds == 0 && in.satisfaction_rating == 0 && in.has_quality_score == 0);
  vipcore_call_input_init(NULL); /* a no-op */

  create_stats_callers();
  for (i = 0; i < sizeof kGinaCalls / sizeof kGinaCalls[0]; ++i) record(fx.stats_pbx, fx.gina, &kGinaCalls[i]);
  /* The caller's totals: six calls, ratings 5, 4, 3 and 2. */
  CHECK_OK(vipcore_caller_get(&c, fx.stats_admin, fx.gina));
  CHECK_INT(vipcore_caller_total_calls(c), 6);
  CHECK_INT(vipcore_caller_satisfaction(c, &satisfaction), 1);
  CHECK_NEAR(satisfaction, 3.5);
  CHECK_INT(vipcore_caller_satisfaction(c, NULL), 1);
  vipcore_caller_free(c);

#define EXPECT_BAD_CALL(change, code, field)                               \
  do {                                                                     \
    vipcore_call_input_init(&in);                                          \
    in.call_id = "bad-call";                                               \
    in.caller_id = fx.gina;                                                \
    change;                                                                \
    CHECK_FAILS(vipcore_record_call(fx.stats_pbx, &in), code, field);      \
  } while (0)
  EXPECT_BAD_CALL(in.call_id = "jan-1", VIPCORE_EEXISTS, "call_id");
  EXPECT_BAD_CALL(in.call_id = NULL, VIPCORE_EINVAL, "call_id");
  EXPECT_BAD_CALL(in.caller_id = NULL, VIPCORE_EINVAL, "caller_id");
  EXPECT_BAD_CALL(in.caller_id = kNoSuchId, VIPCORE_ENOTFOUND, NULL);
  EXPECT_BAD_CALL(in.vip_level_at_call = 5, VIPCORE_EINVAL, "vip_level_at_call");
  EXPECT_BAD_CALL(in.wait_seconds = -1, VIPCORE_EINVAL, "wait_seconds");
  EXPECT_BAD_CALL(in.satisfaction_rating = 6, VIPCORE_EINVAL, "satisfaction_rating");
  EXPECT_BAD_CALL((in.has_quality_score = 1, in.service_quality_score = 100.5), VIPCORE_EINVAL,
                  "service_quality_score");
  EXPECT_BAD_CALL(in.struct_size = 4, VIPCORE_EINVAL, "call");
#undef EXPECT_BAD_CALL
  vipcore_call_input_init(&in);
  in.call_id = "acme-1";
  in.caller_id = fx.seed_id[0];
  CHECK_FAILS(vipcore_record_call(fx.agent, &in), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_record_call(fx.auditor, &in), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_record_call(NULL, &in), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_record_call(fx.pbx, NULL), VIPCORE_EINVAL, "call");
  in.caller_id = fx.gina; /* tenants never see each other's callers */
  CHECK_FAILS(vipcore_record_call(fx.pbx, &in), VIPCORE_ENOTFOUND, NULL);
}

static void check_no_rates(const vipcore_call_stats *s) {
  CHECK_INT(s->calls, 0);
  CHECK_NEAR(s->sla_met_rate, -1);
  CHECK_NEAR(s->escalation_rate, -1);
  CHECK_NEAR(s->average_satisfaction, -1);
  CHECK_NEAR(s->average_quality, -1);
}

/* [Jan 10, Jan 20): waits 10 20 30 40 100, two escalations, ratings 5 4 3, scores 90 80. */
static void check_gina_stats(const vipcore_call_stats *s) {
  CHECK_INT(s->calls, 5);
  CHECK_NEAR(s->wait_average, 40.0);
  CHECK_INT(s->wait_max, 100);
  CHECK_INT(s->wait_p50, 30);  /* nearest rank: the 3rd of 5 */
  CHECK_INT(s->wait_p90, 100); /* the 5th of 5 */
  CHECK_INT(s->sla_met, 3);    /* waits within her 30 s target */
  CHECK_NEAR(s->sla_met_rate, 0.6);
  CHECK_INT(s->escalations, 2);
  CHECK_NEAR(s->escalation_rate, 0.4);
  CHECK_INT(s->rated_calls, 3);
  CHECK_NEAR(s->average_satisfaction, 4.0);
  CHECK_INT(s->scored_calls, 2);
  CHECK_NEAR(s->average_quality, 85.0);
  CHECK_INT(s->handling_rules_applied[VIPCORE_RULE_PRIORITY_QUEUE], 4);
  CHECK_INT(s->handling_rules_applied[VIPCORE_RULE_CUSTOM_GREETING], 1);
  CHECK_INT(s->handling_rules_applied[VIPCORE_RULE_IMMEDIATE_TRANSFER], 0);
}

static void test_caller_analytics(void) {
  vipcore_caller_analytics a;
  const int64_t start = at("2024-01-10"), end = at("2024-01-20");
  a.struct_size = sizeof a;
  CHECK_OK(vipcore_caller_analytics_get(&a, fx.stats_admin, fx.gina, start, end));
  CHECK_INT(a.struct_size, sizeof a);
  check_gina_stats(&a.stats);
  CHECK_OK(vipcore_caller_analytics_get(&a, fx.auditor, fx.seed_id[0], start, end));
  check_no_rates(&a.stats);
  CHECK_INT(a.stats.wait_max, 0);

  CHECK_FAILS(vipcore_caller_analytics_get(&a, fx.stats_admin, fx.gina, end, start), VIPCORE_EINVAL, "range");
  CHECK_FAILS(vipcore_caller_analytics_get(&a, fx.stats_admin, fx.gina, start, start), VIPCORE_EINVAL, "range");
  CHECK_FAILS(vipcore_caller_analytics_get(&a, fx.stats_admin, kNoSuchId, start, end), VIPCORE_ENOTFOUND, NULL);
  CHECK_FAILS(vipcore_caller_analytics_get(&a, fx.stats_admin, "nope", start, end), VIPCORE_EINVAL, "caller_id");
  CHECK_FAILS(vipcore_caller_analytics_get(&a, fx.stats_pbx, fx.gina, start, end), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_caller_analytics_get(&a, fx.agent, fx.seed_id[0], start, end), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_caller_analytics_get(NULL, fx.stats_admin, fx.gina, start, end), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_caller_analytics_get(&a, NULL, fx.gina, start, end), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_caller_analytics_get(&a, fx.stats_admin, NULL, start, end), VIPCORE_EINVAL, "caller_id");
  a.struct_size = 4;
  CHECK_FAILS(vipcore_caller_analytics_get(&a, fx.stats_admin, fx.gina, start, end), VIPCORE_EINVAL, "out");
}

static void test_call_history(void) {
  vipcore_call_list *list = (vipcore_call_list *)1;
  const int64_t start = at("2024-01-10"), end = at("2024-01-20");
  double quality = -1;

  CHECK_OK(vipcore_call_history_get(&list, fx.stats_admin, fx.gina, start, end, 0));
  CHECK_INT(vipcore_call_list_count(list), 5); /* jan-6 is at the range's end: excluded */
  CHECK_STR(vipcore_call_id(list, 0), "jan-1");  /* oldest first */
  CHECK_INT(vipcore_call_at(list, 0), at("2024-01-10T10:00:00Z"));
  CHECK_INT(vipcore_call_level(list, 0), VIPCORE_LEVEL_GOLD);
  CHECK_INT(vipcore_call_handling_rules(list, 0), PQ);
  CHECK_INT(vipcore_call_wait_seconds(list, 0), 10);
  CHECK_INT(vipcore_call_max_wait_time(list, 0), 30); /* Gina's own target */
  CHECK_INT(vipcore_call_escalated(list, 0), 0);
  CHECK_INT(vipcore_call_rating(list, 0), 5);
  CHECK_INT(vipcore_call_quality(list, 0, &quality), 1);
  CHECK_NEAR(quality, 90);
  CHECK_INT(vipcore_call_quality(list, 0, NULL), 1);
  CHECK_STR(vipcore_call_id(list, 2), "jan-3");
  CHECK_INT(vipcore_call_escalated(list, 2), 1);
  CHECK_INT(vipcore_call_rating(list, 2), 0);     /* not rated */
  quality = -1;
  CHECK_INT(vipcore_call_quality(list, 2, &quality), 0);
  CHECK_NEAR(quality, -1);                         /* untouched */
  CHECK_INT(vipcore_call_handling_rules(list, 3), PQ | CG);
  CHECK_STR(vipcore_call_id(list, 4), "jan-5");
  CHECK_INT(vipcore_call_level(list, 4), VIPCORE_LEVEL_SILVER); /* the level at the call */
  /* Out of range. */
  CHECK_STR(vipcore_call_id(list, 5), "");
  CHECK_INT(vipcore_call_at(list, 5), 0);
  CHECK_INT(vipcore_call_level(list, 5), -1);
  CHECK_INT(vipcore_call_handling_rules(list, 5), 0);
  CHECK_INT(vipcore_call_wait_seconds(list, 5), 0);
  CHECK_INT(vipcore_call_max_wait_time(list, 5), 0);
  CHECK_INT(vipcore_call_escalated(list, 5), 0);
  CHECK_INT(vipcore_call_rating(list, 5), 0);
  CHECK_INT(vipcore_call_quality(list, 5, &quality), 0);
  vipcore_call_list_free(list);

  CHECK_OK(vipcore_call_history_get(&list, fx.auditor, fx.seed_id[0], start, end, 2));
  CHECK_INT(vipcore_call_list_count(list), 0);
  vipcore_call_list_free(list);
  CHECK_OK(vipcore_call_history_get(&list, fx.stats_admin, fx.gina, start, end + 1, 2));
  CHECK_INT(vipcore_call_list_count(list), 2); /* at most `limit` */
  CHECK_STR(vipcore_call_id(list, 1), "jan-2");
  vipcore_call_list_free(list);
  /* Tenants never see each other's calls. */
  CHECK_OK(vipcore_call_history_get(&list, fx.admin, fx.gina, start, end, 0));
  CHECK_INT(vipcore_call_list_count(list), 0);
  vipcore_call_list_free(list);

  CHECK_FAILS(vipcore_call_history_get(&list, fx.stats_admin, fx.gina, end, start, 0), VIPCORE_EINVAL, "range");
  CHECK_FAILS(vipcore_call_history_get(&list, fx.stats_admin, "nope", start, end, 0), VIPCORE_EINVAL, "caller_id");
  CHECK_FAILS(vipcore_call_history_get(&list, fx.stats_pbx, fx.gina, start, end, 0), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_call_history_get(&list, fx.agent, fx.seed_id[0], start, end, 0), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_call_history_get(NULL, fx.stats_admin, fx.gina, start, end, 0), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_call_history_get(&list, NULL, fx.gina, start, end, 0), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_call_history_get(&list, fx.stats_admin, NULL, start, end, 0), VIPCORE_EINVAL, "caller_id");
  CHECK(list == NULL);
  vipcore_call_list_free(NULL); /* a no-op */
}

/* Every int64 time is range-checked where it enters: 1970 to 9999 (UTC). */
static void test_time_ranges(void) {
  static const int64_t bad[] = {INT64_MIN, INT64_MAX, -1, 253402300800000};
  const int64_t start = at("2024-01-10");
  vipcore_call_input call;
  vipcore_caller_input in;
  vipcore_caller *c = NULL;
  vipcore_call_list *list = NULL;
  vipcore_overview o;
  int64_t parsed = 0;
  size_t i;
  for (i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    vipcore_caller_input_init(&in);
    in.phone_number = "+1 555 010 7777";
    in.caller_name = "Out Of Range";
    in.valid_until_ms = bad[i];
    CHECK_FAILS(vipcore_caller_create(&c, fx.stats_admin, &in), VIPCORE_EINVAL, "valid_until");
    in.valid_until_ms = 0;
    in.valid_from_ms = bad[i];
    CHECK_FAILS(vipcore_caller_create(&c, fx.stats_admin, &in), VIPCORE_EINVAL, "valid_from");
    vipcore_call_input_init(&call);
    call.call_id = "out-of-range";
    call.caller_id = fx.gina;
    call.at_ms = bad[i];
    CHECK_FAILS(vipcore_record_call(fx.stats_pbx, &call), VIPCORE_EINVAL, "at");
    if (bad[i] > start) {
      CHECK_FAILS(vipcore_call_history_get(&list, fx.stats_admin, fx.gina, start, bad[i], 0), VIPCORE_EINVAL,
                  "range.end");
      o.struct_size = sizeof o;
      CHECK_FAILS(vipcore_overview_get(&o, fx.stats_admin, start, bad[i]), VIPCORE_EINVAL, "range.end");
    } else {
      o.struct_size = sizeof o;
      CHECK_FAILS(vipcore_overview_get(&o, fx.stats_admin, bad[i], start), VIPCORE_EINVAL, "range.start");
    }
    CHECK_FAILS(vipcore_purge(fx.admin, bad[i], 0, NULL, NULL), VIPCORE_EINVAL, "before");
  }
  CHECK_FAILS(vipcore_parse_time(&parsed, "2024-01-31T10:15:00+99:99"), VIPCORE_EINVAL, NULL);
  CHECK_FAILS(vipcore_parse_time(&parsed, "10000-01-01"), VIPCORE_EINVAL, NULL);
  CHECK_OK(vipcore_parse_time(&parsed, "9999-12-31T23:59:59.999Z"));
  CHECK_INT(parsed, 253402300799999LL);
}

static void test_overview(void) {
  vipcore_overview o;
  const int64_t start = at("2024-01-10"), end = at("2024-01-20");
  int l, s;
  o.struct_size = sizeof o;
  CHECK_OK(vipcore_overview_get(&o, fx.stats_admin, start, end));
  for (l = 0; l < 5; ++l)
    for (s = 0; s < 3; ++s) {
      const int expected = (l == VIPCORE_LEVEL_GOLD && s == VIPCORE_STATUS_ACTIVE) ||
                           (l == VIPCORE_LEVEL_DIAMOND && s == VIPCORE_STATUS_ACTIVE) ||
                           (l == VIPCORE_LEVEL_SILVER && s == VIPCORE_STATUS_SUSPENDED);
      CHECK_INT(o.callers[l][s], expected);
    }
  CHECK_INT(o.total_callers, 3);
  check_gina_stats(&o.all);
  /* By the level at the call: four GOLD calls, and the one made as SILVER. */
  CHECK_INT(o.by_level[VIPCORE_LEVEL_GOLD].calls, 4);
  CHECK_NEAR(o.by_level[VIPCORE_LEVEL_GOLD].wait_average, 25.0);
  CHECK_INT(o.by_level[VIPCORE_LEVEL_GOLD].wait_p50, 20);
  CHECK_INT(o.by_level[VIPCORE_LEVEL_GOLD].wait_p90, 40);
  CHECK_INT(o.by_level[VIPCORE_LEVEL_SILVER].calls, 1);
  CHECK_INT(o.by_level[VIPCORE_LEVEL_SILVER].wait_max, 100);
  CHECK_NEAR(o.by_level[VIPCORE_LEVEL_SILVER].sla_met_rate, 0.0);
  CHECK_NEAR(o.by_level[VIPCORE_LEVEL_SILVER].average_satisfaction, -1);
  check_no_rates(&o.by_level[VIPCORE_LEVEL_DIAMOND]);

  CHECK_OK(vipcore_overview_get(&o, fx.auditor, start, end)); /* another tenant: no calls */
  check_no_rates(&o.all);
  CHECK_FAILS(vipcore_overview_get(&o, fx.stats_admin, end, start), VIPCORE_EINVAL, "range");
  CHECK_FAILS(vipcore_overview_get(&o, fx.stats_pbx, start, end), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_overview_get(NULL, fx.stats_admin, start, end), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_overview_get(&o, NULL, start, end), VIPCORE_EINVAL, "tenant");
  o.struct_size = 4;
  CHECK_FAILS(vipcore_overview_get(&o, fx.stats_admin, start, end), VIPCORE_EINVAL, "out");
}

/* Ten DIAMOND calls in February, one escalated (10% > 5%), all waiting 20 s (> 15 s). */
static void test_alerts(void) {
  vipcore_alert_list *alerts = (vipcore_alert_list *)1;
  const int64_t feb = at("2024-02-01"), mar = at("2024-03-01");
  int i;
  for (i = 0; i < 10; ++i) {
    char id[16], when[32];
    call_spec s = {NULL, NULL, -1, 0, 20, 0, 0, -1};
    snprintf(id, sizeof id, "feb-%d", i + 1);
    snprintf(when, sizeof when, "2024-02-%02dT12:00:00Z", i + 1);
    s.id = id;
    s.at = when;
    s.escalated = i == 0;
    record(fx.stats_pbx, fx.dia, &s);
  }
  CHECK_OK(vipcore_alerts_get(&alerts, fx.stats_admin, feb, mar));
  CHECK_INT(vipcore_alert_count(alerts), 2);
  CHECK_INT(vipcore_alert_kind(alerts, 0), VIPCORE_ALERT_ESCALATION_RATE);
  CHECK_INT(vipcore_alert_level(alerts, 0), VIPCORE_LEVEL_DIAMOND);
  CHECK_NEAR(vipcore_alert_measured(alerts, 0), 0.1);
  CHECK_NEAR(vipcore_alert_threshold(alerts, 0), 0.05);
  CHECK(contains(vipcore_alert_message(alerts, 0), "DIAMOND escalation rate"));
  CHECK_INT(vipcore_alert_kind(alerts, 1), VIPCORE_ALERT_WAIT_TIME);
  CHECK_INT(vipcore_alert_level(alerts, 1), VIPCORE_LEVEL_DIAMOND);
  CHECK_NEAR(vipcore_alert_measured(alerts, 1), 20.0);
  CHECK_NEAR(vipcore_alert_threshold(alerts, 1), 15.0);
  CHECK(contains(vipcore_alert_message(alerts, 1), "DIAMOND average wait"));
  /* Out of range. */
  CHECK_INT(vipcore_alert_kind(alerts, 2), -1);
  CHECK_INT(vipcore_alert_level(alerts, 2), -1);
  CHECK_NEAR(vipcore_alert_measured(alerts, 2), 0);
  CHECK_NEAR(vipcore_alert_threshold(alerts, 2), 0);
  CHECK_STR(vipcore_alert_message(alerts, 2), "");
  vipcore_alert_list_free(alerts);
  /* January: too few calls per level to judge. */
  CHECK_OK(vipcore_alerts_get(&alerts, fx.auditor, at("2024-01-01"), feb));
  CHECK_INT(vipcore_alert_count(alerts), 0);
  vipcore_alert_list_free(alerts);

  CHECK_FAILS(vipcore_alerts_get(&alerts, fx.stats_admin, mar, feb), VIPCORE_EINVAL, "range");
  CHECK(alerts == NULL);
  CHECK_FAILS(vipcore_alerts_get(&alerts, fx.stats_pbx, feb, mar), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_alerts_get(&alerts, fx.agent, feb, mar), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_alerts_get(NULL, fx.stats_admin, feb, mar), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_alerts_get(&alerts, NULL, feb, mar), VIPCORE_EINVAL, "tenant");
  vipcore_alert_list_free(NULL); /* a no-op */
}

/* ---------------------------------------------------------------- metrics */

static void test_metrics(void) {
  vipcore_metrics m;
  vipcore_identification who = VIPCORE_IDENTIFICATION_INIT;
  char *text = (char *)1;
  int l;

  /* One hit, one miss, one malformed number. */
  CHECK_INT(identify(fx.stats_pbx, "+1 555 050 0001").is_vip, 1);
  CHECK_INT(identify(fx.stats_pbx, "+1 555 050 0099").is_vip, 0);
  CHECK_FAILS(vipcore_identify(&who, fx.stats_pbx, "12"), VIPCORE_EINVAL, "phone_number");

  m.struct_size = sizeof m;
  CHECK_OK(vipcore_metrics_get(&m, fx.stats_pbx));
  CHECK_INT(m.struct_size, sizeof m);
  CHECK_INT(m.identify_attempted, 3);
  CHECK_INT(m.identify_matched, 1);
  CHECK_INT(m.identify_not_vip, 1);
  CHECK_INT(m.identify_failed, 1);
  CHECK_INT(m.escalation_checks, 0);
  CHECK_INT(m.notification_failures, 0);
  for (l = 0; l < 5; ++l) CHECK_INT(m.escalations_by_level[l], 0);
  CHECK_INT(m.calls_recorded_by_level[VIPCORE_LEVEL_GOLD], 5);
  CHECK_INT(m.wait_seconds_sum_by_level[VIPCORE_LEVEL_GOLD], 10 + 20 + 30 + 40 + 5);
  CHECK_INT(m.calls_recorded_by_level[VIPCORE_LEVEL_SILVER], 1);
  CHECK_INT(m.wait_seconds_sum_by_level[VIPCORE_LEVEL_SILVER], 100);
  CHECK_INT(m.calls_recorded_by_level[VIPCORE_LEVEL_DIAMOND], 10);
  CHECK_INT(m.wait_seconds_sum_by_level[VIPCORE_LEVEL_DIAMOND], 200);
  /* The cache: both numbers asked once are in it; asked again, the VIP comes from it. */
  CHECK_INT(m.identify_cache_hits, 0);
  CHECK_INT(m.cache_entries, 2);
  CHECK(m.cache_bytes > 0);
  CHECK_INT(identify(fx.stats_pbx, "+1 555 050 0001").is_vip, 1);
  CHECK_OK(vipcore_metrics_get(&m, fx.stats_pbx));
  CHECK_INT(m.identify_cache_hits, 1);
  /* A program built before the cache fields: they are left alone. */
  m.struct_size = (uint32_t)offsetof(vipcore_metrics, identify_cache_hits);
  m.cache_entries = 12345;
  CHECK_OK(vipcore_metrics_get(&m, fx.stats_pbx));
  CHECK_INT(m.cache_entries, 12345);
  m.struct_size = sizeof m;
  /* Tenant "acme": the escalation checks above, and the notifier's one failure. */
  CHECK_OK(vipcore_metrics_get(&m, fx.auditor));
  CHECK_INT(m.escalation_checks, 9);
  CHECK_INT(m.escalations_by_level[VIPCORE_LEVEL_GOLD], 3);
  CHECK_INT(m.notification_failures, 1);

  CHECK_FAILS(vipcore_metrics_get(&m, fx.agent), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_metrics_get(NULL, fx.pbx), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_metrics_get(&m, NULL), VIPCORE_EINVAL, "tenant");
  m.struct_size = 4;
  CHECK_FAILS(vipcore_metrics_get(&m, fx.pbx), VIPCORE_EINVAL, "out");

  CHECK_OK(vipcore_metrics_prometheus(&text, fx.db));
  CHECK(text != NULL && contains(text, "vipcore_identify_total"));
  CHECK(text != NULL && contains(text, "tenant=\"stats\"") && contains(text, "tenant=\"acme\""));
  vipcore_free(text);
  text = (char *)1;
  CHECK_FAILS(vipcore_metrics_prometheus(&text, NULL), VIPCORE_EINVAL, "db");
  CHECK(text == NULL);
  CHECK_FAILS(vipcore_metrics_prometheus(NULL, fx.db), VIPCORE_EINVAL, "out");
}

/* ------------------------------------------------------------------ purge */

static void test_purge(void) {
  uint64_t calls = 99, triggers = 99;
  vipcore_overview o;
  const int64_t tomorrow = now_ms() + 86400000;

  CHECK_FAILS(vipcore_purge(fx.manager, tomorrow, 0, &calls, &triggers), VIPCORE_EPERM, NULL);
  CHECK(calls == 0 && triggers == 0);
  CHECK_FAILS(vipcore_purge(fx.pbx, tomorrow, 0, &calls, &triggers), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_purge(NULL, tomorrow, 0, &calls, &triggers), VIPCORE_EINVAL, "tenant");

  /* January's six calls go, February's stay; tenant "stats" has no triggers. */
  CHECK_OK(vipcore_purge(fx.stats_admin, at("2024-02-01"), 2, &calls, &triggers));
  CHECK_INT(calls, 6);
  CHECK_INT(triggers, 0);
  o.struct_size = sizeof o;
  CHECK_OK(vipcore_overview_get(&o, fx.stats_admin, at("2024-01-01"), at("2024-03-01")));
  CHECK_INT(o.all.calls, 10);
  /* Tenant "acme": no calls, and the three triggers (call-1 twice, call-2 once), in batches of one. */
  CHECK_OK(vipcore_purge(fx.admin, tomorrow, 1, &calls, &triggers));
  CHECK_INT(calls, 0);
  CHECK_INT(triggers, 3);
  CHECK_OK(vipcore_purge(fx.admin, tomorrow, 0, NULL, NULL)); /* either count may be NULL */
}

/* ------------------------------------------------------------------ audit */

static void test_audit(void) {
  vipcore_audit_query q;
  vipcore_audit_list *list = (vipcore_audit_list *)1;
  size_t i, n;

  memset(&q, 0xab, sizeof q);
  vipcore_audit_query_init(&q);
  CHECK_INT(q.struct_size, sizeof q);
  CHECK(q.from_ms == 0 && q.until_ms == 0 && q.actor_id == NULL && q.entity_id == NULL && q.limit == 1000);
  vipcore_audit_query_init(NULL); /* a no-op */

  /* John's trail: created by alice, then read by people (never by the PBX). */
  q.entity_id = fx.seed_id[0];
  CHECK_OK(vipcore_audit_get(&list, fx.auditor, &q));
  n = vipcore_audit_count(list);
  CHECK(n >= 2);
  CHECK_STR(vipcore_audit_action(list, 0), "create");
  CHECK_STR(vipcore_audit_actor(list, 0), "alice");
  CHECK_INT(vipcore_audit_role(list, 0), VIPCORE_ROLE_ADMIN);
  CHECK_STR(vipcore_audit_entity_type(list, 0), "vip_caller");
  CHECK_STR(vipcore_audit_entity_id(list, 0), fx.seed_id[0]);
  CHECK(contains(vipcore_audit_fields(list, 0), "phone_number,alternative_phone_numbers,caller_name"));
  CHECK(!contains(vipcore_audit_fields(list, 0), "567")); /* names, never values */
  CHECK_STR(vipcore_audit_outcome(list, 0), "ok");
  CHECK(vipcore_audit_at(list, 0) >= fx.start_ms && vipcore_audit_at(list, 0) <= now_ms() + 1000);
  for (i = 1; i < n; ++i) {
    CHECK(vipcore_audit_at(list, i) >= vipcore_audit_at(list, i - 1)); /* oldest first */
    CHECK(strcmp(vipcore_audit_actor(list, i), "pbx-1") != 0);
  }
  CHECK_STR(vipcore_audit_action(list, 1), "read");
  CHECK_STR(vipcore_audit_actor(list, 1), "mona");
  CHECK_INT(vipcore_audit_role(list, 1), VIPCORE_ROLE_MANAGER);
  /* Out of range. */
  CHECK_INT(vipcore_audit_at(list, n), 0);
  CHECK_STR(vipcore_audit_actor(list, n), "");
  CHECK_INT(vipcore_audit_role(list, n), -1);
  CHECK_STR(vipcore_audit_action(list, n), "");
  CHECK_STR(vipcore_audit_entity_type(list, n), "");
  CHECK_STR(vipcore_audit_entity_id(list, n), "");
  CHECK_STR(vipcore_audit_fields(list, n), "");
  CHECK_STR(vipcore_audit_outcome(list, n), "");
  vipcore_audit_list_free(list);

  /* Filters: actor, limit, time. */
  vipcore_audit_query_init(&q);
  q.actor_id = "mona";
  q.limit = 1;
  CHECK_OK(vipcore_audit_get(&list, fx.admin, &q));
  CHECK_INT(vipcore_audit_count(list), 1);
  CHECK_STR(vipcore_audit_actor(list, 0), "mona");
  vipcore_audit_list_free(list);
  vipcore_audit_query_init(&q);
  q.from_ms = now_ms() + 86400000;
  CHECK_OK(vipcore_audit_get(&list, fx.admin, &q));
  CHECK_INT(vipcore_audit_count(list), 0);
  vipcore_audit_list_free(list);
  vipcore_audit_query_init(&q);
  q.until_ms = fx.start_ms - 86400000;
  CHECK_OK(vipcore_audit_get(&list, fx.admin, &q));
  CHECK_INT(vipcore_audit_count(list), 0);
  vipcore_audit_list_free(list);

  vipcore_audit_query_init(&q);
  CHECK_FAILS(vipcore_audit_get(&list, fx.manager, &q), VIPCORE_EPERM, NULL);
  CHECK(list == NULL);
  CHECK_FAILS(vipcore_audit_get(&list, fx.pbx, &q), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_audit_get(NULL, fx.admin, &q), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_audit_get(&list, NULL, &q), VIPCORE_EINVAL, "tenant");
  CHECK_FAILS(vipcore_audit_get(&list, fx.admin, NULL), VIPCORE_EINVAL, "query");
  q.struct_size = 4;
  CHECK_FAILS(vipcore_audit_get(&list, fx.admin, &q), VIPCORE_EINVAL, "query");
  vipcore_audit_list_free(NULL); /* a no-op */
}

/* Accessors of every handle type read "" or 0 (or -1 where documented so) from NULL. */
static void test_null_accessors(void) {
  double d = 7;
  CHECK_STR(vipcore_caller_id(NULL), "");
  CHECK_STR(vipcore_caller_name(NULL), "");
  CHECK_STR(vipcore_caller_company(NULL), "");
  CHECK_INT(vipcore_caller_level(NULL), 0);
  CHECK_INT(vipcore_caller_status(NULL), 0);
  CHECK_INT(vipcore_caller_handling_rules(NULL), 0);
  CHECK_STR(vipcore_caller_greeting(NULL), "");
  CHECK_STR(vipcore_caller_preferred_agent(NULL), "");
  CHECK_STR(vipcore_caller_preferred_department(NULL), "");
  CHECK_INT(vipcore_caller_max_wait_time(NULL), 0);
  CHECK_INT(vipcore_caller_callback_priority(NULL), 0);
  CHECK_STR(vipcore_caller_email(NULL), "");
  CHECK_STR(vipcore_caller_account_number(NULL), "");
  CHECK_INT(vipcore_caller_account_value(NULL, &d), 0);
  CHECK_STR(vipcore_caller_notes(NULL), "");
  CHECK_INT(vipcore_caller_tag_count(NULL), 0);
  CHECK_STR(vipcore_caller_tag(NULL, 0), "");
  CHECK_INT(vipcore_caller_phone_count(NULL), 0);
  CHECK_STR(vipcore_caller_phone_masked(NULL, 0), "");
  CHECK_INT(vipcore_caller_total_calls(NULL), 0);
  CHECK_INT(vipcore_caller_satisfaction(NULL, &d), 0);
  CHECK_NEAR(d, 7); /* untouched */
  CHECK_INT(vipcore_caller_valid_from(NULL), 0);
  CHECK_INT(vipcore_caller_valid_until(NULL), 0);
  CHECK_INT(vipcore_caller_created_at(NULL), 0);
  CHECK_INT(vipcore_caller_updated_at(NULL), 0);
  CHECK_INT(vipcore_caller_list_count(NULL), 0);
  CHECK(vipcore_caller_list_at(NULL, 0) == NULL);

  CHECK_INT(vipcore_import_report_created(NULL), 0);
  CHECK_INT(vipcore_import_report_updated(NULL), 0);
  CHECK_INT(vipcore_import_report_skipped(NULL), 0);
  CHECK_INT(vipcore_import_report_failed(NULL), 0);
  CHECK_INT(vipcore_import_report_committed(NULL), 0);
  CHECK_INT(vipcore_import_report_error_count(NULL), 0);
  CHECK_INT(vipcore_import_report_error_row(NULL, 0), 0);
  CHECK_INT(vipcore_import_report_error_code(NULL, 0), VIPCORE_OK);
  CHECK_STR(vipcore_import_report_error_field(NULL, 0), "");
  CHECK_STR(vipcore_import_report_error_message(NULL, 0), "");

  CHECK_STR(vipcore_rule_id(NULL), "");
  CHECK_STR(vipcore_rule_name(NULL), "");
  CHECK_INT(vipcore_rule_level_mask(NULL), 0);
  CHECK_INT(vipcore_rule_max_wait_time(NULL), -1);
  CHECK_INT(vipcore_rule_max_queue_position(NULL), -1);
  CHECK_STR(vipcore_rule_escalation_type(NULL), "");
  CHECK_INT(vipcore_rule_tier(NULL), 0);
  CHECK_INT(vipcore_rule_is_active(NULL), 0);
  CHECK_INT(vipcore_rule_priority(NULL), 0);
  CHECK_INT(vipcore_rule_schedule(NULL), 0);
  CHECK_INT(vipcore_rule_email_count(NULL), 0);
  CHECK_STR(vipcore_rule_email(NULL, 0), "");
  CHECK_INT(vipcore_rule_sms_count(NULL), 0);
  CHECK_STR(vipcore_rule_sms(NULL, 0), "");
  CHECK_INT(vipcore_rule_internal_alert_count(NULL), 0);
  CHECK_STR(vipcore_rule_internal_alert(NULL, 0), "");
  CHECK_STR(vipcore_rule_business_hours(NULL), "");
  CHECK_INT(vipcore_rule_list_count(NULL), 0);
  CHECK(vipcore_rule_list_at(NULL, 0) == NULL);

  CHECK_INT(vipcore_escalation_should_escalate(NULL), 0);
  CHECK_INT(vipcore_escalation_highest_tier(NULL), 0);
  CHECK_STR(vipcore_escalation_highest_type(NULL), "");
  CHECK_INT(vipcore_escalation_sla_breached(NULL), 0);
  CHECK_INT(vipcore_escalation_triggered_count(NULL), 0);
  CHECK_STR(vipcore_escalation_triggered_rule_id(NULL, 0), "");
  CHECK_STR(vipcore_escalation_triggered_rule_name(NULL, 0), "");
  CHECK_INT(vipcore_escalation_triggered_tier(NULL, 0), 0);
  CHECK_INT(vipcore_escalation_triggered_already(NULL, 0), 0);
  CHECK_INT(vipcore_escalation_triggered_notified(NULL, 0), 0);
  CHECK_INT(vipcore_escalation_triggered_wait_exceeded(NULL, 0), 0);
  CHECK_INT(vipcore_escalation_triggered_position_exceeded(NULL, 0), 0);
  CHECK_INT(vipcore_escalation_notification_failures(NULL), 0);
  CHECK_STR(vipcore_escalation_failure_rule_id(NULL, 0), "");
  CHECK_INT(vipcore_escalation_failure_code(NULL, 0), VIPCORE_OK);
  CHECK_STR(vipcore_escalation_failure_message(NULL, 0), "");

  CHECK_INT(vipcore_call_list_count(NULL), 0);
  CHECK_STR(vipcore_call_id(NULL, 0), "");
  CHECK_INT(vipcore_call_at(NULL, 0), 0);
  CHECK_INT(vipcore_call_level(NULL, 0), -1);
  CHECK_INT(vipcore_call_handling_rules(NULL, 0), 0);
  CHECK_INT(vipcore_call_wait_seconds(NULL, 0), 0);
  CHECK_INT(vipcore_call_max_wait_time(NULL, 0), 0);
  CHECK_INT(vipcore_call_escalated(NULL, 0), 0);
  CHECK_INT(vipcore_call_rating(NULL, 0), 0);
  CHECK_INT(vipcore_call_quality(NULL, 0, &d), 0);

  CHECK_INT(vipcore_alert_count(NULL), 0);
  CHECK_INT(vipcore_alert_kind(NULL, 0), -1);
  CHECK_INT(vipcore_alert_level(NULL, 0), -1);
  CHECK_NEAR(vipcore_alert_measured(NULL, 0), 0);
  CHECK_NEAR(vipcore_alert_threshold(NULL, 0), 0);
  CHECK_STR(vipcore_alert_message(NULL, 0), "");

  CHECK_INT(vipcore_audit_count(NULL), 0);
  CHECK_INT(vipcore_audit_at(NULL, 0), 0);
  CHECK_STR(vipcore_audit_actor(NULL, 0), "");
  CHECK_INT(vipcore_audit_role(NULL, 0), -1);
  CHECK_STR(vipcore_audit_action(NULL, 0), "");
  CHECK_STR(vipcore_audit_entity_type(NULL, 0), "");
  CHECK_STR(vipcore_audit_entity_id(NULL, 0), "");
  CHECK_STR(vipcore_audit_fields(NULL, 0), "");
  CHECK_STR(vipcore_audit_outcome(NULL, 0), "");
}

/* ------------------------------------------------------------ key rotation */

/* After a rotation the old key no longer opens the file, the new one does, and the data reads. */
static void expect_opens_with(const char *key_file, const uint8_t *key, const char *refused_file,
                              const uint8_t *refused_key) {
  vipcore_db *db = (vipcore_db *)1;
  vipcore_tenant *t = NULL;
  CHECK_FAILS(open_db(&db, refused_file, refused_key), VIPCORE_EKEY, NULL);
  CHECK(db == NULL);
  CHECK_OK(open_db(&db, key_file, key));
  CHECK_OK(vipcore_tenant_open(&t, db, "acme", "pbx-2", VIPCORE_ROLE_SYSTEM));
  {
    const vipcore_identification who = identify(t, "+1 (234) 567-8900");
    check_john_identified(&who);
  }
  vipcore_tenant_close(t);
  vipcore_close(db);
}

static void test_rotate_master_key(void) {
  static const uint8_t third[32] = {0xc0, 0xff, 0xee, 3};
  uint8_t second[32];
  char second_path[160];
  vipcore_audit_query q;
  vipcore_audit_list *list = NULL;
  size_t i;
  int rotations = 0;

  for (i = 0; i < sizeof second; ++i) second[i] = (uint8_t)(0xa0 + i);
  path_in_dir(second_path, sizeof second_path, "second.key");
  CHECK_INT(write_key_file(second_path, second, 0600), 0);

  CHECK_FAILS(vipcore_rotate_master_key(NULL, second_path, NULL, 0, "root", VIPCORE_ROLE_ADMIN), VIPCORE_EINVAL, "db");
  CHECK_FAILS(vipcore_rotate_master_key(fx.db, second_path, NULL, 0, NULL, VIPCORE_ROLE_ADMIN), VIPCORE_EINVAL,
              "actor_id");
  CHECK_FAILS(vipcore_rotate_master_key(fx.db, second_path, NULL, 0, "root", 42), VIPCORE_EINVAL, "role");
  CHECK_FAILS(vipcore_rotate_master_key(fx.db, second_path, NULL, 0, "bob", VIPCORE_ROLE_MANAGER), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_rotate_master_key(fx.db, NULL, NULL, 0, "root", VIPCORE_ROLE_ADMIN), VIPCORE_EINVAL, "new_key");
  CHECK_FAILS(vipcore_rotate_master_key(fx.db, second_path, second, 32, "root", VIPCORE_ROLE_ADMIN), VIPCORE_EINVAL,
              "new_key");
  CHECK_FAILS(vipcore_rotate_master_key(fx.db, NULL, second, 31, "root", VIPCORE_ROLE_ADMIN), VIPCORE_EKEY, NULL);
  CHECK_OK(vipcore_rotate_master_key(fx.db, second_path, NULL, 0, "root", VIPCORE_ROLE_ADMIN));

  /* Every tenant's trail records the rotation. */
  vipcore_audit_query_init(&q);
  q.actor_id = "root";
  CHECK_OK(vipcore_audit_get(&list, fx.admin, &q));
  for (i = 0; i < vipcore_audit_count(list); ++i)
    rotations += strcmp(vipcore_audit_action(list, i), "rotate_key") == 0;
  CHECK(rotations >= 1);
  vipcore_audit_list_free(list);
  /* ...and so does the database's own trail, which belongs to no tenant. */
  vipcore_audit_query_init(&q);
  CHECK_OK(vipcore_db_audit_get(&list, fx.db, &q));
  CHECK(vipcore_audit_count(list) >= 1);
  CHECK_STR(vipcore_audit_action(list, 0), "rotate_key_start");
  CHECK_STR(vipcore_audit_actor(list, 0), "root");
  CHECK_INT(vipcore_audit_role(list, 0), VIPCORE_ROLE_ADMIN);
  vipcore_audit_list_free(list);
  CHECK_FAILS(vipcore_db_audit_get(NULL, fx.db, &q), VIPCORE_EINVAL, "out");
  CHECK_FAILS(vipcore_db_audit_get(&list, NULL, &q), VIPCORE_EINVAL, "db");
  CHECK_FAILS(vipcore_db_audit_get(&list, fx.db, NULL), VIPCORE_EINVAL, "query");
  q.struct_size = 4;
  CHECK_FAILS(vipcore_db_audit_get(&list, fx.db, &q), VIPCORE_EINVAL, "query");
  CHECK(list == NULL);

  close_fixture();
  expect_opens_with(second_path, NULL, fx.key_path, NULL);
  expect_opens_with(NULL, second, NULL, kKey);

  /* Once more, to key bytes this time. */
  {
    vipcore_db *db = NULL;
    CHECK_OK(open_db(&db, second_path, NULL));
    CHECK_OK(vipcore_rotate_master_key(db, NULL, third, sizeof third, "root", VIPCORE_ROLE_ADMIN));
    vipcore_close(db);
  }
  expect_opens_with(NULL, third, second_path, NULL);
}

static void test_api_tokens(void) {
  char *token = (char *)1, *id = (char *)1;
  vipcore_tenant *scope = (vipcore_tenant *)1;
  vipcore_caller *john = NULL;

  /* Only an ADMIN makes tokens; a failure leaves the outputs NULL. */
  CHECK_FAILS(vipcore_api_token_create(&token, &id, fx.manager, "crm", VIPCORE_ROLE_AGENT), VIPCORE_EPERM, NULL);
  CHECK(token == NULL && id == NULL);
  CHECK_FAILS(vipcore_api_token_create(&token, &id, fx.admin, "crm", 42), VIPCORE_EINVAL, "role");
  CHECK_FAILS(vipcore_api_token_create(&token, &id, fx.admin, "", VIPCORE_ROLE_AGENT), VIPCORE_EINVAL, "actor.id");
  CHECK_FAILS(vipcore_api_token_create(NULL, &id, fx.admin, "crm", VIPCORE_ROLE_AGENT), VIPCORE_EINVAL, "out_token");

  CHECK_OK(vipcore_api_token_create(&token, &id, fx.admin, "crm", VIPCORE_ROLE_AGENT));
  CHECK(token != NULL && strncmp(token, "vipcore_acme.", 13) == 0);
  CHECK(id != NULL && strlen(id) == 16);

  /* The token's scope acts as its holder, with the holder's role. */
  CHECK_OK(vipcore_tenant_open_with_token(&scope, fx.db, token));
  CHECK_OK(vipcore_caller_get(&john, scope, fx.seed_id[0]));
  CHECK_STR(vipcore_caller_name(john), "John Doe");
  vipcore_caller_free(john);
  CHECK_FAILS(vipcore_caller_delete(scope, fx.seed_id[0]), VIPCORE_EPERM, NULL);
  vipcore_tenant_close(scope);

  CHECK_FAILS(vipcore_tenant_open_with_token(&scope, fx.db, "vipcore_acme.nope"), VIPCORE_EPERM, NULL);
  CHECK(scope == NULL);
  CHECK(strstr(vipcore_last_error(), "nope") == NULL);
  CHECK_OK(vipcore_api_token_revoke(fx.admin, id));
  CHECK_FAILS(vipcore_tenant_open_with_token(&scope, fx.db, token), VIPCORE_EPERM, NULL);
  CHECK_FAILS(vipcore_api_token_revoke(fx.admin, id), VIPCORE_ENOTFOUND, NULL);
  CHECK_FAILS(vipcore_api_token_revoke(fx.admin, NULL), VIPCORE_EINVAL, "id");
  vipcore_free(token);
  vipcore_free(id);
}

int main(void) {
  char tmpl[] = "/tmp/vipcore-c-test-XXXXXX";
  if (mkdtemp(tmpl) == NULL) return 2;
  snprintf(fx.dir, sizeof fx.dir, "%s", tmpl);
  path_in_dir(fx.db_path, sizeof fx.db_path, "vip.db");
  path_in_dir(fx.key_path, sizeof fx.key_path, "master.key");
  fx.start_ms = now_ms() - 1000;

  test_version_and_errors();
  test_parse_time();
  test_clear_error();
  test_open_options();
  test_open_memory();
  test_open_errors();
  test_open_locations();
  test_open_read_only();
  test_key_files();
  test_phone_options();

  open_fixture();
  test_tenant_open();
  test_caller_create_and_get();
  test_caller_create_errors();
  test_caller_update_and_delete();
  test_list();
  test_list_damaged();
  test_identify();
  test_routing_priority();
  test_plan_route();
  test_seed_update_example();
  test_date_range();
  test_queue_priority();
  test_settings();
  test_import_all_or_nothing();
  test_import_best_effort();
  test_import_errors();
  test_import_unreadable_rows_best_effort();
  test_rule_crud();
  test_rule_errors();
  test_escalation_once_per_call();
  test_escalation_notifier_failure();
  test_escalation_errors();
  test_record_call();
  test_caller_analytics();
  test_call_history();
  test_overview();
  test_time_ranges();
  test_alerts();
  test_metrics();
  test_purge();
  test_audit();
  test_api_tokens();
  test_escalation_check_caller(); /* after the counts above */
  test_null_accessors();
  test_rotate_master_key(); /* closes the fixture */

  remove_dir(fx.dir);
  if (failures) fprintf(stderr, "c_api_test: %d check(s) failed\n", failures);
  else printf("c_api_test: all checks passed\n");
  return failures ? 1 : 0;
}
