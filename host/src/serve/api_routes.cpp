#include "serve/api_routes.hpp"

#include <spdlog/spdlog.h>

#include <string_view>

#include "serve/api_handlers.hpp"
#include "serve/serve_context.hpp"
#include "serve/status_page.hpp"
#include "serve/url_codec.hpp"

namespace jobhost::serve {
namespace {

struct Route {
  std::string_view method;
  std::string_view pattern;  // "{name}" segments match one non-empty segment
  RouteHandler handler;
  bool html;  // a status page: errors are pages too
};

// docs/serve-openapi.json documents each of these; tests/serve checks it against answers.
constexpr Route kRoutes[] = {
    {"GET", "/healthz", get_health, false},
    {"GET", "/metrics", get_metrics, false},
    {"GET", "/api/v1/openapi.json", get_openapi, false},
    {"GET", "/api/v1/pipelines", get_pipelines, false},
    {"POST", "/api/v1/pipelines/{name}/runs", post_trigger, false},
    {"GET", "/api/v1/runs", get_runs, false},
    {"GET", "/api/v1/runs/{run_id}", get_run, false},
    {"POST", "/api/v1/runs/{run_id}/cancel", post_cancel, false},
    {"GET", "/", page_index, true},
    {"GET", "/runs/{run_id}", page_run, true},
};

enum class Match { kNo, kYes, kBadEncoding };

// Matches `path` against `pattern` segment by segment, collecting decoded {parameters}.
Match match(std::string_view pattern, std::string_view path, PathParams& params) {
  params.clear();
  if (pattern == "/" || path == "/") return pattern == path ? Match::kYes : Match::kNo;
  size_t pi = 1, qi = 1;  // both start with '/'
  if (path.empty() || path.front() != '/') return Match::kNo;
  while (pi <= pattern.size() && qi <= path.size()) {
    size_t pe = pattern.find('/', pi), qe = path.find('/', qi);
    if (pe == std::string_view::npos) pe = pattern.size();
    if (qe == std::string_view::npos) qe = path.size();
    std::string_view ps = pattern.substr(pi, pe - pi), qs = path.substr(qi, qe - qi);
    if (!ps.empty() && ps.front() == '{') {
      if (qs.empty()) return Match::kNo;
      auto decoded = percent_decode(qs);
      if (!decoded) return Match::kBadEncoding;
      params.push_back(std::move(*decoded));
    } else if (ps != qs) {
      return Match::kNo;
    }
    pi = pe + 1;
    qi = qe + 1;
  }
  // Both ran out together: the same number of segments.
  return pi > pattern.size() && qi > path.size() ? Match::kYes : Match::kNo;
}

}  // namespace

ServeRoutes::ServeRoutes(DaemonControl& control, const HttpMetrics& metrics)
    : context_(std::make_unique<ServeContext>(control, metrics)) {}

ServeRoutes::~ServeRoutes() = default;

HttpResponse ServeRoutes::handle(const HttpRequest& request) const {
  PathParams params;
  std::string allow;
  std::string_view path_route;
  // HEAD is GET without the body (the server drops it).
  std::string_view method = request.method;
  if (method == "HEAD") method = "GET";
  for (const Route& r : kRoutes) {
    Match m = match(r.pattern, request.path, params);
    if (m == Match::kBadEncoding) return json_error(400, "malformed percent-encoding in the path");
    if (m == Match::kNo) continue;
    path_route = r.pattern;
    if (r.method != method) {
      allow += (allow.empty() ? "" : ", ") + std::string(r.method);
      if (r.method == "GET") allow += ", HEAD";
      continue;
    }
    HttpResponse out;
    try {
      out = r.handler(*context_, request, params);
    } catch (const state::StoreError& e) {
      spdlog::warn("http: {} {}: {}", request.method, request.path, e.what());
      out = r.html ? error_page(503, "The run store cannot be read", e.what())
                   : json_error(503, e.what());
    }
    out.route = std::string(r.pattern);
    return out;
  }
  HttpResponse out;
  if (!allow.empty()) {
    out = json_error(405, "method " + request.method + " is not allowed on " + request.path +
                              " (allowed: " + allow + ")");
    out.headers.emplace_back("Allow", allow);
    out.route = std::string(path_route);
  } else {
    out = json_error(404, "no such endpoint: " + request.path + " (see /api/v1/openapi.json)");
  }
  return out;
}

}  // namespace jobhost::serve
