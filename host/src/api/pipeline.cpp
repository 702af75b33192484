// The fluent API over the host's own pipeline model: a Pipeline builds a PipelineSpec in code,
// registers each in-process job function as a host-side job type, and runs the spec through
// the same PipelineRun as `jobhost run`.
#include <jobhost/pipeline.hpp>

#include <spdlog/spdlog.h>

#include <mutex>
#include <toml++/toml.h>

#include <algorithm>
#include <sstream>

#include "config/diagnostics.hpp"
#include "config/pipeline_loader.hpp"
#include "config/pipeline_spec.hpp"
#include "config/strict_table.hpp"
#include "exec/pipeline_run.hpp"
#include "plugins/plugin_registry.hpp"
#include "state/run_store.hpp"

namespace jobhost {
namespace {

// In-process job types get names no plugin can publish against them by accident.
constexpr std::string_view kLocalPrefix = "local.";

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

// A job function behind the C ABI: jh_job_type first, so the host runs it like a plugin's
// job type; type_data leads the trampolines back to the LocalJob.
struct LocalJob {
  jh_job_type c{};
  std::string name;  // c.name points into it
  JobFn fn;
  DeferrableJob deferrable;  // when run through run_local_deferrable
};

const LocalJob& local_of(const jh_job_type* self) {
  return *static_cast<const LocalJob*>(self->type_data);
}

jh_status JH_CALL run_local_job(const jh_job_type* self, const jh_host* host, jh_job_ctx* ctx,
                                const jh_run_info* info) {
  return detail::invoke_job(local_of(self).fn, host, ctx, info);
}

// Deferrable in-process jobs: what sdk.hpp's deferrable_job<T> does for a plugin's class.
jh_status answer(const jh_host* host, jh_job_ctx* ctx, const Outcome& o) {
  return o.deferred() ? detail::defer_to_host(host, ctx, o.deferral())
                      : detail::report(host, ctx, o.status());
}

jh_status JH_CALL run_local_deferrable(const jh_job_type* self, const jh_host* host,
                                       jh_job_ctx* ctx, const jh_run_info* info) {
  return detail::guarded(host, ctx, [&] {
    Context context(host, ctx, info);
    return answer(host, ctx, local_of(self).deferrable.run(context));
  });
}

jh_status JH_CALL poll_local_deferrable(const jh_job_type* self, const jh_host* host,
                                        jh_job_ctx* ctx, const jh_run_info* info, jh_str handle) {
  return detail::guarded(host, ctx, [&] {
    Context context(host, ctx, info);
    return answer(host, ctx, local_of(self).deferrable.poll(context, detail::from_jh(handle)));
  });
}

jh_status JH_CALL cancel_local_deferrable(const jh_job_type* self, const jh_host* host,
                                          jh_job_ctx* ctx, const jh_run_info* info, jh_str handle) {
  return detail::guarded(host, ctx, [&] {
    Context context(host, ctx, info);
    return detail::report(host, ctx, local_of(self).deferrable.cancel(context, detail::from_jh(handle)));
  });
}

}  // namespace

PipelineError::PipelineError(std::vector<std::string> messages)
    : std::runtime_error(join_lines(messages)), messages_(std::move(messages)) {}

struct Pipeline::Impl {
  // cancel() from another thread: the run in progress, if any.
  std::mutex run_mu;
  bool running = false;
  bool cancel_requested = false;  // before the PipelineRun exists
  PipelineRun* active = nullptr;

  PipelineSpec spec;
  std::vector<std::unique_ptr<LocalJob>> local_jobs;  // stable addresses: type->type_data
  std::map<std::string, JobTypeRef, std::less<>> local_types;
  std::vector<std::string> plugin_dirs;
  std::unique_ptr<PluginRegistry> plugins;  // loaded on first need
  std::vector<std::string> searched;        // where `plugins` looked

  std::string where() const { return "pipeline '" + spec.name + "'"; }
  [[noreturn]] void fail(const std::string& message) const {
    throw PipelineError({where() + ": " + message});
  }
  // Host errors carry file:line for pipeline files; a pipeline in code has neither.
  [[noreturn]] void rethrow(const InputError& e) const {
    std::vector<std::string> out;
    for (auto& d : e.diagnostics()) out.push_back(where() + ": " + d.message);
    throw PipelineError(std::move(out));
  }
  bool is_local(const JobSpec& j) const { return local_types.count(j.uses) != 0; }

