// vipctl — what commands print: aligned tables for people, JSON for scripts
// (--json), and the progress of a long import.
//
// Results go to stdout; progress (like errors) goes to stderr, so that
// `vipctl ... --json | jq` sees only JSON. JSON field names are vipcore's
// (and the VIP API's): caller_name, vip_level, routing_priority...
#ifndef VIPCTL_OUTPUT_HPP
#define VIPCTL_OUTPUT_HPP

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

#include "vipcore/vipcore.hpp"

namespace vipctl {

enum class Style { table, json };

/// Rows of text printed in aligned columns, as `ps` does. Without a header
/// it is a list of names and values.
class Table {
 public:
  explicit Table(std::vector<std::string> header = {});
  void add(std::vector<std::string> row);
  void print(std::FILE* out = stdout) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

/// Indented JSON on stdout; invalid UTF-8 is replaced, never fatal.
void print_json(const nlohmann::ordered_json& value);

void print(const vipcore::VipCaller& caller, Style style);
void print(const std::vector<vipcore::VipCaller>& callers, Style style);
void print(const vipcore::Identification& who, Style style);
void print(const vipcore::EscalationRule& rule, Style style);
void print(const std::vector<vipcore::EscalationRule>& rules, Style style);
void print(const vipcore::EscalationResult& result, Style style);
void print(const vipcore::CallHistoryEntry& call, Style style);
void print(const vipcore::CallerAnalytics& analytics, Style style);
void print(const vipcore::OverviewAnalytics& overview, Style style);
void print(const std::vector<vipcore::Alert>& alerts, Style style);
void print(const vipcore::MetricsSnapshot& metrics, Style style);
void print(const std::vector<vipcore::AuditEntry>& entries, Style style);
void print(const vipcore::TenantSettings& settings, Style style);

/// Shows how far an import is, on stderr: a bar redrawn in place on a
/// terminal, otherwise (a log, a pipe) one line per quarter, so that logs
/// stay short.
class ImportProgress {
 public:
  explicit ImportProgress(std::size_t rows);
  /// How many rows apart vipcore should call update().
  std::size_t every() const noexcept;
  /// ImportOptions::progress. Never cancels.
  bool update(std::size_t done, std::size_t total);
  /// Ends the bar's line when the import stopped before the end.
  void finish();

 private:
  std::size_t rows_;
  bool terminal_;
  bool bar_shown_ = false;  // a bar is on the terminal's current line
};

}  // namespace vipctl

#endif  // VIPCTL_OUTPUT_HPP
