/* The C API, exercised from C (compiled as C99 with -Wstrict-prototypes
 * -pedantic -Werror), as a PBX written in C would use it. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static const uint8_t kKey[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void test_version(void) {
  CHECK(strcmp(vipcore_version(), VIPCORE_VERSION) == 0);
  CHECK(vipcore_version_number() == VIPCORE_VERSION_NUMBER);
  CHECK(strcmp(vipcore_strerror(VIPCORE_ENOTFOUND), "not found") == 0);
  CHECK(strcmp(vipcore_strerror(VIPCORE_ENOMEM), "out of memory") == 0);
  CHECK(strcmp(vipcore_strerror(-999), "not a vipcore result code") == 0);
}

static void test_open_errors(const char *path) {
  vipcore_db *db = (vipcore_db *)1;
  vipcore_open_options o;
  vipcore_open_options_init(&o);
  CHECK(vipcore_open(NULL, path, &o) == VIPCORE_EINVAL);
  CHECK(strcmp(vipcore_last_error_field(), "out") == 0);
  CHECK(vipcore_open(&db, NULL, &o) == VIPCORE_EINVAL);
  CHECK(db == NULL);
  CHECK(strcmp(vipcore_last_error_field(), "path") == 0);
  CHECK(vipcore_open(&db, path, NULL) == VIPCORE_EINVAL);
  CHECK(vipcore_open(&db, path, &o) == VIPCORE_EINVAL); /* no key */
  CHECK(strstr(vipcore_last_error(), "exactly one") != NULL);
  o.key = kKey;
  o.key_len = 31;
  CHECK(vipcore_open(&db, path, &o) == VIPCORE_EKEY);
  CHECK(strstr(vipcore_last_error(), "32 bytes") != NULL);
  o.key_len = 32;
  o.struct_size = 4;
  CHECK(vipcore_open(&db, path, &o) == VIPCORE_EINVAL);
  vipcore_close(NULL); /* a no-op */
  vipcore_tenant_close(NULL);
}

static void test_identify(const char *path) {
  vipcore_db *db = NULL;
  vipcore_tenant *pbx = NULL;
  vipcore_open_options o;
  vipcore_identification who = VIPCORE_IDENTIFICATION_INIT;
  uint8_t wrong[32];

  vipcore_open_options_init(&o);
  o.key = kKey;
  o.key_len = sizeof kKey;
  CHECK(vipcore_open(&db, path, &o) == VIPCORE_OK);
  CHECK(db != NULL);

  CHECK(vipcore_tenant_open(&pbx, db, "acme corp", "pbx-1", VIPCORE_ROLE_SYSTEM) == VIPCORE_EINVAL);
  CHECK(strcmp(vipcore_last_error_field(), "tenant_id") == 0);
  CHECK(vipcore_tenant_open(&pbx, db, "acme", "pbx-1", 99) == VIPCORE_EINVAL);
  CHECK(vipcore_tenant_open(&pbx, NULL, "acme", "pbx-1", VIPCORE_ROLE_SYSTEM) == VIPCORE_EINVAL);
  CHECK(vipcore_tenant_open(&pbx, db, "acme", NULL, VIPCORE_ROLE_SYSTEM) == VIPCORE_EINVAL);
  CHECK(vipcore_tenant_open(&pbx, db, "acme", "pbx-1", VIPCORE_ROLE_SYSTEM) == VIPCORE_OK);

  CHECK(vipcore_identify(pbx, "+1 (800) 555-0199", &who) == VIPCORE_OK);
  CHECK(who.is_vip == 0);
  CHECK(who.match == VIPCORE_MATCH_NOT_FOUND);
  CHECK(who.routing_priority == 0);
  CHECK(who.caller_id[0] == '\0');

  who.is_vip = 1;
  CHECK(vipcore_identify(pbx, "anonymous", &who) == VIPCORE_EINVAL);
  CHECK(who.is_vip == 0); /* a failure still reads "not a VIP" */
  CHECK(strcmp(vipcore_last_error_field(), "phone_number") == 0);
  CHECK(strstr(vipcore_last_error(), "anonymous") == NULL);
  CHECK(vipcore_identify(pbx, NULL, &who) == VIPCORE_EINVAL);
  CHECK(vipcore_identify(NULL, "+1 800 555 0199", &who) == VIPCORE_EINVAL);
  CHECK(vipcore_identify(pbx, "+1 800 555 0199", NULL) == VIPCORE_EINVAL);
  who.struct_size = 2;
  CHECK(vipcore_identify(pbx, "+1 800 555 0199", &who) == VIPCORE_EINVAL);

  /* The tenant handle outlives the database handle. */
  vipcore_close(db);
  who.struct_size = sizeof who;
  CHECK(vipcore_identify(pbx, "+1 800 555 0199", &who) == VIPCORE_OK);
  vipcore_tenant_close(pbx);

  /* The same file with another key is refused at once. */
  memcpy(wrong, kKey, sizeof wrong);
  wrong[0] ^= 0xff;
  o.key = wrong;
  db = (vipcore_db *)1;
  CHECK(vipcore_open(&db, path, &o) == VIPCORE_EKEY);
  CHECK(db == NULL);
  CHECK(strstr(vipcore_last_error(), "master key") != NULL);
}

int main(void) {
  char dir[] = "/tmp/vipcore-c-test-XXXXXX";
  char path[256];
  if (mkdtemp(dir) == NULL) return 2;
  snprintf(path, sizeof path, "%s/vip.db", dir);
  test_version();
  test_open_errors(path);
  test_identify(path);
  unlink(path);
  snprintf(path, sizeof path, "%s/vip.db-wal", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/vip.db-shm", dir);
  unlink(path);
  rmdir(dir);
  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  else printf("c_api_test: all checks passed\n");
  return failures ? 1 : 0;
}
