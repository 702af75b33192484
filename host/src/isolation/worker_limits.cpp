#include "isolation/worker_limits.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace jobhost::isolation {

namespace {

// Read by the signal handler: plain values written before the attempt starts.
volatile sig_atomic_t g_fd = -1;
volatile sig_atomic_t g_memory_limited = 0;
uint64_t g_memory_limit_bytes = 0;  // the address-space limit set for the attempt

// The resident or virtual size (pages) from /proc/self/statm, with syscalls only.
uint64_t statm_field(int field) {
  int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[128];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  uint64_t values[2] = {0, 0};
  int i = 0;
  for (char* p = buf; *p && i < 2; ++p) {
    if (*p >= '0' && *p <= '9') values[i] = values[i] * 10 + static_cast<uint64_t>(*p - '0');
    else if (*p == ' ') ++i;
  }
  return values[field] * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void send_limit_hit(const char* what) {
  if (g_fd < 0) return;
  const uint32_t size = static_cast<uint32_t>(std::strlen(what) + 1);
  char frame[64];
  std::memcpy(frame, &size, 4);
  frame[4] = static_cast<char>(kLimitHit);
  std::memcpy(frame + 5, what, size - 1);
  ssize_t ignored = ::write(g_fd, frame, 4 + size);
  (void)ignored;
}

// A fatal signal: if the attempt ran into its memory limit (its address space is at the limit:
// an allocation failed) or its CPU limit (SIGXCPU), say so; then die of the signal as before.
void on_fatal_signal(int sig) {
  if (sig == SIGXCPU) {
    send_limit_hit("cpu");
  } else if (g_memory_limited) {
    const uint64_t margin = 64ull << 20;  // an allocation that failed may have been this large
    if (statm_field(0) + margin >= g_memory_limit_bytes) send_limit_hit("memory");
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; }

// CPU time of the children the worker waited for (user, system). Only an attempt's code and
// stop_children() wait for children, so the reading at the end of one attempt is still the
// reading at the start of the next: one getrusage(RUSAGE_CHILDREN) per attempt.
struct ChildrenCpu {
  double user = 0, system = 0;
};
ChildrenCpu read_children_cpu() {
  rusage c{};
  getrusage(RUSAGE_CHILDREN, &c);
  return {seconds(c.ru_utime), seconds(c.ru_stime)};
}
ChildrenCpu& children_cpu_at_last_end() {
  static ChildrenCpu last = read_children_cpu();
  return last;
}

// A /proc file of this process, kept open: the per-attempt reads are on every attempt's path.
// Reopened when a plugin closed it (some close every descriptor they do not know).
class ProcFile {
 public:
  ProcFile(const char* path, int flags) : path_(path), flags_(flags) {}
  ssize_t pread_all(char* buf, size_t cap) { return with_fd([&](int fd) { return ::pread(fd, buf, cap, 0); }); }
  ssize_t write_text(const char* text) { return with_fd([&](int fd) { return ::write(fd, text, std::strlen(text)); }); }

 private:
  template <class F>
  ssize_t with_fd(F&& f) {
    for (int tries = 0; tries < 2; ++tries) {
      if (fd_ < 0) fd_ = ::open(path_, flags_ | O_CLOEXEC);
      if (fd_ < 0) return -1;
      ssize_t n = f(fd_);
      if (n >= 0 || errno != EBADF) return n;
      fd_ = -1;
    }
    return -1;
  }
  const char* path_;
  int flags_;
  int fd_ = -1;
};

// From one read of /proc/self/status: peak and current resident memory (bytes; -1 unknown) and
// the size of the descriptor table.
struct Status {
  int64_t peak_rss = -1, rss = -1, fd_table = -1;
};

Status read_status() {
  static ProcFile file("/proc/self/status", O_RDONLY);
  Status st;
  char buf[4096];
  ssize_t n = file.pread_all(buf, sizeof buf - 1);
  if (n <= 0) return st;
  buf[n] = '\0';
  if (const char* p = std::strstr(buf, "VmHWM:")) st.peak_rss = std::atoll(p + 6) * 1024;
  if (const char* p = std::strstr(buf, "VmRSS:")) st.rss = std::atoll(p + 6) * 1024;
  if (const char* p = std::strstr(buf, "FDSize:")) st.fd_table = std::atoll(p + 7);
  return st;
}

// Resets the peak-RSS mark (VmHWM) so that it measures one attempt.
void reset_peak_rss() {
  static ProcFile file("/proc/self/clear_refs", O_WRONLY);
  file.write_text("5");
}

std::vector<pid_t> children() {
  std::vector<pid_t> out;
  DIR* tasks = opendir("/proc/self/task");
  if (!tasks) return out;
  while (dirent* t = readdir(tasks)) {
    if (t->d_name[0] == '.') continue;
    std::string path = std::string("/proc/self/task/") + t->d_name + "/children";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) continue;
    buf[n] = '\0';
    for (char* p = buf; *p;) {
      char* end = nullptr;
      long pid = std::strtol(p, &end, 10);
      if (end == p) break;
      if (pid > 0) out.push_back(static_cast<pid_t>(pid));
      p = end;
    }
  }
  closedir(tasks);
  return out;
}

// Children an attempt left running are stopped: the next attempt starts clean, and nothing
// outlives the job unseen. (Orphaned grandchildren come to us too: we are a subreaper.)
void stop_children() {
  if (::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD) return;  // none, not even a zombie
  for (int round = 0; round < 8; ++round) {
    auto pids = children();
    if (pids.empty()) break;
    for (pid_t p : pids) ::kill(p, SIGKILL);
    for (pid_t p : pids) ::waitpid(p, nullptr, 0);
  }
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

int64_t open_files() {
  int64_t n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n - 1;  // the directory's own descriptor
}

int highest_open_fd() {
  int top = 0;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') top = std::max(top, std::atoi(e->d_name));
  closedir(d);
  return top;
}

bool lower(int resource, uint64_t soft, uint64_t (&saved)[2]) {
  rlimit old{};
  if (getrlimit(resource, &old) != 0) return false;
  saved[0] = old.rlim_cur;
  saved[1] = old.rlim_max;
  rlimit now = old;
  now.rlim_cur = old.rlim_max == RLIM_INFINITY ? soft : std::min<uint64_t>(soft, old.rlim_max);
  return setrlimit(resource, &now) == 0;
}

void restore(int resource, const uint64_t (&saved)[2]) {
  rlimit old{saved[0], saved[1]};
  setrlimit(resource, &old);
}

}  // namespace

void install_limit_reporting(int fd) {
  g_fd = fd;
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGXCPU}) sigaction(sig, &sa, nullptr);
}

