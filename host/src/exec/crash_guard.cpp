#include "exec/crash_guard.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "state/crash_records.hpp"
#include "state/run_lock.hpp"

namespace jobhost::crash_guard {
namespace {

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    default: return "SIGNAL";
  }
}

// Appends to a fixed buffer and drops what does not fit, keeping room for a final '\n' so that
// a cut line is still a line. Async-signal-safe (memcpy, strlen).
class FixedText {
 public:
  FixedText(char* buf, size_t cap) : buf_(buf), cap_(cap - 1) {}
  void put(const char* s, size_t n) {
    n = std::min(n, cap_ - len_);
    std::memcpy(buf_ + len_, s, n);
    len_ += n;
  }
  void put(std::string_view s) { put(s.data(), s.size()); }
  void put(const char* s) { put(s, std::strlen(s)); }
  void num(uint64_t v) {
    char digits[20];
    size_t n = 0;
    do digits[n++] = static_cast<char>('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0) put(&digits[--n], 1);
  }
  size_t end_line() {  // the length, with the '\n' the constructor kept room for
    buf_[len_++] = '\n';
    return len_;
  }
  size_t size() const { return len_; }

 private:
  char* buf_;
  size_t cap_;
  size_t len_ = 0;
};

// The attempt a thread is running, as the handler will write it; filled before each plugin call.
// Constant-initialised, so reading it in the handler touches no lazy TLS machinery.
struct ThreadAttempt {
  volatile sig_atomic_t active;
  size_t where_len;   // "job 'X' of pipeline P (run R, attempt N)"
  size_t fields_len;  // "R<TAB>T<TAB>X<TAB>N": the record's last four fields
  char where[384];
  char fields[320];
};
thread_local ThreadAttempt t_attempt{};

std::atomic<bool> g_installed{false};
int g_crash_fd = -1;
const char* g_next = "";  // what happens next, after the report (set once at install)
char g_crash_path[PATH_MAX];  // for removing an unused (empty) crash file at exit
pid_t g_crash_file_owner = 0;  // the process the file is named after (not a forked child)

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void on_fatal_signal(int sig, siginfo_t*, void*) {
  const int saved_errno = errno;
  const bool in_job = t_attempt.active != 0;
  char line[1024];
  FixedText msg(line, sizeof line);
  msg.put("jobhost: fatal signal ");
  msg.num(static_cast<uint64_t>(sig));
  msg.put(" (");
  msg.put(signal_name(sig));
  msg.put(in_job ? ") in " : ") outside any job (a jobhost bug: please report it)");
  if (in_job) msg.put(t_attempt.where, t_attempt.where_len);
  msg.put(g_next);
  write_all(STDERR_FILENO, line, msg.end_line());

  if (g_crash_fd >= 0) {
    char record[512];
    FixedText rec(record, sizeof record);
    rec.put(state::kCrashLineTag);
    rec.put("\t");
    rec.num(static_cast<uint64_t>(::getpid()));
    rec.put("\t");
    rec.num(static_cast<uint64_t>(sig));
    rec.put("\t");
    rec.put(signal_name(sig));
    rec.put("\t");
    if (in_job) rec.put(t_attempt.fields, t_attempt.fields_len);
    else rec.put("\t\t\t");  // outside any job: the four job fields are empty
    write_all(g_crash_fd, record, rec.end_line());
  }
  errno = saved_errno;
  // SA_RESETHAND made the action the default again: the signal raised once more ends the
  // process as it would have ended without us (status 128+N, core dump).
  ::raise(sig);
}

// A run that ends normally leaves no empty crash file behind. A child a job forked and that
// calls exit() runs this too: the file is its parent's, so it stays.
void remove_unused_crash_file() {
  struct stat st{};
  if (g_crash_fd < 0 || ::getpid() != g_crash_file_owner) return;
  if (::fstat(g_crash_fd, &st) == 0 && st.st_size == 0) ::unlink(g_crash_path);
}

// Empty crash files of processes that are gone (killed before they could clean up): nothing to
// apply, so nothing to keep. Files with records stay until a next start applies them.
void remove_stale_empty_files(const std::filesystem::path& dir) {
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const auto& p = e.path();
    if (p.extension() != ".crash") continue;
    char* end = nullptr;
    const long long pid = std::strtoll(p.stem().c_str(), &end, 10);
    if (*end != '\0' || pid == ::getpid() || state::pid_alive(pid)) continue;
    std::error_code size_ec;
    if (std::filesystem::file_size(p, size_ec) == 0 && !size_ec) std::filesystem::remove(p, size_ec);
  }
}

