#include "http.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <unistd.h>

namespace vipd {

// One request: created when its headers are in, deleted when it completes.
struct Call {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::string body;
  bool too_large = false;
  std::uint64_t discarded = 0;  // bytes of a too large body read and dropped
};

// A too large body is read to its end and dropped, so that the client can
// read the 413; past this much more, the connection is closed instead.
constexpr std::uint64_t kMaxDiscarded = std::uint64_t{64} << 20;

struct Callbacks {
  static MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                               const char* /*version*/, const char* upload, std::size_t* upload_size, void** state) {
    auto& server = *static_cast<HttpServer*>(cls);
    auto* call = static_cast<Call*>(*state);
    if (call == nullptr) {  // the headers are in; the body (if any) follows
      call = new Call;
      *state = call;
      server.in_flight_.fetch_add(1, std::memory_order_relaxed);
      if (const char* length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
        char* end = nullptr;
        errno = 0;
        const unsigned long long n = std::strtoull(length, &end, 10);
        call->too_large = errno != 0 || n > server.options_.max_body;
      }
      return MHD_YES;
    }
    if (*upload_size != 0) {
      if (call->too_large && (call->discarded += *upload_size) > kMaxDiscarded) return MHD_NO;
      if (!call->too_large) {
        if (call->body.size() + *upload_size > server.options_.max_body) {
          call->too_large = true;
          std::string().swap(call->body);
        } else {
          call->body.append(upload, *upload_size);
        }
      }
      *upload_size = 0;
      return MHD_YES;
    }
    return answer(server, connection, *call, url, method);
  }

  static void on_completed(void* cls, MHD_Connection* /*connection*/, void** state,
                           MHD_RequestTerminationCode /*why*/) {
    auto* call = static_cast<Call*>(*state);
    if (call == nullptr) return;
    delete call;
    *state = nullptr;
    static_cast<HttpServer*>(cls)->in_flight_.fetch_sub(1, std::memory_order_release);
  }

  static MHD_Result collect_query(void* cls, MHD_ValueKind /*kind*/, const char* key, const char* value) {
    auto& query = *static_cast<std::map<std::string, std::string>*>(cls);
    if (key != nullptr) query.emplace(key, value != nullptr ? value : "");
    return MHD_YES;
  }

  static MHD_Result answer(HttpServer& server, MHD_Connection* connection, Call& call, const char* url,
                           const char* method) {
    Response response;
    Request request;
    request.method = method;
    request.path = url;
    if (call.too_large) {
      response = error_response(413, fmt::format("the request body is larger than {} bytes", server.options_.max_body));
      response.route = "too_large";
    } else {
      MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_query, &request.query);
      if (const char* auth = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION))
        request.authorization = auth;
      request.body = std::move(call.body);
      try {
        response = server.handler_(request);
      } catch (const std::exception&) {
        response = error_response(500, "internal error");
        response.route = "error";
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - call.start).count();
    server.metrics_.record(response.route, response.status, seconds);
    if (server.options_.log_requests || response.status >= 500)
      fmt::print(stderr, "vipd: {} {} {} {:.3f} ms\n", request.method, response.route, response.status, seconds * 1e3);

    MHD_Response* r = MHD_create_response_from_buffer(response.body.size(), response.body.data(), MHD_RESPMEM_MUST_COPY);
    if (r == nullptr) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, response.content_type.c_str());
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    for (const auto& [name, value] : response.headers) MHD_add_response_header(r, name.c_str(), value.c_str());
    const MHD_Result queued = MHD_queue_response(connection, response.status, r);
    MHD_destroy_response(r);
    return queued;
  }

  static void log(void* /*cls*/, const char* format, va_list args) {
    std::fputs("vipd: http: ", stderr);
    std::vfprintf(stderr, format, args);
  }
};

Response error_response(unsigned status, const std::string& message) {
  Response r;
  r.status = status;
  // nlohmann is not needed for one string: escape what JSON requires.
  std::string escaped;
  for (const char c : message) {
    switch (c) {
      case '"': escaped += "\\\""; break;
      case '\\': escaped += "\\\\"; break;
      case '\n': escaped += "\\n"; break;
      case '\t': escaped += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20)
          escaped += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        else
          escaped += c;
    }
  }
  r.body = "{\"detail\": \"" + escaped + "\"}";
  return r;
}

void RequestMetrics::record(const std::string& route, unsigned status, double seconds) {
  std::lock_guard<std::mutex> g(mu_);
  Route& r = routes_[route];
  ++r.by_status[status];
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  ++r.buckets[b];
  r.sum += seconds;
  ++r.count;
}

