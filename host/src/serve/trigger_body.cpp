#include "serve/trigger_body.hpp"

#include <boost/json.hpp>

namespace jobhost::serve {
namespace {

const char* kind_of(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::object: return "an object";
  }
  return "a value";
}

}  // namespace

std::optional<std::string> parse_trigger_body(std::string_view body, TriggerRequest& out) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(body, ec);
  if (ec) return "the request body is not valid JSON: " + ec.message();
  const auto* obj = doc.if_object();
  if (!obj) return std::string("the request body must be a JSON object, not ") + kind_of(doc);
  for (const auto& [key, value] : *obj) {
    if (key == "date") {
      if (!value.is_string()) return std::string("'date' must be a string, not ") + kind_of(value);
      out.date = std::string(value.as_string());
    } else if (key == "force") {
      if (!value.is_bool()) return std::string("'force' must be a boolean, not ") + kind_of(value);
      out.force = value.as_bool();
    } else if (key == "params") {
      const auto* params = value.if_object();
      if (!params) return std::string("'params' must be an object, not ") + kind_of(value);
      for (const auto& [name, v] : *params) {
        if (!v.is_string())
          return "params." + std::string(name) + " must be a string, not " + kind_of(v);
        out.params[std::string(name)] = std::string(v.as_string());
      }
    } else {
      return "unknown field '" + std::string(key) + "' (expected date, params, force)";
    }
  }
  return std::nullopt;
}

}  // namespace jobhost::serve
