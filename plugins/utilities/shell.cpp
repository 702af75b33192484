// utilities.shell: runs a command as a child process group, streams its output into the
// job log line by line, and stops it (TERM, then KILL) when the attempt is cancelled.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "jobs.hpp"

extern char** environ;

namespace jobhost::utilities {
namespace {

struct Command {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // KEY=VALUE, the host's environment plus overrides
  std::string cwd;
};

// JOBHOST_INPUT_<JOB>_<KEY>: letters upper-cased, anything but letters and digits as '_'.
std::string input_variable(std::string_view job, std::string_view key) {
  std::string name = "JOBHOST_INPUT_";
  auto add = [&](std::string_view part) {
    for (char c : part)
      name += std::isalnum(static_cast<unsigned char>(c))
                  ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                  : '_';
  };
  add(job);
  name += '_';
  add(key);
  return name;
}

// Every output of every direct upstream job (ABI 1.1 hosts; none on an older host).
std::vector<std::pair<std::string, std::string>> upstream_inputs(Context& ctx) {
  std::vector<std::pair<std::string, std::string>> vars;
  for (auto& job : ctx.upstream_jobs()) {
    for (auto& [key, value] : ctx.inputs(job)) {
      auto name = input_variable(job, key);
      // Two outputs with the same variable name ("a-b" and "a_b"): the later one wins.
      std::erase_if(vars, [&](auto& v) { return v.first == name; });
      vars.emplace_back(std::move(name), value);
    }
  }
  return vars;
}

Command read_command(Context& ctx) {
  Command cmd;
  bool has_command = ctx.has("command"), has_argv = ctx.has("argv");
  if (has_command == has_argv)
    throw FatalError("config: set exactly one of 'command' (run by /bin/sh -c) or 'argv'");
  if (has_command) {
    cmd.argv = {"/bin/sh", "-c", ctx.require<std::string>("command")};
  } else {
    cmd.argv = ctx.strings("argv");
    if (cmd.argv.empty()) throw FatalError("config: 'argv' must not be empty");
  }
  // Outputs of the direct upstream jobs first, so that the config's env can override them.
  std::vector<std::pair<std::string, std::string>> overrides = upstream_inputs(ctx);
  for (auto& key : ctx.keys("env")) {
    auto path = "env." + key;
    std::string value;
    switch (ctx.type_of(path)) {
      case JH_TYPE_STRING: value = ctx.require<std::string>(path); break;
      case JH_TYPE_INT: value = std::to_string(ctx.require<int64_t>(path)); break;
      case JH_TYPE_BOOL: value = ctx.require<bool>(path) ? "true" : "false"; break;
      default: throw FatalError("config: env." + key + " must be a string, integer or boolean");
    }
    std::erase_if(overrides, [&](auto& o) { return o.first == key; });
    overrides.emplace_back(key, value);
  }
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto name = kv.substr(0, kv.find('='));
    if (std::none_of(overrides.begin(), overrides.end(), [&](auto& o) { return o.first == name; }))
      cmd.env.emplace_back(kv);
  }
  for (auto& [k, v] : overrides) cmd.env.push_back(k + "=" + v);
  cmd.cwd = ctx.get_or("cwd", "");
  return cmd;
}

std::vector<int64_t> int_list(Context& ctx, const std::string& key) {
  std::vector<int64_t> out;
  uint64_t n = ctx.type_of(key) == JH_TYPE_ARRAY ? ctx.size_of(key) : 0;
  for (uint64_t i = 0; i < n; ++i) out.push_back(ctx.require<int64_t>(key + "[" + std::to_string(i) + "]"));
  return out;
}

// Splits a byte stream into lines for the log; keeps the unfinished tail.
struct LineBuffer {
  std::string pending;
  jh_log_level level;
  void feed(Context& ctx, const char* data, size_t n) {
    pending.append(data, n);
    size_t start = 0, nl;
    while ((nl = pending.find('\n', start)) != std::string::npos) {
      std::string_view line(pending.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      ctx.log(level, line);
      start = nl + 1;
    }
    pending.erase(0, start);
  }
  void flush(Context& ctx) {
    if (!pending.empty()) ctx.log(level, pending);
    pending.clear();
  }
};

[[noreturn]] void exec_child(const Command& cmd, int out_fd, int err_fd, int status_fd,
                             char* const* argv, char* const* envp, pid_t host_pid) {
  ::setpgid(0, 0);
#ifdef __linux__
  // If the host dies (kill -9), the command must not run on beside the resumed run's copy.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != host_pid) ::_exit(127);  // the host died before prctl took effect
#endif
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(err_fd, STDERR_FILENO);
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
  if (!cmd.cwd.empty() && ::chdir(cmd.cwd.c_str()) != 0) {
    int e = errno;
    (void)!::write(status_fd, "c", 1);
    (void)!::write(status_fd, &e, sizeof e);
    ::_exit(127);
  }
  ::execvpe(argv[0], argv, envp);
  int e = errno;
  (void)!::write(status_fd, "x", 1);
  (void)!::write(status_fd, &e, sizeof e);
  ::_exit(127);
}

}  // namespace

Status shell(Context& ctx) {
  Command cmd = read_command(ctx);
  auto retry_codes = int_list(ctx, "retry_exit_codes");
  auto fatal_codes = int_list(ctx, "fatal_exit_codes");
  auto grace = std::chrono::milliseconds(ctx.get_or<int64_t>("kill_grace_ms", 2000));

  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<char*> argv, envp;
  for (auto& a : cmd.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : cmd.env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out[2], err[2], status[2];
  if (::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC) || ::pipe2(status, O_CLOEXEC))
    return Status::retry(std::string("pipe: ") + std::strerror(errno));
  pid_t host_pid = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Status::retry(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) exec_child(cmd, out[1], err[1], status[1], argv.data(), envp.data(), host_pid);
  ::close(out[1]);
  ::close(err[1]);
  ::close(status[1]);

  // Did exec (or chdir) fail? The status pipe closes on a successful exec.
  char what = 0;
  int child_errno = 0;
  if (::read(status[0], &what, 1) == 1) {
    (void)!::read(status[0], &child_errno, sizeof child_errno);
    ::close(status[0]);
    ::close(out[0]);
    ::close(err[0]);
    ::waitpid(pid, nullptr, 0);
    if (what == 'c')
      return Status::fatal("cannot change directory to '" + cmd.cwd + "': " + std::strerror(child_errno));
    return Status::fatal("cannot execute '" + cmd.argv[0] + "': " + std::strerror(child_errno));
  }
  ::close(status[0]);

  LineBuffer out_lines{{}, JH_LOG_INFO}, err_lines{{}, JH_LOG_WARN};
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  bool cancelled = false;
  std::chrono::steady_clock::time_point kill_at{};
  char buf[8192];
  while (open_fds > 0) {
    ::poll(fds, 2, 50);
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? out_lines : err_lines).feed(ctx, buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
    if (!cancelled && ctx.cancelled()) {
      cancelled = true;
      ::kill(-pid, SIGTERM);
      kill_at = std::chrono::steady_clock::now() + grace;
    } else if (cancelled && kill_at != std::chrono::steady_clock::time_point{} &&
               std::chrono::steady_clock::now() >= kill_at) {
      ::kill(-pid, SIGKILL);
      kill_at = {};
    }
  }
  out_lines.flush(ctx);
  err_lines.flush(ctx);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (cancelled) return Status::cancelled();
  if (WIFSIGNALED(wstatus))
    return Status::retry("command killed by signal " + std::to_string(WTERMSIG(wstatus)));
  int code = WEXITSTATUS(wstatus);
  ctx.metric("exit_code", code);
  if (code == 0) return Status::ok();
  auto has = [](auto& v, int c) { return std::find(v.begin(), v.end(), c) != v.end(); };
  std::string msg = "command exited with code " + std::to_string(code);
  if (has(fatal_codes, code)) return Status::fatal(msg + " (listed in fatal_exit_codes)");
  if (!retry_codes.empty() && !has(retry_codes, code))
    return Status::fatal(msg + " (not in retry_exit_codes)");
  return Status::retry(msg);
}

}  // namespace jobhost::utilities
