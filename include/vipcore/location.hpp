// vipcore — location strings: one string that names a database on any of the
// backends vipcore ships, for Database::open, vipcore_open and vipctl --db.
//
//   /var/lib/pbx/vip.db            a SQLite database file (any plain path)
//   sqlite:vip.db                  the same, said explicitly (relative path)
//   sqlite:/var/lib/pbx/vip.db     ... absolute path
//   sqlite:///var/lib/pbx/vip.db   ... as a URI (the host part must be empty
//                                  or "localhost": SQLite files are local)
//   postgresql://user@host/vip     PostgreSQL, a libpq URI (postgres:// too)
//   host=/run/postgresql dbname=vip
//                                  PostgreSQL, a libpq key=value conninfo:
//                                  a string that starts with a keyword and "="
//
// A file whose name starts like a conninfo ("a=b.db") or a URI ("x://...")
// is named with "sqlite:" in front ("sqlite:a=b.db") or as a path ("./a=b.db").
// Errors say what is wrong (empty, unknown scheme...), never the string
// itself: a conninfo may hold a password.
#ifndef VIPCORE_LOCATION_HPP
#define VIPCORE_LOCATION_HPP

#include <string>
#include <string_view>

#include "vipcore/export.h"
#include "vipcore/status.hpp"

namespace vipcore {

/// What a location string names.
struct Location {
  enum class Backend { sqlite, postgresql };
  Backend backend = Backend::sqlite;
  /// SQLite: the file path ("sqlite:" and a URI's "//host" taken off);
  /// PostgreSQL: the conninfo as given (URI or key=value), for libpq.
  std::string target;
};

/// Parses a location string; Code::invalid_argument naming `field` (the
/// caller's name for the string: Database::open's "path", vipctl's "--db")
/// when it names nothing vipcore can open.
VIPCORE_EXPORT Result<Location> parse_location(std::string_view location, std::string_view field = "location");

}  // namespace vipcore

#endif  // VIPCORE_LOCATION_HPP
