// vipd_bench — what identify costs through vipd, over HTTP/1.1 keep-alive,
// next to Tenant::identify of the same numbers in this process, measured in
// one run on one database so that the ratio is meaningful.
//
//     vipd_bench [--callers N] [--requests R] [--numbers K] [--vipd-threads T]
//
//   It imports N generated VIPs (valid North American numbers, bench.hpp)
//   into a fresh database, makes a SYSTEM API token, starts vipd on a
//   free loopback port, and asks K numbers, half of them VIPs and half not
//   (alternately), over and over:
//
//   in_process_identify   Tenant::identify on one thread, warm (every number
//                         asked once before timing), best of 3 rounds.
//   http_identify_<C>conn POST /api/v1/vip/identify?phone_number=%2B1...
//                         with C = 1, 8 and 64 keep-alive connections, one
//                         client thread each, R requests in all, after a
//                         warm-up pass over the K numbers. Every answer is
//                         checked (200, and is_vip as expected).
//
// Results go to stdout: per measurement the time per request (wall time /
// requests: with C connections, the inverse of the throughput), requests per
// second, p50 and p99 latency, then "ratio <name> <value>" lines. Progress
// and vipd's own log go to stderr. The client, vipd and the in-process run
// share the machine: on a 2-core machine 8 and 64 connections measure
// contention as much as vipd.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "bench.hpp"

#ifndef VIPD_PATH
#error "VIPD_PATH (the vipd executable) must be defined"
#endif

namespace vipcore_bench {
namespace {

constexpr std::size_t kConnectionCounts[] = {1, 8, 64};

struct HttpConfig {
  std::size_t callers = 100'000;
  std::size_t requests = 40'000;
  std::size_t numbers = 10'000;
  std::size_t vipd_threads = 0;  ///< 0: vipd's default
};

/// The numbers asked: even positions VIPs (spread over all N), odd ones unknown.
struct Lookup {
  std::string number;
  bool vip;
};

std::vector<Lookup> make_lookups(std::size_t callers, std::size_t count) {
  std::vector<Lookup> out;
  Lcg rng(16);
  for (std::size_t k = 0; k < count; ++k)
    out.push_back(k % 2 == 0 ? Lookup{vip_number(rng.below(callers)), true} : Lookup{unknown_number(k), false});
  return out;
}

// ----------------------------------------------------------------- the client

/// One HTTP/1.1 keep-alive connection to 127.0.0.1:port, blocking.
class Connection {
 public:
  explicit Connection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(fd_ >= 0, "socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0,
          std::string("connect to vipd: ") + std::strerror(errno));
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Sends one request and reads its whole answer; returns the status, the body in *body.
  int request(const std::string& raw, std::string* body) {
    for (std::size_t sent = 0; sent < raw.size();) {
      const ssize_t n = ::send(fd_, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
      check(n > 0, std::string("send to vipd: ") + std::strerror(errno));
      sent += static_cast<std::size_t>(n);
    }
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) fill();
    const std::string head = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    check(head.compare(0, 9, "HTTP/1.1 ") == 0 && head.size() >= 12, "not an HTTP/1.1 answer: " + head.substr(0, 40));
    const int status = std::atoi(head.c_str() + 9);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    body->clear();
    if (const auto at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
      const auto length = static_cast<std::size_t>(std::strtoull(lower.c_str() + at + 17, nullptr, 10));
      while (buffer_.size() < length) fill();
      body->assign(buffer_, 0, length);
      buffer_.erase(0, length);
    } else {
      check(lower.find("\r\ntransfer-encoding: chunked") != std::string::npos, "an answer without a length");
      for (;;) {
        std::size_t line_end;
        while ((line_end = buffer_.find("\r\n")) == std::string::npos) fill();
        const auto size = static_cast<std::size_t>(std::strtoull(buffer_.c_str(), nullptr, 16));
        buffer_.erase(0, line_end + 2);
        while (buffer_.size() < size + 2) fill();
        body->append(buffer_, 0, size);
        buffer_.erase(0, size + 2);
        if (size == 0) break;  // no trailers are expected
      }
    }
    check(lower.find("\r\nconnection: close") == std::string::npos, "vipd closed a keep-alive connection");
    return status;
  }

 private:
  void fill() {
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    check(n > 0, n == 0 ? "vipd closed the connection" : std::string("recv from vipd: ") + std::strerror(errno));
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }

