// vipd — the HTTP layer: libmicrohttpd behind a plain request/response
// interface, with the request metrics /metrics serves.
//
// libmicrohttpd runs a pool of threads, each with its own epoll loop; a
// handler runs on the thread that read its request, so handlers must be
// thread-safe (vipcore's Database and Tenant are). A request body larger
// than ServerOptions::max_body is answered 413 without being kept; a client
// idle (or trickling nothing) for ServerOptions::timeout_seconds is
// disconnected.
#ifndef VIPD_HTTP_HPP
#define VIPD_HTTP_HPP

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "vipcore/status.hpp"

struct MHD_Daemon;

namespace vipd {

struct Request {
  std::string method;
  std::string path;                           ///< without the query
  std::map<std::string, std::string> query;  ///< decoded; a repeated name keeps its first value
  std::string authorization;                  ///< the Authorization header, "" when none
  std::string body;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// The route that answered, as the metrics and the log name it (a path
  /// pattern such as "/api/v1/vip/{vip_id}", never a path with ids).
  std::string route = "unmatched";
};

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string listen = "127.0.0.1:8000";  ///< HOST:PORT; port 0 picks a free one (see HttpServer::port)
  unsigned threads = 4;
  std::size_t max_body = std::size_t{1} << 20;
  unsigned timeout_seconds = 10;
  std::string tls_cert_pem;  ///< both set: HTTPS only
  std::string tls_key_pem;
  bool log_requests = false;  ///< one line per request on stderr (route, status, time; never a query)
};

/// Request counts by route and status, and latency histograms by route, in
/// Prometheus text form.
class RequestMetrics {
 public:
  static constexpr std::array<double, 14> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};
  void record(const std::string& route, unsigned status, double seconds);
  std::string to_prometheus() const;

 private:
  struct Route {
    std::map<unsigned, std::uint64_t> by_status;
    std::array<std::uint64_t, kBuckets.size() + 1> buckets{};  // the last one is +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Route> routes_;
};

class HttpServer {
 public:
  /// Listens and serves at once. Errors: Code::invalid_argument naming
  /// "--listen" for an address that does not parse, Code::storage when the
  /// socket cannot be had (the port taken...), Code::key for TLS material
  /// libmicrohttpd refuses.
  static vipcore::Result<std::unique_ptr<HttpServer>> start(const ServerOptions& options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  const RequestMetrics& metrics() const noexcept { return metrics_; }
  /// Stops accepting connections, lets requests in flight finish (for up to
  /// `grace`), then closes everything. Idempotent.
  void shutdown(std::chrono::milliseconds grace);

 private:
  friend struct Callbacks;  // libmicrohttpd's callbacks (http.cpp)
  HttpServer(ServerOptions options, Handler handler);

  ServerOptions options_;
  Handler handler_;
  RequestMetrics metrics_;
  MHD_Daemon* daemon_ = nullptr;
  std::uint16_t port_ = 0;
  std::atomic<int> in_flight_{0};
  std::mutex stop_mu_;
};

/// {"detail": message} with `status`.
Response error_response(unsigned status, const std::string& message);

}  // namespace vipd

#endif  // VIPD_HTTP_HPP
