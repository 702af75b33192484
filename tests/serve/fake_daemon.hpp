// A DaemonControl without a scheduler: fixed pipelines, recorded triggers and cancels. The
// HTTP side is tested against it and a run store filled by real runs (serve_fixture.hpp).
#pragma once

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "serve/daemon_control.hpp"

namespace jobhost::test {

class FakeDaemon : public serve::DaemonControl {
 public:
  FakeDaemon(std::string store_path, std::vector<serve::PipelineStatus> pipelines)
      : store_(std::move(store_path)), pipelines_(std::move(pipelines)) {}

  std::vector<serve::PipelineStatus> pipelines() const override { return pipelines_; }

  // 404 unknown pipeline, 409 invalid file, 400 a date of "bad"; else a new run id.
  std::string trigger(const serve::TriggerRequest& request) override {
    auto it = std::find_if(pipelines_.begin(), pipelines_.end(),
                           [&](auto& p) { return p.name == request.pipeline; });
    if (it == pipelines_.end())
      throw serve::ControlError(404, "no pipeline '" + request.pipeline + "'");
    if (!it->valid)
      throw serve::ControlError(409, "pipeline '" + request.pipeline + "' does not validate");
    if (request.date == "bad") throw serve::ControlError(400, "bad date 'bad'");
    std::lock_guard lock(mu_);
    triggered_.push_back(request);
    return request.pipeline + "-manual-" + std::to_string(triggered_.size());
  }

  bool cancel(const std::string& run_id) override {
    std::lock_guard lock(mu_);
    if (!cancellable_.count(run_id)) return false;
    cancelled_.push_back(run_id);
    return true;
  }

  std::string store_path() const override { return store_; }

  std::string metrics_text() const override {
    return "# HELP jobhost_runs_total Runs by final status.\n"
           "# TYPE jobhost_runs_total counter\n"
           "jobhost_runs_total{status=\"success\"} 2\n"
           "jobhost_runs_total{status=\"failed\"} 1";  // no final newline: the server adds one
  }

  bool draining() const override { return draining_; }

  void set_draining(bool on) { draining_ = on; }
  void allow_cancel(const std::string& run_id) {
    std::lock_guard lock(mu_);
    cancellable_.insert(run_id);
  }
  std::vector<serve::TriggerRequest> triggered() const {
    std::lock_guard lock(mu_);
    return triggered_;
  }
  std::vector<std::string> cancelled() const {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

 private:
  std::string store_;
  std::vector<serve::PipelineStatus> pipelines_;
  mutable std::mutex mu_;
  std::vector<serve::TriggerRequest> triggered_;
  std::set<std::string> cancellable_;
  std::vector<std::string> cancelled_;
  std::atomic<bool> draining_{false};
};

}  // namespace jobhost::test