std::string RequestMetrics::to_prometheus() const {
  std::lock_guard<std::mutex> g(mu_);
  std::string out =
      "# HELP vipd_requests_total HTTP requests answered, by route and status.\n"
      "# TYPE vipd_requests_total counter\n";
  for (const auto& [route, r] : routes_)
    for (const auto& [status, n] : r.by_status)
      out += fmt::format("vipd_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", route, status, n);
  out +=
      "# HELP vipd_request_duration_seconds Time from a request's headers to its answer, by route.\n"
      "# TYPE vipd_request_duration_seconds histogram\n";
  for (const auto& [route, r] : routes_) {
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += r.buckets[b];
      out += fmt::format("vipd_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route, kBuckets[b],
                         cumulative);
    }
    out += fmt::format("vipd_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route, r.count);
    out += fmt::format("vipd_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route, r.sum);
    out += fmt::format("vipd_request_duration_seconds_count{{route=\"{}\"}} {}\n", route, r.count);
  }
  return out;
}

HttpServer::HttpServer(ServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() { shutdown(std::chrono::milliseconds(0)); }

vipcore::Result<std::unique_ptr<HttpServer>> HttpServer::start(const ServerOptions& options, Handler handler) {
  // HOST:PORT, HOST an IPv4 address or [IPv6].
  const std::string& listen = options.listen;
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size())
    return vipcore::Status::invalid_argument("--listen", "expected HOST:PORT, e.g. 127.0.0.1:8000");
  std::string host = listen.substr(0, colon);
  char* end = nullptr;
  const unsigned long port = std::strtoul(listen.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port > 65535)
    return vipcore::Status::invalid_argument("--listen", "the port must be a number from 0 to 65535");
  sockaddr_storage address{};
  const bool v6 = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&address);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a->sin6_addr) != 1)
      return vipcore::Status::invalid_argument("--listen", "the host must be an IPv4 address or [IPv6] address");
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&address);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1)
      return vipcore::Status::invalid_argument("--listen", "the host must be an IPv4 address or [IPv6] address");
  }
  if (options.threads < 1 || options.threads > 256)
    return vipcore::Status::invalid_argument("--threads", "must be 1 to 256");
  const bool tls = !options.tls_cert_pem.empty() || !options.tls_key_pem.empty();
  if (tls && (options.tls_cert_pem.empty() || options.tls_key_pem.empty()))
    return vipcore::Status::invalid_argument("--tls-cert", "TLS needs both --tls-cert and --tls-key");

  std::unique_ptr<HttpServer> server(new HttpServer(options, std::move(handler)));
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
  if (v6) flags |= MHD_USE_IPv6;
  if (tls) flags |= MHD_USE_TLS;
  std::vector<MHD_OptionItem> items = {
      {MHD_OPTION_SOCK_ADDR, 0, &address},
      {MHD_OPTION_THREAD_POOL_SIZE, options.threads, nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, options.timeout_seconds, nullptr},
      {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&Callbacks::on_completed), server.get()},
      {MHD_OPTION_EXTERNAL_LOGGER, reinterpret_cast<intptr_t>(&Callbacks::log), nullptr},
      {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, nullptr},
  };
  if (tls) {
    items.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(server->options_.tls_cert_pem.c_str())});
    items.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(server->options_.tls_key_pem.c_str())});
  }
  items.push_back({MHD_OPTION_END, 0, nullptr});
  server->daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &Callbacks::on_request, server.get(),
                                     MHD_OPTION_ARRAY, items.data(), MHD_OPTION_END);
  if (server->daemon_ == nullptr)
    return tls ? vipcore::Status::key_error("cannot serve HTTPS with this certificate and key (see the log above)")
               : vipcore::Status::storage_error(fmt::format("cannot listen on {} (in use, or not an address of "
                                                            "this machine?)", listen));
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  server->port_ = info != nullptr ? info->port : static_cast<std::uint16_t>(port);
  return server;
}

void HttpServer::shutdown(std::chrono::milliseconds grace) {
  std::lock_guard<std::mutex> g(stop_mu_);
  if (daemon_ == nullptr) return;
  const MHD_socket listener = MHD_quiesce_daemon(daemon_);
  if (listener != MHD_INVALID_SOCKET) ::close(listener);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (in_flight_.load(std::memory_order_acquire) > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
}

}  // namespace vipd
