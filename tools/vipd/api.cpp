#include "api.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "formats.hpp"
#include "json_mapping.hpp"

extern const unsigned char kDashboardHtml[];  // dashboard.html, embedded at build time
extern const std::size_t kDashboardHtmlSize;

namespace vipd {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using vipcore::Code;
using vipcore::Result;
using vipcore::Status;
namespace jsonmap = vipcore::jsonmap;

constexpr std::string_view kPrefix = "/api/v1/vip";

// The HTTP status of a vipcore error.
unsigned status_for(const Status& s) {
  switch (s.code()) {
    case Code::invalid_argument: return 422;
    case Code::not_found: return 404;
    case Code::already_exists: return 409;
    case Code::permission_denied: return 403;
    case Code::storage:
    case Code::busy: return 503;
    default: return 500;
  }
}

// The field a malformed body is reported under: 400, where a body that
// parses but holds a bad value is 422.
constexpr std::string_view kMalformedBody = "request body";

Response error(const Status& s) {
  const bool malformed = s.code() == Code::invalid_argument && s.field() == kMalformedBody;
  Response r = error_response(malformed ? 400 : status_for(s), std::string(s.message()));
  if (s.code() == Code::busy || s.code() == Code::storage) r.headers.emplace_back("Retry-After", "1");
  return r;
}

Response json_response(const ordered_json& value, unsigned status = 200) {
  Response r;
  r.status = status;
  r.body = value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  return r;
}

template <typename T>
Response answer(const Result<T>& result, unsigned status = 200) {
  if (!result.ok()) return error(result.status());
  return json_response(jsonmap::to_json(*result), status);
}

template <typename T>
Response answer_array(const Result<std::vector<T>>& result) {
  if (!result.ok()) return error(result.status());
  return json_response(jsonmap::to_json_array(*result));
}

// The request's JSON body, which must be an object; 400 when it is not JSON.
Result<json> body_object(const Request& request) {
  if (request.body.empty()) return Status::invalid_argument(kMalformedBody, "a JSON object is required");
  json parsed = json::parse(request.body, nullptr, false);
  if (parsed.is_discarded()) return Status::invalid_argument(kMalformedBody, "is not valid JSON");
  if (!parsed.is_object()) return Status::invalid_argument(kMalformedBody, "must be a JSON object");
  return parsed;
}

// A query parameter, if given.
const std::string* param(const Request& request, const char* name) {
  const auto it = request.query.find(name);
  return it == request.query.end() ? nullptr : &it->second;
}

// The phone_number parameter. In a query '+' stands for a space, yet
// callers write "?phone_number=+1234567890" (the seed's own curl example
// does): a number that begins with a space began with '+'. "%2B" works too.
std::optional<std::string> phone_param(const Request& request) {
  const std::string* number = param(request, "phone_number");
  if (number == nullptr) return std::nullopt;
  std::string out = *number;
  if (!out.empty() && out.front() == ' ') out.front() = '+';
  return out;
}

Result<std::optional<long long>> integer_param(const Request& request, const char* name, long long min, long long max) {
  const std::string* text = param(request, name);
  if (text == nullptr) return std::optional<long long>();
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || errno != 0 || n < min || n > max)
    return Status::invalid_argument(name, fmt::format("must be a whole number from {} to {}", min, max));
  return std::optional<long long>(n);
}

// start_date and end_date, as vipctl's --from and --to (jsonmap::report_range).
Result<vipcore::DateRange> date_range(const vipcore::Tenant& tenant, const Request& request) {
  return jsonmap::report_range(tenant, param(request, "start_date"), param(request, "end_date"), "start_date",
                               "end_date");
}

// The path after /api/v1/vip, split at '/': "/abc/analytics" -> {"abc", "analytics"}.
std::vector<std::string_view> segments(std::string_view rest) {
  std::vector<std::string_view> out;
  while (!rest.empty()) {
    if (rest.front() == '/') {
      rest.remove_prefix(1);
      continue;
    }
    const std::size_t slash = rest.find('/');
    out.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash);
  }
  return out;
}

