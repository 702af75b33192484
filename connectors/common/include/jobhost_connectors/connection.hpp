// A [connections.NAME] table of the host config, as a connector sees it: loaded through the
// host's "jobhost.connections/1" extension, with secrets resolved by name through
// "jobhost.secrets/1". Secret values live only in this object and its Redactor.
#pragma once

#include <jobhost/abi.h>

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http_client.hpp"
#include "jobhost_connectors/redaction.hpp"

namespace jobhost::connectors {

class Connection {
 public:
  // FatalError when the host has no such connection, it is of another type than `type`, or
  // the host offers no connections extension. ctx may be NULL (connection tests).
  // `default_url` stands in for a connection without `url` (an engine with a well-known
  // endpoint, e.g. Azure Resource Manager).
  static Connection load(const jh_host* host, jh_job_ctx* ctx, std::string_view name,
                         std::string_view type, std::string_view default_url = {});
  // From a JSON object directly (unit tests); secrets still resolve through `host`.
  Connection(const jh_host* host, jh_job_ctx* ctx, boost::json::object table);

  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  const boost::json::object& table() const { return table_; }

  // The base URL without a trailing slash.
  const std::string& url() const { return url_; }
  std::optional<std::string> string(std::string_view key) const;
  // FatalError "connection 'NAME': missing required key 'KEY'".
  std::string require(std::string_view key) const;
  std::optional<int64_t> integer(std::string_view key) const;
  // A duration key ("30s", "250ms", or seconds as a number), or `fallback`.
  std::chrono::milliseconds duration(std::string_view key, std::chrono::milliseconds fallback) const;

  // The value of the secret named by `<key>_secret` (e.g. secret("password") reads
  // password_secret). nullopt when that key is absent; FatalError naming the secret (never
  // its value) when the key is present but the secret is not defined. The value is added to
  // redactor().
  std::optional<std::string> secret(std::string_view key) const;
  std::string require_secret(std::string_view key) const;

  // Per-request timeout (`timeout`, default 30 s).
  std::chrono::milliseconds request_timeout() const;
  // TLS settings: `ca_file`, `insecure_skip_verify`.
  http::ClientOptions client_options() const;

  Redactor& redactor() const { return redactor_; }
  // FatalError with "connection 'NAME': " + message.
  [[noreturn]] void fail(const std::string& message) const;

 private:
  const jh_host* host_;
  jh_job_ctx* ctx_;
  boost::json::object table_;
  std::string name_, type_, url_;
  mutable Redactor redactor_;
};

}  // namespace jobhost::connectors
