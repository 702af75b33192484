// The status page: server-rendered HTML, no scripts, no external assets. GET / lists every
// pipeline with its schedule, next run, validity and recent runs as coloured cells;
// GET /runs/{run_id} shows each job of a run with a Gantt bar of when it ran.
#pragma once

#include <string_view>

#include "serve/serve_context.hpp"

namespace jobhost::serve {

HttpResponse page_index(ServeContext& c, const HttpRequest& req, const PathParams& params);
HttpResponse page_run(ServeContext& c, const HttpRequest& req, const PathParams& params);
// An HTML page saying what went wrong (404 run, 503 store).
HttpResponse error_page(int status, std::string_view title, std::string_view detail);

// The page's stylesheet (status_page_style.cpp): inline in every page.
std::string_view status_page_css();

}  // namespace jobhost::serve