Response method_not_allowed(const char* allow) {
  Response r = error_response(405, fmt::format("method not allowed here (allowed: {})", allow));
  r.headers.emplace_back("Allow", allow);
  return r;
}

// ---- The endpoints -------------------------------------------------------------

Response create_caller(const vipcore::Tenant& t, const Request& request) {
  auto body = body_object(request);
  if (!body.ok()) return error(body.status());
  auto fields = jsonmap::caller_fields(*body);
  if (!fields.ok()) return error(fields.status());
  auto created = t.create(jsonmap::new_caller(*std::move(fields)));
  if (!created.ok()) return error(created.status());
  return json_response(jsonmap::to_json(*created), 201);
}

Response list_callers(const vipcore::Tenant& t, const Request& request) {
  vipcore::ListQuery q;
  auto skip = integer_param(request, "skip", 0, LLONG_MAX);
  if (!skip.ok()) return error(skip.status());
  auto limit = integer_param(request, "limit", 1, static_cast<long long>(vipcore::ListQuery::kMaxLimit));
  if (!limit.ok()) return error(limit.status());
  if (*skip) q.skip = static_cast<std::uint64_t>(**skip);
  if (*limit) q.limit = static_cast<std::uint64_t>(**limit);
  if (const std::string* level = param(request, "vip_level")) {
    auto parsed = vipcore::parse_level(*level, "vip_level");
    if (!parsed.ok()) return error(parsed.status());
    q.vip_level = *parsed;
  }
  if (const std::string* status = param(request, "status")) {
    auto parsed = vipcore::parse_caller_status(*status, "status");
    if (!parsed.ok()) return error(parsed.status());
    q.status = *parsed;
  }
  if (const std::string* search = param(request, "search")) q.search = *search;
  return answer_array(t.list(q));
}

Response update_caller(const vipcore::Tenant& t, std::string_view id, const Request& request) {
  auto body = body_object(request);
  if (!body.ok()) return error(body.status());
  auto fields = jsonmap::caller_fields(*body);
  if (!fields.ok()) return error(fields.status());
  return answer(t.update(id, *fields));
}

Response deleted(const Status& s, std::string_view id) {
  if (!s.ok()) return error(s);
  return json_response({{"id", id}, {"deleted", true}});
}

Response identify(const vipcore::Tenant& t, const Request& request) {
  const std::optional<std::string> number = phone_param(request);
  if (!number) return error(Status::invalid_argument("phone_number", "is required"));
  vipcore::Identification who;
  if (Status s = t.identify(*number, &who); !s.ok()) return error(s);
  return json_response(jsonmap::to_json(who));
}

Response escalation_check(const vipcore::Tenant& t, std::string_view id, const Request& request) {
  auto wait = integer_param(request, "wait_time", 0, INT_MAX);
  if (!wait.ok()) return error(wait.status());
  if (!*wait) return error(Status::invalid_argument("wait_time", "is required"));
  auto position = integer_param(request, "queue_position", 0, INT_MAX);
  if (!position.ok()) return error(position.status());
  const std::string* call_id = param(request, "call_id");
  return answer(t.check_escalation(id, static_cast<int>(**wait), static_cast<int>(position->value_or(1)),
                                   call_id != nullptr ? *call_id : std::string()));
}