AttemptScope::AttemptScope(const AttemptLimits& limits, int) {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  cpu_user_ = seconds(u.ru_utime);
  cpu_system_ = seconds(u.ru_stime);
  const ChildrenCpu children = children_cpu_at_last_end();
  children_user_ = children.user;
  children_system_ = children.system;
  reset_peak_rss();
  if (limits.memory_bytes) {
    // The attempt may add this much address space to what the worker already maps.
    g_memory_limit_bytes = statm_field(0) + *limits.memory_bytes;
    memory_ = lower(RLIMIT_AS, g_memory_limit_bytes, old_memory_);
    g_memory_limited = memory_ ? 1 : 0;
  }
  if (limits.cpu_seconds) {
    const double used = cpu_user_ + cpu_system_;
    cpu_ = lower(RLIMIT_CPU, static_cast<uint64_t>(std::ceil(used + *limits.cpu_seconds)), old_cpu_);
  }
  if (limits.open_files)
    files_ = lower(RLIMIT_NOFILE, static_cast<uint64_t>(highest_open_fd() + 1 + *limits.open_files), old_files_);
}

AttemptScope::~AttemptScope() {
  if (!finished_) {
    AttemptReply ignored;
    finish(ignored);
  }
}

void AttemptScope::finish(AttemptReply& reply) {
  finished_ = true;
  g_memory_limited = 0;
  if (memory_) restore(RLIMIT_AS, old_memory_);
  if (cpu_) restore(RLIMIT_CPU, old_cpu_);
  if (files_) restore(RLIMIT_NOFILE, old_files_);
  stop_children();
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const ChildrenCpu children = children_cpu_at_last_end() = read_children_cpu();
  // The whole worker's over the attempt, all its threads and the children it waited for (the
  // attempt's, since it runs alone): replaces what run_attempt measured on its own thread.
  AttemptUsage& usage = reply.result.usage;
  usage.cpu_user_seconds =
      std::max(0.0, seconds(u.ru_utime) - cpu_user_ + children.user - children_user_);
  usage.cpu_system_seconds =
      std::max(0.0, seconds(u.ru_stime) - cpu_system_ + children.system - children_system_);
  const Status st = read_status();
  usage.peak_rss_bytes = st.peak_rss;  // the worker's own: a child's memory is its own
  reply.rss_bytes = st.rss;
  // Counting descriptors costs a directory listing: only when the table grew large enough for
  // the count to matter (the kernel grows it in powers of two).
  reply.open_files = st.fd_table > 256 ? open_files() : 0;
}

}  // namespace jobhost::isolation
