// The deferrable job every connector is: start a run on a remote engine, then poll it without
// holding a thread until it finishes, and cancel it when the attempt is cancelled.
//
// An engine implements Engine (start, status, cancel, probe); RemoteJob<E> turns it into a
// job type (jobhost::deferrable_job<RemoteJob<E>>) and ConnectionType<E> into the plugin's
// connection type. The common job config is handled here:
//   connection     name of a [connections.NAME] of the engine's type (required)
//   wait           wait for the remote run to finish (default true)
//   poll_interval  how often to ask (default "30s")
// and the outputs run_id, url and state are published.
#pragma once

#include <jobhost/sdk.hpp>

#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobhost_connectors/auth.hpp"
#include "jobhost_connectors/connection.hpp"
#include "jobhost_connectors/rest_client.hpp"

namespace jobhost::connectors {

// What a connector has at hand for one call: the attempt (absent in connection tests), the
// connection and a client for it. Log lines are redacted.
class Session {
 public:
  Session(const Context* ctx, const Connection& connection, RestClient& client)
      : ctx_(ctx), connection_(connection), client_(client) {}
  const Context& ctx() const;  // FatalError in a connection test
  bool has_ctx() const { return ctx_ != nullptr; }
  const Connection& connection() const { return connection_; }
  RestClient& client() const { return client_; }
  void info(const std::string& message) const;
  void warn(const std::string& message) const;
  void error(const std::string& message) const;

 private:
  const Context* ctx_;
  const Connection& connection_;
  RestClient& client_;
};

struct RemoteStatus {
  enum class Phase { kRunning, kSucceeded, kFailed, kCancelled, kSkipped };
  Phase phase = Phase::kRunning;
  std::string state;                  // the engine's own word for it ("success", "FAILED")
  std::string message;                // why it failed or was skipped, in the engine's words
  std::vector<std::string> details;   // more lines logged on failure (failed tasks, errors)
  std::optional<boost::json::object> handle;  // replaces the handle (e.g. the run now exists)
  // For a pending start: still not started (the new handle records how far it got).
  bool still_pending = false;
  std::map<std::string, std::string> outputs;  // published when it ends
};

struct Started {
  boost::json::object handle;  // ids needed to poll and cancel; "run_id" and "url" published
  // The run is not started yet: poll at once, and status() starts it. For engines without
  // request deduplication, so the intent is in the run store before the start request.
  bool pending = false;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const char* title() const = 0;            // "Airflow", for messages
  virtual const char* connection_type() const = 0;  // "airflow"
  virtual std::shared_ptr<Authenticator> authenticator(const Connection& connection) const = 0;
  // Starts this attempt's remote run, at most once per ctx().idempotency_key() wherever the
  // engine can deduplicate: a repeated start finds the run the first one created.
  virtual Started start(Session& session) const = 0;
  virtual RemoteStatus status(Session& session, const boost::json::object& handle) const = 0;
  virtual void cancel(Session& session, const boost::json::object& handle) const = 0;
  // A cheap authenticated request that proves the connection works (connections test).
  virtual std::string probe(Session& session) const = 0;
  // The API's URL when the connection has no `url` (engines with one well-known endpoint).
  virtual const char* default_url() const { return nullptr; }
};

Outcome remote_run(const Engine& engine, Context& ctx);
Outcome remote_poll(const Engine& engine, Context& ctx, std::string_view handle);
Status remote_cancel(const Engine& engine, Context& ctx, std::string_view handle);
jh_status remote_test(const Engine& engine, const jh_host* host, jh_job_ctx* ctx,
                      std::string_view connection);

template <class E>
class RemoteJob {
 public:
  Outcome run(Context& ctx) const { return remote_run(engine_, ctx); }
  Outcome poll(Context& ctx, std::string_view handle) const { return remote_poll(engine_, ctx, handle); }
  Status cancel(Context& ctx, std::string_view handle) const { return remote_cancel(engine_, ctx, handle); }

 private:
  E engine_;
};

// The plugin's connection type for engine E, for JH_EXT_CONNECTION_TYPES.
template <class E>
const jh_connection_type* connection_type(const char* summary, const char* schema) {
  static const E engine;
  static const jh_connection_type type = {
      sizeof(jh_connection_type), 0, engine.connection_type(), summary, schema,
      [](const jh_connection_type*, const jh_host* host, jh_job_ctx* ctx, jh_str name) -> jh_status {
        return remote_test(engine, host, ctx, detail::from_jh(name));
      }};
  return &type;
}

// In the plugin's file, beside JOBHOST_PLUGIN: publishes its connection types, e.g.
//   JOBHOST_CONNECTION_TYPES(connectors::connection_type<AirflowEngine>("Apache Airflow", kSchema))
#define JOBHOST_CONNECTION_TYPES(...)                                                      \
  static const void* JH_CALL jobhost_connection_types_ext_(const char* id) {               \
    static const jh_connection_type* const types[] = {__VA_ARGS__};                        \
    static const jh_connection_types_v1 ext = {                                            \
        sizeof(jh_connection_types_v1), static_cast<uint32_t>(sizeof types / sizeof types[0]), types}; \
    return id && std::string_view(id) == JH_EXT_CONNECTION_TYPES ? &ext : nullptr;         \
  }                                                                                        \
  JOBHOST_PLUGIN_GET_EXTENSION(&jobhost_connection_types_ext_)

// JSON Schema properties every connection type accepts (no trailing comma).
#define JOBHOST_CONNECTION_COMMON_PROPERTIES                                                     \
  R"json("url": {"type": "string", "minLength": 1, "description": "Base URL of the engine's API"},)json" \
  R"json("timeout": {"type": ["string", "number"], "format": "duration", "description": "Per-request timeout (default 30s)"},)json" \
  R"json("ca_file": {"type": "string", "description": "PEM file of extra trusted CAs"},)json"    \
  R"json("insecure_skip_verify": {"type": "boolean", "description": "Accept any TLS certificate (tests only)"},)json" \
  R"json("max_retries": {"type": "integer", "minimum": 0, "maximum": 20, "description": "Retries of a failed request (default 5)"},)json" \
  R"json("retry_backoff": {"type": ["string", "number"], "format": "duration", "description": "First retry delay, doubled each time (default 500ms)"},)json" \
  R"json("retry_backoff_max": {"type": ["string", "number"], "format": "duration", "description": "Longest retry delay (default 30s)"})json"

// JSON Schema properties of every connector job type (no trailing comma).
#define JOBHOST_REMOTE_JOB_COMMON_PROPERTIES                                                     \
  R"json("connection": {"type": "string", "minLength": 1, "description": "Name of a [connections.NAME] in the host config"},)json" \
  R"json("wait": {"type": "boolean", "default": true, "description": "Wait for the remote run to finish"},)json" \
  R"json("poll_interval": {"type": ["string", "number"], "format": "duration", "default": "30s", "description": "How often to check the remote run"})json"

}  // namespace jobhost::connectors
