// The request handler of the daemon's HTTP server: maps method and path to the REST API, the
// metrics, the OpenAPI document and the status page. Unknown paths get 404 and known paths
// with another method 405 (with Allow), as JSON.
#pragma once

#include <memory>

#include "serve/daemon_control.hpp"
#include "serve/http_message.hpp"

namespace jobhost::serve {

class HttpMetrics;
struct ServeContext;

class ServeRoutes {
 public:
  // `control` and `metrics` must outlive this object.
  ServeRoutes(DaemonControl& control, const HttpMetrics& metrics);
  ~ServeRoutes();
  ServeRoutes(const ServeRoutes&) = delete;
  ServeRoutes& operator=(const ServeRoutes&) = delete;

  // Answers one request; sets HttpResponse::route. A run store that cannot be read gives 503.
  // [thread-safe]
  HttpResponse handle(const HttpRequest& request) const;

 private:
  std::unique_ptr<ServeContext> context_;
};

}  // namespace jobhost::serve
