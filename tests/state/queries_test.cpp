// Read-side queries: run lists, run details, job history and its statistics.
#include <catch2/catch.hpp>

#include "state/run_queries.hpp"
#include "state_test_util.hpp"

using namespace jobhost;
using namespace jobhost::state;

namespace {

// A run of three jobs: a succeeds (with metrics and outputs), b fails after a retry,
// c is upstream_failed.
std::string seed_run(RunStore& store, const std::string& pipeline, const std::string& date) {
  auto h = store.begin_run(test::make_begin(pipeline, date));
  store.job_started(h.run_id, 1, "a", 1, "ca");
  store.job_finished(h.run_id, 1, "a", 1, JobState::success, "", 120, {{"rows", 1000}},
                     {{"path", "/tmp/a"}});
  store.job_started(h.run_id, 1, "b", 1, "cb");
  store.job_finished(h.run_id, 1, "b", 1, JobState::up_for_retry, "timeout", 40, {}, {});
  store.job_started(h.run_id, 1, "b", 2, "cb");
  store.job_finished(h.run_id, 1, "b", 2, JobState::failed, "exit code 3", 55, {}, {});
  store.job_settled(h.run_id, 1, "c", JobState::upstream_failed, "b failed", "cc");
  store.finish_run(h.run_id, "failed");
  store.flush();
  return h.run_id;
}

}  // namespace

TEST_CASE("list_runs is newest first with counts of each job's latest state",
          "[state][queries]") {
  test::TempDir dir;
  auto store = test::open_store(dir.str("state.db"));
  std::string r1 = seed_run(*store, "daily", "2026-11-27");
  std::string r2 = seed_run(*store, "hourly", "2026-11-28");
  std::string r3 = seed_run(*store, "daily", "2026-11-28");

  auto runs = store->list_runs(std::nullopt, 10);
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].run_id == r3);
  CHECK(runs[1].run_id == r2);
  CHECK(runs[2].run_id == r1);
  CHECK(runs[0].status == "failed");
  CHECK_FALSE(runs[0].ended_at.empty());
  CHECK(runs[0].duration_ms >= 0);
  CHECK(runs[0].counts_by_state ==
        std::map<std::string, int>{{"success", 1}, {"failed", 1}, {"upstream_failed", 1}});

  auto daily = store->list_runs(std::string("daily"), 10);
  REQUIRE(daily.size() == 2);
  CHECK(daily[0].run_id == r3);
  CHECK(store->list_runs(std::nullopt, 1).size() == 1);
  CHECK(store->list_runs(std::string("nope"), 10).empty());

  // A rerun that fixes b: counts cover the latest try only (carried and rerun jobs).
  auto h = store->begin_run(test::make_begin("daily", "2026-11-27"));
  store->job_settled(h.run_id, 2, "a", JobState::success, "succeeded in try 1", "ca");
  store->job_started(h.run_id, 2, "b", 1, "cb");
  store->job_finished(h.run_id, 2, "b", 1, JobState::success, "", 30, {}, {});
  store->job_started(h.run_id, 2, "c", 1, "cc");
  store->flush();
  runs = store->list_runs(std::nullopt, 10);
  CHECK(runs[0].run_id == r1);  // its new try started last
  CHECK(runs[0].status == "running");
  CHECK(runs[0].try_number == 2);
  CHECK(runs[0].counts_by_state ==
        std::map<std::string, int>{{"success", 2}, {"running", 1}});
}