Response bulk_import(const vipcore::Tenant& t, const Request& request) {
  auto body = body_object(request);
  if (!body.ok()) return error(body.status());
  vipcore::ImportOptions options;
  if (const std::string* mode = param(request, "mode")) {
    if (*mode == "all_or_nothing") options.mode = vipcore::ImportMode::all_or_nothing;
    else if (*mode == "best_effort") options.mode = vipcore::ImportMode::best_effort;
    else return error(Status::invalid_argument("mode", "must be all_or_nothing or best_effort"));
  }
  if (const std::string* dup = param(request, "on_duplicate")) {
    if (*dup == "fail") options.on_duplicate = vipcore::DuplicatePolicy::fail;
    else if (*dup == "skip") options.on_duplicate = vipcore::DuplicatePolicy::skip;
    else if (*dup == "update") options.on_duplicate = vipcore::DuplicatePolicy::update;
    else return error(Status::invalid_argument("on_duplicate", "must be fail, skip or update"));
  }
  auto rows = jsonmap::read_import_file(request.body, jsonmap::FileFormat::json);
  if (!rows.ok()) return error(rows.status());

  // Row errors of both kinds (unreadable, refused by vipcore) by row index.
  ordered_json errors = ordered_json::array();
  const auto add_error = [&errors](std::size_t index, const Status& e) {
    errors.push_back({{"index", index},
                      {"field", e.field().empty() ? ordered_json() : ordered_json(e.field())},
                      {"detail", e.message()}});
  };
  vipcore::ImportReport report;
  Status imported = vipcore::ok_status();
  const bool unreadable = !rows->errors.empty();
  if (!unreadable || options.mode == vipcore::ImportMode::best_effort)
    imported = t.import_callers(rows->callers, options, &report);
  for (const jsonmap::RowError& e : rows->errors) add_error(e.origin.index.value_or(0), e.error);
  for (const vipcore::ImportRowError& e : report.errors) add_error(*rows->origins[e.index].index, e.error);
  std::sort(errors.begin(), errors.end(),
            [](const ordered_json& a, const ordered_json& b) { return a["index"] < b["index"]; });
  if (!imported.ok() && errors.empty()) return error(imported);  // storage, busy, permission
  const bool committed = imported.ok() && !(unreadable && options.mode == vipcore::ImportMode::all_or_nothing);
  ordered_json out = {{"total", rows->rows()},
                      {"created", committed ? report.created : 0},
                      {"updated", committed ? report.updated : 0},
                      {"skipped", committed ? report.skipped : 0},
                      {"failed", errors.size()},
                      {"committed", committed},
                      {"errors", errors}};
  return json_response(out, committed ? 200 : 422);
}

Response rules(const vipcore::Tenant& t, const std::vector<std::string_view>& path, const Request& request) {
  const std::string& m = request.method;
  if (path.size() == 1) {
    if (m == "GET") return answer_array(t.list_rules());
    if (m != "POST") return method_not_allowed("GET, POST");
    auto body = body_object(request);
    if (!body.ok()) return error(body.status());
    auto fields = jsonmap::rule_fields(*body);
    if (!fields.ok()) return error(fields.status());
    return answer(t.create_rule(jsonmap::new_rule(*fields)), 201);
  }
  const std::string_view id = path[1];
  if (m == "GET") return answer(t.get_rule(id));
  if (m == "DELETE") return deleted(t.remove_rule(id), id);
  if (m != "PUT") return method_not_allowed("GET, PUT, DELETE");
  auto body = body_object(request);
  if (!body.ok()) return error(body.status());
  auto current = t.get_rule(id);
  if (!current.ok()) return error(current.status());
  auto fields = jsonmap::rule_fields(*body, current->notify);
  if (!fields.ok()) return error(fields.status());
  return answer(t.update_rule(id, *fields));
}

Response settings(const vipcore::Tenant& t, const Request& request) {
  if (request.method == "GET") return answer(t.settings());
  if (request.method != "PUT") return method_not_allowed("GET, PUT");
  auto body = body_object(request);
  if (!body.ok()) return error(body.status());
  auto current = t.settings();
  if (!current.ok()) return error(current.status());
  vipcore::TenantSettings wanted = *current;
  if (Status s = jsonmap::apply_settings(*body, &wanted); !s.ok()) return error(s);
  if (Status s = t.update_settings(wanted); !s.ok()) return error(s);
  return answer(t.settings());
}