void open_crash_file(const std::string& crash_dir) {
  std::error_code ec;
  std::filesystem::create_directories(crash_dir, ec);
  if (ec) {
    spdlog::warn("crash records are off: cannot create {}: {}", crash_dir, ec.message());
    return;
  }
  remove_stale_empty_files(crash_dir);
  const std::string path = state::crash_file_path(crash_dir, ::getpid());
  if (path.size() >= sizeof g_crash_path) {
    spdlog::warn("crash records are off: path too long: {}", path);
    return;
  }
  std::memcpy(g_crash_path, path.c_str(), path.size() + 1);
  g_crash_fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (g_crash_fd < 0) {
    spdlog::warn("crash records are off: cannot open {}: {}", path, std::strerror(errno));
    return;
  }
  g_crash_file_owner = ::getpid();
  std::atexit(remove_unused_crash_file);
}

// Once per thread that runs plugin code: the handler needs a stack of its own when the job
// overflowed the thread's. Freed when the thread ends.
void ensure_alternate_stack() {
  thread_local bool ready = false;
  if (ready) return;
  ready = true;
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;  // has one
  struct Owned {
    void* memory = nullptr;
    ~Owned() {
      if (!memory) return;
      stack_t off{};
      off.ss_flags = SS_DISABLE;
      ::sigaltstack(&off, nullptr);
      std::free(memory);
    }
  };
  thread_local Owned owned;
  const size_t size = std::max<size_t>(64 * 1024, SIGSTKSZ);
  owned.memory = std::malloc(size);
  if (!owned.memory) return;
  stack_t alt{};
  alt.ss_sp = owned.memory;
  alt.ss_size = size;
  if (::sigaltstack(&alt, nullptr) != 0) {
    std::free(owned.memory);
    owned.memory = nullptr;
  }
}

}  // namespace

void install(const std::string& crash_dir) {
  static std::once_flag once;
  std::call_once(once, [&] {
    if (!crash_dir.empty()) open_crash_file(crash_dir);
    g_next = g_crash_fd >= 0 ? "; the next run of this date records it and resumes"
                             : "; nothing is recorded (no run store)";
    struct sigaction sa{};
    sa.sa_sigaction = on_fatal_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (int sig : kFatalSignals) ::sigaction(sig, &sa, nullptr);
    g_installed.store(true, std::memory_order_release);
  });
}

bool installed() { return g_installed.load(std::memory_order_acquire); }

AttemptScope::AttemptScope(std::string_view pipeline, std::string_view run_id,
                           uint32_t try_number, std::string_view job, uint32_t attempt) {
  if (!g_installed.load(std::memory_order_relaxed)) return;
  ensure_alternate_stack();
  ThreadAttempt& t = t_attempt;
  FixedText where(t.where, sizeof t.where);
  where.put("job '");
  where.put(job);
  where.put("' of pipeline ");
  where.put(pipeline);
  where.put(" (run ");
  where.put(run_id);
  where.put(", attempt ");
  where.num(attempt);
  where.put(")");
  t.where_len = where.size();
  FixedText fields(t.fields, sizeof t.fields);
  fields.put(run_id);
  fields.put("\t");
  fields.num(try_number);
  fields.put("\t");
  fields.put(job);
  fields.put("\t");
  fields.num(attempt);
  t.fields_len = fields.size();
  // The handler runs on this thread: it must see the text complete once `active` is set.
  std::atomic_signal_fence(std::memory_order_seq_cst);
  t.active = 1;
  armed_ = true;
}

AttemptScope::~AttemptScope() {
  if (!armed_) return;
  t_attempt.active = 0;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

}  // namespace jobhost::crash_guard
