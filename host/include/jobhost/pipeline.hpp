// The fluent C++ API: build a pipeline in code and run it in this process.
//
//   #include <jobhost/pipeline.hpp>
//   jobhost::Pipeline p("daily");
//   p.add_job("ingest", [](jobhost::Context& ctx) { ctx.log_info("hi"); return jobhost::Status::ok(); })
//    .add_job("process", process_fn, {.depends_on = {"ingest"}, .retries = 2})
//    .add_job("aggregate", "utilities.shell", {.depends_on = {"process"}, .config = "command = 'true'"});
//   jobhost::RunResult r = p.run();  // r.ok(), r.state("process"), r.attempts("process")
//
// In-process jobs get the same jobhost::Context (sdk.hpp) as plugin jobs, so a function
// `Status f(Context&)` runs unchanged as a lambda job here or inside a plugin. The run has the
// semantics of `jobhost run`: trigger rules, retries with backoff, timeouts, outputs passed
// downstream, and (with RunOptions::state_path) durable state that resumes a failed run.
//
// Link the CMake target jobhost::core (find_package(Jobhost CONFIG)). This header pulls in
// only the SDK and the standard library.
#ifndef JOBHOST_PIPELINE_HPP
#define JOBHOST_PIPELINE_HPP

#include <jobhost/sdk.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jobhost {

// A pipeline that cannot run as described: bad or duplicate job names, unknown dependencies,
// a cycle, bad TOML in a job's config, an unknown job type or trigger, a bad logical date or
// param, a run store that cannot be opened or is locked by another host. The message names
// the pipeline and the job; messages() lists every problem found (not just the first).
class PipelineError : public std::runtime_error {
 public:
  explicit PipelineError(std::vector<std::string> messages);
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::vector<std::string> messages_;
};

// What a job function is: the same signature as a plugin's job (JOBHOST_JOB).
using JobFn = std::function<Status(Context&)>;

// A job that waits for remote work without holding a thread, as a plugin's deferrable job type
// (jobhost::deferrable_job in sdk.hpp): run() and poll() return a Status, or Deferred{handle,
// delay} to be polled again after `delay`; cancel() (optional) stops the remote work when the
// attempt times out or the run is cancelled. Pipeline::add_job also takes a job class with
// run/poll/cancel members directly, the same class a plugin would declare.
struct DeferrableJob {
  std::function<Outcome(Context&)> run;
  std::function<Outcome(Context&, std::string_view handle)> poll;
  std::function<Status(Context&, std::string_view handle)> cancel{};
};

// Per-job settings. An aggregate: set what you need with designated initializers, in this
// order, e.g. {.depends_on = {"a"}, .retries = 2, .timeout = std::chrono::seconds(30)}.
// Defaults are those of a pipeline file without a [defaults] table. Every member has a default
// member initializer, so -Wextra's missing-field-initializers stays quiet for partial lists.
struct JobOptions {
  std::vector<std::string> depends_on{};         // names of jobs of this pipeline
  int retries = 0;                               // extra attempts after the first (0..1000)
  std::chrono::milliseconds retry_delay{1000};   // before the first retry
  double retry_backoff = 2.0;                    // delay multiplier per attempt (>= 1.0)
  std::chrono::milliseconds retry_max_delay{300000};
  bool retry_jitter = true;                      // full jitter on each delay
  std::optional<std::chrono::milliseconds> timeout{};  // per attempt; none by default
  std::string trigger = "all_success";           // a trigger rule, as in pipeline files
  std::string config{};                          // TOML text: the job's [jobs.config] table
  int priority = 0;                              // higher first among ready jobs
};

struct RunOptions {
  // YYYY-MM-DD, or an ISO instant (2026-12-01T13:00:00Z, or with an offset), normalised to
  // UTC; empty: today (UTC). A date and an instant are different runs.
  std::string logical_date{};
  // SQLite run store. Empty: state in memory only (every run starts fresh). With a path, runs
  // are recorded like `jobhost run --state PATH` and a rerun of the same (pipeline, date)
  // skips the jobs that already succeeded.
  std::string state_path{};
  bool force = false;  // with a store: rerun every job
  std::vector<std::pair<std::string, std::string>> params{};  // overrides of Pipeline::param
  std::string scratch_root = ".jobhost/scratch";  // per-job scratch dirs live below it
  bool log_state_changes = true;                  // one info line per job state change
};

// The outcome of one job in a run.
struct JobResult {
  std::string name;
  // pending | running | up_for_retry | success | failed | upstream_failed | skipped | cancelled
  std::string state;
  int attempts = 0;          // attempts made in this run (0: never started or carried over)
  int64_t duration_ms = 0;
  std::string error;         // message of the last failed attempt; empty on success
  bool carried_over = false; // succeeded in an earlier run of this date (state store)
  std::map<std::string, std::string> outputs;  // what ctx.set_output published
  std::map<std::string, double> metrics;       // what ctx.metric recorded
};

