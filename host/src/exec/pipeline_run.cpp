#include "exec/pipeline_run.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <ctime>
#include <mutex>
#include <random>
#include <set>
#include <sstream>

#include "config/diagnostics.hpp"
#include "config/templates.hpp"
#include "graph/dag.hpp"
#include "util/hash.hpp"

namespace jobhost {

bool RunReport::nothing_to_do() const {
  for (bool c : carried_over)
    if (!c) return false;
  return !carried_over.empty();
}

std::string today_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

bool valid_logical_date(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (d[i] < '0' || d[i] > '9') return false;
  int y = std::stoi(d.substr(0, 4)), m = std::stoi(d.substr(5, 2)), day = std::stoi(d.substr(8, 2));
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || day < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return day <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

namespace {

std::string random_hex(int digits) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard lock(mu);
  std::string out;
  for (int i = 0; i < digits; ++i) out += "0123456789abcdef"[rng() % 16];
  return out;
}

// Records state changes in the store and logs them; gates dependants on durability.
class RunObserver : public ExecutionObserver {
 public:
  RunObserver(const RunRequest& req, const RunReport& report, const std::vector<std::string>& hashes)
      : req_(req), report_(report), hashes_(hashes) {}

  void on_attempt_start(uint32_t job, int attempt) override {
    if (req_.store) req_.store->job_started(report_.run_id, report_.try_number, name(job), attempt, hashes_[job]);
    notify(job, JobState::running, attempt, "");
  }
  void on_attempt_end(uint32_t job, int attempt, JobState state, const AttemptResult& r,
                      int64_t duration_ms) override {
    if (req_.store) record_end(job, attempt, state, r, duration_ms, nullptr, nullptr);
    notify(job, state, attempt, r.error);
  }
  void on_success_held(uint32_t job, int attempt, const AttemptResult& r, int64_t duration_ms,
                       Release release, void* executor) override {
    // Reported first: the release may start dependants before the store has the end.
    notify(job, JobState::success, attempt, r.error);
    record_end(job, attempt, JobState::success, r, duration_ms, release, executor);
  }
  void on_settled_without_run(uint32_t job, JobState state, const std::string& reason) override {
    if (req_.store) req_.store->job_settled(report_.run_id, report_.try_number, name(job), state, reason,
                                            hashes_[job]);
    notify(job, state, 0, reason);
  }
  bool holds_release() const override { return req_.store != nullptr; }
  void before_release(uint32_t job, Release release, void* executor) override {
    req_.store->when_durable(release, executor, job);
  }

 private:
  const std::string& name(uint32_t job) const { return report_.names[job]; }
  // Hands an attempt's end to the store; with `release`, its dependants' release too.
  void record_end(uint32_t job, int attempt, JobState state, const AttemptResult& r,
                  int64_t duration_ms, Release release, void* executor) {
    std::map<std::string, double> metrics(r.metrics.begin(), r.metrics.end());
    std::map<std::string, std::string> outputs(r.outputs.begin(), r.outputs.end());
    if (release)
      req_.store->job_finished_then(report_.run_id, report_.try_number, name(job), attempt,
                                    state, r.error, duration_ms, metrics, outputs, release,
                                    executor, job);
    else
      req_.store->job_finished(report_.run_id, report_.try_number, name(job), attempt, state,
                               r.error, duration_ms, metrics, outputs);
  }
  void notify(uint32_t job, JobState state, int attempt, const std::string& detail) {
    if (req_.log_state_changes) {
      if (state == JobState::running) {
        spdlog::info("[{} {}] running (attempt {})", report_.run_id, name(job), attempt);
      } else if (detail.empty() || state == JobState::success) {
        spdlog::info("[{} {}] {}", report_.run_id, name(job), state::to_string(state));
      } else {
        spdlog::info("[{} {}] {}: {}", report_.run_id, name(job), state::to_string(state), detail);
      }
    }
    if (req_.on_state) req_.on_state(job, state);
  }
  const RunRequest& req_;
  const RunReport& report_;
  const std::vector<std::string>& hashes_;
};

}  // namespace

struct PipelineRun::Impl {
  RunRequest req;
  std::mutex mu;
  Executor* executor = nullptr;
  bool cancel_requested = false;
};

PipelineRun::PipelineRun(RunRequest request) : impl_(std::make_unique<Impl>()) {
  impl_->req = std::move(request);
}
PipelineRun::~PipelineRun() = default;

void PipelineRun::cancel() {
  std::lock_guard lock(impl_->mu);
  impl_->cancel_requested = true;
  if (impl_->executor) impl_->executor->cancel();
}

RunReport PipelineRun::run() {
  const RunRequest& req = impl_->req;
  const PipelineSpec& spec = *req.spec;
  const std::string& file = spec.file.empty() ? spec.name : spec.file;
  auto start = std::chrono::steady_clock::now();

  // --- inputs that the file does not check ---
  if (!valid_logical_date(req.logical_date))
    throw InputError(file, 0, 0, "logical date '" + req.logical_date + "' is not a valid YYYY-MM-DD date");
  std::map<std::string, std::string, std::less<>> params(spec.params.begin(), spec.params.end());
  std::vector<std::string> param_names;
  for (auto& [k, v] : spec.params) param_names.push_back(k);
  for (auto& [k, v] : req.param_overrides) {
    if (!params.count(k)) {
      auto hint = closest_match(k, param_names);
      throw InputError(file, 0, 0, "--param " + k + ": the pipeline declares no such param" +
                                       (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
    params[k] = v;
  }
  auto job_index = [&](const std::string& name, const char* option) -> uint32_t {
    for (uint32_t i = 0; i < spec.jobs.size(); ++i)
      if (spec.jobs[i].name == name) return i;
    std::vector<std::string> names;
    for (auto& j : spec.jobs) names.push_back(j.name);
    auto hint = closest_match(name, names);
    throw InputError(file, 0, 0, std::string(option) + " " + name + ": no such job" +
                                     (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  };
  std::vector<const JobTypeRef*> types(spec.jobs.size());
  for (uint32_t i = 0; i < spec.jobs.size(); ++i) {
    auto& j = spec.jobs[i];
    if (req.local_types) {
      if (auto it = req.local_types->find(j.uses); it != req.local_types->end()) types[i] = &it->second;
    }
    if (!types[i] && req.plugins) types[i] = req.plugins->find(j.uses);
    if (!types[i])
      throw InputError(file, j.line, j.column, "job '" + j.name + "' uses unknown job type '" + j.uses + "'");
  }
  DagIndex dag = build_dag_index(spec);
  std::vector<bool> selected(spec.jobs.size(), req.only.empty());
  for (auto& o : req.only) selected[job_index(o, "--only")] = true;
  std::vector<bool> forced(spec.jobs.size(), req.force);
  for (auto& f : req.force_jobs) {
    std::vector<uint32_t> stack{job_index(f, "--force-job")};
    while (!stack.empty()) {
      uint32_t v = stack.back();
      stack.pop_back();
      if (forced[v]) continue;
      forced[v] = true;
      for (uint32_t s : dag.succ[v]) stack.push_back(s);
    }
  }

  // --only / run-job: a selected job's upstream must have succeeded already, or be selected
  // too. Checked before anything is written.
  if (!req.only.empty()) {
    std::set<std::string> succeeded;
    if (req.store) {
      if (auto id = req.store->find_run_id(spec.name, req.logical_date))
        if (auto detail = req.store->get_run(*id))
          for (auto& j : detail->jobs)
            if (j.state == "success") succeeded.insert(j.job);
    }
    for (uint32_t i = 0; i < spec.jobs.size(); ++i) {
      if (!selected[i]) continue;
      for (uint32_t p : dag.pred[i]) {
        if (selected[p] || succeeded.count(spec.jobs[p].name)) continue;
        throw InputError(file, spec.jobs[i].line, spec.jobs[i].column,
                         "job '" + spec.jobs[i].name + "' needs upstream job '" + spec.jobs[p].name +
                             "', which has not succeeded for " + req.logical_date +
                             ": run it first, or select it too with --only");
      }
    }
  }

  RunReport report;
  report.pipeline = spec.name;
  report.selected = selected;
  report.logical_date = req.logical_date;
  for (auto& j : spec.jobs) report.names.push_back(j.name);

  // --- templates and job definitions (a job's hash decides whether an earlier success stands)
  TemplateVars vars;
  for (auto& [k, v] : params) vars.values["params." + k] = v;
  vars.values["run.logical_date"] = req.logical_date;
  vars.values["pipeline.name"] = spec.name;
  std::vector<std::shared_ptr<toml::table>> configs(spec.jobs.size());
  std::vector<std::string> hashes(spec.jobs.size());
  auto define = [&](uint32_t i, const std::string& run_id) {
    if (configs[i]) return;  // the run id of an existing run never changes
    auto& j = spec.jobs[i];
    vars.values["run.id"] = run_id;
    vars.values["job.name"] = j.name;
    auto config = std::make_shared<toml::table>();
    try {
      *config = expand_table(j.config, vars);
    } catch (const std::exception& e) {
      throw InputError(file, j.line, j.column, "job '" + j.name + "': " + e.what());
    }
    std::string def = j.uses + "\n" + to_string(j.trigger) + "\n";
    if (!config->empty()) {
      std::ostringstream os;
      os << *config;
      def += os.str();
    }
    hashes[i] = content_hash(def);
    configs[i] = std::move(config);
  };
  // An earlier success stands (the job is carried over) when its definition is unchanged.
  auto success_stands = [&](const std::map<std::string, state::PriorJob>& prior, uint32_t i,
                            const std::string& run_id) {
    auto it = prior.find(spec.jobs[i].name);
    if (it == prior.end() || it->second.state != JobState::success) return false;
    define(i, run_id);
    return it->second.config_hash == hashes[i];
  };

  // --- the run row and what earlier tries left ---
  state::RunHandle handle;
  std::string file_hash = content_hash(spec.source_text);
  struct Unlock {
    state::RunStore* store;
    const std::string &p, &d;
    bool active = false;
    ~Unlock() {
      if (!active) return;
      try {
        store->unlock(p, d);
      } catch (const std::exception& e) {  // may run while an exception unwinds
        spdlog::error("could not release the run lock of {} for {}: {}", p, d, e.what());
      }
    }
  } unlock{req.store, spec.name, req.logical_date};
  if (req.store) {
    if (auto holder = req.store->try_lock(spec.name, req.logical_date)) {
      throw RunLocked("pipeline '" + spec.name + "' for " + req.logical_date +
                      " is already running in another jobhost (pid " + std::to_string(holder->pid) +
                      " on " + holder->hostname + ", started " + holder->started_at + ")");
    }
    unlock.active = true;
    // A rerun where every job already succeeded with its current definition is a no-op: no
    // new try is recorded, so rerunning a finished date any number of times costs nothing.
    // The earlier try must have ended as a success too: one cut off (host killed, cancelled)
    // after its last job succeeded still needs a try that finishes it.
    std::optional<state::RunHandle> earlier;
    if (!req.force && req.force_jobs.empty() && req.only.empty()) {
      earlier = req.store->peek_run(spec.name, req.logical_date);
      if (earlier && earlier->previous_status == "success" && earlier->interrupted_attempts == 0) {
        bool all_succeeded = true;
        for (uint32_t i = 0; i < spec.jobs.size() && all_succeeded; ++i)
          all_succeeded = success_stands(earlier->prior, i, earlier->run_id);
        if (all_succeeded) {
          report.run_id = earlier->run_id;
          report.try_number = earlier->try_number;
          report.status = "success";
          report.carried_over.assign(spec.jobs.size(), true);
          for (auto& j : spec.jobs) {
            JobOutcome o;
            o.state = JobState::success;
            auto& outputs = earlier->prior.at(j.name).outputs;
            o.outputs.insert(outputs.begin(), outputs.end());
            report.exec.jobs.push_back(std::move(o));
          }
          report.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - start).count();
          return report;
        }
      }
    }
    boost::json::object pj;
    for (auto& [k, v] : params) pj[k] = v;
    state::RunBegin begin{spec.name, req.logical_date, boost::json::serialize(pj), file_hash,
                          spec.source_text};
    // What the peek read serves the new try too: the earlier tries are read once.
    handle = earlier ? req.store->begin_run(begin, std::move(*earlier)) : req.store->begin_run(begin);
    if (handle.interrupted_attempts > 0)
      report.notices.push_back(std::to_string(handle.interrupted_attempts) +
                               " attempt(s) of an earlier try were interrupted (host lost); those jobs run again");
    if (handle.existed && !handle.previous_file_hash.empty() && handle.previous_file_hash != file_hash)
      report.notices.push_back("the pipeline file changed since the earlier try: jobs whose definition changed run again");
  } else {
    handle.run_id = spec.name + "-" + req.logical_date + "-" + random_hex(6);
  }
  report.run_id = handle.run_id;
  report.try_number = handle.try_number;

  std::vector<ExecJob> jobs(spec.jobs.size());
  report.carried_over.assign(spec.jobs.size(), false);
  for (uint32_t i = 0; i < spec.jobs.size(); ++i) {
    auto& j = spec.jobs[i];
    bool carried_over = !forced[i] && success_stands(handle.prior, i, handle.run_id);
    define(i, handle.run_id);
    auto config = configs[i];

    ExecJob& x = jobs[i];
    x.name = j.name;
    x.preds = dag.pred[i];
    x.trigger = j.trigger;
    x.retry = j.retry;
    x.timeout = j.timeout;
    x.priority = j.priority;
    std::string scratch = req.scratch_root + "/" + handle.run_id + "/" + j.name;
    // The registry (and so the type) outlives the run: no copy per job.
    x.run = [type = types[i], config, scratch](AttemptInput& in) {
      in.config = config.get();
      in.scratch_dir = scratch;
      return run_attempt(*type, in);
    };
    auto prior = handle.prior.find(j.name);
    bool prior_success = prior != handle.prior.end() && prior->second.state == JobState::success;
    if (carried_over) {
      x.preset = JobState::success;
      x.preset_outputs.insert(prior->second.outputs.begin(), prior->second.outputs.end());
      report.carried_over[i] = true;
    } else if (!selected[i]) {
      // Not selected with --only: not run now. An earlier success still serves its outputs
      // (checked before the run started); anything else is reported as skipped.
      x.preset = prior_success ? JobState::success : JobState::skipped;
      if (prior_success)
        x.preset_outputs.insert(prior->second.outputs.begin(), prior->second.outputs.end());
      report.carried_over[i] = true;
    }
  }
  // A job downstream of one that runs must run too: its inputs may change.
  Plan plan = make_plan(spec, dag);
  for (uint32_t v : plan.order) {
    if (!report.carried_over[v] || !selected[v]) continue;
    for (uint32_t p : dag.pred[v]) {
      if (!report.carried_over[p]) {
        report.carried_over[v] = false;
        jobs[v].preset.reset();
        jobs[v].preset_outputs.clear();
        break;
      }
    }
  }
  // Among ready jobs, those heading the longest remaining chain go first.
  for (uint32_t i = 0; i < jobs.size(); ++i) jobs[i].rank = plan.rank[i];

  if (req.store) {
    for (uint32_t i = 0; i < jobs.size(); ++i)
      if (report.carried_over[i] && selected[i])
        req.store->job_settled(handle.run_id, handle.try_number, spec.jobs[i].name, JobState::success,
                               "succeeded in an earlier try", hashes[i]);
  }

  ExecOptions opt;
  opt.max_parallel = req.max_parallel;
  opt.fail_fast = spec.fail_fast;
  opt.run_id = handle.run_id;
  opt.pipeline = spec.name;
  opt.logical_date = req.logical_date;
  opt.scratch_root = req.scratch_root;
  opt.params = params;
  opt.cancel_grace = req.cancel_grace;
  RunObserver observer(req, report, hashes);
  Executor executor(std::move(jobs), std::move(opt), &observer);
  {
    std::lock_guard lock(impl_->mu);
    impl_->executor = &executor;
    if (impl_->cancel_requested) executor.cancel();
  }
  auto exec_start = std::chrono::steady_clock::now();
  report.exec = executor.run();
  report.exec_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - exec_start).count();
  {
    std::lock_guard lock(impl_->mu);
    impl_->executor = nullptr;
  }
  report.status = report.exec.cancelled == CancelReason::interrupted ? "cancelled"
                  : report.exec.ok()                                  ? "success"
                                                                      : "failed";
  report.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start).count();
  if (req.store) {
    req.store->finish_run(handle.run_id, report.status);
    req.store->flush();
  }
  return report;
}

std::string run_report_json(const RunReport& r) {
  boost::json::object jobs;
  for (size_t i = 0; i < r.names.size(); ++i) {
    auto& o = r.exec.jobs[i];
    boost::json::object j{{"state", state::to_string(o.state)},
                          {"attempts", o.attempts},
                          {"duration_ms", o.duration_ms},
                          {"error", o.error.empty() || o.state == JobState::success
                                        ? boost::json::value(nullptr)
                                        : boost::json::value(o.error)}};
    if (!r.selected.empty() && !r.selected[i]) j["not_selected"] = true;
    else if (r.carried_over[i]) j["carried_over"] = true;
    if (!o.metrics.empty()) {
      boost::json::object m;
      for (auto& [k, v] : o.metrics) {
        if (v == static_cast<double>(static_cast<int64_t>(v))) m[k] = static_cast<int64_t>(v);
        else m[k] = v;
      }
      j["metrics"] = std::move(m);
    }
    if (!o.outputs.empty()) {
      boost::json::object m;
      for (auto& [k, v] : o.outputs) m[k] = v;
      j["outputs"] = std::move(m);
    }
    jobs[r.names[i]] = std::move(j);
  }
  boost::json::object doc{{"run_id", r.run_id},           {"pipeline", r.pipeline},
                          {"logical_date", r.logical_date}, {"status", r.status},
                          {"try", r.try_number},          {"duration_ms", r.duration_ms},
                          {"jobs", std::move(jobs)}};
  return boost::json::serialize(doc);
}

}  // namespace jobhost