Response audit(const vipcore::Tenant& t, const Request& request) {
  vipcore::AuditQuery q;
  for (const auto& [name, target] : {std::pair<const char*, std::optional<vipcore::Timestamp>*>{"from", &q.from},
                                     std::pair<const char*, std::optional<vipcore::Timestamp>*>{"until", &q.until}}) {
    if (const std::string* text = param(request, name)) {
      auto at = vipcore::parse_timestamp(*text, name);
      if (!at.ok()) return error(at.status());
      *target = *at;
    }
  }
  if (const std::string* actor = param(request, "actor_id")) q.actor_id = *actor;
  if (const std::string* entity = param(request, "entity_id")) q.entity_id = *entity;
  auto limit = integer_param(request, "limit", 1, 10000);
  if (!limit.ok()) return error(limit.status());
  q.limit = static_cast<std::size_t>(limit->value_or(1000));
  return answer_array(t.audit(q));
}

Response routing_plan(const vipcore::Tenant& t, const Request& request) {
  const std::optional<std::string> number = phone_param(request);
  if (!number) return error(Status::invalid_argument("phone_number", "is required"));
  vipcore::PbxState state;
  auto waited = integer_param(request, "waited_seconds", 0, 86400);
  if (!waited.ok()) return error(waited.status());
  state.waited_seconds = static_cast<int>(waited->value_or(0));
  if (const std::string* agents = param(request, "free_agents")) {
    std::stringstream list(*agents);
    for (std::string agent; std::getline(list, agent, ',');)
      if (!agent.empty()) state.free_agents.push_back(agent);
  }
  if (const std::string* open = param(request, "inside_business_hours")) {
    if (*open != "true" && *open != "false")
      return error(Status::invalid_argument("inside_business_hours", "must be true or false"));
    state.inside_business_hours = *open == "true";
  }
  vipcore::Identification who;
  if (Status s = t.identify(*number, &who); !s.ok()) return error(s);
  auto plan = t.routing_plan(who, state);
  if (!plan.ok()) return error(plan.status());
  ordered_json out = jsonmap::to_json(*plan);
  out["identification"] = jsonmap::to_json(who);
  return json_response(out);
}

Response record_call(const vipcore::Tenant& t, std::string_view caller_id, const Request& request) {
  auto body = body_object(request);
  if (!body.ok()) return error(body.status());
  vipcore::CallRecord call;
  call.caller_id = std::string(caller_id);
  for (const auto& [name, v] : body->items()) {
    const auto bad = [&name](const char* expected) {
      return error(Status::invalid_argument(name, std::string("must be ") + expected));
    };
    if (name == "call_id") {
      if (!v.is_string()) return bad("a string");
      call.call_id = v.get<std::string>();
    } else if (name == "wait_time_seconds") {
      if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > INT_MAX) return bad("a whole number");
      call.wait_seconds = v.get<int>();
    } else if (name == "escalation_triggered") {
      if (!v.is_boolean()) return bad("true or false");
      call.escalation_triggered = v.get<bool>();
    } else if (name == "satisfaction_rating") {
      if (!v.is_null() && (!v.is_number_integer() || v.get<long long>() < INT_MIN || v.get<long long>() > INT_MAX))
        return bad("a whole number or null");
      if (!v.is_null()) call.satisfaction_rating = v.get<int>();
    } else if (name == "service_quality_score") {
      if (!v.is_null() && !v.is_number()) return bad("a number or null");
      if (!v.is_null()) call.service_quality_score = v.get<double>();
    } else if (name == "handling_rules_applied") {
      std::vector<std::string> names;
      if (!v.is_array()) return bad("an array of handling rule names");
      for (const json& item : v) {
        if (!item.is_string()) return bad("an array of handling rule names");
        names.push_back(item.get<std::string>());
      }
      auto parsed = vipcore::parse_handling_rules(names, name);
      if (!parsed.ok()) return error(parsed.status());
      call.handling_rules_applied = *parsed;
    } else if (name == "vip_level_at_call") {
      if (!v.is_string()) return bad("a level name");
      auto level = vipcore::parse_level(v.get<std::string>(), name);
      if (!level.ok()) return error(level.status());
      call.vip_level_at_call = *level;
    } else if (name == "created_at") {
      if (!v.is_string()) return bad("an ISO 8601 time");
      auto at = vipcore::parse_timestamp(v.get<std::string>(), name);
      if (!at.ok()) return error(at.status());
      call.at = *at;
    } else {
      return error(Status::invalid_argument(name, "is not a field of a call"));
    }
  }
  return answer(t.record_call(call), 201);
}

