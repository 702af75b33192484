// Connectors at scale: N remote runs (default 1,000) of one engine at once, through the real
// jobhost binary and plugin, on max_parallel = 2, against a fake engine (no schema checks, so
// the fake keeps up). Every remote run lasts --run-seconds on the engine's clock.
//
// Reported, per engine, against a floor measured in the same run:
//   wall time of `jobhost run` vs the slowest remote run (created -> observed ended on the
//   engine): target <= 1.5x, i.e. the waits overlap and polling keeps up;
//   host CPU time (user + system) per remote run; peak resident memory of the host;
//   starts per run (must be exactly 1) and requests per run.
//
//   bench_connectors [--engine airflow|databricks|adf|prefect|all] [--runs N]
//                    [--run-seconds S] [--poll-interval S]
//   prints BENCH name=<what> value=<number> unit=<unit> lines; exit 1 when a target is missed
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "fake_engine_process.hpp"

using namespace jobhost::test;
namespace json = boost::json;

namespace {

struct Options {
  std::vector<std::string> engines{"airflow", "databricks", "adf", "prefect"};
  int runs = 1000;
  double run_seconds = 20;
  double poll_interval = 2;
};

// How one engine's connection and job look (the keys of docs/connectors/<engine>.md).
struct EngineSetup {
  std::string target;      // the fake's target the jobs run
  std::string connection;  // [connections.bench] body, with URL as the placeholder
  std::string secret_env;  // env assignment for the secret the connection names
  std::string uses;
  std::string job_config;  // inline table body
};

const std::map<std::string, EngineSetup>& setups() {
  static const std::map<std::string, EngineSetup> table = {
      {"airflow",
       {"etl_daily",
        "type = \"airflow\"\nurl = \"URL\"\nusername = \"svc_jobhost\"\npassword_secret = \"BENCH_PASS\"\n",
        "JOBHOST_SECRET_BENCH_PASS=af-pass-S3cr3t-91", "airflow.dag_run", "dag_id = \"etl_daily\""}},
      {"databricks",
       {"101", "type = \"databricks\"\nurl = \"URL\"\ntoken_secret = \"BENCH_TOKEN\"\n",
        "JOBHOST_SECRET_BENCH_TOKEN=dapi-S3cr3t-93", "databricks.run_job", "job_id = 101"}},
      {"adf",
       {"copy_sales",
        "type = \"adf\"\nurl = \"URL\"\nauthority_url = \"URL\"\ntenant_id = \"tenant-1\"\n"
        "client_id = \"adf-client\"\nclient_secret_secret = \"BENCH_CLIENT\"\n"
        "subscription_id = \"sub-1\"\nresource_group = \"rg-1\"\nfactory = \"df-1\"\n",
        "JOBHOST_SECRET_BENCH_CLIENT=adf-S3cr3t-95", "adf.pipeline_run", "pipeline = \"copy_sales\""}},
      {"prefect",
       {"etl/prod", "type = \"prefect\"\nurl = \"URL/api\"\napi_key_secret = \"BENCH_KEY\"\n",
        "JOBHOST_SECRET_BENCH_KEY=pnu_S3cr3t96", "prefect.deployment_run", "deployment = \"etl/prod\""}},
  };
  return table;
}

void bench_line(const std::string& name, double value, const char* unit) {
  std::printf("BENCH name=%s value=%.4f unit=%s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

std::string pipeline(const Options& o, const EngineSetup& e) {
  std::string text = "[pipeline]\nname = \"bench_connectors\"\nmax_parallel = 2\n";
  char poll[32];
  std::snprintf(poll, sizeof poll, "%gs", o.poll_interval);
  for (int i = 0; i < o.runs; ++i)
    text += "[[jobs]]\nname = \"remote_" + std::to_string(i) + "\"\nuses = \"" + e.uses +
            "\"\nconfig = { connection = \"bench\", poll_interval = \"" + poll + "\", " +
            e.job_config + " }\n";
  return text;
}

struct HostRun {
  int exit_code = -1;
  double wall_s = 0, cpu_s = 0, max_rss_mb = 0;
};

// Runs `jobhost run` in `dir` and measures it with wait4 (CPU and peak RSS of the host alone).
HostRun run_host(const TempDir& dir, const std::string& secret_env) {
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(dir.str().c_str()) != 0) ::_exit(126);
    std::string env = secret_env;
    ::putenv(env.data());
    static char no_path[] = "JOBHOST_PLUGIN_PATH=";
    ::putenv(no_path);
    FILE* out = std::freopen("host.out", "w", stdout);
    FILE* err = std::freopen("host.err", "w", stderr);
    (void)out, (void)err;
    ::execl(JOBHOST_TEST_BIN_DIR "/jobhost", "jobhost", "run", "p.toml", "--date", "2026-12-01",
            "--config", "jobhost.toml", "--state", "state.db", "--log-level", "warn", nullptr);
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  HostRun r;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto secs = [](timeval t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  r.cpu_s = secs(usage.ru_utime) + secs(usage.ru_stime);
  r.max_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// Runs one engine; false when a target was missed.
bool bench_engine(const Options& o, const std::string& engine) {
  const EngineSetup& e = setups().at(engine);
  TempDir dir;
  FakeEngine fake(engine, dir, {"--no-validate"});
  fake.control(json::object{
      {"targets", json::object{{e.target, json::object{{"outcome", "success"},
                                                       {"duration_ms", o.run_seconds * 1000}}}}}});
  write_file(dir.str("jobhost.toml"), "[connections.bench]\n" + replace_all(e.connection, "URL", fake.url()));
  write_file(dir.str("p.toml"), pipeline(o, e));

  HostRun host = run_host(dir, e.secret_env);
  if (host.exit_code != 0) {
    std::fprintf(stderr, "%s: jobhost run exited %d:\n%s\n", engine.c_str(), host.exit_code,
                 read_file(dir.str("host.err")).substr(0, 4000).c_str());
    return false;
  }
  auto log = fake.log();
  double slowest = 0;
  int ended = 0;
  for (auto& r : log.at("runs").as_array()) {
    auto& run = r.as_object();
    if (run.at("ended").is_null()) continue;
    ++ended;
    slowest = std::max(slowest, run.at("ended").to_number<double>() - run.at("created").to_number<double>());
  }
  const double starts = static_cast<double>(fake.starts(e.target));
  const double requests = static_cast<double>(log.at("requests").as_array().size());
  const double ratio = host.wall_s / slowest;
  const std::string p = "connectors." + engine + ".";
  bench_line(p + "remote_runs", ended, "runs");
  bench_line(p + "floor_slowest_remote_run", slowest, "s");
  bench_line(p + "wall", host.wall_s, "s");
  bench_line(p + "wall_vs_floor", ratio, "x");
  bench_line(p + "host_cpu", host.cpu_s, "s");
  bench_line(p + "host_cpu_per_run", host.cpu_s * 1000.0 / o.runs, "ms");
  bench_line(p + "host_peak_rss", host.max_rss_mb, "MiB");
  bench_line(p + "starts_per_run", starts / o.runs, "starts");
  bench_line(p + "requests_per_run", requests / o.runs, "requests");
  bool ok = ended == o.runs && starts == o.runs && ratio <= 1.5;
  std::printf("%s: %s (wall %.2f s = %.2fx the slowest remote run of %.2f s; target <= 1.5x; "
              "%d/%d runs ended, %.0f starts)\n",
              engine.c_str(), ok ? "ok" : "MISSED", host.wall_s, ratio, slowest, ended, o.runs, starts);
  std::fflush(stdout);  // before the next fork: a child's freopen would flush a copy of it
  return ok;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--engine") {
      std::string e = next();
      if (e != "all") {
        if (!setups().count(e)) throw std::runtime_error("unknown engine " + e);
        o.engines = {e};
      }
    } else if (a == "--runs") {
      o.runs = std::stoi(next());
    } else if (a == "--run-seconds") {
      o.run_seconds = std::stod(next());
    } else if (a == "--poll-interval") {
      o.poll_interval = std::stod(next());
    } else {
      throw std::runtime_error("usage: bench_connectors [--engine E|all] [--runs N] "
                               "[--run-seconds S] [--poll-interval S]");
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options o = parse(argc, argv);
    bool ok = true;
    for (auto& engine : o.engines) ok = bench_engine(o, engine) && ok;
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_connectors: %s\n", e.what());
    return 2;
  }
}
