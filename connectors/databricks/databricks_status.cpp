#include "databricks_status.hpp"

#include <array>
#include <cstdio>
#include <sstream>

#include "jobhost_connectors/redaction.hpp"
#include "jobhost_connectors/json_fields.hpp"

namespace jobhost::connectors::databricks {
namespace {

namespace json = boost::json;
using Phase = RemoteStatus::Phase;

const json::object* child(const json::object* o, std::string_view key) {
  if (!o) return nullptr;
  const json::value* v = o->if_contains(key);
  return v ? v->if_object() : nullptr;
}

// The parts of a run (or task run) reply the mapping looks at.
struct RunState {
  std::string life;    // state.life_cycle_state
  std::string result;  // state.result_state
  std::string status;  // status.state (newer API)
  std::string code;    // status.termination_details.code
  std::string message;

  explicit RunState(const json::object& run) {
    const json::object* state = child(&run, "state");
    const json::object* st = child(&run, "status");
    const json::object* term = child(st, "termination_details");
    life = string_field(state, "life_cycle_state");
    result = string_field(state, "result_state");
    status = string_field(st, "state");
    code = string_field(term, "code");
    message = string_field(term, "message");
    if (message.empty()) message = string_field(state, "state_message");
  }

  bool terminal() const {
    if (!status.empty()) return status == "TERMINATED";
    return life == "TERMINATED" || life == "SKIPPED" || life == "INTERNAL_ERROR";
  }

  Phase phase(const StatusOptions& options) const {
    if (!terminal()) return Phase::kRunning;
    if (life == "SKIPPED") return Phase::kSkipped;  // e.g. the concurrent-runs limit was hit
    const std::string& how = !code.empty() ? code : result;
    if (code.empty() && life == "INTERNAL_ERROR") return Phase::kFailed;
    if (how == "SUCCESS") return Phase::kSucceeded;
    if (how == "SUCCESS_WITH_FAILURES")
      return options.success_with_failures_ok ? Phase::kSucceeded : Phase::kFailed;
    if (how == "CANCELED" || how == "USER_CANCELED") return Phase::kCancelled;
    if (how == "SKIPPED" || how == "DISABLED" || how == "EXCLUDED") return Phase::kSkipped;
    return Phase::kFailed;
  }

  // The engine's own word: the result once there is one, else where the run is.
  std::string word() const {
    if (terminal() && !result.empty() && life == "TERMINATED") return result;
    if (!life.empty()) return life;
    if (terminal() && !code.empty()) return code;
    return status.empty() ? "UNKNOWN" : status;
  }
};

// At most one line of `max` bytes.
std::string one_line(std::string_view s, size_t max = 200) { return snippet(s, max); }

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    if (line.find_first_not_of(" \t\r") != std::string::npos) out.push_back(line);
  return out;
}

uint64_t fnv1a(std::string_view s, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

RemoteStatus map_run(const json::object& run, const StatusOptions& options) {
  const RunState rs(run);
  RemoteStatus out;
  out.phase = rs.phase(options);
  out.state = rs.word();
  if (out.phase != Phase::kRunning && out.phase != Phase::kSucceeded) out.message = rs.message;
  out.outputs["life_cycle_state"] = rs.life;
  out.outputs["result_state"] = rs.result;
  out.outputs["termination_code"] = rs.code;
  if (std::string url = string_field(&run, "run_page_url"); !url.empty()) out.outputs["run_page_url"] = url;
  if (out.phase == Phase::kFailed && !rs.code.empty()) {
    const std::string type = string_field(child(child(&run, "status"), "termination_details"), "type");
    out.details.push_back("termination: " + rs.code + (type.empty() ? "" : " (" + type + ")"));
  }
  return out;
}

std::vector<TaskRef> failed_tasks(const json::object& run, const StatusOptions& options) {
  std::vector<TaskRef> out;
  const json::value* tasks = run.if_contains("tasks");
  if (!tasks || !tasks->is_array()) return out;
  for (const json::value& t : tasks->get_array()) {
    const json::object* task = t.if_object();
    if (!task) continue;
    const json::value* id = task->if_contains("run_id");
    if (!id || !id->is_int64()) continue;
    if (RunState(*task).phase(options) != Phase::kFailed) continue;
    out.push_back({string_field(task, "task_key"), id->get_int64()});
  }
  return out;
}

std::vector<std::string> task_error_lines(const std::string& task_key,
                                          const json::object& output) {
  std::vector<std::string> out;
  std::string error = string_field(&output, "error");
  out.push_back("task " + task_key + ": " + (error.empty() ? "failed (no error text)" : one_line(error)));
  const std::vector<std::string> trace = split_lines(string_field(&output, "error_trace"));
  // The first lines name the exception (JVM) and the last ones the raise site (Python).
  const size_t n = trace.size();
  for (size_t i = 0; i < n; ++i) {
    if (n > 5 && i == 3) out.push_back("  ...");
    if (n > 5 && i >= 3 && i < n - 2) continue;
    out.push_back("  " + one_line(trace[i]));
  }
  return out;
}

std::string idempotency_token(std::string_view key) {
  constexpr size_t kMax = 64;
  if (key.size() <= kMax) return std::string(key);
  char hex[33];
  std::snprintf(hex, sizeof hex, "%016llx%016llx",
                static_cast<unsigned long long>(fnv1a(key, 1469598103934665603ull)),
                static_cast<unsigned long long>(fnv1a(key, 0x84222325cbf29ce4ull)));
  return std::string(key.substr(0, kMax - 33)) + "-" + hex;
}

}  // namespace jobhost::connectors::databricks