TEST_CASE("get_run reports every job with attempts, duration, error, metrics and outputs",
          "[state][queries]") {
  test::TempDir dir;
  auto store = test::open_store(dir.str("state.db"));
  std::string id = seed_run(*store, "daily", "2026-11-28");

  auto run = store->get_run(id);
  REQUIRE(run);
  CHECK(run->summary.pipeline == "daily");
  CHECK(run->summary.logical_date == "2026-11-28");
  CHECK(run->params_json == R"({"region":"eu"})");
  CHECK(run->file_hash == "h1");
  REQUIRE(run->jobs.size() == 3);
  auto& a = run->jobs[0];
  CHECK(a.job == "a");
  CHECK(a.state == "success");
  CHECK(a.attempts == 1);
  CHECK(a.duration_ms == 120);
  CHECK(a.metrics == std::map<std::string, double>{{"rows", 1000}});
  CHECK(a.outputs == std::map<std::string, std::string>{{"path", "/tmp/a"}});
  auto& b = run->jobs[1];
  CHECK(b.state == "failed");
  CHECK(b.attempts == 2);
  CHECK(b.duration_ms == 55);
  CHECK(b.error == "exit code 3");
  auto& c = run->jobs[2];
  CHECK(c.state == "upstream_failed");
  CHECK(c.attempts == 0);
  CHECK(c.error == "b failed");

  // After a carried-over success, the job still shows its last real duration and metrics.
  auto h = store->begin_run(test::make_begin("daily", "2026-11-28"));
  store->job_settled(h.run_id, 2, "a", JobState::success, "succeeded in try 1", "ca");
  store->flush();
  run = store->get_run(id);
  CHECK(run->jobs[0].state == "success");
  CHECK(run->jobs[0].error.empty());
  CHECK(run->jobs[0].duration_ms == 120);
  CHECK(run->jobs[0].metrics.at("rows") == 1000);

  CHECK_FALSE(store->get_run("missing"));
  CHECK(store->find_run_id("daily", "2026-11-28") == id);
  CHECK_FALSE(store->find_run_id("daily", "2026-01-01"));
}

TEST_CASE("job_history: newest first, percentiles over successes, failure rate",
          "[state][queries]") {
  test::TempDir dir;
  auto store = test::open_store(dir.str("state.db"));
  // 20 days of successes taking 10, 20, ..., 200 ms, plus 5 failed attempts.
  for (int day = 1; day <= 20; ++day) {
    char date[16];
    std::snprintf(date, sizeof date, "2026-11-%02d", day);
    auto h = store->begin_run(test::make_begin("daily", date));
    if (day % 4 == 0) {
      store->job_started(h.run_id, 1, "load", 1, "c");
      store->job_finished(h.run_id, 1, "load", 1, JobState::failed, "oops", 1, {}, {});
      store->job_started(h.run_id, 1, "load", 2, "c");
      store->job_finished(h.run_id, 1, "load", 2, JobState::success, "", day * 10, {}, {});
    } else {
      store->job_started(h.run_id, 1, "load", 1, "c");
      store->job_finished(h.run_id, 1, "load", 1, JobState::success, "", day * 10, {}, {});
    }
    store->finish_run(h.run_id, "success");
  }
  // Same job name in another pipeline: not part of this history.
  auto other = store->begin_run(test::make_begin("hourly", "2026-11-01"));
  store->job_started(other.run_id, 1, "load", 1, "c");
  store->job_finished(other.run_id, 1, "load", 1, JobState::failed, "x", 99999, {}, {});
  store->flush();

  auto h = store->job_history("daily", "load", 100);
  REQUIRE(h.attempts.size() == 25);
  CHECK(h.attempts[0].logical_date == "2026-11-20");
  CHECK(h.attempts[0].attempt == 2);
  CHECK(h.attempts[0].duration_ms == 200);
  CHECK(h.attempts[1].state == "failed");
  CHECK(h.attempts.back().logical_date == "2026-11-01");
  CHECK(h.p50_ms == 100);
  CHECK(h.p95_ms == 190);
  CHECK(h.failure_rate == Approx(5.0 / 25.0));

  auto last = store->job_history("daily", "load", 3);
  REQUIRE(last.attempts.size() == 3);
  CHECK(last.attempts[2].logical_date == "2026-11-19");
  CHECK(last.p50_ms == 190);  // successes 200, 190
  CHECK(last.failure_rate == Approx(1.0 / 3.0));

  auto none = store->job_history("daily", "nope", 10);
  CHECK(none.attempts.empty());
  CHECK(none.p50_ms == 0);
  CHECK(none.failure_rate == 0);
}

TEST_CASE("nearest-rank percentiles", "[state][queries]") {
  CHECK(percentile({}, 50) == 0);
  CHECK(percentile({7}, 95) == 7);
  CHECK(percentile({4, 1, 3, 2}, 50) == 2);
  CHECK(percentile({4, 1, 3, 2}, 95) == 4);
  std::vector<int64_t> hundred;
  for (int i = 100; i >= 1; --i) hundred.push_back(i);
  CHECK(percentile(hundred, 50) == 50);
  CHECK(percentile(hundred, 95) == 95);
  CHECK(percentile(hundred, 100) == 100);
  CHECK(percentile(hundred, 0) == 1);
}
