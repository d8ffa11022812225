// vipcore — metrics: counters kept in memory, cheap enough for the identify
// path (one relaxed atomic increment or two), per tenant, for this Database
// handle since it was opened. Export them as a snapshot or in Prometheus
// text exposition format.
#ifndef VIPCORE_METRICS_HPP
#define VIPCORE_METRICS_HPP

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "vipcore/caller.hpp"
#include "vipcore/export.h"

namespace vipcore {

/// Upper bounds (seconds) of the wait histogram's buckets; a last bucket
/// holds everything above.
inline constexpr std::array<int, 7> kWaitBucketBounds = {5, 15, 30, 60, 90, 120, 300};
inline constexpr std::size_t kWaitBuckets = kWaitBucketBounds.size() + 1;

/// One tenant's counters at one moment.
struct MetricsSnapshot {
  std::string tenant_id;
  std::uint64_t identify_attempted = 0;
  std::uint64_t identify_matched = 0;  ///< answered "a VIP"
  std::uint64_t identify_not_vip = 0;  ///< answered "not a VIP" (unknown, inactive, out of window)
  std::uint64_t identify_failed = 0;   ///< errors: malformed numbers, storage failures
  std::array<std::uint64_t, kLevelCount> identified_by_level{};
  std::uint64_t escalation_checks = 0;
  /// Rules newly triggered (once per call and rule), by the caller's level.
  std::array<std::uint64_t, kLevelCount> escalations_by_level{};
  std::uint64_t notification_failures = 0;
  std::array<std::uint64_t, kLevelCount> calls_recorded_by_level{};
  std::array<std::uint64_t, kLevelCount> wait_seconds_sum_by_level{};
  /// Recorded calls by wait bucket (not cumulative), by level.
  std::array<std::array<std::uint64_t, kWaitBuckets>, kLevelCount> wait_buckets_by_level{};
  /// Identify calls answered from the cache (Options::cache_bytes), without
  /// a storage read; the others read the storage and fill the cache.
  std::uint64_t identify_cache_hits = 0;
  /// Numbers the tenant's cache holds now (VIPs and non-VIPs), and their bytes.
  std::uint64_t cache_entries = 0;
  std::uint64_t cache_bytes = 0;
};

/// The snapshots in Prometheus text exposition format (version 0.0.4),
/// every series labelled with its tenant.
VIPCORE_EXPORT std::string to_prometheus(const std::vector<MetricsSnapshot>& snapshots);

}  // namespace vipcore

#endif  // VIPCORE_METRICS_HPP
