#include "vipcore/version.h"
#include "vipcore/vipcore.hpp"

namespace vipcore {
const char* version() noexcept { return VIPCORE_VERSION; }
}  // namespace vipcore
