// vipd — the VIP API over HTTP, served by vipcore.
//
//     vipd --db /var/lib/pbx/vip.db --key-file /etc/pbx/vipcore.key --listen 127.0.0.1:8000
//
// Serves the seed's REST API under /api/v1/vip/ (api.hpp), the dashboard at
// /, Prometheus metrics at /metrics and a health check at /healthz. Runs in
// the foreground and logs to stderr, as systemd and containers expect; on
// SIGTERM or SIGINT it stops accepting connections, lets requests in flight
// finish, and exits 0.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "api.hpp"
#include "http.hpp"
#include "vipcore/vipcore.hpp"

#ifndef VIPD_CHART_JS
#define VIPD_CHART_JS "/usr/share/javascript/chart.js/chart.min.js"
#endif

namespace {

// Exit codes: 0 stopped by a signal, 2 usage, 3 the database or key, 4 the socket.
constexpr int kUsage = 2, kDatabase = 3, kListen = 4;

bool read_whole_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

int run(int argc, char** argv) {
  std::string db_location, key_file, tls_cert, tls_key;
  std::string chart_js = VIPD_CHART_JS;
  vipd::ServerOptions server;
  std::size_t cache_mb = 256;
  unsigned grace_seconds = 10;
  CLI::App app{"vipd: the VIP API over HTTP (the seed's /api/v1/vip/ endpoints), with a dashboard", "vipd"};
  app.set_version_flag("--version", vipcore::version());
  app.add_option("--db", db_location, "the database: a SQLite file, postgresql://... or a libpq conninfo")
      ->envname("VIPD_DB")
      ->required();
  app.add_option("--key-file", key_file, "the file holding the master key (64 hex characters, mode 0600)")
      ->envname("VIPD_KEY_FILE")
      ->required();
  app.add_option("--listen", server.listen, "HOST:PORT to serve on (port 0: any free port, printed at start)")
      ->capture_default_str();
  app.add_option("--threads", server.threads, "threads serving requests")->check(CLI::Range(1, 256))->capture_default_str();
  app.add_option("--max-body", server.max_body, "largest request body accepted, in bytes (larger: 413)")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30))
      ->capture_default_str();
  app.add_option("--timeout", server.timeout_seconds, "seconds an idle or stalled client keeps its connection")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--grace", grace_seconds, "seconds requests in flight may take to finish at shutdown")
      ->capture_default_str();
  app.add_option("--tls-cert", tls_cert, "PEM certificate (chain): serve HTTPS only")->check(CLI::ExistingFile);
  app.add_option("--tls-key", tls_key, "PEM private key of --tls-cert")->check(CLI::ExistingFile);
  app.add_option("--cache-mb", cache_mb, "memory for identify's cache, in MiB (0: off)")->capture_default_str();
  app.add_option("--chart-js", chart_js, "Chart.js for the dashboard")->capture_default_str();
  app.add_flag("--log-requests", server.log_requests,
               "log each request (method, route, status, time; never a query or a body) on stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kUsage;
  }
  if ((!tls_cert.empty() && !read_whole_file(tls_cert, &server.tls_cert_pem)) ||
      (!tls_key.empty() && !read_whole_file(tls_key, &server.tls_key_pem))) {
    fmt::print(stderr, "vipd: cannot read the TLS certificate or key\n");
    return kUsage;
  }

  // SIGTERM and SIGINT are taken by sigwait below, in this thread only:
  // block them before any thread starts, so that every thread inherits that.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto key = vipcore::MasterKey::from_file(key_file);
  if (!key.ok()) {
    fmt::print(stderr, "vipd: {}\n", key.status().message());
    return kDatabase;
  }
  vipcore::Options options;
  options.cache_bytes = cache_mb << 20;
  options.sqlite.create_if_missing = false;
  auto db = vipcore::Database::open(db_location, *key, options);
  if (!db.ok()) {
    fmt::print(stderr, "vipd: cannot open the database: {}\n", db.status().message());
    return kDatabase;
  }
  std::unique_ptr<vipd::HttpServer> http;
  vipd::Api api(*db, vipd::ApiOptions{chart_js}, [&http] { return http ? http->metrics().to_prometheus() : ""; });
  auto started = vipd::HttpServer::start(server, [&api](const vipd::Request& r) { return api.handle(r); });
  if (!started.ok()) {
    fmt::print(stderr, "vipd: {}\n", started.status().message());
    return started.status().code() == vipcore::Code::invalid_argument ? kUsage : kListen;
  }
  http = std::move(*started);
  const bool tls = !server.tls_cert_pem.empty();
  const std::string host = server.listen.substr(0, server.listen.rfind(':'));
  fmt::print(stdout, "vipd: serving {}://{}:{} ({} threads)\n", tls ? "https" : "http", host, http->port(),
             server.threads);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop, &signal_number);
  fmt::print(stderr, "vipd: {} received, finishing requests in flight\n", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  http->shutdown(std::chrono::seconds(grace_seconds));
  fmt::print(stderr, "vipd: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vipd: unexpected error: %s\n", e.what());
    return 1;
  }
}
