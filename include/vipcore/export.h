/* vipcore — symbol visibility.
 *
 * The library is built with -fvisibility=hidden; only declarations marked
 * VIPCORE_EXPORT are part of its ABI. This header is shared by the C++ API
 * and the C API, so it is plain C. */
#ifndef VIPCORE_EXPORT_H
#define VIPCORE_EXPORT_H

#if defined(_WIN32) && defined(VIPCORE_SHARED_LIBRARY)
#  if defined(VIPCORE_BUILDING_LIBRARY)
#    define VIPCORE_EXPORT __declspec(dllexport)
#  else
#    define VIPCORE_EXPORT __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define VIPCORE_EXPORT __attribute__((visibility("default")))
#else
#  define VIPCORE_EXPORT
#endif

#endif /* VIPCORE_EXPORT_H */