// Routes /api/v1/vip/<path> in the tenant the token gives; sets the route
// pattern of the response.
Response route(const vipcore::Tenant& t, const std::vector<std::string_view>& path, const Request& request) {
  const std::string& m = request.method;
  const auto named = [&](const char* route, Response r) {
    r.route = route;
    return r;
  };
  if (path.empty()) {
    if (m == "POST") return named("/api/v1/vip/", create_caller(t, request));
    if (m == "GET") return named("/api/v1/vip/", list_callers(t, request));
    return named("/api/v1/vip/", method_not_allowed("GET, POST"));
  }
  const std::string_view first = path[0];
  if (path.size() == 1) {
    if (first == "identify")
      return named("/api/v1/vip/identify", m == "POST" || m == "GET" ? identify(t, request) : method_not_allowed("POST, GET"));
    if (first == "bulk-import")
      return named("/api/v1/vip/bulk-import", m == "POST" ? bulk_import(t, request) : method_not_allowed("POST"));
    if (first == "settings") return named("/api/v1/vip/settings", settings(t, request));
    if (first == "alerts") {
      if (m != "GET") return named("/api/v1/vip/alerts", method_not_allowed("GET"));
      auto range = date_range(t, request);
      return named("/api/v1/vip/alerts", range.ok() ? answer_array(t.evaluate_alerts(*range)) : error(range.status()));
    }
    if (first == "audit")
      return named("/api/v1/vip/audit", m == "GET" ? audit(t, request) : method_not_allowed("GET"));
    if (first == "routing-plan")
      return named("/api/v1/vip/routing-plan",
                   m == "POST" || m == "GET" ? routing_plan(t, request) : method_not_allowed("POST, GET"));
    if (first == "metrics")
      return named("/api/v1/vip/metrics", m == "GET" ? answer(t.metrics()) : method_not_allowed("GET"));
    if (first == "escalation-rules") return named("/api/v1/vip/escalation-rules", rules(t, path, request));
    // A caller by id.
    if (m == "GET") return named("/api/v1/vip/{vip_id}", answer(t.get(first)));
    if (m == "PUT") return named("/api/v1/vip/{vip_id}", update_caller(t, first, request));
    if (m == "DELETE") return named("/api/v1/vip/{vip_id}", deleted(t.remove(first), first));
    return named("/api/v1/vip/{vip_id}", method_not_allowed("GET, PUT, DELETE"));
  }
  if (path.size() == 2) {
    const std::string_view second = path[1];
    if (first == "analytics" && second == "overview") {
      if (m != "GET") return named("/api/v1/vip/analytics/overview", method_not_allowed("GET"));
      auto range = date_range(t, request);
      return named("/api/v1/vip/analytics/overview", range.ok() ? answer(t.overview(*range)) : error(range.status()));
    }
    if (first == "escalation-rules") return named("/api/v1/vip/escalation-rules/{rule_id}", rules(t, path, request));
    if (second == "escalation-check")
      return named("/api/v1/vip/{vip_id}/escalation-check",
                   m == "POST" ? escalation_check(t, first, request) : method_not_allowed("POST"));
    if (second == "analytics") {
      if (m != "GET") return named("/api/v1/vip/{vip_id}/analytics", method_not_allowed("GET"));
      auto range = date_range(t, request);
      return named("/api/v1/vip/{vip_id}/analytics",
                   range.ok() ? answer(t.caller_analytics(first, *range)) : error(range.status()));
    }
    if (second == "calls") {
      if (m == "POST") return named("/api/v1/vip/{vip_id}/calls", record_call(t, first, request));
      if (m != "GET") return named("/api/v1/vip/{vip_id}/calls", method_not_allowed("GET, POST"));
      auto range = date_range(t, request);
      return named("/api/v1/vip/{vip_id}/calls",
                   range.ok() ? answer_array(t.call_history(first, *range)) : error(range.status()));
    }
  }
  return error_response(404, "no such endpoint");
}

}  // namespace

