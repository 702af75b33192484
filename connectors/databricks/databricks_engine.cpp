// DatabricksEngine's status, cancel and probe, and the reply helpers its other files share.
#include "databricks_engine.hpp"

#include <boost/json.hpp>

#include "databricks_internal.hpp"
#include "databricks_status.hpp"

namespace jobhost::connectors::databricks {
namespace {

namespace json = boost::json;

// Failed tasks whose output is fetched on a failure: bounds the requests of one poll.
constexpr size_t kMaxTaskOutputs = 5;

int64_t run_id_of(const json::object& handle) {
  const std::string id = text_of(handle, "run_id");
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos || id.size() > 18)
    throw FatalError("Databricks: the run handle has no valid run_id");
  return std::stoll(id);
}

StatusOptions status_options(const Session& session) {
  StatusOptions options;
  if (session.has_ctx())
    options.success_with_failures_ok =
        session.ctx().get_or<std::string>("success_with_failures", "failed") == "succeeded";
  return options;
}

// "task K: <error>" and a few trace lines for each failed task (first kMaxTaskOutputs).
std::vector<std::string> failure_details(Session& session, const json::object& run,
                                         const StatusOptions& options) {
  std::vector<std::string> lines;
  const std::vector<TaskRef> tasks = failed_tasks(run, options);
  for (size_t i = 0; i < tasks.size() && i < kMaxTaskOutputs; ++i) {
    const TaskRef& task = tasks[i];
    Call call;
    call.path = "/api/2.1/jobs/runs/get-output?run_id=" + std::to_string(task.run_id);
    call.what = "read the output of Databricks task run " + std::to_string(task.run_id);
    try {
      const Reply reply = session.client().send(call);
      for (auto& line : task_error_lines(task.key, object_reply(reply, call.what)))
        lines.push_back(std::move(line));
    } catch (const ApiError& e) {
      if (e.kind() == ApiError::Kind::kCancelled) throw;
      lines.push_back("task " + task.key + ": output not available (" + e.what() + ")");
    }
  }
  if (tasks.size() > kMaxTaskOutputs)
    lines.push_back("... and " + std::to_string(tasks.size() - kMaxTaskOutputs) + " more failed tasks");
  return lines;
}

}  // namespace

// Declared in databricks_internal.hpp: databricks_auth.cpp and databricks_start.cpp use them too.
std::string text_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return {};
}

const json::object& object_reply(const Reply& reply, const std::string& what) {
  if (const json::object* o = reply.json.if_object()) return *o;
  throw ApiError(ApiError::Kind::kRetryable, reply.status, what + ": the reply is not a JSON object");
}

bool does_not_exist(const ApiError& e, const std::string& what) {
  if (e.kind() == ApiError::Kind::kNotFound) return true;
  const std::string_view message = e.what();
  return e.status() == 400 && message.find(what + " does not exist") != std::string_view::npos;
}

RemoteStatus DatabricksEngine::status(Session& session, const json::object& handle) const {
  const int64_t run_id = run_id_of(handle);
  Call call;
  call.path = "/api/2.1/jobs/runs/get?run_id=" + std::to_string(run_id);
  call.what = "read Databricks run " + std::to_string(run_id);
  Reply reply;
  try {
    reply = session.client().send(call);
  } catch (const ApiError& e) {
    if (!does_not_exist(e, "Run " + std::to_string(run_id))) throw;
    throw FatalError("Databricks run " + std::to_string(run_id) + " no longer exists on connection '" +
                     session.connection().name() + "'");
  }
  const json::object& run = object_reply(reply, call.what);
  const StatusOptions options = status_options(session);
  RemoteStatus st = map_run(run, options);
  if (st.phase == RemoteStatus::Phase::kFailed)
    for (auto& line : failure_details(session, run, options)) st.details.push_back(std::move(line));
  // The run's own page link, once known, replaces the one built at start.
  auto page = st.outputs.find("run_page_url");
  if (page == st.outputs.end()) {
    st.outputs["run_page_url"] = text_of(handle, "url");
  } else if (text_of(handle, "url") != page->second) {
    json::object updated = handle;
    updated["url"] = page->second;
    st.handle = std::move(updated);
  }
  st.outputs["url"] = st.outputs["run_page_url"];
  return st;
}

void DatabricksEngine::cancel(Session& session, const json::object& handle) const {
  const int64_t run_id = run_id_of(handle);
  // A timed-out attempt is cancelled after its deadline, which the client otherwise applies
  // to this request too (it would not even be sent): give it one request timeout.
  session.client().set_deadline(std::chrono::steady_clock::now() + session.connection().request_timeout());
  Call call;
  call.method = "POST";
  call.path = "/api/2.1/jobs/runs/cancel";
  call.json = json::object{{"run_id", run_id}};
  call.what = "cancel Databricks run " + std::to_string(run_id);
  session.client().send(call);
}

std::string DatabricksEngine::probe(Session& session) const {
  Call call;
  call.path = "/api/2.1/jobs/list?limit=1";
  call.what = "list Databricks jobs";
  session.client().send(call);
  const Connection& c = session.connection();
  const std::string how =
      c.string("token_secret") ? "PAT" : "OAuth client " + c.string("client_id").value_or("?");
  return "Databricks workspace at " + c.url() + ", authenticated (" + how + ")";
}

}  // namespace jobhost::connectors::databricks
