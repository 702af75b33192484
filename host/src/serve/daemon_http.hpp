// The daemon's HTTP side in one object: the REST API, /metrics, the OpenAPI document and the
// status page, served by an HttpServer over a DaemonControl. `jobhost serve` makes one:
//
//   serve::HttpServerOptions http;            // address, port, token from --listen and config
//   serve::DaemonHttp api(scheduler, http);   // throws ListenError: non-loopback, no token
//   api.start();                              // throws std::runtime_error: cannot bind
//   ... api.port() ...
//   api.stop();                               // before the scheduler goes away
#pragma once

#include <cstdint>
#include <memory>

#include "serve/daemon_control.hpp"
#include "serve/http_server.hpp"
#include "serve/listen_address.hpp"

namespace jobhost::serve {

class HttpMetrics;
class ServeRoutes;

class DaemonHttp {
 public:
  // Checks check_listen_security(options.address, token set) first (throws ListenError).
  // `control` must outlive this object (or at least its stop()).
  DaemonHttp(DaemonControl& control, HttpServerOptions options);
  // Stops the server when running.
  ~DaemonHttp();
  DaemonHttp(const DaemonHttp&) = delete;
  DaemonHttp& operator=(const DaemonHttp&) = delete;

  // See HttpServer::start, port and stop.
  void start();
  uint16_t port() const;
  void stop();

 private:
  std::unique_ptr<HttpMetrics> metrics_;
  std::unique_ptr<ServeRoutes> routes_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace jobhost::serve
