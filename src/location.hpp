// Opening the Storage a location string names: the one place that maps a
// parsed Location to a backend.
#ifndef VIPCORE_SRC_LOCATION_HPP
#define VIPCORE_SRC_LOCATION_HPP

#include <memory>

#include "vipcore/database.hpp"
#include "vipcore/location.hpp"
#include "vipcore/storage.hpp"

namespace vipcore::detail {

/// The storage `location` names, opened with the backend's part of `options`.
Result<std::unique_ptr<Storage>> open_location_storage(const Location& location, const Options& options);

}  // namespace vipcore::detail

#endif  // VIPCORE_SRC_LOCATION_HPP
