// Resource accounting, as a user sees it: every attempt records its peak RSS and CPU user and
// system time, in thread and in process mode, and `run --json`, `show` and `history` print
// them (docs/isolation.md#resource-accounting).
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <sys/stat.h>

#include <filesystem>

#include "cli_support.hpp"

using namespace jobhost::test;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kMiB = 1 << 20;

// The crash fixture in a private plugin folder (process mode by default, being foreign).
std::string setup(const TempDir& dir) {
  fs::create_directories(dir.str("plug"));
  fs::copy_file(fs::path(JOBHOST_FIXTURE_PLUGIN_DIR) / "crashy.so", dir.str("plug/crashy.so"));
  ::chmod(dir.str("plug/crashy.so").c_str(), 0755);
  ::chmod(dir.str("plug").c_str(), 0755);
  return " --plugin-path plug --state state.db --date 2026-11-28";
}

std::string launcher() { return "JOBHOST_WORKER='" JOBHOST_WORKER_BINARY "'"; }

// Both allocate and touch 64 MiB: one on a host thread, one in a worker process.
const char* kPipeline = R"([pipeline]
name = "acct"

[[jobs]]
name = "in_thread"
uses = "crashy.alloc"
isolation = "thread"
config = { mib = 64 }

[[jobs]]
name = "in_process"
uses = "crashy.alloc"
isolation = "process"
config = { mib = 64 }
)";

double number(const json::value& v) { return v.to_number<double>(); }

// The three fields of a job or an attempt, measured.
void check_measured(const json::object& o, int64_t min_peak) {
  REQUIRE(o.at("peak_rss_bytes").is_int64());
  CHECK(o.at("peak_rss_bytes").as_int64() >= min_peak);
  REQUIRE(o.at("cpu_user_seconds").is_number());
  REQUIRE(o.at("cpu_system_seconds").is_number());
  CHECK(number(o.at("cpu_user_seconds")) >= 0);
  CHECK(number(o.at("cpu_system_seconds")) >= 0);
  // Touching 64 MiB takes CPU time (page faults, mostly system time): a tick at least.
  CHECK(number(o.at("cpu_user_seconds")) + number(o.at("cpu_system_seconds")) > 0);
}

json::object history(const TempDir& dir, const std::string& job) {
  auto r = run_cli("history " + job + " --pipeline acct --json --state state.db", dir);
  REQUIRE(r.exit_code == 0);
  auto doc = json::parse(r.out).as_object();
  REQUIRE(doc.at("attempts").as_array().size() == 1);
  return doc.at("attempts").as_array()[0].as_object();
}

}  // namespace

TEST_CASE("resource accounting: run, show and history report peak RSS and CPU time in both modes",
          "[isolation][usage]") {
  TempDir dir;
  const std::string opts = setup(dir);
  write_file(dir.str("p.toml"), kPipeline);
  auto run = run_cli("run p.toml --json" + opts, dir, launcher());
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto ran = json::parse(run.out).as_object();
  CHECK(ran.at("schema_version") == 3);

  // Process mode: the worker's own peak during the attempt. Thread mode: the host's peak so far,
  // which holds the job's 64 MiB too.
  for (const char* job : {"in_thread", "in_process"}) {
    INFO(job);
    check_measured(ran.at("jobs").at(job).as_object(), 64 * kMiB);
    check_measured(history(dir, job), 64 * kMiB);
  }

  auto show = run_cli("show --pipeline acct --date 2026-11-28 --json --state state.db", dir);
  REQUIRE(show.exit_code == 0);
  auto shown = json::parse(show.out).as_object();
  for (const char* job : {"in_thread", "in_process"}) {
    INFO(job);
    const auto& j = shown.at("jobs").at(job).as_object();
    check_measured(j, 64 * kMiB);
    // The same attempt: the store keeps what the run measured.
    CHECK(j.at("peak_rss_bytes") == ran.at("jobs").at(job).at("peak_rss_bytes"));
    CHECK(number(j.at("cpu_user_seconds")) ==
          Approx(number(ran.at("jobs").at(job).at("cpu_user_seconds"))).margin(1e-6));
  }

  // Text: a column each, with units.
  auto text = run_cli("show --pipeline acct --date 2026-11-28 --state state.db", dir);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("PEAK RSS") && Catch::Contains("CPU USER/SYS") &&
                           Catch::Contains(" MiB"));
  auto hist = run_cli("history in_process --pipeline acct --state state.db", dir);
  CHECK(hist.exit_code == 0);
  CHECK_THAT(hist.out, Catch::Contains("PEAK RSS") && Catch::Contains(" MiB"));
}
