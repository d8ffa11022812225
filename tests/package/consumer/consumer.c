/* Uses the C API through the installed header and library. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vipcore.h>

int main(void) {
  static const uint8_t key[32] = {7};
  char dir[] = "/tmp/vipcore-consumer-XXXXXX";
  char path[256];
  vipcore_open_options options;
  vipcore_db *db = NULL;
  vipcore_tenant *pbx = NULL;
  vipcore_identification who = VIPCORE_IDENTIFICATION_INIT;
  int rc;

  if (vipcore_version_number() != VIPCORE_VERSION_NUMBER) return 1;
  if (mkdtemp(dir) == NULL) return 2;
  snprintf(path, sizeof path, "%s/vip.db", dir);
  vipcore_open_options_init(&options);
  options.key = key;
  options.key_len = sizeof key;
  rc = vipcore_open(&db, path, &options);
  if (rc != VIPCORE_OK) {
    fprintf(stderr, "open: %s\n", vipcore_last_error());
    return 3;
  }
  rc = vipcore_tenant_open(&pbx, db, "acme", "consumer", VIPCORE_ROLE_SYSTEM);
  if (rc == VIPCORE_OK) rc = vipcore_identify(&who, pbx, "+1 800 555 0199");
  printf("consumer (C): rc=%d is_vip=%d\n", rc, who.is_vip);
  vipcore_tenant_close(pbx);
  vipcore_close(db);
  snprintf(path, sizeof path, "rm -rf %s", dir);
  if (system(path) != 0) return 4;
  return rc == VIPCORE_OK && who.is_vip == 0 ? 0 : 5;
}
