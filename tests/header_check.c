/* Compiled as C99 and as C11, warnings as errors: the C header must be
 * valid, self-contained C. */
#include "vipcore.h"

int vipcore_header_check(void);
int vipcore_header_check(void) {
  vipcore_identification who = VIPCORE_IDENTIFICATION_INIT;
  return (int)who.struct_size + VIPCORE_OK;
}
