// Deferred attempts: 10,000 jobs that each defer 5 times with delays of 10-50 ms, on
// max_parallel = 2, against floors measured in the same run:
//  - wall time against the longest chain of delays (the waits must overlap: <= 1.2x);
//  - host CPU per poll against a bare Asio floor (the same timers on an io_context, each
//    expiry handed to one of two worker threads that re-arm it);
//  - resident memory per deferred attempt while all 10,000 wait (the worst repetition).
// In memory (the executor alone) and, for information, durable (the fluent API with a store).
//
//   bench_deferred [--jobs N] [--defers K] [--reps R] [--side floor|memory|durable]...
//   prints BENCH name=<what> value=<number> unit=<unit> lines
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <jobhost/pipeline.hpp>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "exec/executor.hpp"

using namespace jobhost;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

struct Options {
  int jobs = 10000;
  int defers = 5;
  int reps = 3;
  std::set<std::string> sides{"floor", "memory", "durable"};
};

void bench_line(const std::string& name, double value, const char* unit) {
  std::printf("BENCH name=%s value=%.4f unit=%s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](timeval t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

// Resident set size in bytes (/proc/self/statm).
double rss_bytes() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// Job i's delays: `defers` values uniform in [10, 50] ms, the same in every side.
std::vector<std::vector<int>> make_delays(const Options& o) {
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<int> ms(10, 50);
  std::vector<std::vector<int>> d(static_cast<size_t>(o.jobs));
  for (auto& job : d)
    for (int k = 0; k < o.defers; ++k) job.push_back(ms(rng));
  return d;
}

int longest_chain_ms(const std::vector<std::vector<int>>& delays) {
  int best = 0;
  for (auto& job : delays) {
    int sum = 0;
    for (int d : job) sum += d;
    best = std::max(best, sum);
  }
  return best;
}

struct Figures {
  double wall_s = 0, cpu_s = 0, rss_per_waiting = 0;
  double all_waiting_s = 0;  // from the start until every job waits
};

// The floor: each job's delays as one re-armed steady_timer on an io_context; every expiry is
// posted to a 2-thread pool, which re-arms the timer through the io thread. No states, no
// store, no plugin call.
Figures floor_run(const std::vector<std::vector<int>>& delays) {
  Figures f;
  const double rss0 = rss_bytes();
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  boost::asio::thread_pool pool(2);
  std::atomic<size_t> left{delays.size()};
  std::promise<void> done;
  struct Waiter {
    boost::asio::steady_timer timer;
    size_t next = 0;
    explicit Waiter(boost::asio::io_context& io) : timer(io) {}
  };
  std::vector<std::unique_ptr<Waiter>> waiters;
  waiters.reserve(delays.size());
  std::atomic<size_t> armed{0};
  std::function<void(size_t)> arm = [&](size_t i) {
    Waiter& w = *waiters[i];
    w.timer.expires_after(milliseconds(delays[i][w.next++]));
    w.timer.async_wait([&, i](boost::system::error_code) {
      boost::asio::post(pool, [&, i] {
        if (waiters[i]->next == delays[i].size()) {
          if (left.fetch_sub(1) == 1) done.set_value();
          return;
        }
        boost::asio::post(io, [&, i] { arm(i); });
      });
    });
  };
  std::thread io_thread([&] { io.run(); });
  for (size_t i = 0; i < delays.size(); ++i) waiters.push_back(std::make_unique<Waiter>(io));
  for (size_t i = 0; i < delays.size(); ++i)
    boost::asio::post(pool, [&, i] {
      boost::asio::post(io, [&, i] { arm(i); });
      if (armed.fetch_add(1) + 1 == delays.size()) {
        f.rss_per_waiting = (rss_bytes() - rss0) / delays.size();
        f.all_waiting_s = std::chrono::duration<double>(Clock::now() - t0).count();
      }
    });
  done.get_future().wait();
  guard.reset();
  io.stop();
  io_thread.join();
  pool.join();
  f.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  f.cpu_s = cpu_seconds() - cpu0;
  return f;
}

// Samples RSS when every job has deferred once.
class PeakObserver : public ExecutionObserver {
 public:
  PeakObserver(size_t jobs, double rss0) : jobs_(jobs), rss0_(rss0) {}
  void on_attempt_deferred(uint32_t, const Deferral& d, std::function<void()> start_wait) override {
    if (d.polls == 0 && first_.fetch_add(1) + 1 == jobs_) {
      per_waiting = (rss_bytes() - rss0_) / jobs_;
      all_waiting_at = Clock::now();
    }
    start_wait();
  }
  double per_waiting = 0;
  Clock::time_point all_waiting_at{};

 private:
  size_t jobs_;
  double rss0_;
  std::atomic<size_t> first_{0};
};

// The executor alone, in memory: run() defers with the first delay, each poll with the next.
Figures memory_run(const std::vector<std::vector<int>>& delays) {
  std::vector<ExecJob> jobs(delays.size());
  for (size_t i = 0; i < delays.size(); ++i) {
    const std::vector<int>* d = &delays[i];
    jobs[i].name = "j" + std::to_string(i);
    jobs[i].run = [d](AttemptInput&) {
      AttemptResult r;
      r.status = JH_STATUS_DEFERRED;
      r.handle = "remote-run";
      r.delay = milliseconds((*d)[0]);
      return r;
    };
    jobs[i].poll = [d](AttemptInput& in, std::string_view) {
      AttemptResult r;
      if (in.poll_count >= d->size()) {
        r.status = JH_STATUS_OK;
      } else {
        r.status = JH_STATUS_DEFERRED;
        r.keep_handle = true;
        r.delay = milliseconds((*d)[in.poll_count]);
      }
      return r;
    };
  }
  ExecOptions opt;
  opt.max_parallel = 2;
  opt.run_id = "bench";
  opt.pipeline = "bench";
  opt.logical_date = "2026-12-02";
  Figures f;
  const double rss0 = rss_bytes();
  PeakObserver observer(delays.size(), rss0);
  Executor executor(std::move(jobs), std::move(opt), &observer);
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  ExecResult r = executor.run();
  f.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  f.cpu_s = cpu_seconds() - cpu0;
  f.rss_per_waiting = observer.per_waiting;
  f.all_waiting_s = std::chrono::duration<double>(observer.all_waiting_at - t0).count();
  if (!r.ok() || r.peak_deferred != delays.size())
    std::fprintf(stderr, "memory run: not every job succeeded or deferred at once (peak %zu)\n",
                 r.peak_deferred);
  return f;
}

// The fluent API with a run store: what a user's deferring job type costs end to end.
Figures durable_run(const std::vector<std::vector<int>>& delays) {
  struct Remote {
    const std::vector<int>* d;
    Outcome run(Context&) const { return Deferred("remote-run", milliseconds((*d)[0])); }
    Outcome poll(Context& ctx, std::string_view) const {
      if (ctx.poll_count() >= d->size()) return Status::ok();
      return Deferred::again(milliseconds((*d)[ctx.poll_count()]));
    }
  };
  auto dir = std::filesystem::temp_directory_path() / ("bench-deferred-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  Pipeline p("bench_deferred");
  p.max_parallel(2);
  for (size_t i = 0; i < delays.size(); ++i) p.add_job("j" + std::to_string(i), Remote{&delays[i]});
  RunOptions o;
  o.logical_date = "2026-12-02";
  o.state_path = (dir / "state.db").string();
  o.scratch_root = (dir / "scratch").string();
  o.log_state_changes = false;
  Figures f;
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  RunResult r = p.run(o);
  f.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  f.cpu_s = cpu_seconds() - cpu0;
  if (!r.ok()) std::fprintf(stderr, "durable run: %s\n", r.status().c_str());
  std::filesystem::remove_all(dir);
  return f;
}

Figures best_of(int reps, const std::function<Figures()>& run) {
  Figures best;
  for (int i = 0; i < reps; ++i) {
    Figures f = run();
    if (i == 0 || f.wall_s < best.wall_s) best.wall_s = f.wall_s;
    if (i == 0 || f.cpu_s < best.cpu_s) best.cpu_s = f.cpu_s;
    if (i == 0 || f.all_waiting_s < best.all_waiting_s) best.all_waiting_s = f.all_waiting_s;
    // Memory: the worst repetition (later ones reuse what the allocator kept from the first).
    best.rss_per_waiting = std::max(best.rss_per_waiting, f.rss_per_waiting);
  }
  return best;
}

Options parse(int argc, char** argv) {
  Options o;
  std::set<std::string> sides;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--jobs") o.jobs = std::stoi(next());
    else if (a == "--defers") o.defers = std::stoi(next());
    else if (a == "--reps") o.reps = std::stoi(next());
    else if (a == "--side") sides.insert(next());
    else throw std::runtime_error("unknown option " + a);
  }
  if (!sides.empty()) o.sides = sides;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_deferred: %s\nusage: bench_deferred [--jobs N] [--defers K] "
                 "[--reps R] [--side floor|memory|durable]...\n", e.what());
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  const auto delays = make_delays(o);
  const double chain_s = longest_chain_ms(delays) / 1000.0;
  const double polls = static_cast<double>(o.jobs) * o.defers;
  const std::string tag = std::to_string(o.jobs) + "x" + std::to_string(o.defers);
  std::printf("# %d jobs, each deferring %d times for 10-50 ms, max_parallel 2; best of %d\n",
              o.jobs, o.defers, o.reps);
  bench_line("deferred." + tag + ".longest_chain_of_delays", chain_s * 1000, "ms");

  Figures floor;
  if (o.sides.count("floor")) {
    floor = best_of(o.reps, [&] { return floor_run(delays); });
    bench_line("deferred." + tag + ".floor.wall", floor.wall_s * 1000, "ms");
    bench_line("deferred." + tag + ".floor.all_waiting_after", floor.all_waiting_s * 1000, "ms");
    bench_line("deferred." + tag + ".floor.cpu_per_poll", floor.cpu_s / polls * 1e6, "us");
    bench_line("deferred." + tag + ".floor.rss_per_waiting", floor.rss_per_waiting, "bytes");
  }
  if (o.sides.count("memory")) {
    Figures m = best_of(o.reps, [&] { return memory_run(delays); });
    bench_line("deferred." + tag + ".memory.wall", m.wall_s * 1000, "ms");
    bench_line("deferred." + tag + ".memory.wall_vs_longest_chain", m.wall_s / chain_s, "x");
    bench_line("deferred." + tag + ".memory.all_waiting_after", m.all_waiting_s * 1000, "ms");
    bench_line("deferred." + tag + ".memory.cpu_per_poll", m.cpu_s / polls * 1e6, "us");
    bench_line("deferred." + tag + ".memory.rss_per_deferred_attempt", m.rss_per_waiting, "bytes");
    if (floor.cpu_s > 0)
      bench_line("deferred." + tag + ".memory.cpu_vs_floor", m.cpu_s / floor.cpu_s, "x");
  }
  if (o.sides.count("durable")) {
    Figures d = best_of(o.reps, [&] { return durable_run(delays); });
    bench_line("deferred." + tag + ".durable.wall", d.wall_s * 1000, "ms");
    bench_line("deferred." + tag + ".durable.wall_vs_longest_chain", d.wall_s / chain_s, "x");
    bench_line("deferred." + tag + ".durable.cpu_per_poll", d.cpu_s / polls * 1e6, "us");
  }
  return 0;
}
