// Executor overhead per job against a floor measured in the same run: the same DAG on a bare
// asio::thread_pool with atomic in-degree counters and nothing else.
//
//   bench_executor [--quick] [--reps N] [--shape NAME]... [--side floor|memory|durable]...
//   prints BENCH name=<what> value=<number> unit=<unit> lines
//   (--quick: 10k-job shapes, one repetition; default: 100k shapes, best of 5;
//    --shape: only the shapes whose name starts with NAME, e.g. chain or layered;
//    --side: measure only these sides, for profiling one of them; ratios need both)
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <set>
#include <string>

#include "config/pipeline_loader.hpp"
#include "dag_generators.hpp"
#include "exec/pipeline_run.hpp"
#include "plugins/plugin_registry.hpp"
#include "state/run_store.hpp"
#include "util/heap_tuning.hpp"

using namespace jobhost;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void bench_line(const std::string& name, double value, const char* unit) {
  std::printf("BENCH name=%s value=%.4f unit=%s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

// The floor: no states, no rules, no plugin call; only dependency counting and posting.
double floor_seconds(const bench::Preds& preds, int threads) {
  size_t n = preds.size();
  std::vector<std::vector<uint32_t>> succ(n);
  auto indeg = std::make_unique<std::atomic<int>[]>(n);
  for (uint32_t i = 0; i < n; ++i) {
    indeg[i] = static_cast<int>(preds[i].size());
    for (auto p : preds[i]) succ[p].push_back(i);
  }
  // Timed like jobhost's execution: from starting the threads to having joined them.
  auto t = Clock::now();
  boost::asio::thread_pool pool(static_cast<size_t>(threads));
  std::atomic<size_t> done{0};
  std::promise<void> finished;
  std::function<void(uint32_t)> run = [&](uint32_t v) {
    for (auto s : succ[v])
      if (indeg[s].fetch_sub(1) == 1) boost::asio::post(pool, [&, s] { run(s); });
    if (done.fetch_add(1) + 1 == n) finished.set_value();
  };
  for (uint32_t i = 0; i < n; ++i)
    if (preds[i].empty()) boost::asio::post(pool, [&, i] { run(i); });
  finished.get_future().wait();
  pool.join();
  return seconds_since(t);
}

struct Measured {
  double setup_s, exec_s;
};

Measured jobhost_seconds(const PipelineSpec& spec, const PluginRegistry& plugins, int threads,
                         state::RunStore* store, const std::string& date) {
  RunRequest req;
  req.spec = &spec;
  req.plugins = &plugins;
  req.logical_date = date;
  req.max_parallel = threads;
  req.store = store;
  req.log_state_changes = false;
  auto t = Clock::now();
  PipelineRun run(std::move(req));
  auto report = run.run();
  double total = seconds_since(t);
  if (report.status != "success") {
    std::fprintf(stderr, "run failed: %s\n", report.status.c_str());
    std::exit(1);
  }
  return {total - report.exec_ms / 1e3, report.exec_ms / 1e3};
}

}  // namespace

int main(int argc, char** argv) {
  tune_heap_for_large_runs(argv);  // as jobhost itself does
  bool quick = false;
  int reps = 5;
  std::vector<std::string> only;
  std::set<std::string> sides;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--reps" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--shape" && i + 1 < argc) only.push_back(argv[++i]);
    else if (a == "--side" && i + 1 < argc) sides.insert(argv[++i]);
    else {
      std::fprintf(stderr, "usage: bench_executor [--quick] [--reps N] [--shape NAME]... [--side floor|memory|durable]...\n");
      return 2;
    }
  }
  if (quick) reps = 1;
  if (sides.empty()) sides = {"floor", "memory", "durable"};
  auto measure = [&](const char* side) { return sides.count(side) > 0; };
  spdlog::set_level(spdlog::level::info);  // per-job lines are at debug: compiled, filtered
  const int threads = 2;
  PluginRegistry plugins;
  plugins.load_path(JOBHOST_BENCH_PLUGIN_DIR);
  uint32_t big = quick ? 10000 : 100000;
  struct Shape {
    std::string name;
    bench::Preds preds;
  };
  std::vector<Shape> shapes = {
      {"chain_10k", bench::chain(10000)},
      {"fanout_fanin_" + std::to_string(big / 1000) + "k", bench::fan_out_fan_in(big)},
      {"layered_random_" + std::to_string(big / 1000) + "k", bench::layered_random(big, 1000, 42)},
      {"lattice_100x100", bench::lattice(100)},
  };
  auto dir = std::filesystem::temp_directory_path() / ("jobhost-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (auto& shape : shapes) {
    if (!only.empty() && std::none_of(only.begin(), only.end(), [&](const std::string& o) {
          return shape.name.rfind(o, 0) == 0;
        }))
      continue;
    double n = static_cast<double>(shape.preds.size());
    std::string toml = bench::to_toml(shape.name, shape.preds);
    auto t = Clock::now();
    PipelineSpec spec = load_pipeline_text(toml, shape.name + ".toml");
    validate_pipeline(spec, plugins);
    double build = seconds_since(t);

    // Best of `reps` for each side: on a shared 2-core machine the minimum is the figure
    // least disturbed by other work, and the same rule applies to floor and jobhost.
    double floor_s = 1e9;
    Measured mem{1e9, 1e9}, durable{1e9, 1e9};
    int64_t commits = 0;
    for (int rep = 0; rep < reps; ++rep) {
      if (measure("floor")) floor_s = std::min(floor_s, floor_seconds(shape.preds, threads));
      if (measure("memory")) {
        auto m = jobhost_seconds(spec, plugins, threads, nullptr, "2026-01-01");
        if (m.exec_s < mem.exec_s) mem = m;
      }
      if (!measure("durable")) continue;
      state::StoreOptions so;
      so.path = (dir / (shape.name + std::to_string(rep) + ".db")).string();
      auto store = state::RunStore::open(so);
      auto d = jobhost_seconds(spec, plugins, threads, store.get(), "2026-01-01");
      if (d.exec_s < durable.exec_s) {
        durable = d;
        commits = store->commits();
      }
    }

    bench_line(shape.name + ".jobs", n, "jobs");
    bench_line(shape.name + ".parse_validate_graph", build * 1e3, "ms");
    if (measure("floor")) bench_line(shape.name + ".floor_per_job", floor_s / n * 1e6, "us");
    if (measure("memory")) {
      bench_line(shape.name + ".run_setup", mem.setup_s * 1e3, "ms");
      bench_line(shape.name + ".memory_per_job", mem.exec_s / n * 1e6, "us");
    }
    if (measure("floor") && measure("memory"))
      bench_line(shape.name + ".memory_vs_floor", mem.exec_s / floor_s, "ratio");
    if (measure("durable")) {
      bench_line(shape.name + ".durable_per_job", durable.exec_s / n * 1e6, "us");
      bench_line(shape.name + ".durable_commits", static_cast<double>(commits), "transactions");
    }
    if (measure("memory") && measure("durable"))
      bench_line(shape.name + ".durable_vs_memory", durable.exec_s / mem.exec_s, "ratio");
  }
  std::filesystem::remove_all(dir);
  return 0;
}
