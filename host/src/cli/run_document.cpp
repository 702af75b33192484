#include "cli/run_document.hpp"

#include <boost/json.hpp>

#include "cli/usage_format.hpp"
#include "util/logical_time.hpp"

namespace jobhost::cli {
namespace {

// What both sources fill in; serialised in one place.
struct JobView {
  std::string state;
  int attempts = 0;      // over all tries
  int try_attempts = 0;  // in the run's latest try
  int64_t duration_ms = 0;  // its last attempt that ran
  AttemptUsage usage{};     // of that attempt
  std::string error;        // "" when none
  bool carried_over = false;
  bool selected = true;
  std::map<std::string, double> metrics;
  std::map<std::string, std::string> outputs;
  bool has_handle = false;
  std::string handle, idempotency_key, next_poll_at;
  uint32_t polls = 0;
};

struct RunView {
  std::string run_id, pipeline, logical_date, status;
  std::string logical_time, data_interval_start, data_interval_end;
  int try_number = 0;
  std::string started_at, ended_at;
  int64_t duration_ms = 0;
  boost::json::value params;
  std::string file_hash;
  std::map<std::string, int> counts;
  std::vector<std::string> notices;
  std::vector<std::pair<std::string, JobView>> jobs;
};

boost::json::value text_or_null(const std::string& s) {
  return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
}

boost::json::value number(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v))) return static_cast<int64_t>(v);
  return v;
}

std::string serialize(const RunView& v) {
  boost::json::object jobs;
  for (auto& [name, j] : v.jobs) {
    boost::json::object metrics, outputs;
    for (auto& [k, x] : j.metrics) metrics[k] = number(x);
    for (auto& [k, x] : j.outputs) outputs[k] = x;
    boost::json::object job{
        {"state", j.state},
        {"attempts", j.attempts},
        {"try_attempts", j.try_attempts},
        {"duration_ms", j.duration_ms},
        {"error", text_or_null(j.error)},
        {"carried_over", j.carried_over},
        {"selected", j.selected},
        {"metrics", std::move(metrics)},
        {"outputs", std::move(outputs)},
        {"handle", j.has_handle ? boost::json::value(j.handle) : boost::json::value(nullptr)},
        {"idempotency_key", j.has_handle ? text_or_null(j.idempotency_key) : nullptr},
        {"polls", j.polls},
        {"next_poll_at", text_or_null(j.next_poll_at)}};
    add_usage_fields(job, j.usage);
    jobs[name] = std::move(job);
  }
  boost::json::object counts;
  for (auto& [k, n] : v.counts) counts[k] = n;
  boost::json::array notices;
  for (auto& n : v.notices) notices.emplace_back(n);
  boost::json::object doc{{"schema_version", kRunDocumentVersion},
                          {"run_id", v.run_id},
                          {"pipeline", v.pipeline},
                          {"logical_date", v.logical_date},
                          {"logical_time", v.logical_time},
                          {"data_interval_start", v.data_interval_start},
                          {"data_interval_end", v.data_interval_end},
                          {"status", v.status},
                          {"try", v.try_number},
                          {"started_at", text_or_null(v.started_at)},
                          {"ended_at", text_or_null(v.ended_at)},
                          {"duration_ms", v.duration_ms},
                          {"params", v.params},
                          {"file_hash", v.file_hash},
                          {"counts_by_state", std::move(counts)},
                          {"notices", std::move(notices)},
                          {"jobs", std::move(jobs)}};
  return boost::json::serialize(doc);
}

// Parameters are stored as JSON text; shown as an object when they parse.
boost::json::value params_value(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return boost::json::object{};
  return v;
}

}  // namespace

std::string run_document(const RunReport& r) {
  RunView v;
  v.run_id = r.run_id;
  v.pipeline = r.pipeline;
  v.logical_date = logical_date_of(r.logical_date);
  v.logical_time = r.logical_time;
  v.data_interval_start = r.data_interval_start;
  v.data_interval_end = r.data_interval_end;
  v.status = r.status;
  v.try_number = r.try_number;
  v.started_at = r.started_at;
  v.ended_at = r.ended_at;
  v.duration_ms = r.duration_ms;
  boost::json::object params;
  for (auto& [k, x] : r.params) params[k] = x;
  v.params = std::move(params);
  v.file_hash = r.file_hash;
  v.notices = r.notices;
  for (size_t i = 0; i < r.names.size(); ++i) {
    const JobOutcome& o = r.exec.jobs[i];
    const bool selected = r.selected.empty() || r.selected[i];
    JobView j;
    j.state = state::to_string(o.state);
    j.carried_over = r.carried_over[i] && selected;
    j.selected = selected;
    j.try_attempts = r.carried_over[i] ? 0 : o.attempts;
    j.attempts = (i < r.prior_attempts.size() ? r.prior_attempts[i] : 0) + j.try_attempts;
    j.duration_ms = o.last_attempt_ms;
    j.usage = o.usage;
    if (o.state != JobState::success) j.error = o.error;
    j.metrics.insert(o.metrics.begin(), o.metrics.end());
    j.outputs.insert(o.outputs.begin(), o.outputs.end());
    j.has_handle = !o.idempotency_key.empty();
    j.handle = o.handle;
    j.idempotency_key = o.idempotency_key;
    j.polls = o.polls;
    // Counted as the store counts: jobs recorded in this try, by their state.
    if (selected) ++v.counts[j.state];
    v.jobs.emplace_back(r.names[i], std::move(j));
  }
  return serialize(v);
}

std::string run_document(const state::RunDetail& d) {
  const auto& s = d.summary;
  RunView v;
  v.run_id = s.run_id;
  v.pipeline = s.pipeline;
  v.logical_date = logical_date_of(s.logical_date);
  v.logical_time = s.logical_time;
  v.data_interval_start = s.data_interval_start;
  v.data_interval_end = s.data_interval_end;
  v.status = s.status;
  v.try_number = s.try_number;
  v.started_at = s.started_at;
  v.ended_at = s.ended_at;
  v.duration_ms = s.duration_ms;
  v.params = params_value(d.params_json);
  v.file_hash = d.file_hash;
  v.counts.insert(s.counts_by_state.begin(), s.counts_by_state.end());
  for (auto& r : d.jobs) {
    JobView j;
    j.state = r.state;
    j.attempts = r.attempts;
    j.try_attempts = r.try_attempts;
    j.duration_ms = r.duration_ms;
    j.usage = r.usage;
    if (r.state != "success") j.error = r.error;
    j.carried_over = r.carried_over;
    j.selected = r.in_latest_try;
    j.metrics = r.metrics;
    j.outputs = r.outputs;
    j.has_handle = r.has_handle;
    j.handle = r.handle;
    j.idempotency_key = r.idempotency_key;
    j.next_poll_at = r.next_poll_at;
    j.polls = r.polls;
    v.jobs.emplace_back(r.job, std::move(j));
  }
  return serialize(v);
}

}  // namespace jobhost::cli
