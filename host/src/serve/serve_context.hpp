// What every route handler of the daemon's HTTP side reads (internal to host/src/serve).
#pragma once

#include <string>
#include <vector>

#include "serve/daemon_control.hpp"
#include "serve/http_message.hpp"
#include "serve/http_metrics.hpp"
#include "serve/store_reader.hpp"

namespace jobhost::serve {

struct ServeContext {
  ServeContext(DaemonControl& c, const HttpMetrics& m)
      : control(c), metrics(m), store(c.store_path()) {}
  DaemonControl& control;
  const HttpMetrics& metrics;
  StoreReader store;
};

// The route's {parameters}, percent-decoded, in order.
using PathParams = std::vector<std::string>;
using RouteHandler = HttpResponse (*)(ServeContext&, const HttpRequest&, const PathParams&);

}  // namespace jobhost::serve