  int fd_ = -1;
  std::string buffer_;
};

std::string identify_request(const std::string& number, const std::string& token) {
  std::string query;  // "+1..." -> "%2B1..."
  for (char c : number) query += c == '+' ? std::string("%2B") : std::string(1, c);
  return "POST /api/v1/vip/identify?phone_number=" + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
         token + "\r\nContent-Length: 0\r\n\r\n";
}

/// Whether a JSON answer says "is_vip": true (and has the field at all).
std::optional<bool> is_vip(const std::string& body) {
  auto at = body.find("\"is_vip\"");
  if (at == std::string::npos) return std::nullopt;
  at = body.find_first_not_of(" \t\r\n:", at + 8);
  if (at == std::string::npos) return std::nullopt;
  return body[at] == 't';
}

// ------------------------------------------------------------------ vipd

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check(fd >= 0, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) == 0;
  ::close(fd);
  check(ok, "no free loopback port");
  return ntohs(addr.sin_port);
}

/// A child process; SIGTERM and reaped when the object dies.
class Child {
 public:
  /// Runs argv (argv[0] a path), with stdout and stderr inherited.
  explicit Child(std::vector<std::string> argv) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_ = ::fork();
    check(pid_ >= 0, "fork");
    if (pid_ == 0) {
      ::execv(args[0], args.data());
      std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGTERM);
      wait();
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  /// Its exit status (-1 when a signal ended it).
  int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  bool running() {
    int status = 0;
    if (reaped_ || ::waitpid(pid_, &status, WNOHANG) != pid_) return !reaped_;
    reaped_ = true;
    return false;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

void wait_until_healthy(Child& vipd, int port) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    check(vipd.running(), "vipd exited at start (its log is above)");
    try {
      Connection c(port);
      std::string body;
      if (c.request("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", &body) == 200) return;
    } catch (const BenchFailure&) {
      // not listening yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw BenchFailure("vipd did not answer /healthz within 30 s");
}

// ---------------------------------------------------------- measurements

struct HttpFigures {
  double ns_per_request = 0;  ///< wall time / requests
  double p50_us = 0;
  double p99_us = 0;
};

double percentile_us(std::vector<double>& ns, double p) {
  const auto at = static_cast<std::size_t>(p * static_cast<double>(ns.size() - 1));
  std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(at), ns.end());
  return ns[at] / 1000.0;
}

/// `requests` identify requests over `connections` keep-alive connections, one thread each.
HttpFigures measure_http(int port, const std::string& token, const std::vector<Lookup>& lookups,
                         std::size_t connections, std::size_t requests) {
  const std::size_t per_connection = std::max<std::size_t>(1, requests / connections);
  std::vector<std::vector<double>> latencies(connections);
  std::vector<std::string> errors(connections);
  std::atomic<std::size_t> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < connections; ++t) {
    threads.emplace_back([&, t] {
      try {
        Connection c(port);
        std::vector<std::string> raw;  // prepared before timing: the client's own cost stays small
        std::vector<bool> expected;
        for (std::size_t i = 0; i < per_connection; ++i) {
          const Lookup& l = lookups[(t * 7919 + i) % lookups.size()];
          raw.push_back(identify_request(l.number, token));
          expected.push_back(l.vip);
        }
        latencies[t].reserve(per_connection);
        std::string body;
        ready.fetch_add(1);
        while (!go.load()) std::this_thread::yield();
        for (std::size_t i = 0; i < per_connection; ++i) {
          const auto start = Clock::now();
          const int status = c.request(raw[i], &body);
          latencies[t].push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count());
          check(status == 200, "identify answered " + std::to_string(status) + ": " + body.substr(0, 200));
          check(is_vip(body) == std::optional<bool>(expected[i]), "identify answered is_vip wrongly: " +
                                                                      body.substr(0, 200));
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
        ready.fetch_add(1);
      }
    });
  }
  while (ready.load() < connections) std::this_thread::yield();
  const auto start = Clock::now();
  go.store(true);
  for (auto& th : threads) th.join();
  const double wall_ns = seconds_since(start) * 1e9;
  for (const auto& e : errors) check(e.empty(), e);
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  HttpFigures f;
  f.ns_per_request = wall_ns / static_cast<double>(all.size());
  f.p50_us = percentile_us(all, 0.50);
  f.p99_us = percentile_us(all, 0.99);
  return f;
}

/// Tenant::identify of every lookup on this thread, warm; ns per identify, best of 3.
double measure_in_process(const vipcore::Tenant& pbx, const std::vector<Lookup>& lookups) {
  vipcore::Identification who;
  const auto identify_all = [&] {
    for (const Lookup& l : lookups) {
      check_ok(pbx.identify(l.number, &who), "identify");
      check(who.is_vip == l.vip, "identify answered is_vip wrongly");
    }
  };
  identify_all();  // warm, as vipd is by its warm-up pass
  return best_of(3, identify_all) / static_cast<double>(lookups.size());
}

void print_http_row(const std::string& name, double ns_per_request, double p50_us, double p99_us) {
  std::printf("%-32s %12.1f %12.0f %10.1f %10.1f\n", name.c_str(), ns_per_request, 1e9 / ns_per_request, p50_us,
              p99_us);
}

void run(const HttpConfig& cfg) {
  TempDir dir;
  const std::string db_path = dir.file("vipcore.db");
  const std::string key_path = dir.file("vipcore.key");
  auto key = vipcore::MasterKey::generate();
  check_ok(key.status(), "MasterKey::generate");
  check_ok(key->write_file(key_path), "MasterKey::write_file");
  auto db = vipcore::Database::open(db_path, *key);
  check_ok(db.status(), "Database::open");
  auto admin = db->tenant(kTenant, {"bench", vipcore::Role::admin});
  check_ok(admin.status(), "Database::tenant (admin)");

  progress("importing ", cfg.callers, " VIPs");
  std::vector<vipcore::NewCaller> callers(cfg.callers);
  for (std::size_t i = 0; i < cfg.callers; ++i) {
    callers[i].phone_number = vip_number(i);
    callers[i].caller_name = caller_name(i);
    callers[i].vip_level = level_of(i);
  }
  vipcore::ImportReport report;
  check_ok(admin->import_callers(callers, {}, &report), "import_callers");
  callers.clear();
  const std::vector<Lookup> lookups = make_lookups(cfg.callers, cfg.numbers);

  progress("in-process identify of ", lookups.size(), " numbers (half VIPs)");
  auto pbx = db->tenant(kTenant, {"bench", vipcore::Role::system});
  check_ok(pbx.status(), "Database::tenant (system)");
  const double in_process_ns = measure_in_process(*pbx, lookups);

  // The token vipctl token add would print: the same library call.
  auto issued = admin->create_api_token({"bench", vipcore::Role::system});
  check_ok(issued.status(), "create_api_token");
  const std::string token = issued->secret;
  const int port = free_port();
  std::vector<std::string> argv{VIPD_PATH, "--db", db_path, "--key-file", key_path, "--listen",
                                "127.0.0.1:" + std::to_string(port)};
  if (cfg.vipd_threads > 0) {
    argv.push_back("--threads");
    argv.push_back(std::to_string(cfg.vipd_threads));
  }
  progress("starting vipd on 127.0.0.1:", port);
  Child vipd(argv);
  wait_until_healthy(vipd, port);
  progress("warm-up: every number once over HTTP");
  measure_http(port, token, lookups, 8, lookups.size());

  std::map<std::size_t, HttpFigures> http;
  for (std::size_t connections : kConnectionCounts) {
    progress("identify over HTTP: ", cfg.requests, " requests on ", connections, " connection(s)");
    http[connections] = measure_http(port, token, lookups, connections, cfg.requests);
  }

  std::printf("# vipd_bench %s: %zu callers; %zu numbers asked, half VIPs and half not; %zu HTTP requests per line\n",
              vipcore::version(), cfg.callers, lookups.size(), cfg.requests);
  std::printf("%-32s %12s %12s %10s %10s\n", "# measurement", "ns/request", "requests/s", "p50 us", "p99 us");
  // In process, single identify calls are not timed one by one (the clock would cost as much).
  std::printf("%-32s %12.1f %12.0f %10s %10s\n", "in_process_identify", in_process_ns, 1e9 / in_process_ns, "-", "-");
  for (const auto& [connections, f] : http)
    print_http_row("http_identify_" + std::to_string(connections) + "conn", f.ns_per_request, f.p50_us, f.p99_us);
  // One connection asks one request at a time: its time per request is identify's latency over HTTP.
  print_ratio("http_identify/in_process_identify", http.at(1).ns_per_request / in_process_ns);
  for (std::size_t connections : kConnectionCounts)
    if (connections != 1)
      print_ratio(("http_identify_" + std::to_string(connections) + "conn_throughput/1conn").c_str(),
                  http.at(1).ns_per_request / http.at(connections).ns_per_request);
}

}  // namespace
}  // namespace vipcore_bench

int main(int argc, char** argv) {
  vipcore_bench::HttpConfig cfg;
  CLI::App app{"vipd_bench: identify over HTTP keep-alive against vipcore's in-process identify"};
  app.add_option("--callers", cfg.callers, "VIPs imported")->check(CLI::Range(2, 5'000'000));
  app.add_option("--requests", cfg.requests, "HTTP requests per measurement")->check(CLI::Range(64, 100'000'000));
  app.add_option("--numbers", cfg.numbers, "distinct numbers asked (half VIPs)")->check(CLI::Range(2, 10'000'000));
  app.add_option("--vipd-threads", cfg.vipd_threads, "vipd --threads (default: vipd's own)");
  CLI11_PARSE(app, argc, argv);
  try {
    vipcore_bench::run(cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vipd_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
