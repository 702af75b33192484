// What an engine said in an error body, in its own words. Each engine has its own shape:
//   Airflow, FastAPI (Prefect, Airflow 3)  {"detail": "..."} or {"detail": [{"loc", "msg"}]}
//   RFC 7807 problem                      {"title", "detail", ...}
//   Databricks                            {"error_code", "message"}
//   Azure (ARM)                           {"error": {"code", "message"}}
//   OAuth token endpoints                 {"error", "error_description"}
//   Prefect                               {"exception_message"}
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <optional>

#include "jobhost_connectors/rest_client.hpp"

namespace jobhost::connectors {
namespace {

namespace json = boost::json;

std::optional<std::string> text_at(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string() || v->get_string().empty()) return std::nullopt;
  return std::string(v->get_string());
}

// FastAPI validation errors: "body.conf: field required; query.limit: not an integer".
std::string validation_errors(const json::array& items) {
  std::string out;
  for (const auto& item : items) {
    const auto* o = item.if_object();
    const auto msg = o ? text_at(*o, "msg") : std::nullopt;
    if (!msg) return json::serialize(items);
    std::string where;
    if (const auto* loc = o->if_contains("loc"); loc && loc->is_array()) {
      for (const auto& part : loc->get_array()) {
        if (!where.empty()) where += '.';
        where += part.is_string() ? std::string(part.get_string()) : json::serialize(part);
      }
    }
    if (!out.empty()) out += "; ";
    out += where.empty() ? *msg : where + ": " + *msg;
  }
  return out;
}

std::optional<std::string> from_object(const json::object& o) {
  if (const auto* detail = o.if_contains("detail")) {
    if (detail->is_string() && !detail->get_string().empty()) return std::string(detail->get_string());
    if (detail->is_array()) return validation_errors(detail->get_array());
    if (detail->is_object()) {
      if (auto inner = from_object(detail->get_object())) return inner;
      return json::serialize(*detail);
    }
  }
  if (auto message = text_at(o, "message")) {
    if (auto code = text_at(o, "error_code")) return *code + ": " + *message;
    return message;
  }
  if (const auto* error = o.if_contains("error")) {
    if (const auto* e = error->if_object()) {
      const auto message = text_at(*e, "message");
      const auto code = text_at(*e, "code");
      if (message && code) return *code + ": " + *message;
      if (message) return message;
    } else if (error->is_string()) {
      std::string out(error->get_string());
      if (auto description = text_at(o, "error_description")) out += ": " + *description;
      return out;
    }
  }
  if (auto message = text_at(o, "exception_message")) return message;
  if (auto title = text_at(o, "title")) return title;
  return std::nullopt;
}

}  // namespace

std::string engine_message(const std::string& body, const Redactor& redactor) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    // Scrubbed before it is shortened, so that a cut can never leave part of a secret.
    if (auto message = from_object(v.get_object())) return snippet(redactor.scrub(*message), 300);
  }
  return snippet(redactor.scrub(body), 160);
}

}  // namespace jobhost::connectors
