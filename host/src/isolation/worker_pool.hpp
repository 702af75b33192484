// Warm worker processes, per plugin file: started when a job first needs one, reused across
// attempts (and across runs in `jobhost serve`), replaced when one crashed, was stopped, or grew
// past its memory or open-file ceiling, and shut down after being idle. One pool set per
// process (WorkerPools::instance()).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "isolation/frame_channel.hpp"

namespace jobhost::isolation {

// One worker process and the host's end of its socket. Destroying it stops the process (its
// whole process group: children the plugin left too) and reaps it.
class Worker {
 public:
  Worker(pid_t pid, int fd, std::string plugin_file);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  pid_t pid() const { return pid_; }
  FrameChannel& channel() { return channel_; }
  const std::string& plugin_file() const { return plugin_file_; }
  void signal_group(int sig);  // the worker and whatever it started
  // Waits for the process to end (after the socket closed or a kill) and says how it ended:
  // "killed by signal 11 (SIGSEGV)", "exited with code 3".
  std::string wait_for_exit();

  std::chrono::steady_clock::time_point idle_since{};
  int attempts = 0;

 private:
  pid_t pid_;
  FrameChannel channel_;
  std::string plugin_file_;
  bool reaped_ = false;
};

struct WorkerSettings {
  std::string worker_binary;  // empty: found next to jobhost (worker_binary())
  std::chrono::milliseconds idle_timeout{60000};
  int64_t max_rss_bytes = int64_t{1} << 30;  // a worker bigger than this after an attempt retires
  int64_t max_open_files = 512;              // likewise, for descriptors left open
  std::chrono::milliseconds start_timeout{10000};
};

class WorkerPools {
 public:
  static WorkerPools& instance();
  ~WorkerPools();

  void configure(WorkerSettings settings);
  const WorkerSettings& settings() const { return settings_; }
  // An idle worker for the plugin, or a new one. Throws std::runtime_error saying why a new
  // one could not start.
  std::unique_ptr<Worker> acquire(const std::string& plugin_file);
  // Back to the pool, warm, for the next attempt.
  void release(std::unique_ptr<Worker> worker);
  // Workers started since the process began (tests and benchmarks: warm means no new ones).
  int64_t started() const;
  size_t idle() const;
  void shut_down_idle();  // every idle worker now

 private:
  std::unique_ptr<Worker> spawn(const std::string& plugin_file);
  void reap_idle_loop();

  WorkerSettings settings_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<std::unique_ptr<Worker>>> idle_;  // by plugin file
  int64_t started_ = 0;
  bool stopping_ = false;
  std::thread reaper_;  // started with the first worker
};

// The jobhost-worker executable: $JOBHOST_WORKER, else beside jobhost's plugins
// (<prefix>/lib/jobhost/jobhost-worker), else where it was installed.
std::string worker_binary();

// "killed by signal 11 (SIGSEGV)", "exited with code 3", from a waitpid status.
std::string describe_exit(int status);

}  // namespace jobhost::isolation
