#include "config/pipeline_loader.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <utility>

#include "config/config_schema.hpp"
#include "config/diagnostics.hpp"
#include "config/pipeline_schedule.hpp"
#include "config/strict_table.hpp"
#include "config/templates.hpp"
#include "connections/connections.hpp"
#include "graph/dag.hpp"
#include "plugins/plugin_registry.hpp"
#include "resources/pool_config.hpp"

namespace jobhost {

bool valid_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

namespace {

// The shortest text that reads back as the same double (0.1 stays "0.1", 1e-9 stays exact).
std::string shortest_decimal(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

const std::vector<std::string> kRunVariables = {
    "run.logical_date", "run.logical_time", "run.data_interval_start", "run.data_interval_end",
    "run.id", "job.name", "pipeline.name"};

// [defaults] and per-job settings share these keys.
void read_retry_and_timeout(StrictTable& t, RetryPolicy& retry, std::optional<Millis>& timeout) {
  if (auto v = t.integer("retries", 0, 1000)) retry.retries = static_cast<int>(*v);
  if (auto v = t.duration("retry_delay")) retry.delay = *v;
  if (auto v = t.number("retry_backoff", 1.0, 100.0)) retry.backoff = *v;
  if (auto v = t.duration("retry_max_delay")) retry.max_delay = *v;
  if (auto v = t.boolean("retry_jitter")) retry.jitter = *v;
  if (auto v = t.duration("timeout")) timeout = *v;
}

void check_templates(const toml::node& node, const std::set<std::string>& known,
                     Diagnostics& diags) {
  if (auto* s = node.as_string()) {
    std::string err;
    for (auto& var : template_variables(s->get(), &err)) {
      if (var.rfind("jobs.", 0) == 0) {  // upstream outputs: checked once the graph is known
        if (!parse_job_output(var))
          diags.add(node, "malformed template variable '{{ " + var +
                              " }}': an upstream output is '{{ jobs.NAME.outputs.KEY }}'");
        continue;
      }
      if (!known.count(var)) {
        std::vector<std::string> cands(known.begin(), known.end());
        auto hint = closest_match(var, cands);
        diags.add(node, "unknown template variable '{{ " + var + " }}'" +
                            (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      }
    }
    if (!err.empty()) diags.add(node, err);
  } else if (auto* t = node.as_table()) {
    for (auto& [k, v] : *t) check_templates(v, known, diags);
  } else if (auto* a = node.as_array()) {
    for (auto& v : *a) check_templates(v, known, diags);
  }
}

// `pool` and `pool_slots`; whether the pool exists is the host config's to say (validate).
void read_job_pool(StrictTable& t, const toml::table& jt, JobSpec& job) {
  if (auto v = t.string("pool")) {
    job.pool = *v;
    job.pool_slots = 1;
    const auto at = jt.get("pool")->source().begin;
    job.pool_line = static_cast<int>(at.line);
    job.pool_column = static_cast<int>(at.column);
    if (!valid_name(job.pool)) t.error("pool", "pool name '" + job.pool + "' must match [A-Za-z0-9_-]+");
  }
  if (auto v = t.integer("pool_slots", 1, 1000000)) {
    if (job.pool.empty()) t.error("pool_slots", "pool_slots needs pool: the pool whose slots the job takes");
    else job.pool_slots = static_cast<int>(*v);
  }
}

}  // namespace

const JobSpec* PipelineSpec::find(std::string_view job) const {
  for (auto& j : jobs)
    if (j.name == job) return &j;
  return nullptr;
}

namespace {

// Takes the text by value so a file's bytes are moved, not copied, into source_text.
PipelineSpec load_pipeline(std::string text, const std::string& file) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw InputError(file, static_cast<int>(e.source().begin.line),
                     static_cast<int>(e.source().begin.column), std::string(e.description()));
  }
  Diagnostics diags(file);
  PipelineSpec spec;
  spec.file = file;
  spec.source_text = std::move(text);  // toml++ copied what it needs out of it

  StrictTable top(root, "", diags);
  top.allow({"pipeline", "defaults", "jobs"});

  RetryPolicy default_retry;
  std::optional<Millis> default_timeout;
  TriggerRule default_trigger = TriggerRule::all_success;
  JobResources default_resources;

  if (auto* p = top.table("pipeline", /*required=*/true)) {
    StrictTable t(*p, "pipeline", diags);
    t.allow({"name", "description", "max_parallel", "max_deferred", "fail_fast", "params",
             "schedule", "timezone", "start_date", "end_date", "catchup", "max_active_runs",
             "trigger", "isolation"});
    if (auto v = t.string("name", true)) {
      spec.name = *v;
      if (!valid_name(spec.name)) t.error("name", "pipeline name must match [A-Za-z0-9_-]+");
    }
    spec.description = t.string("description").value_or("");
    if (auto v = t.integer("max_parallel", 1, 100000)) spec.max_parallel = static_cast<int>(*v);
    if (auto v = t.integer("max_deferred", 1, 10000000)) spec.max_deferred = static_cast<int>(*v);
    spec.fail_fast = t.boolean("fail_fast").value_or(false);
    if (auto v = t.string("isolation")) {
      if (auto i = isolation_from_string(*v)) spec.isolation = *i;
      else t.error("isolation", "isolation must be \"thread\" or \"process\", got '" + *v + "'", *v, {"thread", "process"});
    }
    spec.schedule = read_pipeline_schedule(*p, spec.name, diags);
    if (auto* params = t.table("params")) {
      // toml::table is ordered by key; file order is kept by source position.
      std::vector<std::pair<toml::source_position, std::pair<std::string, std::string>>> ordered;
      for (auto& [k, v] : *params) {
        std::string value;
        if (auto s = v.value_exact<std::string>()) value = *s;
        else if (auto i = v.value_exact<int64_t>()) value = std::to_string(*i);
        else if (auto d = v.value_exact<double>()) value = shortest_decimal(*d);
        else if (auto b = v.value_exact<bool>()) value = *b ? "true" : "false";
        else { diags.add(v, "param '" + std::string(k.str()) + "' must be a string, number or boolean"); continue; }
        ordered.push_back({k.source().begin, {std::string(k.str()), value}});
      }
      std::stable_sort(ordered.begin(), ordered.end(), [](auto& a, auto& b) {
        return std::pair(a.first.line, a.first.column) < std::pair(b.first.line, b.first.column);
      });
      for (auto& o : ordered) spec.params.push_back(o.second);
    }
  }

  if (auto* d = top.table("defaults")) {
    StrictTable t(*d, "defaults", diags);
    t.allow({"retries", "retry_delay", "retry_backoff", "retry_max_delay", "retry_jitter", "timeout",
             "trigger", "isolation", "memory_limit", "cpu_limit", "max_open_files"});
    read_retry_and_timeout(t, default_retry, default_timeout);
    read_job_resources(t, default_resources);
    if (auto v = t.string("trigger")) {
      if (auto r = trigger_rule_from_string(*v)) default_trigger = *r;
      else t.error("trigger", "unknown trigger rule '" + *v + "'", *v, trigger_rule_names());
    }
  }

  std::set<std::string> known_vars(kRunVariables.begin(), kRunVariables.end());
  for (auto& [k, v] : spec.params) known_vars.insert("params." + k);

  auto* jobs = root.get("jobs");
  if (!jobs) {
    diags.add(root, "a pipeline needs at least one [[jobs]] entry");
  } else if (!jobs->is_array_of_tables()) {
    diags.add(*jobs, "'jobs' must be an array of tables ([[jobs]])");
  } else {
    spec.jobs.reserve(jobs->as_array()->size());
    for (auto& node : *jobs->as_array()) {
      auto& jt = *node.as_table();
      StrictTable t(jt, "jobs", diags);
      t.allow({"name", "uses", "depends_on", "trigger", "config", "retries", "retry_delay",
               "retry_backoff", "retry_max_delay", "retry_jitter", "timeout", "priority",
               "description", "isolation", "memory_limit", "cpu_limit", "max_open_files",
               "pool", "pool_slots"});
      JobSpec job;
      job.line = static_cast<int>(jt.source().begin.line);
      job.column = static_cast<int>(jt.source().begin.column);
      job.retry = default_retry;
      job.timeout = default_timeout;
      job.trigger = default_trigger;
      job.resources = default_resources;
      if (auto v = t.string("name", true)) {
        job.name = *v;
        if (!valid_name(job.name)) t.error("name", "job name '" + job.name + "' must match [A-Za-z0-9_-]+");
      }
      if (auto v = t.string("uses", true)) {
        job.uses = *v;
        auto dot = job.uses.find('.');
        if (dot == std::string::npos || dot == 0 || dot + 1 == job.uses.size())
          t.error("uses", "'uses' must be <plugin>.<job type>, got '" + job.uses + "'");
      }
      job.depends_on = t.string_list("depends_on");
      if (auto v = t.string("trigger")) {
        if (auto r = trigger_rule_from_string(*v)) job.trigger = *r;
        else t.error("trigger", "unknown trigger rule '" + *v + "'", *v, trigger_rule_names());
      }
      read_retry_and_timeout(t, job.retry, job.timeout);
      if (auto v = t.integer("priority", -1000000, 1000000)) job.priority = static_cast<int>(*v);
      read_job_pool(t, jt, job);
      read_job_resources(t, job.resources);
      if (auto* c = t.table("config")) {
        // Moved, not copied, out of the parsed document (ours): a copy of a toml++ node loses
        // its source positions, which schema checks report.
        job.config = std::move(*const_cast<toml::table*>(c));
        check_templates(job.config, known_vars, diags);
      }
      spec.jobs.push_back(std::move(job));
    }
  }

  check_job_names_and_dependencies(spec, diags);
  diags.throw_if_any();
  check_no_cycle(spec);
  check_job_output_templates(spec, diags);
  diags.throw_if_any();
  return spec;
}

}  // namespace

PipelineSpec load_pipeline_text(const std::string& text, const std::string& file) {
  return load_pipeline(text, file);
}

void check_job_names_and_dependencies(const PipelineSpec& spec, Diagnostics& diags) {
  // Name -> index of its first job; the views point into spec, which outlives this call.
  std::unordered_map<std::string_view, uint32_t> by_name;
  by_name.reserve(spec.jobs.size());
  for (uint32_t i = 0; i < spec.jobs.size(); ++i) {
    auto& j = spec.jobs[i];
    if (j.name.empty()) continue;
    auto [it, fresh] = by_name.emplace(j.name, i);
    const JobSpec& first = spec.jobs[it->second];
    if (!fresh)
      diags.add(j.line, j.column, "duplicate job name '" + j.name + "'" +
                                      (first.line > 0 ? " (first defined at line " +
                                                            std::to_string(first.line) + ")"
                                                      : std::string()));
  }
  // Sorted names for "did you mean" hints (closest_match keeps the first of equally close
  // candidates); built only once a dependency is unknown.
  std::vector<std::string> names;
  auto hint_names = [&]() -> const std::vector<std::string>& {
    if (names.empty()) {
      names.reserve(by_name.size());
      for (auto& [name, i] : by_name) names.emplace_back(name);
      std::sort(names.begin(), names.end());
    }
    return names;
  };
  // listed_by[d] == i once job i has listed dependency d: finds repeats in a depends_on
  // list of any length without a set per job.
  std::vector<uint32_t> listed_by(spec.jobs.size(), UINT32_MAX);
  for (uint32_t i = 0; i < spec.jobs.size(); ++i) {
    auto& j = spec.jobs[i];
    for (auto& d : j.depends_on) {
      if (d == j.name) {
        diags.add(j.line, j.column, "job '" + j.name + "' depends on itself");
        continue;
      }
      auto it = by_name.find(d);
      if (it == by_name.end()) {
        auto hint = closest_match(d, hint_names());
        diags.add(j.line, j.column, "job '" + j.name + "' depends on unknown job '" + d + "'" +
                                        (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      } else if (std::exchange(listed_by[it->second], i) == i) {
        diags.add(j.line, j.column, "job '" + j.name + "' lists dependency '" + d + "' twice");
      }
    }
  }
}

void check_job_output_templates(const PipelineSpec& spec, Diagnostics& diags) {
  std::unordered_map<std::string_view, uint32_t> by_name;
  for (uint32_t i = 0; i < spec.jobs.size(); ++i) by_name.emplace(spec.jobs[i].name, i);
  for (auto& j : spec.jobs) {
    auto uses = job_output_uses(j.config);
    if (uses.empty()) continue;
    // The job's upstream jobs, direct and transitive (the graph has no cycle by now).
    std::set<std::string_view> upstream;
    std::vector<const JobSpec*> stack{&j};
    while (!stack.empty()) {
      const JobSpec* v = stack.back();
      stack.pop_back();
      for (auto& d : v->depends_on) {
        auto it = by_name.find(d);
        if (it != by_name.end() && upstream.insert(d).second) stack.push_back(&spec.jobs[it->second]);
      }
    }
    for (auto& u : uses) {
      const std::string& name = u.ref.job;
      if (upstream.count(name)) continue;
      std::string where = "'{{ jobs." + name + ".outputs." + u.ref.key + " }}': ";
      if (!by_name.count(name)) {
        std::vector<std::string> names(upstream.begin(), upstream.end());
        auto hint = closest_match(name, names);
        diags.add(*u.node, where + "no job '" + name + "' in the pipeline" +
                               (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      } else {
        diags.add(*u.node, where + "job '" + name + "' is not upstream of job '" + j.name +
                               "' (add it to depends_on, directly or through another job)");
      }
    }
  }
}

void check_no_cycle(const PipelineSpec& spec) {
  if (auto cycle = find_cycle(spec)) {
    const JobSpec* first = spec.find(cycle->front());
    std::string path;
    for (auto& n : *cycle) path += n + " -> ";
    path += cycle->front();
    throw InputError(spec.file, first->line, first->column, "dependency cycle: " + path);
  }
}

PipelineSpec load_pipeline_file(const std::string& path) {
  // A folder opens and "seeks" to a huge size on some file systems: say what it is instead.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path, 0, 0, "cannot open pipeline file: it is a folder");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, 0, "cannot open pipeline file: " + std::string(std::strerror(errno)));
  // One read straight into the string that the spec keeps as source_text.
  std::string text;
  in.seekg(0, std::ios::end);
  if (auto size = in.tellg(); size > 0) {
    text.resize(static_cast<size_t>(size));
    in.seekg(0);
    in.read(text.data(), size);
    text.resize(static_cast<size_t>(in.gcount()));
  } else {  // not seekable (a pipe): stream it
    in.clear();
    std::ostringstream ss;
    ss << in.rdbuf();
    text = std::move(ss).str();
  }
  return load_pipeline(std::move(text), path);
}

void validate_pipeline(const PipelineSpec& spec, const PluginRegistry& plugins) {
  validate_pipeline(spec, [&](std::string_view uses) { return plugins.find(uses); }, &plugins);
}

namespace {

// The refused plugin file that would have provided `uses` ("plugin.type"): by the plugin name
// its descriptor gave, else by its file name.
const RefusedPlugin* refused_provider(const PluginRegistry& plugins, std::string_view uses) {
  const std::string_view plugin = uses.substr(0, uses.find('.'));
  for (auto& r : plugins.refused())
    if (r.plugin_name == plugin) return &r;
  for (auto& r : plugins.refused())
    if (r.plugin_name.empty() && std::filesystem::path(r.file).stem() == plugin) return &r;
  return nullptr;
}

std::string unknown_type_message(const JobSpec& j, const PluginRegistry* plugins) {
  std::vector<std::string> types = plugins ? plugins->job_type_names() : std::vector<std::string>{};
  if (plugins) {
    if (const RefusedPlugin* r = refused_provider(*plugins, j.uses))
      return "job '" + j.name + "' uses job type '" + j.uses + "' from plugin file " + r->file +
             ", which was refused: " + r->reason;
  }
  auto hint = closest_match(j.uses, types);
  std::string m = "job '" + j.name + "' uses unknown job type '" + j.uses + "'" +
                  (hint.empty() ? "" : " (did you mean '" + hint + "'?)");
  if (types.empty()) m += " (no plugins loaded: check --plugin-path)";
  if (plugins && !plugins->refused().empty() && hint.empty())
    m += " (" + std::to_string(plugins->refused().size()) +
         " plugin file(s) were refused: see jobhost plugins)";
  return m;
}

}  // namespace

void validate_pipeline(const PipelineSpec& spec,
                       const std::function<const JobTypeRef*(std::string_view)>& find_type,
                       const PluginRegistry* plugins) {
  Diagnostics diags(spec.file);
  const auto connections = host_connections();
  check_job_pools(spec, *host_pools(), diags);
  std::vector<const JobTypeRef*> types(spec.jobs.size());
  for (size_t i = 0; i < spec.jobs.size(); ++i) {
    auto& j = spec.jobs[i];
    types[i] = find_type(j.uses);
    if (!types[i]) diags.add(j.line, j.column, unknown_type_message(j, plugins));
  }
  // Configs against their job types' declared schemas, and upstream outputs against the
  // outputs their job types declare.
  std::unordered_map<std::string_view, size_t> by_name;
  for (size_t i = 0; i < spec.jobs.size(); ++i) by_name.emplace(spec.jobs[i].name, i);
  for (size_t i = 0; i < spec.jobs.size(); ++i) {
    auto& j = spec.jobs[i];
    if (!types[i]) continue;
    if (types[i]->config_schema) types[i]->config_schema->check(j.config, j.name, j.line, j.column, diags);
    if (!types[i]->connection_types.empty())
      check_job_connection(j, types[i]->connection_types, *connections, diags);
    for (auto& u : job_output_uses(j.config)) {
      auto it = by_name.find(u.ref.job);
      if (it == by_name.end() || !types[it->second]) continue;
      const auto& declared = types[it->second]->outputs_schema;
      if (!declared || !declared->closed()) continue;
      auto keys = declared->property_names();
      if (std::find(keys.begin(), keys.end(), u.ref.key) != keys.end()) continue;
      auto hint = closest_match(u.ref.key, keys);
      std::string list;
      for (auto& k : keys) list += (list.empty() ? "" : ", ") + k;
      diags.add(*u.node, "'{{ jobs." + u.ref.job + ".outputs." + u.ref.key + " }}': job '" +
                             u.ref.job + "' (" + types[it->second]->qualified_name +
                             ") publishes no output '" + u.ref.key + "'" +
                             (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                             (list.empty() ? "; it declares none" : "; it declares: " + list));
    }
  }
  diags.sort_by_position();
  diags.throw_if_any();
}

}  // namespace jobhost
