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
#include "exec/run_observer.hpp"
#include "graph/dag.hpp"
#include "isolation/process_attempt.hpp"
#include "resources/pool_set.hpp"
#include "state/clock.hpp"
#include "util/hash.hpp"
#include "util/logical_time.hpp"

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

// A job's config for one call: as defined when the run began, with {{ jobs.* }} upstream
// outputs expanded now (they exist once the upstream jobs succeeded).
struct JobConfig {
  std::shared_ptr<const toml::table> defined;
  bool uses_job_outputs = false;

  template <class Call>
  AttemptResult with(AttemptInput& in, Call&& call) const {
    if (!uses_job_outputs) {
      in.config = defined.get();
      return call(in);
    }
    TemplateVars vars;
    vars.job_output = [&](std::string_view job, std::string_view key) { return in.inputs(job, key); };
    toml::table expanded;
    try {
      expanded = expand_table(*defined, vars);
    } catch (const std::exception& e) {
      AttemptResult r;
      r.status = JH_STATUS_FATAL;
      r.error = std::string("config: ") + e.what();
      return r;
    }
    in.config = &expanded;
    return call(in);
  }
};

// The steps of one run, in order (PipelineRun::run reads as their list). Throws InputError
// for bad input (before anything is written), RunLocked, and state::StoreError.
class RunSteps {
 public:
  explicit RunSteps(const RunRequest& req)
      : req_(req), spec_(*req.spec), file_(spec_.file.empty() ? spec_.name : spec_.file) {}
  ~RunSteps() { unlock(); }

  void check_logical_time();
  void check_request();
  void check_selected_upstreams();
  void start_report();
  // Takes the run lock and reads what earlier tries of the run left.
  void lock_and_peek();
  void resolve_data_interval();
  // True when every job already succeeded with its current definition: the report is then
  // complete and nothing is recorded.
  bool find_nothing_to_do();
  void begin_try();
  std::vector<ExecJob> build_jobs();
  // `attach` is called with the executor before it runs (so that cancel() reaches it) and with
  // nullptr after.
  void run_executor(std::vector<ExecJob> jobs, const std::function<void(Executor*)>& attach);

  RunReport report;

 private:
  uint32_t job_index(const std::string& name, const char* option) const;
  void check_pool(const JobSpec& j) const;
  void define(uint32_t i, const std::string& run_id);
  bool success_stands(const std::map<std::string, state::PriorJob>& prior, uint32_t i,
                      const std::string& run_id);
  ExecJob make_job(uint32_t i);
  Isolation isolation_of(const JobSpec& j, const JobTypeRef& type) const;
  isolation::ProcessAttemptOptions process_options(const JobSpec& j) const;
  void settle_carried_over_from_store();
  void take_over_deferred(std::vector<ExecJob>& jobs);
  void unlock();

  const RunRequest& req_;
  const PipelineSpec& spec_;
  const std::string& file_;
  std::string key_;         // the logical date or time, normalised: with the pipeline, the run
  DataInterval requested_;  // the request's data interval, normalised; empty: none given
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  // Since the start (0 before it: a prepared run that never started).
  int64_t elapsed_ms() const {
    return std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - start_).count());
  }
  std::map<std::string, std::string, std::less<>> params_;
  std::vector<const JobTypeRef*> types_;
  std::map<const JobTypeRef*, std::shared_ptr<const JobTypeRef>> shared_types_;
  DagIndex dag_;
  std::vector<bool> selected_, forced_;
  TemplateVars vars_;
  std::vector<JobConfig> configs_;
  std::vector<std::string> hashes_;
  std::string file_hash_;
  std::optional<state::RunHandle> earlier_;  // what the no-op check peeked
  state::RunHandle handle_;
  bool locked_ = false;
};

