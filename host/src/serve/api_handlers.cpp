#include "serve/api_handlers.hpp"

#include <boost/json.hpp>

#include "cli/run_document.hpp"
#include "serve/openapi_document.hpp"
#include "serve/trigger_body.hpp"
#include "serve/url_codec.hpp"
#include "util/logical_time.hpp"

namespace jobhost::serve {
namespace {

namespace json = boost::json;

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 1000;

json::value text_or_null(const std::string& s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

json::value optional_text(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

// The newest run of a pipeline, briefly; the full document is one GET /api/v1/runs/{id} away.
json::value run_brief(const state::RunSummary& r) {
  // As the run document has them: the store's key (a date or an instant) as date and time.
  return json::object{{"run_id", r.run_id},
                      {"logical_date", logical_date_of(r.logical_date)},
                      {"logical_time", logical_time_of(r.logical_date)},
                      {"status", r.status},
                      {"try", r.try_number},
                      {"started_at", text_or_null(r.started_at)},
                      {"ended_at", text_or_null(r.ended_at)},
                      {"duration_ms", r.duration_ms}};
}

json::object pipeline_json(const PipelineStatus& p, const std::vector<state::RunSummary>* runs) {
  return json::object{
      {"name", p.name},
      {"file", p.file},
      {"schedule", p.schedule},
      {"timezone", p.timezone},
      {"valid", p.valid},
      {"error", p.valid ? json::value(nullptr) : json::value(p.error)},
      {"next_fire", optional_text(p.next_fire)},
      {"last_tick", optional_text(p.last_tick)},
      {"active_runs", p.active_runs},
      {"last_run", runs && !runs->empty() ? run_brief(runs->front()) : json::value(nullptr)}};
}

bool is_run_status(const std::string& s) {
  return s == "running" || s == "success" || s == "failed" || s == "cancelled";
}

// limit: a whole number in 1..kMaxLimit.
std::optional<int> parse_limit(const std::string& text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  int n = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    n = n * 10 + (ch - '0');
  }
  if (n < 1 || n > kMaxLimit) return std::nullopt;
  return n;
}

// ?pipeline=&status=&limit= into a filter; a message when a value is bad.
std::optional<std::string> parse_run_filter(const std::string& query, RunFilter& f) {
  std::string error;
  auto params = parse_query(query, &error);
  if (!params) return error;
  f.limit = kDefaultLimit;
  for (auto& [name, value] : *params) {
    if (name == "pipeline") {
      if (!value.empty()) f.pipeline = value;
    } else if (name == "status") {
      if (value.empty()) continue;
      if (!is_run_status(value))
        return "status must be one of running, success, failed, cancelled (got '" + value + "')";
      f.status = value;
    } else if (name == "limit") {
      auto n = parse_limit(value);
      if (!n)
        return "limit must be a whole number from 1 to " + std::to_string(kMaxLimit) + " (got '" +
               value + "')";
      f.limit = *n;
    } else {
      return "unknown query parameter '" + name + "' (expected pipeline, status, limit)";
    }
  }
  return std::nullopt;
}

}  // namespace

HttpResponse get_health(ServeContext& c, const HttpRequest&, const PathParams&) {
  const bool draining = c.control.draining();
  json::object body{{"status", draining ? "draining" : "ok"}, {"version", JOBHOST_VERSION_STRING}};
  return json_response(draining ? 503 : 200, json::serialize(body));
}

HttpResponse get_metrics(ServeContext& c, const HttpRequest&, const PathParams&) {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = c.control.metrics_text();
  if (!r.body.empty() && r.body.back() != '\n') r.body += '\n';
  r.body += c.metrics.text();
  return r;
}

HttpResponse get_openapi(ServeContext&, const HttpRequest&, const PathParams&) {
  return json_response(200, std::string(openapi_document()));
}

HttpResponse get_pipelines(ServeContext& c, const HttpRequest&, const PathParams&) {
  const auto pipelines = c.control.pipelines();
  std::vector<std::string> names;
  names.reserve(pipelines.size());
  for (auto& p : pipelines) names.push_back(p.name);
  const auto recent = c.store.recent_runs(names, 1);
  json::array out;
  out.reserve(pipelines.size());
  for (auto& p : pipelines) {
    auto it = recent.find(p.name);
    out.push_back(pipeline_json(p, it == recent.end() ? nullptr : &it->second));
  }
  return json_response(200, json::serialize(json::object{{"pipelines", std::move(out)}}));
}

HttpResponse get_runs(ServeContext& c, const HttpRequest& req, const PathParams&) {
  RunFilter filter;
  if (auto error = parse_run_filter(req.query, filter)) return json_error(400, *error);
  // Each item is the run document of `show --json`, from its one builder, spliced as text.
  std::string body = "{\"runs\":[";
  bool first = true;
  for (const auto& run : c.store.runs(filter)) {
    if (!first) body += ',';
    first = false;
    body += cli::run_document(run);
  }
  body += "]}";
  return json_response(200, std::move(body));
}

HttpResponse get_run(ServeContext& c, const HttpRequest&, const PathParams& params) {
  auto run = c.store.run(params.at(0));
  if (!run) return json_error(404, "no run '" + params.at(0) + "' in the run store");
  return json_response(200, cli::run_document(*run));
}

HttpResponse post_trigger(ServeContext& c, const HttpRequest& req, const PathParams& params) {
  TriggerRequest request;
  request.pipeline = params.at(0);
  if (auto error = parse_trigger_body(req.body, request)) return json_error(400, *error);
  std::string run_id;
  try {
    run_id = c.control.trigger(request);
  } catch (const ControlError& e) {
    // The daemon chose the status; anything outside 4xx/5xx would be a bug there.
    return json_error(e.status >= 400 && e.status <= 599 ? e.status : 500, e.what());
  }
  HttpResponse r = json_response(201, json::serialize(json::object{{"run_id", run_id}}));
  r.headers.emplace_back("Location", "/api/v1/runs/" + percent_encode(run_id));
  return r;
}

HttpResponse post_cancel(ServeContext& c, const HttpRequest&, const PathParams& params) {
  const std::string& run_id = params.at(0);
  if (c.control.cancel(run_id))
    return json_response(
        202, json::serialize(json::object{{"run_id", run_id}, {"status", "cancelling"}}));
  auto run = c.store.run(run_id);
  if (!run) return json_error(404, "no run '" + run_id + "' in the run store");
  return json_error(404, "run '" + run_id + "' is not running in this daemon (its status is " +
                             run->summary.status + ")");
}

}  // namespace jobhost::serve