  JobSpec make_job(std::string_view name, const JobOptions& o) const;
  // Registers an in-process job type for job `j` (its `uses` becomes local.<name>).
  LocalJob& add_local(JobSpec& j);
  const PluginRegistry& load_plugins();
  void validate_plugin_jobs();
  std::string describe() const;
};

JobSpec Pipeline::Impl::make_job(std::string_view name_view, const JobOptions& o) const {
  std::string name(name_view);
  if (!valid_name(name)) fail("job name '" + name + "' must match [A-Za-z0-9_-]+");
  if (spec.find(name)) fail("duplicate job name '" + name + "'");
  auto job_fail = [&](const std::string& m) { fail("job '" + name + "': " + m); };

  JobSpec j;
  j.name = name;
  j.depends_on = o.depends_on;
  if (o.retries < 0 || o.retries > 1000) job_fail("retries must be between 0 and 1000");
  if (o.retry_delay.count() < 0 || o.retry_max_delay.count() < 0)
    job_fail("retry delays must not be negative");
  if (!(o.retry_backoff >= 1.0 && o.retry_backoff <= 100.0))
    job_fail("retry_backoff must be between 1.0 and 100.0");
  if (o.timeout && o.timeout->count() <= 0) job_fail("timeout must be positive");
  j.retry.retries = o.retries;
  j.retry.delay = o.retry_delay;
  j.retry.backoff = o.retry_backoff;
  j.retry.max_delay = o.retry_max_delay;
  j.retry.jitter = o.retry_jitter;
  j.timeout = o.timeout;
  j.priority = o.priority;
  if (auto rule = trigger_rule_from_string(o.trigger)) {
    j.trigger = *rule;
  } else {
    auto hint = closest_match(o.trigger, trigger_rule_names());
    job_fail("unknown trigger rule '" + o.trigger + "'" +
             (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  try {
    j.config = toml::parse(o.config, "job '" + name + "' config");
  } catch (const toml::parse_error& e) {
    job_fail("config is not valid TOML: " + std::string(e.description()) + " (line " +
             std::to_string(e.source().begin.line) + ", column " +
             std::to_string(e.source().begin.column) + ")");
  }
  return j;
}

const PluginRegistry& Pipeline::Impl::load_plugins() {
  if (plugins) return *plugins;
  // Same switch as the CLI's: development trees may have group-writable folders.
  const char* insecure = std::getenv("JOBHOST_ALLOW_INSECURE_PLUGINS");
  auto reg = std::make_unique<PluginRegistry>(
      PluginLoadOptions{insecure != nullptr && std::string(insecure) == "1"});
  searched.clear();
  for (auto& dir : plugin_search_path(plugin_dirs, {})) {
    searched.push_back(dir.string());
    reg->load_path(dir);
  }
  for (auto& r : reg->refused()) spdlog::warn("plugin refused: {}: {}", r.file, r.reason);
  plugins = std::move(reg);
  return *plugins;
}

void Pipeline::Impl::validate_plugin_jobs() {
  PipelineSpec plugin_jobs;
  plugin_jobs.name = spec.name;
  for (auto& j : spec.jobs)
    if (!is_local(j)) plugin_jobs.jobs.push_back(j);
  if (plugin_jobs.jobs.empty()) return;  // no plugin is loaded for lambda-only pipelines
  const PluginRegistry& reg = load_plugins();
  try {
    validate_pipeline(plugin_jobs, reg);
  } catch (const InputError& e) {
    std::vector<std::string> out;
    for (auto& d : e.diagnostics()) out.push_back(where() + ": " + d.message);
    if (reg.job_type_names().empty()) {
      std::string dirs;
      for (auto& s : searched) dirs += (dirs.empty() ? "" : ", ") + s;
      out.push_back(where() + ": no plugins were found in: " + (dirs.empty() ? "(nothing)" : dirs) +
                    " (set Pipeline::plugin_path or JOBHOST_PLUGIN_PATH)");
    }
    throw PipelineError(std::move(out));
  }
}

// The pipeline as TOML: what the run store records as the definition that was run.
std::string Pipeline::Impl::describe() const {
  toml::table root;
  toml::table p{{"name", spec.name}};
  if (!spec.description.empty()) p.insert("description", spec.description);
  toml::table params;
  for (auto& [k, v] : spec.params) params.insert(k, v);
  if (!params.empty()) p.insert("params", std::move(params));
  root.insert("pipeline", std::move(p));
  toml::array jobs;
  for (auto& j : spec.jobs) {
    toml::array deps;
    for (auto& d : j.depends_on) deps.push_back(d);
    toml::table t{{"name", j.name}, {"uses", j.uses}, {"depends_on", std::move(deps)},
                  {"trigger", to_string(j.trigger)}, {"retries", j.retry.retries}};
    if (!j.config.empty()) t.insert("config", j.config);
    jobs.push_back(std::move(t));
  }
  root.insert("jobs", std::move(jobs));
  std::ostringstream os;
  os << root;
  return os.str();
}

Pipeline::Pipeline(std::string name) : impl_(std::make_unique<Impl>()) {
  impl_->spec.name = std::move(name);
  if (!valid_name(impl_->spec.name))
    throw PipelineError({"pipeline name '" + impl_->spec.name + "' must match [A-Za-z0-9_-]+"});
}
Pipeline::~Pipeline() = default;
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;

LocalJob& Pipeline::Impl::add_local(JobSpec& j) {
  j.uses = std::string(kLocalPrefix) + j.name;
  auto local = std::make_unique<LocalJob>();
  local->c.struct_size = sizeof(jh_job_type);
  local->name = j.name;
  local->c.name = local->name.c_str();
  local->c.summary = "in-process job";
  local->c.version = JOBHOST_VERSION_STRING;
  local->c.type_data = local.get();
  local_jobs.push_back(std::move(local));
  return *local_jobs.back();
}

namespace {
JobTypeRef local_ref(const JobSpec& j, const LocalJob& local) {
  JobTypeRef ref;
  ref.qualified_name = j.uses;
  ref.summary = local.c.summary;
  ref.version = local.c.version;
  ref.plugin_file = "(in-process)";
  ref.type = &local.c;
  ref.read_abi_1_1();
  return ref;
}
}  // namespace

Pipeline& Pipeline::add_job(std::string_view name, JobFn fn, JobOptions options) {
  JobSpec j = impl_->make_job(name, options);
  if (!fn) impl_->fail("job '" + j.name + "': the job function is empty");
  LocalJob& local = impl_->add_local(j);
  local.fn = std::move(fn);
  local.c.run = &run_local_job;
  impl_->local_types[j.uses] = local_ref(j, local);
  impl_->spec.jobs.push_back(std::move(j));
  return *this;
}

Pipeline& Pipeline::add_job(std::string_view name, DeferrableJob job, JobOptions options) {
  JobSpec j = impl_->make_job(name, options);
  if (!job.run || !job.poll)
    impl_->fail("job '" + j.name + "': a deferrable job needs both run and poll");
  LocalJob& local = impl_->add_local(j);
  local.deferrable = std::move(job);
  local.c.run = &run_local_deferrable;
  local.c.poll = &poll_local_deferrable;
  if (local.deferrable.cancel) local.c.cancel = &cancel_local_deferrable;
  impl_->local_types[j.uses] = local_ref(j, local);
  impl_->spec.jobs.push_back(std::move(j));
  return *this;
}

Pipeline& Pipeline::add_job(std::string_view name, std::string_view job_type, JobOptions options) {
  JobSpec j = impl_->make_job(name, options);
  j.uses = std::string(job_type);
  auto dot = j.uses.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == j.uses.size())
    impl_->fail("job '" + j.name + "': the job type must be <plugin>.<job type>, got '" + j.uses + "'");
  if (j.uses.compare(0, kLocalPrefix.size(), kLocalPrefix) == 0)
    impl_->fail("job '" + j.name + "': job types named 'local.*' are reserved for in-process jobs");
  impl_->spec.jobs.push_back(std::move(j));
  return *this;
}

Pipeline& Pipeline::max_parallel(int n) {
  if (n < 1) impl_->fail("max_parallel must be at least 1, got " + std::to_string(n));
  impl_->spec.max_parallel = n;
  return *this;
}

Pipeline& Pipeline::max_deferred(int n) {
  if (n < 1) impl_->fail("max_deferred must be at least 1, got " + std::to_string(n));
  impl_->spec.max_deferred = n;
  return *this;
}

Pipeline& Pipeline::fail_fast(bool on) {
  impl_->spec.fail_fast = on;
  return *this;
}

Pipeline& Pipeline::description(std::string text) {
  impl_->spec.description = std::move(text);
  return *this;
}

Pipeline& Pipeline::plugin_path(std::string dir) {
  impl_->plugin_dirs.push_back(std::move(dir));
  impl_->plugins.reset();  // the search path changed: load again when next needed
  return *this;
}

Pipeline& Pipeline::param(std::string name, std::string default_value) {
  if (!valid_name(name)) impl_->fail("param name '" + name + "' must match [A-Za-z0-9_-]+");
  for (auto& [k, v] : impl_->spec.params) {
    if (k == name) {
      v = std::move(default_value);
      return *this;
    }
  }
  impl_->spec.params.emplace_back(std::move(name), std::move(default_value));
  return *this;
}

const std::string& Pipeline::name() const { return impl_->spec.name; }

std::vector<std::string> Pipeline::job_names() const {
  std::vector<std::string> out;
  for (auto& j : impl_->spec.jobs) out.push_back(j.name);
  return out;
}

void Pipeline::validate() const {
  const PipelineSpec& spec = impl_->spec;
  if (spec.jobs.empty()) impl_->fail("a pipeline needs at least one job");
  try {
    Diagnostics diags(spec.file);
    check_job_names_and_dependencies(spec, diags);
    diags.throw_if_any();
    check_no_cycle(spec);
    check_job_output_templates(spec, diags);
    diags.throw_if_any();
  } catch (const InputError& e) {
    impl_->rethrow(e);
  }
  impl_->validate_plugin_jobs();
}

namespace {
// Runs `f` when the scope ends, however it ends.
template <class F>
struct OnExit {
  F f;
  ~OnExit() { f(); }
};
template <class F>
OnExit(F) -> OnExit<F>;
}  // namespace

void Pipeline::cancel() {
  std::lock_guard lock(impl_->run_mu);
  if (!impl_->running) return;
  impl_->cancel_requested = true;
  if (impl_->active) impl_->active->cancel();
}

RunResult Pipeline::run(const RunOptions& options) {
  {
    std::lock_guard lock(impl_->run_mu);
    impl_->running = true;
    impl_->cancel_requested = false;
  }
  OnExit finished{[this] {
    std::lock_guard lock(impl_->run_mu);
    impl_->running = false;
  }};
  validate();
  PipelineSpec& spec = impl_->spec;
  spec.source_text = impl_->describe();

  RunRequest req;
  req.spec = &spec;
  req.plugins = impl_->plugins.get();  // null when every job is in-process
  req.local_types = &impl_->local_types;
  req.logical_date = options.logical_date.empty() ? today_utc() : options.logical_date;
  req.param_overrides = options.params;
  req.max_parallel = spec.max_parallel.value_or(0);
  req.max_deferred = spec.max_deferred.value_or(0);
  req.force = options.force;
  req.scratch_root = options.scratch_root;
  req.log_state_changes = options.log_state_changes;

  RunReport report;
  try {
    std::unique_ptr<state::RunStore> store;
    if (!options.state_path.empty()) {
      state::StoreOptions so;
      so.path = options.state_path;
      store = state::RunStore::open(so);
    }
    req.store = store.get();
    PipelineRun run(std::move(req));
    {
      std::lock_guard lock(impl_->run_mu);
      impl_->active = &run;
      if (impl_->cancel_requested) run.cancel();
    }
    OnExit detach{[this] {
      std::lock_guard lock(impl_->run_mu);
      impl_->active = nullptr;
    }};
    report = run.run();
  } catch (const InputError& e) {
    impl_->rethrow(e);
  } catch (const RunLocked& e) {
    impl_->fail(e.what());
  } catch (const state::StoreError& e) {
    impl_->fail(std::string("run store: ") + e.what());
  }
  for (auto& n : report.notices) spdlog::warn("{}: {}", impl_->where(), n);

  std::vector<JobResult> jobs;
  for (size_t i = 0; i < report.names.size(); ++i) {
    const JobOutcome& o = report.exec.jobs[i];
    JobResult r;
    r.name = report.names[i];
    r.state = state::to_string(o.state);
    r.attempts = o.attempts;
    r.duration_ms = o.duration_ms;
    if (o.state != JobState::success) r.error = o.error;
    r.carried_over = report.carried_over[i];
    r.outputs.insert(o.outputs.begin(), o.outputs.end());
    r.metrics.insert(o.metrics.begin(), o.metrics.end());
    jobs.push_back(std::move(r));
  }
  return RunResult(report.run_id, report.pipeline, report.logical_date, report.status,
                   std::move(jobs));
}

RunResult::RunResult(std::string run_id, std::string pipeline, std::string logical_date,
                     std::string status, std::vector<JobResult> jobs)
    : run_id_(std::move(run_id)),
      pipeline_(std::move(pipeline)),
      logical_date_(std::move(logical_date)),
      status_(std::move(status)),
      jobs_(std::move(jobs)) {}

const JobResult& RunResult::job(std::string_view name) const {
  for (auto& j : jobs_)
    if (j.name == name) return j;
  throw std::out_of_range("run " + run_id_ + " of pipeline '" + pipeline_ + "' has no job '" +
                          std::string(name) + "'");
}

std::optional<std::string> RunResult::output(std::string_view job_name, std::string_view key) const {
  const JobResult& j = job(job_name);
  auto it = j.outputs.find(std::string(key));
  if (it == j.outputs.end()) return std::nullopt;
  return it->second;
}

}  // namespace jobhost