uint32_t RunSteps::job_index(const std::string& name, const char* option) const {
  for (uint32_t i = 0; i < spec_.jobs.size(); ++i)
    if (spec_.jobs[i].name == name) return i;
  std::vector<std::string> names;
  for (auto& j : spec_.jobs) names.push_back(j.name);
  auto hint = closest_match(name, names);
  throw InputError(file_, 0, 0, std::string(option) + " " + name + ": no such job" +
                                    (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

// The logical date or time and the data interval, normalised (instants in UTC).
void RunSteps::check_logical_time() {
  std::string why;
  auto key = normalize_logical_time(req_.logical_date, &why);
  if (!key)
    throw InputError(file_, 0, 0, "logical date '" + req_.logical_date +
                                      "' is not a valid date or ISO instant: " + why + " (" +
                                      kLogicalTimeForms + ")");
  key_ = std::move(*key);
  if (req_.data_interval_start.empty() && req_.data_interval_end.empty()) return;
  auto start = normalize_instant(req_.data_interval_start, &why);
  if (!start)
    throw InputError(file_, 0, 0, "data interval start '" + req_.data_interval_start + "': " + why);
  auto end = normalize_instant(req_.data_interval_end, &why);
  if (!end)
    throw InputError(file_, 0, 0, "data interval end '" + req_.data_interval_end + "': " + why);
  if (*end < *start)  // one format, four-digit years: text order is time order
    throw InputError(file_, 0, 0, "data interval " + *start + "/" + *end + " ends before it starts");
  requested_ = {std::move(*start), std::move(*end)};
}

// Inputs the file does not check: --param, job types, --only and --force-job.
void RunSteps::check_request() {
  params_.insert(spec_.params.begin(), spec_.params.end());
  std::vector<std::string> param_names;
  for (auto& [k, v] : spec_.params) param_names.push_back(k);
  for (auto& [k, v] : req_.param_overrides) {
    if (!params_.count(k)) {
      auto hint = closest_match(k, param_names);
      throw InputError(file_, 0, 0, "--param " + k + ": the pipeline declares no such param" +
                                        (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
    params_[k] = v;
  }
  types_.assign(spec_.jobs.size(), nullptr);
  for (uint32_t i = 0; i < spec_.jobs.size(); ++i) {
    auto& j = spec_.jobs[i];
    if (req_.local_types) {
      if (auto it = req_.local_types->find(j.uses); it != req_.local_types->end()) types_[i] = &it->second;
    }
    if (!types_[i] && req_.plugins) types_[i] = req_.plugins->find(j.uses);
    if (!types_[i])
      throw InputError(file_, j.line, j.column, "job '" + j.name + "' uses unknown job type '" + j.uses + "'");
    check_pool(j);
  }
  dag_ = build_dag_index(spec_);
  selected_.assign(spec_.jobs.size(), req_.only.empty());
  for (auto& o : req_.only) selected_[job_index(o, "--only")] = true;
  forced_.assign(spec_.jobs.size(), req_.force);
  for (auto& f : req_.force_jobs) {
    std::vector<uint32_t> stack{job_index(f, "--force-job")};
    while (!stack.empty()) {
      uint32_t v = stack.back();
      stack.pop_back();
      if (forced_[v]) continue;
      forced_[v] = true;
      for (uint32_t s : dag_.succ[v]) stack.push_back(s);
    }
  }
}

// The validation checked pools against the host config; this is the run's own (the pools it
// was given, or none).
void RunSteps::check_pool(const JobSpec& j) const {
  if (j.pool.empty()) return;
  const auto pool = req_.pools ? req_.pools->find(j.pool) : std::nullopt;
  if (!pool)
    throw InputError(file_, j.pool_line, j.pool_column,
                     "job '" + j.name + "' uses pool '" + j.pool + "', which this host does not have " +
                         "(pools are defined under [pools] in the host config)");
  if (j.pool_slots > req_.pools->size(*pool))
    throw InputError(file_, j.pool_line, j.pool_column,
                     "job '" + j.name + "' takes " + std::to_string(j.pool_slots) + " slots of pool '" +
                         j.pool + "', which has " + std::to_string(req_.pools->size(*pool)));
}

// --only / run-job: a selected job's upstream must have succeeded already, or be selected too.
// Checked before anything is written.
void RunSteps::check_selected_upstreams() {
  if (req_.only.empty()) return;
  std::set<std::string> succeeded;
  if (req_.store) {
    if (auto id = req_.store->find_run_id(spec_.name, key_))
      if (auto detail = req_.store->get_run(*id))
        for (auto& j : detail->jobs)
          if (j.state == "success") succeeded.insert(j.job);
  }
  for (uint32_t i = 0; i < spec_.jobs.size(); ++i) {
    if (!selected_[i]) continue;
    for (uint32_t p : dag_.pred[i]) {
      if (selected_[p] || succeeded.count(spec_.jobs[p].name)) continue;
      throw InputError(file_, spec_.jobs[i].line, spec_.jobs[i].column,
                       "job '" + spec_.jobs[i].name + "' needs upstream job '" + spec_.jobs[p].name +
                           "', which has not succeeded for " + key_ +
                           ": run it first, or select it too with --only");
    }
  }
}

void RunSteps::start_report() {
  report.pipeline = spec_.name;
  report.selected = selected_;
  report.logical_date = key_;
  report.logical_time = logical_time_of(key_);
  report.params.insert(params_.begin(), params_.end());
  report.started_at = state::now_iso_utc();
  if (req_.start_at && *req_.start_at > std::chrono::system_clock::now()) {
    // Prepared ahead: the run starts, and its duration counts, from the start instant.
    const auto ahead = *req_.start_at - std::chrono::system_clock::now();
    start_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(ahead);
    report.started_at = state::iso_utc(
        std::chrono::duration_cast<std::chrono::milliseconds>(req_.start_at->time_since_epoch()).count());
  }
  for (auto& j : spec_.jobs) report.names.push_back(j.name);
  for (auto& [k, v] : params_) vars_.values["params." + k] = v;
  vars_.values["run.logical_date"] = logical_date_of(key_);
  vars_.values["run.logical_time"] = report.logical_time;
  vars_.values["pipeline.name"] = spec_.name;
  vars_.keep_job_outputs = true;  // expanded when each job starts
  configs_.resize(spec_.jobs.size());
  hashes_.resize(spec_.jobs.size());
  file_hash_ = content_hash(spec_.source_text);
  report.file_hash = file_hash_;
}

// Templates and the job's definition hash, which decides whether an earlier success stands.
void RunSteps::define(uint32_t i, const std::string& run_id) {
  if (configs_[i].defined) return;  // the run id of an existing run never changes
  auto& j = spec_.jobs[i];
  vars_.values["run.id"] = run_id;
  vars_.values["job.name"] = j.name;
  auto config = std::make_shared<toml::table>();
  try {
    *config = expand_table(j.config, vars_);
  } catch (const std::exception& e) {
    throw InputError(file_, j.line, j.column, "job '" + j.name + "': " + e.what());
  }
  std::string def = j.uses + "\n" + to_string(j.trigger) + "\n";
  if (!config->empty()) {
    std::ostringstream os;
    os << *config;
    def += os.str();
  }
  hashes_[i] = content_hash(def);
  configs_[i].uses_job_outputs = !job_output_uses(*config).empty();
  configs_[i].defined = std::move(config);
}

// An earlier success stands (the job is carried over) when its definition is unchanged.
bool RunSteps::success_stands(const std::map<std::string, state::PriorJob>& prior, uint32_t i,
                              const std::string& run_id) {
  auto it = prior.find(spec_.jobs[i].name);
  if (it == prior.end() || it->second.state != JobState::success) return false;
  define(i, run_id);
  return it->second.config_hash == hashes_[i];
}

// begin_try() reuses what the peek read, so reading it here costs nothing extra.
void RunSteps::lock_and_peek() {
  if (!req_.store) return;
  if (auto holder = req_.store->try_lock(spec_.name, key_)) {
    throw RunLocked("pipeline '" + spec_.name + "' for " + key_ +
                    " is already running in another jobhost (pid " + std::to_string(holder->pid) +
                    " on " + holder->hostname + ", started " + holder->started_at + ")");
  }
  locked_ = true;
  earlier_ = req_.store->peek_run(spec_.name, key_);
}

// The request's interval (a schedule's, or --data-interval); else the one the run's earlier try
// recorded, so that resuming a scheduled run by hand keeps its data and its jobs' definitions;
// else the key's default.
void RunSteps::resolve_data_interval() {
  DataInterval d = requested_;
  if (d.start.empty() && earlier_) d = {earlier_->data_interval_start, earlier_->data_interval_end};
  if (d.start.empty() || d.end.empty()) d = default_data_interval(key_);
  report.data_interval_start = d.start;
  report.data_interval_end = d.end;
  vars_.values["run.data_interval_start"] = d.start;
  vars_.values["run.data_interval_end"] = d.end;
}

bool RunSteps::find_nothing_to_do() {
  // A rerun where every job already succeeded with its current definition is a no-op: no
  // new try is recorded, so rerunning a finished date any number of times costs nothing.
  // The earlier try must have ended as a success too: one cut off (host killed, cancelled)
  // after its last job succeeded still needs a try that finishes it.
  if (req_.force || !req_.force_jobs.empty() || !req_.only.empty()) return false;
  if (!earlier_ || earlier_->previous_status != "success" || earlier_->interrupted_attempts != 0 ||
      earlier_->deferred_attempts != 0)
    return false;
  for (uint32_t i = 0; i < spec_.jobs.size(); ++i)
    if (!success_stands(earlier_->prior, i, earlier_->run_id)) return false;
  report.run_id = earlier_->run_id;
  report.try_number = earlier_->try_number;
  report.status = "success";
  if (req_.on_begin) req_.on_begin(report.run_id);
  report.carried_over.assign(spec_.jobs.size(), true);
  for (auto& j : spec_.jobs) {
    const state::PriorJob& p = earlier_->prior.at(j.name);
    JobOutcome o;
    o.state = JobState::success;
    o.outputs.insert(p.outputs.begin(), p.outputs.end());
    o.metrics.insert(p.metrics.begin(), p.metrics.end());
    o.last_attempt_ms = p.last_duration_ms;
    o.usage = p.usage;
    report.exec.jobs.push_back(std::move(o));
    report.prior_attempts.push_back(p.attempts);
  }
  report.ended_at = state::now_iso_utc();
  report.duration_ms = elapsed_ms();
  return true;
}

// The run row and what earlier tries left (or a run id in memory).
void RunSteps::begin_try() {
  if (!req_.store) {
    // The store's format: <pipeline>-<YYYYMMDD or YYYYMMDDTHHMMSSZ>-<6 hex>.
    handle_.run_id = spec_.name + "-" + run_id_stamp(key_) + "-" + random_hex(6);
  } else {
    boost::json::object pj;
    for (auto& [k, v] : params_) pj[k] = v;
    state::RunBegin begin{spec_.name, key_, boost::json::serialize(pj), file_hash_,
                          spec_.source_text};
    begin.logical_time = report.logical_time;
    begin.data_interval_start = report.data_interval_start;
    begin.data_interval_end = report.data_interval_end;
    if (req_.start_at) begin.started_at = report.started_at;
    // What the peek read serves the new try too: the earlier tries are read once.
    handle_ = earlier_ ? req_.store->begin_run(begin, std::move(*earlier_)) : req_.store->begin_run(begin);
    if (handle_.interrupted_attempts > 0)
      report.notices.push_back(std::to_string(handle_.interrupted_attempts) +
                               " attempt(s) of an earlier try were interrupted (" +
                               (handle_.crash.empty() ? "host lost" : handle_.crash) +
                               "); those jobs run again");
    if (handle_.existed && !handle_.previous_file_hash.empty() && handle_.previous_file_hash != file_hash_)
      report.notices.push_back("the pipeline file changed since the earlier try: jobs whose definition changed run again");
  }
  report.run_id = handle_.run_id;
  report.try_number = handle_.try_number;
  if (req_.on_begin) req_.on_begin(handle_.run_id);
}

// The job's, else its pipeline's, else its plugin's in the host config, else the default:
// thread for the plugins jobhost ships, process for every other.
Isolation RunSteps::isolation_of(const JobSpec& j, const JobTypeRef& type) const {
  if (j.resources.isolation) return *j.resources.isolation;
  if (spec_.isolation) return *spec_.isolation;
  const std::string plugin = j.uses.substr(0, j.uses.find('.'));
  if (auto it = req_.plugin_isolation.find(plugin); it != req_.plugin_isolation.end()) return it->second;
  if (!type.library) return Isolation::thread;  // in-process job types (the C++ API)
  return isolation::is_shipped_plugin(type.plugin_file) ? Isolation::thread : Isolation::process;
}

isolation::ProcessAttemptOptions RunSteps::process_options(const JobSpec& j) const {
  isolation::ProcessAttemptOptions o;
  o.cancel_grace = req_.cancel_grace;
  o.limits.memory_bytes = j.resources.memory_limit;
  if (j.resources.memory_limit) o.memory_limit_text = format_byte_size(*j.resources.memory_limit);
  // rlimits bound CPU time, not a rate: cpu_limit cores over the attempt's timeout.
  if (j.resources.cpu_limit && j.timeout)
    o.limits.cpu_seconds = *j.resources.cpu_limit * std::chrono::duration<double>(*j.timeout).count();
  o.limits.open_files = j.resources.max_open_files;
  return o;
}

ExecJob RunSteps::make_job(uint32_t i) {
  auto& j = spec_.jobs[i];
  define(i, handle_.run_id);
  ExecJob x;
  x.name = j.name;
  x.preds = dag_.pred[i];
  x.trigger = j.trigger;
  x.retry = j.retry;
  x.timeout = j.timeout;
  x.priority = j.priority;
  if (!j.pool.empty()) {  // check_pool() found it
    x.pool = *req_.pools->find(j.pool);
    x.pool_slots = j.pool_slots;
  }
  // A copy per job type, shared by its jobs: a call abandoned after the cancel grace may still
  // return after the run, and the registry, are gone; the copy keeps its library mapped.
  auto& shared = shared_types_[types_[i]];
  if (!shared) shared = std::make_shared<const JobTypeRef>(*types_[i]);
  std::shared_ptr<const JobTypeRef> type = shared;
  // Each entry of the job type (run, poll, cancel: `handle...` is empty or the handle) gets the
  // job's scratch folder and its config as of the call.
  auto entry = [type, config = configs_[i],
                scratch = req_.scratch_root + "/" + handle_.run_id + "/" + j.name](auto call) {
    return [type, config, scratch, call](AttemptInput& in, auto... handle) {
      in.scratch_dir = scratch;
      return config.with(in, [&](AttemptInput& i) { return call(*type, i, handle...); });
    };
  };
  if (isolation_of(j, *type) == Isolation::process) {
    // In a worker process: a crash there is this attempt's failure, not the host's.
    isolation::ProcessAttemptOptions o = process_options(j);
    auto in_worker = [o](isolation::EntryPoint e) {
      return [o, e](const JobTypeRef& t, const AttemptInput& i, auto... handle) {
        return isolation::run_in_worker(t, i, e, std::string_view(handle...), o);
      };
    };
    x.run = entry(in_worker(isolation::EntryPoint::run));
    if (type->can_defer) x.poll = entry(in_worker(isolation::EntryPoint::poll));
    if (type->can_cancel) x.cancel_remote = entry(in_worker(isolation::EntryPoint::cancel));
    x.stops_itself = true;
  } else {
    if (j.resources.any_limit())
      spdlog::warn("[{}] job '{}' sets memory_limit, cpu_limit or max_open_files but runs in thread mode, "
                   "where they cannot apply: set isolation = \"process\" for it", spec_.name, j.name);
    x.run = entry(&run_attempt);
    if (type->can_defer) x.poll = entry(&poll_attempt);
    if (type->can_cancel) x.cancel_remote = entry(&cancel_attempt);
  }
  auto prior = handle_.prior.find(j.name);
  if (prior != handle_.prior.end()) x.key_base = prior->second.counted_attempts;
  return x;
}

std::vector<ExecJob> RunSteps::build_jobs() {
  std::vector<ExecJob> jobs(spec_.jobs.size());
  report.carried_over.assign(spec_.jobs.size(), false);
  report.prior_attempts.assign(spec_.jobs.size(), 0);
  for (uint32_t i = 0; i < spec_.jobs.size(); ++i) {
    auto& j = spec_.jobs[i];
    bool carried_over = !forced_[i] && success_stands(handle_.prior, i, handle_.run_id);
    ExecJob& x = jobs[i] = make_job(i);
    auto prior = handle_.prior.find(j.name);
    if (prior != handle_.prior.end()) report.prior_attempts[i] = prior->second.attempts;
    bool prior_success = prior != handle_.prior.end() && prior->second.state == JobState::success;
    if (carried_over) {
      x.preset = JobState::success;
      x.preset_outputs.insert(prior->second.outputs.begin(), prior->second.outputs.end());
      report.carried_over[i] = true;
    } else if (!selected_[i]) {
      // Not selected with --only: not run now. An earlier success still serves its outputs
      // (checked before the run started); anything else is reported as skipped.
      x.preset = prior_success ? JobState::success : JobState::skipped;
      if (prior_success)
        x.preset_outputs.insert(prior->second.outputs.begin(), prior->second.outputs.end());
      report.carried_over[i] = true;
    }
  }
  // A job downstream of one that runs must run too: its inputs may change.
  Plan plan = make_plan(spec_, dag_);
  for (uint32_t v : plan.order) {
    if (!report.carried_over[v] || !selected_[v]) continue;
    for (uint32_t p : dag_.pred[v]) {
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
  take_over_deferred(jobs);
  settle_carried_over_from_store();
  return jobs;
}

// Attempts a lost host left deferred: re-attached (polled with their handle, never started
// again) when the job type can and nothing about the job changed; otherwise recorded lost, and
// the job runs again with the same idempotency key, so an engine that deduplicates returns
// the same remote run.
void RunSteps::take_over_deferred(std::vector<ExecJob>& jobs) {
  if (!req_.store) return;
  for (uint32_t i = 0; i < spec_.jobs.size(); ++i) {
    auto prior = handle_.prior.find(spec_.jobs[i].name);
    if (prior == handle_.prior.end() || !prior->second.deferred || !selected_[i]) continue;
    const state::DeferredAttempt& d = *prior->second.deferred;
    std::string why_not;
    const bool new_work = forced_[i] && !req_.reattach_forced;
    if (new_work)
      why_not = "it is forced to run again";
    else if (!types_[i]->can_reattach)
      why_not = types_[i]->can_defer ? "its job type cannot re-attach" : "its job type no longer defers";
    else if (d.config_hash != hashes_[i])
      why_not = "its definition changed";
    for (uint32_t p : dag_.pred[i])
      if (why_not.empty() && !report.carried_over[p]) why_not = "an upstream job runs again";
    if (why_not.empty()) {
      ExecJob::Reattach r{d.attempt, d.handle,       d.key,   d.started_ms,
                          d.next_poll_ms, d.polls,  d.try_number};
      jobs[i].reattach = std::move(r);
      // Keys continue from the re-attached attempt: the next attempt gets the next key.
      jobs[i].key_base = prior->second.counted_attempts + 1 - d.attempt;
      report.prior_attempts[i] = std::max(0, report.prior_attempts[i] - 1);  // it continues
      report.notices.push_back("job '" + spec_.jobs[i].name + "': attempt " +
                               std::to_string(d.attempt) +
                               " was deferred when its host was lost; re-attached");
    } else {
      req_.store->job_lost(handle_.run_id, spec_.jobs[i].name, d);
      // Forced: new work, so not the lost attempt's key (an engine would return its run).
      if (new_work) jobs[i].key_base = prior->second.counted_attempts + 1;
      report.notices.push_back("job '" + spec_.jobs[i].name + "': attempt " +
                               std::to_string(d.attempt) + " was deferred when its host was lost (" +
                               why_not + "): it runs again");
    }
  }
}

void RunSteps::settle_carried_over_from_store() {
  if (!req_.store) return;
  for (uint32_t i = 0; i < spec_.jobs.size(); ++i)
    if (report.carried_over[i] && selected_[i])
      req_.store->job_settled(handle_.run_id, handle_.try_number, spec_.jobs[i].name, JobState::success,
                              "succeeded in an earlier try", hashes_[i]);
}

void RunSteps::unlock() {
  if (!locked_) return;
  locked_ = false;
  try {
    req_.store->unlock(spec_.name, key_);
  } catch (const std::exception& e) {  // may run while an exception unwinds
    spdlog::error("could not release the run lock of {} for {}: {}", spec_.name, key_, e.what());
  }
}

void RunSteps::run_executor(std::vector<ExecJob> jobs,
                            const std::function<void(Executor*)>& attach) {
  ExecOptions opt;
  opt.max_parallel = req_.max_parallel;
  if (req_.max_deferred > 0) opt.max_deferred = req_.max_deferred;
  opt.fail_fast = spec_.fail_fast;
  opt.run_id = handle_.run_id;
  opt.try_number = handle_.try_number;
  opt.pipeline = spec_.name;
  opt.logical_date = logical_date_of(key_);  // job types see a date (the ABI's YYYY-MM-DD)
  opt.scratch_root = req_.scratch_root;
  opt.params = params_;
  opt.cancel_grace = req_.cancel_grace;
  opt.pools = req_.pools;
  opt.start_at = req_.start_at;
  RunObserver observer(req_, report, hashes_);
  Executor executor(std::move(jobs), std::move(opt), &observer);
  attach(&executor);
  auto exec_start = std::chrono::steady_clock::now();
  try {
    report.exec = executor.run();
  } catch (...) {
    attach(nullptr);
    throw;
  }
  report.exec_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - exec_start).count();
  attach(nullptr);
  // Carried-over jobs report what their earlier attempt did.
  for (uint32_t i = 0; i < spec_.jobs.size(); ++i) {
    auto prior = handle_.prior.find(spec_.jobs[i].name);
    if (!report.carried_over[i] || prior == handle_.prior.end()) continue;
    JobOutcome& o = report.exec.jobs[i];
    const state::PriorJob& p = prior->second;
    o.last_attempt_ms = p.last_duration_ms;
    o.usage = p.usage;
    o.metrics.insert(p.metrics.begin(), p.metrics.end());
    if (p.has_handle) {
      o.handle = p.handle;
      o.idempotency_key = p.idempotency_key;
      o.polls = p.polls;
    }
  }
  report.status = report.exec.cancelled == CancelReason::interrupted ? "cancelled"
                  : report.exec.ok()                                  ? "success"
                                                                      : "failed";
  report.ended_at = state::now_iso_utc();
  report.duration_ms = elapsed_ms();
  if (req_.store) {
    req_.store->finish_run(handle_.run_id, report.status);
    req_.store->flush();
  }
}

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
  RunSteps steps(impl_->req);
  steps.check_logical_time();
  steps.check_request();
  steps.check_selected_upstreams();
  steps.start_report();
  steps.lock_and_peek();
  steps.resolve_data_interval();
  if (steps.find_nothing_to_do()) return std::move(steps.report);
  steps.begin_try();
  steps.run_executor(steps.build_jobs(), [this](Executor* executor) {
    std::lock_guard lock(impl_->mu);
    impl_->executor = executor;
    if (executor && impl_->cancel_requested) executor->cancel();
  });
  return std::move(steps.report);
}

}  // namespace jobhost
