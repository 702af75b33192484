#include "serve/daemon_http.hpp"

#include "serve/api_routes.hpp"
#include "serve/http_metrics.hpp"

namespace jobhost::serve {

DaemonHttp::DaemonHttp(DaemonControl& control, HttpServerOptions options) {
  check_listen_security(options.address, !options.token.empty());
  metrics_ = std::make_unique<HttpMetrics>();
  routes_ = std::make_unique<ServeRoutes>(control, *metrics_);
  server_ = std::make_unique<HttpServer>(
      std::move(options),
      [routes = routes_.get()](const HttpRequest& r) { return routes->handle(r); }, metrics_.get());
}

DaemonHttp::~DaemonHttp() { stop(); }

void DaemonHttp::start() { server_->start(); }
uint16_t DaemonHttp::port() const { return server_->port(); }
void DaemonHttp::stop() { server_->stop(); }

}  // namespace jobhost::serve
