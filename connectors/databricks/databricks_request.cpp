// The run-now request body, read from the job's config through the host's config paths.
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>

#include "databricks_engine.hpp"
#include "databricks_status.hpp"

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

}  // namespace

json::object run_now_body(const Context& ctx) {
  json::object body;
  body["job_id"] = job_id(ctx);
  // Without a key (a 1.0 host) there is nothing to deduplicate on: the start is then
  // at-least-once.
  if (const std::string_view key = ctx.idempotency_key(); !key.empty())
    body["idempotency_token"] = idempotency_token(key);
  for (const char* key : {"job_parameters", "notebook_params"})
    if (ctx.has(key)) body[key] = string_map(ctx, key);
  for (const char* key : {"python_params", "jar_params"})
    if (ctx.has(key)) body[key] = string_list(ctx, key);
  return body;
}

}  // namespace jobhost::connectors::databricks
