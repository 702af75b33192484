// Pieces shared by remote_job.cpp (run, cancel, connection test) and remote_poll.cpp.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors::internal {

// What the common layer keeps in a handle next to the engine's ids. Its keys start with '_'
// so they never clash with an engine's; the engine sees only its own keys.
struct HandleMeta {
  std::string connection;
  int64_t poll_ms = 30000;
  bool wait = true;
  bool pending = false;  // the engine has not started the run yet (Started::pending)
  int64_t errors = 0;    // consecutive polls that could not read the status
};

struct Handle {
  boost::json::object engine;
  HandleMeta meta;
};

// FatalError when `text` is not a handle this library wrote.
Handle parse_handle(std::string_view text);
// The handle as text, scrubbed (it is stored in the run store).
std::string serialize_handle(const Handle& handle, const Redactor& redactor);

// The engine's run id in a handle ("run_id", a string or a number); "" when absent.
std::string run_id_of(const boost::json::object& handle);

// What a Link is for. An attempt's requests stop at its cancellation and deadline; a cancel
// request must go out although the attempt is cancelled, maybe past its deadline; a cancel
// or a connection test gives up within a few request timeouts.
enum class Use { kAttempt, kCancel, kTest };

// A connection and its client for one call of run, poll, cancel or test. Not movable: the
// client and the session refer to the connection.
struct Link {
  Link(const Engine& engine, Context* ctx, const jh_host* host, jh_job_ctx* raw,
       const std::string& connection, Use use);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  Connection connection;
  RestClient client;
  Session session;
};

// Publishes run_id and url from a started run's handle and logs where to find it.
// run_id and url from the engine's handle as outputs. The host keeps only the outputs of the
// call that ends the attempt, so the final poll publishes them again.
void publish_ids(const Context& ctx, const boost::json::object& handle, const Redactor& redactor);
void publish_started(const Engine& engine, const Context& ctx, const boost::json::object& handle,
                     const Redactor& redactor);

}  // namespace jobhost::connectors::internal