Api::Api(vipcore::Database& db, ApiOptions options, std::function<std::string()> request_metrics)
    : db_(db), options_(std::move(options)), request_metrics_(std::move(request_metrics)) {
  if (!options_.chart_js_path.empty()) {
    std::ifstream in(options_.chart_js_path, std::ios::binary);
    chart_js_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
}

Response Api::handle(const Request& request) const {
  const std::string_view path = request.path;
  if (path == kPrefix || (path.size() > kPrefix.size() && path.substr(0, kPrefix.size()) == kPrefix &&
                          path[kPrefix.size()] == '/'))
    return api(request);
  if (path == "/metrics") return metrics();
  if (path == "/healthz") return health();
  return static_file(request);
}

Response Api::api(const Request& request) const {
  // "Bearer <token>", the scheme in any case.
  std::string_view auth = request.authorization;
  constexpr std::string_view kScheme = "bearer ";
  bool bearer = auth.size() > kScheme.size();
  for (std::size_t i = 0; bearer && i < kScheme.size(); ++i)
    bearer = static_cast<char>(std::tolower(static_cast<unsigned char>(auth[i]))) == kScheme[i];
  Response r;
  if (!bearer) {
    r = error_response(401, "an Authorization: Bearer <token> header is required (vipctl token add makes a token)");
  } else {
    auto tenant = db_.tenant_for_api_token(auth.substr(kScheme.size()));
    if (!tenant.ok()) {
      r = tenant.status().is_permission_denied() ? error_response(401, std::string(tenant.status().message()))
                                                  : error(tenant.status());
    } else {
      return route(*tenant, segments(std::string_view(request.path).substr(kPrefix.size())), request);
    }
  }
  if (r.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  r.route = "unauthenticated";
  return r;
}

Response Api::metrics() const {
  Response r;
  r.route = "/metrics";
  r.content_type = "text/plain; version=0.0.4";
  r.body = vipcore::to_prometheus(db_.metrics()) + request_metrics_();
  return r;
}

Response Api::health() const {
  Response r;
  r.route = "/healthz";
  const Status s = db_.check_storage();
  r.status = s.ok() ? 200 : 503;
  r.body = s.ok() ? R"({"status": "ok"})" : ordered_json({{"status", "unavailable"}, {"detail", s.message()}}).dump();
  return r;
}

Response Api::static_file(const Request& request) const {
  Response r;
  if (request.method != "GET" && request.method != "HEAD") {
    r = method_not_allowed("GET");
    r.route = "static";
    return r;
  }
  if (request.path == "/" || request.path == "/index.html") {
    r.route = "/";
    r.content_type = "text/html; charset=utf-8";
    r.body.assign(reinterpret_cast<const char*>(kDashboardHtml), kDashboardHtmlSize);
    // The page loads nothing from elsewhere, and runs no script but its own.
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; frame-ancestors 'none'");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    return r;
  }
  if (request.path == "/static/chart.js") {
    r.route = "/static/chart.js";
    if (chart_js_.empty()) return error_response(404, "Chart.js is not installed (Debian: libjs-chart.js)");
    r.content_type = "text/javascript; charset=utf-8";
    r.body = chart_js_;
    return r;
  }
  r = error_response(404, "no such page");
  r.route = "unmatched";
  return r;
}

}  // namespace vipd
