// A small blocking HTTP(S) client for job types and connectors (utilities.http, and the
// Airflow / Databricks / ADF / Prefect connectors).
//
// One request per connection (Connection: close); redirects are not followed (a 3xx is
// returned to the caller). HTTPS verifies the server certificate against the system CA store
// and the URL's host name unless `insecure_skip_verify` is set. Nothing here logs: header
// values, bodies and URL credentials never leave this library except through the Response.
//
// Boost.Beast / Asio / OpenSSL stay inside http_client.cpp, so including this header is cheap.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace jobhost::http {

struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

struct Response {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;

  // The first header named `name` (case-insensitive), if any.
  std::optional<std::string> header(std::string_view name) const;
};

// Why a request produced no response. Callers map kinds onto retry decisions: kConnect,
// kTimeout and kProtocol are usually transient; kInvalidUrl, kTls (certificate rejected) and
// kTooLarge are not.
class HttpError : public std::runtime_error {
 public:
  enum class Kind { kInvalidUrl, kConnect, kTls, kTimeout, kCancelled, kProtocol, kTooLarge };
  HttpError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct ClientOptions {
  // Accept any server certificate (self-signed, expired, wrong host). Off by default.
  bool insecure_skip_verify = false;
  // Extra trust anchors (PEM file) besides the system store, e.g. a private CA.
  std::string ca_file;
  // Responses whose body exceeds this fail with HttpError::Kind::kTooLarge.
  uint64_t max_body_bytes = 256ull << 20;
  std::string user_agent = "jobhost";
};

struct Request {
  std::string method = "GET";
  std::string url;  // http://host[:port]/path?query or https://...
  Headers headers;
  std::string body;
  // Whole-exchange deadline: resolve, connect, TLS handshake, write and read.
  std::chrono::milliseconds timeout{30000};
  // Polled at least every 100 ms; returning true aborts with HttpError::Kind::kCancelled.
  std::function<bool()> cancelled;
};

// The parts of a URL the client needs; exposed for callers that log a redacted form.
struct Url {
  bool https = false;
  std::string host;  // without brackets for IPv6 literals
  uint16_t port = 0;
  std::string target;  // path + query, at least "/"

  // Throws HttpError(kInvalidUrl) naming what is wrong (never echoing credentials).
  static Url parse(std::string_view url);
  // scheme://host:port/path with no credentials and no query: safe to log.
  std::string redacted() const;
};

// Thread-compatible: one Client per thread, or guard it. Cheap to create; the TLS context
// (with the CA store loaded) is built once per Client.
class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // Performs the request. Returns any HTTP status (4xx/5xx included); throws HttpError
  // when no complete response was received.
  Response send(const Request& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot convenience over Client.
Response request(std::string method, std::string url, Headers headers = {}, std::string body = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(30),
                 const ClientOptions& options = {});

}  // namespace jobhost::http
