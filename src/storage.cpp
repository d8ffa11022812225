#include "vipcore/storage.hpp"

namespace vipcore {
WriteTransaction::~WriteTransaction() = default;
Storage::~Storage() = default;
}  // namespace vipcore
