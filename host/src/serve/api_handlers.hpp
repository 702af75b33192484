// The REST API's handlers (/healthz, /metrics, /api/v1/...); api_routes.cpp maps requests to
// them. Bodies follow docs/serve-openapi.json.
#pragma once

#include "serve/serve_context.hpp"

namespace jobhost::serve {

HttpResponse get_health(ServeContext& c, const HttpRequest& req, const PathParams& params);
HttpResponse get_metrics(ServeContext& c, const HttpRequest& req, const PathParams& params);
HttpResponse get_openapi(ServeContext& c, const HttpRequest& req, const PathParams& params);
HttpResponse get_pipelines(ServeContext& c, const HttpRequest& req, const PathParams& params);
HttpResponse post_trigger(ServeContext& c, const HttpRequest& req, const PathParams& params);
HttpResponse get_runs(ServeContext& c, const HttpRequest& req, const PathParams& params);
HttpResponse get_run(ServeContext& c, const HttpRequest& req, const PathParams& params);
HttpResponse post_cancel(ServeContext& c, const HttpRequest& req, const PathParams& params);

}  // namespace jobhost::serve
