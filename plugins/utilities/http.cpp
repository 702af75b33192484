// utilities.http: one HTTP(S) request with headers from secrets/env, an expected status,
// and the response body written atomically to a file.
//
// Header values are never logged: they may come from secrets. Logs and errors carry the
// method, the URL without query or credentials, header names and the status.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "jobhost_common/duration.hpp"
#include "http_client.hpp"
#include "jobhost_common/atomic_file.hpp"
#include "jobhost_common/config_keys.hpp"
#include "jobhost_common/job_errors.hpp"
#include "jobs.hpp"

namespace jobhost::utilities {
namespace {
using common::config_duration;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Headers whose literal value in a pipeline file would be a committed secret.
bool is_credential_header(const std::string& name) {
  auto n = lower(name);
  return n == "authorization" || n == "proxy-authorization" || n == "cookie" || n == "x-api-key" ||
         n.find("token") != std::string::npos || n.find("secret") != std::string::npos;
}

http::Headers read_headers(const Context& ctx) {
  http::Headers out;
  for (auto& name : ctx.keys("headers")) {
    std::string key = "headers." + name;
    if (ctx.type_of(key) != JH_TYPE_STRING) throw FatalError("config: '" + key + "' must be a string");
    std::string raw = ctx.require<std::string>(key);
    std::string value;
    if (raw.rfind("secret:", 0) == 0) {
      std::string secret = raw.substr(7);
      auto v = ctx.secret(secret);
      if (!v)
        throw FatalError("config: header '" + name + "': secret '" + secret +
                         "' is not available (set JOBHOST_SECRET_<NAME> or add it to the secrets directory)");
      value = *v;
    } else if (raw.rfind("env:", 0) == 0) {
      std::string var = raw.substr(4);
      const char* v = std::getenv(var.c_str());
      if (!v) throw FatalError("config: header '" + name + "': environment variable '" + var + "' is not set");
      value = v;
    } else if (is_credential_header(name)) {
      throw FatalError("config: header '" + name + "' carries credentials; write \"secret:NAME\" or \"env:VAR\" "
                       "instead of a literal value");
    } else {
      value = raw;
    }
    out.push_back({name, value});
  }
  return out;
}

std::string read_body(const Context& ctx) {
  bool has_body = ctx.has("body"), has_file = ctx.has("body_file");
  if (has_body && has_file) throw FatalError("config: set at most one of 'body' and 'body_file'");
  if (has_body) return ctx.require<std::string>("body");
  if (!has_file) return {};
  auto path = ctx.require<std::string>("body_file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FatalError("config: 'body_file': cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Default: any 2xx.
struct ExpectedStatus {
  std::vector<int64_t> codes;
  bool matches(int status) const {
    if (codes.empty()) return status >= 200 && status <= 299;
    return std::find(codes.begin(), codes.end(), status) != codes.end();
  }
  std::string describe() const {
    if (codes.empty()) return "200-299";
    std::string s;
    for (auto c : codes) s += (s.empty() ? "" : ", ") + std::to_string(c);
    return s;
  }
};

ExpectedStatus read_expected(const Context& ctx) {
  ExpectedStatus e;
  const std::string key = "expected_status";
  switch (ctx.type_of(key)) {
    case JH_TYPE_NONE: break;
    case JH_TYPE_INT: e.codes.push_back(ctx.require<int64_t>(key)); break;
    case JH_TYPE_ARRAY:
      for (uint64_t i = 0; i < ctx.size_of(key); ++i) {
        auto item = key + "[" + std::to_string(i) + "]";
        if (ctx.type_of(item) != JH_TYPE_INT) throw FatalError("config: '" + item + "' must be an integer status code");
        e.codes.push_back(ctx.require<int64_t>(item));
      }
      if (e.codes.empty()) throw FatalError("config: 'expected_status' must not be empty");
      break;
    default: throw FatalError("config: 'expected_status' must be an integer or an array of integers");
  }
  for (auto c : e.codes)
    if (c < 100 || c > 599) throw FatalError("config: 'expected_status' has an invalid status code " + std::to_string(c));
  return e;
}

// A printable prefix of a response body for an error message.
std::string snippet(const std::string& body) {
  std::string s = body.substr(0, 200);
  for (char& c : s)
    if (!std::isprint(static_cast<unsigned char>(c))) c = ' ';
  return body.size() > 200 ? s + "..." : s;
}

Status run_http(Context& ctx) {
  common::reject_unknown_keys(ctx, "", {"url", "method", "headers", "body", "body_file", "expected_status",
                                        "output_file", "timeout", "insecure_skip_verify"});
  http::Request req;
  req.url = ctx.require<std::string>("url");
  req.method = ctx.get_or("method", "GET");
  std::transform(req.method.begin(), req.method.end(), req.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  req.headers = read_headers(ctx);
  req.body = read_body(ctx);
  req.timeout = config_duration(ctx, "timeout", std::chrono::seconds(30));
  req.cancelled = [&ctx] { return ctx.cancelled(); };
  const ExpectedStatus expected = read_expected(ctx);
  const auto output_file = ctx.get_or("output_file", "");
  http::ClientOptions options;
  options.insecure_skip_verify = ctx.get_or<bool>("insecure_skip_verify", false);

  http::Url url;
  try {
    url = http::Url::parse(req.url);
  } catch (const http::HttpError& e) {
    throw FatalError(std::string("config: 'url': ") + e.what());
  }
  const std::string what = req.method + " " + url.redacted();
  if (options.insecure_skip_verify && url.https)
    ctx.log_warn("insecure_skip_verify is set: the server certificate of " + url.host + " is not checked");

  http::Response res;
  const auto started = std::chrono::steady_clock::now();
  try {
    res = http::Client(options).send(req);
  } catch (const http::HttpError& e) {
    using Kind = http::HttpError::Kind;
    switch (e.kind()) {
      case Kind::kCancelled: return Status::cancelled();
      case Kind::kInvalidUrl:
      case Kind::kTls:
      case Kind::kTooLarge: return Status::fatal(what + ": " + e.what());
      default: return Status::retry(what + ": " + e.what());
    }
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  ctx.metric("status_code", res.status);
  ctx.metric("response_bytes", static_cast<double>(res.body.size()));
  ctx.metric("duration_ms", static_cast<double>(ms.count()));
  ctx.set_output("status_code", std::to_string(res.status));
  ctx.log_info(what + " -> " + std::to_string(res.status) + " (" + std::to_string(res.body.size()) + " bytes, " +
               std::to_string(ms.count()) + " ms)");

  if (!expected.matches(res.status)) {
    std::string msg = what + " answered " + std::to_string(res.status) + " " + res.reason + " (expected " +
                      expected.describe() + ")";
    if (!res.body.empty()) msg += ": " + snippet(res.body);
    // Server trouble and throttling may pass; any other unexpected answer will repeat.
    if (res.status >= 500 || res.status == 408 || res.status == 429) return Status::retry(msg);
    return Status::fatal(msg);
  }
  if (!output_file.empty()) {
    common::write_file_atomically(output_file, res.body);
    ctx.set_output("output_file", output_file);
  }
  return Status::ok();
}

}  // namespace

Status http(Context& ctx) { return common::run_named(ctx, run_http); }

}  // namespace jobhost::utilities
