// The C header compiles as C++ too, and the C++ headers compile on their own.
#include "vipcore.h"
#include "vipcore/vipcore.hpp"

int vipcore_header_check_cpp();
int vipcore_header_check_cpp() { return VIPCORE_OK; }
