# Finds Google's libphonenumber (Debian libphonenumber-dev ships neither a
# CMake package nor a pkg-config file) and defines PhoneNumber::PhoneNumber.
# Its headers include protobuf-generated code, so users link protobuf too.
find_path(PhoneNumber_INCLUDE_DIR phonenumbers/phonenumberutil.h)
find_library(PhoneNumber_LIBRARY phonenumber)
find_package(PkgConfig QUIET)
pkg_check_modules(PhoneNumber_PROTOBUF QUIET IMPORTED_TARGET protobuf)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(PhoneNumber REQUIRED_VARS PhoneNumber_LIBRARY PhoneNumber_INCLUDE_DIR
                                                              PhoneNumber_PROTOBUF_FOUND)
if(PhoneNumber_FOUND AND NOT TARGET PhoneNumber::PhoneNumber)
  add_library(PhoneNumber::PhoneNumber UNKNOWN IMPORTED)
  set_target_properties(PhoneNumber::PhoneNumber PROPERTIES
    IMPORTED_LOCATION "${PhoneNumber_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${PhoneNumber_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES PkgConfig::PhoneNumber_PROTOBUF)
endif()
