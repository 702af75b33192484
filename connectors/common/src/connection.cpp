#include "jobhost_connectors/connection.hpp"

#include <jobhost/sdk.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdlib>

#include "jobhost_connectors/rest_client.hpp"

namespace jobhost::connectors {
namespace {

// Seconds in a duration value: a number of seconds, or text with a unit (ms, s, m, h, d; none
// means seconds), as in the host's `format: "duration"`. nullopt when malformed.
std::optional<double> duration_seconds(const boost::json::value& v) {
  if (v.is_number()) return v.to_number<double>();
  if (!v.is_string()) return std::nullopt;
  const std::string text(v.get_string());
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str()) return std::nullopt;
  const std::string_view unit(end);
  if (unit == "ms") return value / 1000;
  if (unit == "s" || unit.empty()) return value;
  if (unit == "m") return value * 60;
  if (unit == "h") return value * 3600;
  if (unit == "d") return value * 86400;
  return std::nullopt;
}

const jh_connections_v1* connections_extension(const jh_host* host) {
  if (!host || !host->get_extension) return nullptr;
  auto* ext = static_cast<const jh_connections_v1*>(host->get_extension(JH_EXT_CONNECTIONS));
  if (!ext || ext->struct_size < sizeof(jh_connections_v1) || !ext->get_json) return nullptr;
  return ext;
}

// The forms a secret takes on the wire besides its own bytes (a form field, a JSON string),
// so that a server echoing the request back cannot leak it either.
void remember_secret(Redactor& redactor, const std::string& value) {
  redactor.add(value);
  redactor.add(url_encode(value));
  const std::string quoted = boost::json::serialize(boost::json::value(value));
  if (quoted.size() >= 2) redactor.add(std::string_view(quoted).substr(1, quoted.size() - 2));
}

}  // namespace

Connection Connection::load(const jh_host* host, jh_job_ctx* ctx, std::string_view name,
                            std::string_view type, std::string_view default_url) {
  const std::string who = "connection '" + std::string(name) + "'";
  const jh_connections_v1* ext = connections_extension(host);
  if (!ext) throw FatalError(who + ": this host offers no connections (" JH_EXT_CONNECTIONS ")");
  std::string text;
  const jh_result r = detail::copy_out(
      [&](char* buf, uint64_t cap, uint64_t* len) {
        return ext->get_json(ctx, detail::to_jh(name), buf, cap, len);
      },
      text);
  if (r == JH_E_MISSING)
    throw FatalError(who + " is not defined: add a [connections." + std::string(name) +
                     "] table to the host config");
  if (r != JH_OK) throw FatalError(who + ": the host could not read it (result " + std::to_string(r) + ")");
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(text, ec);
  if (ec || !parsed.is_object()) throw FatalError(who + ": the host returned it as malformed JSON");
  boost::json::object table = std::move(parsed.get_object());
  if (!table.contains("name")) table["name"] = name;
  const auto* got = table.if_contains("type");
  const std::string got_type = got && got->is_string() ? std::string(got->get_string()) : "";
  if (got_type != type)
    throw FatalError(who + " has type '" + got_type + "', but this job needs one of type '" +
                     std::string(type) + "'");
  if (!table.contains("url") && !default_url.empty()) table["url"] = default_url;
  return Connection(host, ctx, std::move(table));
}

Connection::Connection(const jh_host* host, jh_job_ctx* ctx, boost::json::object table)
    : host_(host), ctx_(ctx), table_(std::move(table)) {
  if (const auto* n = table_.if_contains("name"); n && n->is_string()) name_ = n->get_string();
  if (const auto* t = table_.if_contains("type"); t && t->is_string()) type_ = t->get_string();
  url_ = require("url");
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
  if (url_.empty()) fail("'url' is empty");
}

std::optional<std::string> Connection::string(std::string_view key) const {
  const auto* v = table_.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) fail("'" + std::string(key) + "' must be a string");
  return std::string(v->get_string());
}

std::string Connection::require(std::string_view key) const {
  auto v = string(key);
  if (!v) fail("missing required key '" + std::string(key) + "'");
  return *v;
}

std::optional<int64_t> Connection::integer(std::string_view key) const {
  const auto* v = table_.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(v->get_uint64());
  if (v->is_double() && std::trunc(v->get_double()) == v->get_double() &&
      std::fabs(v->get_double()) < 9e18)
    return static_cast<int64_t>(v->get_double());
  fail("'" + std::string(key) + "' must be an integer");
}

std::chrono::milliseconds Connection::duration(std::string_view key,
                                               std::chrono::milliseconds fallback) const {
  const auto* v = table_.if_contains(key);
  if (!v || v->is_null()) return fallback;
  const auto seconds = duration_seconds(*v);
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0 || *seconds > 366.0 * 86400)
    fail("'" + std::string(key) +
         "' must be a duration like \"250ms\", \"5s\", \"1.5m\", \"1h\", \"1d\" or a number of "
         "seconds; got " + snippet(boost::json::serialize(*v), 40));
  return std::chrono::milliseconds(std::llround(*seconds * 1000));
}

std::optional<std::string> Connection::secret(std::string_view key) const {
  const std::string ref_key = std::string(key) + "_secret";
  const auto ref = string(ref_key);
  if (!ref) return std::nullopt;
  if (ref->empty()) fail("'" + ref_key + "' is empty: it names a secret");
  const std::string which = "secret '" + *ref + "' (" + ref_key + ")";
  const jh_secrets_v1* ext = nullptr;
  if (host_ && host_->get_extension)
    ext = static_cast<const jh_secrets_v1*>(host_->get_extension(JH_EXT_SECRETS));
  if (!ext || ext->struct_size < sizeof(jh_secrets_v1) || !ext->get)
    fail(which + " cannot be read: this host offers no secrets (" JH_EXT_SECRETS ")");
  std::string value;
  const jh_result r = detail::copy_out(
      [&](char* buf, uint64_t cap, uint64_t* len) {
        return ext->get(ctx_, detail::to_jh(*ref), buf, cap, len);
      },
      value);
  if (r == JH_E_MISSING)
    fail(which + " is not defined: set JOBHOST_SECRET_" + *ref + " or put a file " + *ref +
         " in secrets_dir");
  if (r != JH_OK) fail(which + " cannot be read (result " + std::to_string(r) + ")");
  remember_secret(redactor_, value);
  return value;
}

std::string Connection::require_secret(std::string_view key) const {
  auto v = secret(key);
  if (!v) fail("missing required key '" + std::string(key) + "_secret'");
  return *v;
}

std::chrono::milliseconds Connection::request_timeout() const {
  const auto t = duration("timeout", std::chrono::seconds(30));
  if (t.count() <= 0) fail("'timeout' must be longer than 0");
  return t;
}

http::ClientOptions Connection::client_options() const {
  http::ClientOptions options;
  options.ca_file = string("ca_file").value_or("");
  if (const auto* v = table_.if_contains("insecure_skip_verify"); v && !v->is_null()) {
    if (!v->is_bool()) fail("'insecure_skip_verify' must be true or false");
    options.insecure_skip_verify = v->get_bool();
  }
  options.user_agent = "jobhost-connector";
  return options;
}

void Connection::fail(const std::string& message) const {
  throw FatalError("connection '" + name_ + "': " + message);
}

}  // namespace jobhost::connectors
