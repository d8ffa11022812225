// The SQLite backend's schemas: the main file's and the activity file's
// application ids, schema versions and migrations.
#ifndef VIPCORE_SRC_SQLITE_SCHEMA_HPP
#define VIPCORE_SRC_SQLITE_SCHEMA_HPP

#include <cstdint>
#include <string>

#include "vipcore/storage.hpp"

namespace vipcore::sqlite {

inline constexpr std::int64_t kApplicationId = 0x56495043;  // "VIPC"

// Migrations, applied in order: kMigrations[i] takes the schema from version
// i to version i + 1 (kSqliteSchemaVersion entries). Never edit a released
// entry; append a new one.
extern const char* const kMigrations[];

// The activity file, "<database>-calls": what the PBX writes while calls go
// on, apart from the caller list so that its writes never wait for an
// administrator's long write transaction (see storage.hpp). Its own schema
// versions, migrated like kMigrations (kActivitySchemaVersion entries).
inline constexpr std::int64_t kActivityApplicationId = 0x56495041;  // "VIPA"
inline constexpr std::int64_t kActivitySchemaVersion = 1;
extern const char* const kActivityMigrations[];

// Readers see the activity file attached under this name.
inline constexpr const char* kActivitySchema = "calls";

inline std::string activity_file_path(const std::string& path) { return path + "-calls"; }
/// The change generations of the database at `path` (generation_file.hpp).
inline std::string generation_file_path(const std::string& path) { return path + "-gen"; }

}  // namespace vipcore::sqlite

#endif
