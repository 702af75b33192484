// Requests and responses as the daemon's HTTP handlers see them: plain values, so route and page
// code never includes Beast or Asio (http_server.cpp converts at the socket).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jobhost::serve {

struct HttpRequest {
  std::string method;  // as sent, e.g. "GET"
  std::string path;    // the target before '?', still percent-encoded
  std::string query;   // the target after '?' ("" when none), still percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // The first header named `name` (lower case), if sent.
  std::optional<std::string> header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // further headers (Allow, Location)
  // The route that answered, as its template ("/api/v1/runs/{run_id}"): a metrics label with
  // bounded cardinality. Empty when no route matched.
  std::string route;
};

// {"error": message} with `status`.
HttpResponse json_error(int status, std::string_view message);
// `body` (serialized JSON) with `status`.
HttpResponse json_response(int status, std::string body);

}  // namespace jobhost::serve
