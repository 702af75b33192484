#include "isolation/worker_pool.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "isolation/protocol.hpp"

extern char** environ;

namespace jobhost::isolation {

Worker::Worker(pid_t pid, int fd, std::string plugin_file)
    : pid_(pid), channel_(fd), plugin_file_(std::move(plugin_file)) {}

Worker::~Worker() {
  channel_.close();  // a healthy worker exits on its own when the socket closes
  if (!reaped_) {
    signal_group(SIGKILL);
    wait_for_exit();
  }
}

void Worker::signal_group(int sig) {
  if (reaped_) return;
  ::kill(-pid_, sig);  // its own process group (POSIX_SPAWN_SETPGROUP)
  ::kill(pid_, sig);
}

std::string Worker::wait_for_exit() {
  if (reaped_) return "ended";
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  ::kill(-pid_, SIGKILL);  // anything it left in its group goes with it
  return describe_exit(status);
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) + (abbrev ? std::string(" (SIG") + abbrev + ")" : std::string());
  }
  return "ended (status " + std::to_string(status) + ")";
}

std::string worker_binary() {
  if (const char* env = std::getenv("JOBHOST_WORKER"); env && *env) return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto beside = exe.parent_path() / ".." / "lib" / "jobhost" / "jobhost-worker";
    if (std::filesystem::exists(beside, ec)) return std::filesystem::weakly_canonical(beside, ec).string();
  }
#ifdef JOBHOST_WORKER_INSTALL_PATH
  return JOBHOST_WORKER_INSTALL_PATH;
#else
  return "jobhost-worker";
#endif
}

WorkerPools& WorkerPools::instance() {
  static WorkerPools pools;
  return pools;
}

WorkerPools::~WorkerPools() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
}

void WorkerPools::configure(WorkerSettings settings) {
  std::lock_guard lock(mu_);
  settings_ = std::move(settings);
}

int64_t WorkerPools::started() const {
  std::lock_guard lock(mu_);
  return started_;
}

size_t WorkerPools::idle() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (auto& [file, v] : idle_) n += v.size();
  return n;
}

std::unique_ptr<Worker> WorkerPools::acquire(const std::string& plugin_file) {
  {
    std::lock_guard lock(mu_);
    auto& idle = idle_[plugin_file];
    if (!idle.empty()) {
      auto w = std::move(idle.back());
      idle.pop_back();
      return w;
    }
  }
  return spawn(plugin_file);
}

void WorkerPools::release(std::unique_ptr<Worker> worker) {
  worker->idle_since = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  idle_[worker->plugin_file()].push_back(std::move(worker));
}

void WorkerPools::shut_down_idle() {
  std::map<std::string, std::vector<std::unique_ptr<Worker>>> gone;
  {
    std::lock_guard lock(mu_);
    gone.swap(idle_);
  }
}

// Idle workers past the idle timeout are stopped (outside the lock: stopping waits for them).
void WorkerPools::reap_idle_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::max(settings_.idle_timeout / 2, std::chrono::milliseconds(100)));
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<Worker>> expired;
    for (auto& [file, workers] : idle_) {
      for (auto it = workers.begin(); it != workers.end();) {
        if (now - (*it)->idle_since >= settings_.idle_timeout) {
          expired.push_back(std::move(*it));
          it = workers.erase(it);
        } else {
          ++it;
        }
      }
    }
    lock.unlock();
    expired.clear();
    lock.lock();
  }
}

std::unique_ptr<Worker> WorkerPools::spawn(const std::string& plugin_file) {
  WorkerSettings s;
  {
    std::lock_guard lock(mu_);
    s = settings_;
  }
  const std::string binary = s.worker_binary.empty() ? worker_binary() : s.worker_binary;
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 3);  // clears close-on-exec on 3
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: stopped as one, with its children
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> args = {binary, "--fd", "3", "--plugin", plugin_file};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int err = posix_spawn(&pid, binary.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (err != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start the worker process " + binary + ": " + std::strerror(err) +
                             " (set JOBHOST_WORKER to its path)");
  }
  auto worker = std::make_unique<Worker>(pid, fds[0], plugin_file);
  Frame f;
  auto got = worker->channel().receive(f, s.start_timeout);
  if (got == FrameChannel::Read::frame && f.kind == kReady) {
    std::lock_guard lock(mu_);
    ++started_;
    if (!reaper_.joinable()) reaper_ = std::thread([this] { reap_idle_loop(); });
    return worker;
  }
  if (got == FrameChannel::Read::frame && f.kind == kStartFailed)
    throw std::runtime_error("the worker process could not load plugin " + plugin_file + ": " + f.payload);
  if (got == FrameChannel::Read::timeout)
    throw std::runtime_error("the worker process for plugin " + plugin_file + " did not start within " +
                             std::to_string(s.start_timeout.count()) + " ms");
  throw std::runtime_error("the worker process for plugin " + plugin_file + " " + worker->wait_for_exit() +
                           " while starting");
}

}  // namespace jobhost::isolation
