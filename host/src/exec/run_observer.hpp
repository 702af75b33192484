// Records a run's state changes in the run store and logs them; holds dependants of a
// success until the store has committed it, and the wait of a deferred attempt until its
// handle is durable.
#pragma once

#include <string>
#include <vector>

#include "exec/executor.hpp"
#include "exec/pipeline_run.hpp"

namespace jobhost {

class RunObserver : public ExecutionObserver {
 public:
  // All three outlive the observer. `hashes`: each job's definition hash, in spec order.
  RunObserver(const RunRequest& req, const RunReport& report, const std::vector<std::string>& hashes)
      : req_(req), report_(report), hashes_(hashes) {}

  void on_attempt_start(uint32_t job, int attempt) override;
  void on_attempt_end(uint32_t job, int attempt, JobState state, const AttemptResult& r,
                      int64_t duration_ms) override;
  void on_success_held(uint32_t job, int attempt, const AttemptResult& r, int64_t duration_ms,
                       Release release, void* executor) override;
  void on_settled_without_run(uint32_t job, JobState state, const std::string& reason) override;
  void on_attempt_deferred(uint32_t job, const Deferral& d,
                           std::function<void()> start_wait) override;
  bool holds_release() const override { return req_.store != nullptr; }
  void before_release(uint32_t job, Release release, void* executor) override;

 private:
  const std::string& name(uint32_t job) const { return report_.names[job]; }
  // Hands an attempt's end to the store; with `release`, its dependants' release too.
  void record_end(uint32_t job, int attempt, JobState state, const AttemptResult& r,
                  int64_t duration_ms, Release release, void* executor);
  void notify(uint32_t job, JobState state, int attempt, const std::string& detail);

  const RunRequest& req_;
  const RunReport& report_;
  const std::vector<std::string>& hashes_;
};

}  // namespace jobhost
