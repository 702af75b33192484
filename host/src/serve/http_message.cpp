#include "serve/http_message.hpp"

#include <boost/json.hpp>

namespace jobhost::serve {

std::optional<std::string> HttpRequest::header(std::string_view name) const {
  for (auto& [n, v] : headers)
    if (n == name) return v;
  return std::nullopt;
}

HttpResponse json_error(int status, std::string_view message) {
  boost::json::object body{{"error", message}};
  return json_response(status, boost::json::serialize(body));
}

HttpResponse json_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace jobhost::serve
