// Starts the built jobhost binary as a child process (fork + exec, no shell), so a test can
// signal it at a moment of its choosing and reap it and every process it left behind.
#pragma once

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace jobhost::test {

class ChildProcess {
 public:
  // Runs `jobhost args...` in `cwd` with stdout/stderr going to `out_path`/`err_path`.
  ChildProcess(const std::string& cwd, const std::vector<std::string>& args,
               const std::string& out_path, const std::string& err_path) {
    std::vector<std::string> argv{JOBHOST_TEST_BIN_DIR "/jobhost"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (out < 0 || err < 0 || ::chdir(cwd.c_str()) != 0) ::_exit(126);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(err, STDERR_FILENO);
      static char plugin_env[] = "JOBHOST_PLUGIN_PATH=";
      ::putenv(plugin_env);
      ::execv(cargv[0], cargv.data());
      ::_exit(127);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }

  pid_t pid() const { return pid_; }

  // The exit status when the child has ended (reaping it), else nothing.
  std::optional<int> poll() {
    if (reaped_) return status_;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = st;
      return status_;
    }
    return std::nullopt;
  }

  // Blocks until the child ends; returns its raw wait status.
  int wait() {
    if (reaped_) return status_;
    while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return status_;
  }

  void kill(int sig) { ::kill(pid_, sig); }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// Makes this process adopt orphaned descendants (the job processes of a killed host), so that
// reap_orphans() can wait until none of them can still write anything.
inline void become_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) throw std::runtime_error("PR_SET_CHILD_SUBREAPER failed");
}

// Waits for every remaining child, adopted orphans included.
inline void reap_orphans() {
  int st = 0;
  while (true) {
    pid_t r = ::waitpid(-1, &st, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return;  // ECHILD: nobody left
  }
}

}  // namespace jobhost::test
