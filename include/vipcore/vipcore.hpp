// vipcore — recognise VIP callers and route them. The whole C++ API.
//
// Start with database.hpp (open a database, enter a tenant) and tenant.hpp
// (identify, create, update, list, import). The C API is in vipcore.h.
#ifndef VIPCORE_VIPCORE_HPP
#define VIPCORE_VIPCORE_HPP

#include "vipcore/analytics.hpp"
#include "vipcore/audit.hpp"
#include "vipcore/caller.hpp"
#include "vipcore/clock.hpp"
#include "vipcore/database.hpp"
#include "vipcore/escalation.hpp"
#include "vipcore/export.h"
#include "vipcore/import.hpp"
#include "vipcore/keys.hpp"
#include "vipcore/location.hpp"
#include "vipcore/metrics.hpp"
#include "vipcore/phone.hpp"
#include "vipcore/roles.hpp"
#include "vipcore/routing.hpp"
#include "vipcore/schedule.hpp"
#include "vipcore/settings.hpp"
#include "vipcore/status.hpp"
#include "vipcore/storage.hpp"
#include "vipcore/tenant.hpp"
#include "vipcore/version.h"

namespace vipcore {
/// The library's version as "x.y.z" (compare with VIPCORE_VERSION).
VIPCORE_EXPORT const char* version() noexcept;
}  // namespace vipcore

#endif  // VIPCORE_VIPCORE_HPP