class RunResult {
 public:
  RunResult() = default;
  RunResult(std::string run_id, std::string pipeline, std::string logical_date, std::string status,
            std::vector<JobResult> jobs);

  // Every job succeeded or was skipped.
  bool ok() const { return status_ == "success"; }
  const std::string& status() const { return status_; }  // success | failed | cancelled
  const std::string& run_id() const { return run_id_; }
  const std::string& pipeline() const { return pipeline_; }
  // As RunOptions::logical_date, normalised: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ.
  const std::string& logical_date() const { return logical_date_; }
  const std::vector<JobResult>& jobs() const { return jobs_; }

  // Each throws std::out_of_range naming the job when the pipeline has no such job.
  const JobResult& job(std::string_view name) const;
  const std::string& state(std::string_view name) const { return job(name).state; }
  int attempts(std::string_view name) const { return job(name).attempts; }
  const std::string& error(std::string_view name) const { return job(name).error; }
  // nullopt when the job published no such key.
  std::optional<std::string> output(std::string_view job_name, std::string_view key) const;

 private:
  std::string run_id_, pipeline_, logical_date_, status_;
  std::vector<JobResult> jobs_;
};

class Pipeline {
 public:
  // name: [A-Za-z0-9_-]+ (PipelineError otherwise).
  explicit Pipeline(std::string name);
  ~Pipeline();
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // A job run in this process by `fn`, on a worker thread (concurrently with other jobs).
  // fn is copied and kept as long as the Pipeline. Exceptions it throws fail the attempt like
  // in a plugin: jobhost::FatalError without retries, anything else with retries.
  // Throws PipelineError for a bad name, an empty fn, bad config TOML or an unknown trigger.
  Pipeline& add_job(std::string_view name, JobFn fn, JobOptions options = {});
  // A job run by a plugin job type ("plugin.type", e.g. "utilities.shell"). Plugins are
  // loaded on the first run() that needs one, from plugin_path() dirs, then
  // $JOBHOST_PLUGIN_PATH, then <executable dir>/../lib/jobhost/plugins.
  Pipeline& add_job(std::string_view name, std::string_view job_type, JobOptions options = {});
  // A deferrable job run in this process (PipelineError when run or poll is empty).
  Pipeline& add_job(std::string_view name, DeferrableJob job, JobOptions options = {});
  // A deferrable job class (Outcome run(Context&), Outcome poll(Context&, std::string_view),
  // optionally cancel(Context&, std::string_view)): one copy, shared by all its attempts.
  template <class Job, class = decltype(std::declval<Job&>().poll(std::declval<Context&>(),
                                                                    std::string_view()))>
  Pipeline& add_job(std::string_view name, Job job, JobOptions options = {}) {
    auto shared = std::make_shared<Job>(std::move(job));
    DeferrableJob d;
    d.run = [shared](Context& ctx) { return Outcome(shared->run(ctx)); };
    d.poll = [shared](Context& ctx, std::string_view h) { return Outcome(shared->poll(ctx, h)); };
    if constexpr (detail::has_cancel<Job>::value)
      d.cancel = [shared](Context& ctx, std::string_view h) {
        return detail::cancel_remote(*shared, ctx, h);
      };
    return add_job(name, std::move(d), std::move(options));
  }

  // Jobs running at once; default: the number of cores.
  Pipeline& max_parallel(int n);
  // Attempts of deferrable jobs in progress at once, running or deferred (deferred ones hold
  // no thread); default 10,000.
  Pipeline& max_deferred(int n);
  // On the first failure cancel running jobs and start no more.
  Pipeline& fail_fast(bool on = true);
  Pipeline& description(std::string text);
  // A folder (or .so file) searched for plugins before the default search path; repeatable.
  Pipeline& plugin_path(std::string dir);
  // Declares a param with its default (like [pipeline.params]): config strings may use
  // {{ params.NAME }}, jobs read it with ctx.input("@params", NAME), RunOptions overrides it.
  Pipeline& param(std::string name, std::string default_value);

  const std::string& name() const;
  std::vector<std::string> job_names() const;

  // Checks names, dependencies (unknown, self, repeated), cycles ("a -> b -> a") and, when
  // plugin jobs exist, their job types. Throws PipelineError listing every problem.
  void validate() const;

  // Validates, then runs to completion and returns every job's outcome. A failed job is a
  // result (ok() == false), not an exception; PipelineError is for what prevents a run.
  // Not reentrant: one run() of a Pipeline at a time.
  RunResult run(const RunOptions& options = {});

  // Stops the run() in progress, from any thread (not from a signal handler): no more jobs
  // start, running ones see ctx.cancelled(), and run() returns with status "cancelled" and
  // the jobs' states recorded. No effect when no run() is in progress.
  void cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jobhost

#endif  // JOBHOST_PIPELINE_HPP
