// AirflowEngine::start: checks the DAG, triggers its run with the attempt's dag_run_id,
// re-attaches after a 409 for that id, and falls back to the current time when the 409 was
// for the default logical date.
#include "airflow_engine.hpp"

#include <optional>
#include <utility>

#include "airflow_internal.hpp"
#include "jobhost_connectors/config_json.hpp"

namespace jobhost::connectors {
namespace airflow {

std::string truncated(std::string text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

}  // namespace airflow

namespace {

using airflow::Api;
using airflow::find_run;
using airflow::kMaxNote;
using airflow::kNotePrefix;
using airflow::truncated;

// What start() sends, read from the job's config.
struct Trigger {
  std::string dag_id;
  std::string dag_run_id;
  std::string logical_date;
  bool default_date = true;  // logical_date was not configured
  boost::json::object conf;
  std::string note;
};

Trigger read_trigger(const Context& ctx) {
  Trigger t;
  t.dag_id = ctx.require<std::string>("dag_id");
  if (t.dag_id.empty()) throw FatalError("config: 'dag_id' is empty");
  if (auto date = ctx.get<std::string>("logical_date")) {
    t.logical_date = airflow::normalize_logical_date(*date);
    t.default_date = false;
    if (t.logical_date.empty())
      throw FatalError("config: 'logical_date' must be a date (2026-11-28) or an RFC 3339 "
                       "date-time with a zone (2026-11-28T06:00:00Z); got '" + *date + "'");
  } else {
    t.logical_date = airflow::normalize_logical_date(ctx.logical_date());
    if (t.logical_date.empty()) t.logical_date = airflow::now_rfc3339();
  }
  std::string key(ctx.idempotency_key());
  if (key.empty())  // a host older than ABI 1.1: the attempt's identity, less robust
    key = std::string(ctx.run_id()) + "-" + std::string(ctx.job_name()) + "-a" +
          std::to_string(ctx.attempt());
  t.dag_run_id = ctx.get_or<std::string>("dag_run_id", airflow::default_dag_run_id(ctx.logical_date(), key));
  if (!airflow::valid_dag_run_id(t.dag_run_id))
    throw FatalError("config: 'dag_run_id' '" + t.dag_run_id + "' is not a valid Airflow run id "
                     "(letters, digits and _.~:+- only, at most 250 characters)");
  t.conf = config_object(ctx, "conf");
  t.note = ctx.get_or<std::string>(
      "note", std::string(kNotePrefix) + ": pipeline " + std::string(ctx.pipeline()) + ", run " +
                  std::string(ctx.run_id()) + ", job " + std::string(ctx.job_name()) +
                  ", attempt " + std::to_string(ctx.attempt()));
  t.note = truncated(std::move(t.note), kMaxNote);
  return t;
}

// Only fields both APIs accept in a trigger (v1 DAGRun without its readOnly fields, v2's
// closed TriggerDAGRunPostBody).
boost::json::object trigger_body(const Trigger& t, const std::string& logical_date) {
  return {{"dag_run_id", t.dag_run_id}, {"logical_date", logical_date}, {"conf", t.conf},
          {"note", t.note}};
}

Started started(const Api& api, const Trigger& t) {
  Started s;
  s.handle = {{"run_id", t.dag_run_id},
              {"url", api.run_url(t.dag_id, t.dag_run_id)},
              {"dag_id", t.dag_id}};
  return s;
}

[[noreturn]] void dag_not_found(const Session& session, const std::string& dag_id) {
  throw FatalError("DAG '" + dag_id + "' not found on connection '" + session.connection().name() + "'");
}

// Looks the DAG up: a missing DAG fails here, before anything is triggered, and a paused one
// is worth a warning (Airflow queues its runs until it is unpaused).
void check_dag(Session& session, const Api& api, const std::string& dag_id) {
  Call call;
  call.path = api.dag_path(dag_id);
  call.what = "read DAG '" + dag_id + "'";
  try {
    const Reply reply = session.client().send(call);
    const auto* paused = reply.json.is_object() ? reply.json.get_object().if_contains("is_paused") : nullptr;
    if (paused && paused->is_bool() && paused->get_bool())
      session.warn("DAG '" + dag_id + "' is paused: its run stays queued until the DAG is unpaused");
  } catch (const ApiError& e) {
    if (e.kind() == ApiError::Kind::kNotFound) dag_not_found(session, dag_id);
    throw;
  }
}

// POSTs the trigger. true: created; false: Airflow answered 409 (the id or the logical date
// is taken).
bool post_trigger(Session& session, const Api& api, const Trigger& t, const std::string& logical_date) {
  Call call;
  call.method = "POST";
  call.path = api.dag_path(t.dag_id) + "/dagRuns";
  call.json = trigger_body(t, logical_date);
  call.what = "trigger DAG '" + t.dag_id + "'";
  // Safe to repeat: a second POST with the same dag_run_id is refused, never a second run.
  call.retry = true;
  try {
    session.client().send(call);
    return true;
  } catch (const ApiError& e) {
    if (e.kind() == ApiError::Kind::kNotFound) dag_not_found(session, t.dag_id);
    if (e.kind() == ApiError::Kind::kConflict) return false;
    throw;
  }
}

// After a 409: re-attach when the run with our id exists (this attempt started it before).
bool adopt(Session& session, const Api& api, const Trigger& t) {
  auto run = find_run(session, api, t.dag_id, t.dag_run_id);
  if (!run) return false;
  session.info("DAG run '" + t.dag_run_id + "' of DAG '" + t.dag_id + "' exists already (state " +
               string_field(*run, "state") + "): this attempt started it before; re-attached");
  return true;
}

}  // namespace

Started AirflowEngine::start(Session& session) const {
  const Api api = airflow::api_of(session.connection());
  const Trigger t = read_trigger(session.ctx());
  check_dag(session, api, t.dag_id);
  if (post_trigger(session, api, t, t.logical_date)) {
    session.info("triggered DAG '" + t.dag_id + "': run '" + t.dag_run_id + "', logical date " +
                 t.logical_date);
    return started(api, t);
  }
  if (adopt(session, api, t)) return started(api, t);
  // The 409 was for the logical date: Airflow keeps one run per DAG and logical date, and an
  // earlier attempt or run of this date has it.
  if (!t.default_date)
    throw FatalError("DAG '" + t.dag_id + "' already has a run with logical date " + t.logical_date +
                     " on connection '" + session.connection().name() +
                     "'; Airflow allows one run per logical date: set another logical_date, or "
                     "leave it unset");
  const std::string now = airflow::now_rfc3339();
  session.warn("DAG '" + t.dag_id + "' already has a run with logical date " + t.logical_date +
               " (an earlier attempt or run); triggering run '" + t.dag_run_id +
               "' with logical date " + now + " instead");
  if (post_trigger(session, api, t, now) || adopt(session, api, t)) return started(api, t);
  throw RetryableError("DAG '" + t.dag_id + "' refused run '" + t.dag_run_id +
                       "' as a duplicate, but has no run with that id");
}

}  // namespace jobhost::connectors
