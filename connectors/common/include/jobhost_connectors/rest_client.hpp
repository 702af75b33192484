// JSON over HTTP(S) to an engine's REST API, with the behaviour every connector needs:
//   - a timeout per request (the connection's `timeout`) and an overall deadline per call;
//   - 429 and 5xx, connection failures and timeouts retried with capped, jittered exponential
//     backoff, honouring Retry-After, never past the deadline;
//   - 401 answered by refreshing the token once, then "authentication failed for connection
//     NAME";
//   - errors classified (ApiError::Kind) so a job can tell "try again" from "give up", with
//     the engine's own message and never a secret.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "http_client.hpp"
#include "jobhost_connectors/auth.hpp"
#include "jobhost_connectors/connection.hpp"

namespace jobhost::connectors {

class ApiError : public std::runtime_error {
 public:
  enum class Kind {
    kRetryable,  // transient: 429/5xx after the retries, timeouts, connection errors, bad JSON
    kFatal,      // the request is wrong (4xx) or the URL/TLS setup is: retrying will not help
    kAuth,       // 401 after a refresh, or 403
    kNotFound,   // 404: the target (DAG, job, pipeline, deployment) or run does not exist
    kConflict,   // 409: e.g. a run with this id exists already
    kCancelled,  // the attempt was cancelled while waiting
  };
  ApiError(Kind kind, int status, const std::string& message)
      : std::runtime_error(message), kind_(kind), status_(status) {}
  Kind kind() const { return kind_; }
  int status() const { return status_; }  // 0 when no response arrived
  bool retryable() const { return kind_ == Kind::kRetryable; }

 private:
  Kind kind_;
  int status_;
};

struct RetryPolicy {
  int max_attempts = 6;                            // tries per call, the first one included
  std::chrono::milliseconds base{500};             // first backoff; doubles each time
  std::chrono::milliseconds cap{30000};            // longest single backoff
  std::chrono::milliseconds budget{120000};        // a call gives up after this long overall
  // From the connection: `max_retries` (tries - 1), `retry_backoff`, `retry_backoff_max`.
  static RetryPolicy from(const Connection& connection);
};

struct Call {
  std::string method = "GET";
  std::string path;  // appended to the connection URL: "/api/v1/dags/x/dagRuns?limit=1"
  std::optional<boost::json::value> json;  // request body, sent as application/json
  std::string form;                        // or an x-www-form-urlencoded body
  // What the call is about, for messages: "trigger DAG 'etl_daily'".
  std::string what;
  // Retry transient failures of this call (off for non-idempotent requests the engine cannot
  // deduplicate).
  bool retry = true;
  // false: no credentials are added, as for a credential exchange (token endpoint), whose 400
  // and 401 answers are "authentication failed for connection NAME: <engine message>".
  bool authenticate = true;
};

struct Reply {
  int status = 0;
  boost::json::value json;  // null when the body was empty
  std::string location;     // Location header, if any
};

class RestClient {
 public:
  // `cancelled` is polled while waiting (may be empty). `log` receives redacted warnings
  // about retries (may be empty).
  RestClient(const Connection& connection, std::shared_ptr<Authenticator> auth,
             std::function<bool()> cancelled = {},
             std::function<void(const std::string&)> log = {});

  // Sends the call and returns its 2xx reply with the body parsed. Throws ApiError.
  Reply send(const Call& call);
  // Stop retrying at `deadline` (e.g. the attempt's timeout).
  void set_deadline(std::chrono::steady_clock::time_point deadline) { deadline_ = deadline; }
  // Replaces the policy read from the connection (e.g. fewer tries in a connection test).
  void set_policy(const RetryPolicy& policy) { policy_ = policy; }
  const RetryPolicy& policy() const { return policy_; }

  const Connection& connection() const { return connection_; }
  http::Response raw(http::Request request);  // one exchange, no retries (for token calls)

 private:
  Reply attempt(const Call& call, bool& retry_now, std::chrono::milliseconds& wait,
                bool& refreshed);
  const Connection& connection_;
  std::shared_ptr<Authenticator> auth_;
  std::function<bool()> cancelled_;
  std::function<void(const std::string&)> log_;
  RetryPolicy policy_;
  http::Client http_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

// The error message an engine put in a JSON error body ("detail", "message", "title",
// "error.message", "error_description", ...), or a short redacted snippet of the body.
std::string engine_message(const std::string& body, const Redactor& redactor);

// Percent-encodes a path segment or query value.
std::string url_encode(std::string_view text);

}  // namespace jobhost::connectors
