// The start request bodies (run-now, runs/submit), read from the job's config through the
// host's config paths.
#include <boost/json.hpp>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>

#include "databricks_engine.hpp"
#include "databricks_status.hpp"
#include "jobhost_connectors/config_json.hpp"

namespace jobhost::connectors::databricks {
namespace {

namespace json = boost::json;

// A config scalar as the text Databricks expects for a parameter value.
std::string scalar_text(const Context& ctx, const std::string& path) {
  switch (ctx.type_of(path)) {
    case JH_TYPE_STRING: return *ctx.get<std::string>(path);
    case JH_TYPE_INT: return std::to_string(*ctx.get<int64_t>(path));
    case JH_TYPE_BOOL: return *ctx.get<bool>(path) ? "true" : "false";
    case JH_TYPE_DOUBLE: {
      const double d = *ctx.get<double>(path);
      char buf[32];
      for (int precision = 15; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, d);
        if (std::strtod(buf, nullptr) == d) break;
      }
      return buf;
    }
    default:
      throw FatalError("config: '" + path + "' must be a string, a number or a boolean");
  }
}

// A table of scalars (job_parameters, notebook_params) as an object of strings.
json::object string_map(const Context& ctx, const std::string& key) {
  if (ctx.type_of(key) != JH_TYPE_TABLE)
    throw FatalError("config: '" + key + "' must be a table of parameter values");
  json::object out;
  for (const std::string& name : ctx.keys(key)) {
    // Config paths are dotted: such a key cannot be read back on its own.
    if (name.find_first_of(".[]\"'") != std::string::npos)
      throw FatalError("config: parameter name '" + name + "' in '" + key +
                       "' cannot contain dots, brackets or quotes");
    out[name] = scalar_text(ctx, key + "." + name);
  }
  return out;
}

// An array of scalars (python_params, jar_params) as an array of strings.
json::array string_list(const Context& ctx, const std::string& key) {
  if (ctx.type_of(key) != JH_TYPE_ARRAY)
    throw FatalError("config: '" + key + "' must be an array of parameter values");
  json::array out;
  const uint64_t n = ctx.size_of(key);
  for (uint64_t i = 0; i < n; ++i) out.emplace_back(scalar_text(ctx, key + "[" + std::to_string(i) + "]"));
  return out;
}

int64_t job_id(const Context& ctx) {
  int64_t id = 0;
  switch (ctx.type_of("job_id")) {
    case JH_TYPE_NONE: throw FatalError("config: missing required key 'job_id'");
    case JH_TYPE_INT: id = *ctx.get<int64_t>("job_id"); break;
    case JH_TYPE_STRING: {  // e.g. from a template: "{{ jobs.deploy.outputs.job_id }}"
      const std::string s = *ctx.get<std::string>("job_id");
      if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
        throw FatalError("config: 'job_id' must be a Databricks job id (digits), got '" + s + "'");
      id = std::stoll(s);
      break;
    }
    default: throw FatalError("config: 'job_id' must be an integer");
  }
  if (id <= 0) throw FatalError("config: 'job_id' must be a positive integer");
  return id;
}

// The config keys that only run-now takes: a one-time run has its parameters in its tasks.
constexpr const char* kRunNowParameters[] = {"job_parameters", "notebook_params", "python_params",
                                             "jar_params"};

// TaskKey in the Jobs 2.1 description: ^[\w\-]+$, 1 to 100 characters.
bool valid_task_key(std::string_view key) {
  if (key.empty() || key.size() > 100) return false;
  for (unsigned char c : key)
    if (!std::isalnum(c) && c != '_' && c != '-') return false;
  return true;
}

// runs/submit needs at least one task (at most 100), each with its own task_key; the rest of
// a task (cluster, notebook_task, ...) is Databricks' to check, and it answers 400 with why.
void check_tasks(const json::object& body) {
  const json::value* tasks = body.if_contains("tasks");
  if (!tasks || !tasks->is_array() || tasks->get_array().empty() || tasks->get_array().size() > 100)
    throw FatalError("config: 'submit.tasks' must be an array of 1 to 100 tasks "
                     "(each a table with a task_key and what to run)");
  std::set<std::string, std::less<>> keys;
  const json::array& list = tasks->get_array();
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "config: 'submit.tasks[" + std::to_string(i) + "]";
    const json::object* task = list[i].if_object();
    if (!task) throw FatalError(where + "' must be a table");
    const json::value* key = task->if_contains("task_key");
    if (!key || !key->is_string() || !valid_task_key(key->get_string()))
      throw FatalError(where + ".task_key' is required: 1 to 100 letters, digits, '_' or '-'");
    if (!keys.emplace(key->get_string()).second)
      throw FatalError(where + ".task_key' repeats '" + std::string(key->get_string()) +
                       "': task keys must be unique");
  }
}

void check_submit(const json::object& body) {
  check_tasks(body);
  if (const json::value* name = body.if_contains("run_name"); name && !name->is_string())
    throw FatalError("config: 'submit.run_name' must be a string");
  if (const json::value* t = body.if_contains("timeout_seconds")) {
    const bool ok = (t->is_int64() && t->get_int64() >= 0 &&
                     t->get_int64() <= std::numeric_limits<int32_t>::max()) ||
                    (t->is_uint64() && t->get_uint64() <= std::numeric_limits<int32_t>::max());
    if (!ok) throw FatalError("config: 'submit.timeout_seconds' must be an integer of seconds (0 = none)");
  }
}

// The attempt's token, when the host gives a key. Without one (a 1.0 host) there is nothing to
// deduplicate on: the start is then at-least-once.
void set_idempotency_token(const Context& ctx, json::object& body) {
  if (const std::string_view key = ctx.idempotency_key(); !key.empty())
    body["idempotency_token"] = idempotency_token(key);
}

}  // namespace

StartKind start_kind(const Context& ctx) {
  const bool job = ctx.has("job_id"), submit = ctx.has("submit");
  if (job && submit)
    throw FatalError("config: give either 'job_id' (run an existing job) or 'submit' "
                     "(a one-time run), not both");
  if (!job && !submit)
    throw FatalError("config: needs 'job_id' (run an existing job) or 'submit' (a one-time run)");
  if (job) return StartKind::kRunNow;
  for (const char* key : kRunNowParameters)
    if (ctx.has(key))
      throw FatalError(std::string("config: '") + key + "' goes with 'job_id' only; a one-time "
                       "run ('submit') takes its parameters in its tasks");
  return StartKind::kSubmit;
}

SubmitBody submit_body(const Context& ctx) {
  SubmitBody out;
  out.body = config_object(ctx, "submit");
  check_submit(out.body);
  // The attempt's key decides: a token of the config's own would make every retry return
  // the first attempt's (failed) run instead of starting a new one.
  out.replaced_token = out.body.erase("idempotency_token") > 0;
  set_idempotency_token(ctx, out.body);
  return out;
}

std::string submit_run_name(const json::object& body) {
  const json::value* name = body.if_contains("run_name");
  return name && name->is_string() && !name->get_string().empty() ? std::string(name->get_string())
                                                                   : std::string("Untitled");
}

json::object run_now_body(const Context& ctx) {
  json::object body;
  body["job_id"] = job_id(ctx);
  set_idempotency_token(ctx, body);
  for (const char* key : {"job_parameters", "notebook_params"})
    if (ctx.has(key)) body[key] = string_map(ctx, key);
  for (const char* key : {"python_params", "jar_params"})
    if (ctx.has(key)) body[key] = string_list(ctx, key);
  return body;
}

}  // namespace jobhost::connectors::databricks
