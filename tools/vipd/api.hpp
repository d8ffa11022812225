// vipd — the VIP API: the seed's REST endpoints over vipcore, plus the
// dashboard, /metrics and /healthz.
//
// Every /api/v1/vip/ request carries "Authorization: Bearer <token>"; the
// token (vipctl token add) gives the tenant and the actor, whose role
// vipcore checks and whose name the audit trail records, exactly as for a
// direct call. Errors are {"detail": "..."} with the status that says what
// kind they are (api.cpp, status_for), and never hold a phone number, key
// or decrypted field: vipcore's messages do not, and vipd adds none.
#ifndef VIPD_API_HPP
#define VIPD_API_HPP

#include <functional>
#include <string>

#include "http.hpp"
#include "vipcore/vipcore.hpp"

namespace vipd {

struct ApiOptions {
  std::string chart_js_path;  ///< Chart.js, served as /static/chart.js
};

class Api {
 public:
  /// `metrics` supplies the request metrics for /metrics (the server's).
  Api(vipcore::Database& db, ApiOptions options, std::function<std::string()> request_metrics);
  Response handle(const Request& request) const;

 private:
  Response api(const Request& request) const;
  Response metrics() const;
  Response health() const;
  Response static_file(const Request& request) const;

  vipcore::Database& db_;
  ApiOptions options_;
  std::function<std::string()> request_metrics_;
  std::string chart_js_;  // read once at start; "" when the file is missing
};

}  // namespace vipd

#endif  // VIPD_API_HPP
