// Attempts kept as a per-commit JSON log (schema v4): what jobhost reads back, what the
// `attempts` view shows sqlite3 users, and that both agree.
#include <catch2/catch.hpp>
#include <string>

#include "state_test_util.hpp"

using namespace jobhost;
using namespace jobhost::state;

namespace {

// Every attempt of the run as the view shows it, one line each, in id order (when each
// attempt was first recorded).
std::string view_rows(test::RawDb& raw, const std::string& run_id) {
  return raw.scalar(
      "SELECT group_concat(line, char(10)) FROM (SELECT try_number || ' ' || job || ' ' || "
      "attempt || ' ' || state || ' ' || (started_at IS NOT NULL) || ' ' || "
      "(ended_at IS NOT NULL) || ' ' || duration_ms || ' ' || config_hash || ' [' || error || "
      "']' AS line FROM attempts WHERE run_id = '" + run_id + "' ORDER BY id)");
}

}  // namespace

TEST_CASE("each attempt is one row of the attempts view, holding its newest state",
          "[state][attempt_log]") {
  test::TempDir dir;
  const std::string path = dir.str("state.db");
  std::string run_id;
  {
    auto store = test::open_store(path);
    auto h = store->begin_run(test::make_begin("daily", "2026-11-28"));
    run_id = h.run_id;
    // quick: start and end in one batch. long: its start committed before its end.
    store->job_started(run_id, 1, "quick", 1, "cq");
    store->job_finished(run_id, 1, "quick", 1, JobState::success, "", 3, {}, {});
    store->job_started(run_id, 1, "long", 1, "cl");
    store->flush();
    store->job_finished(run_id, 1, "long", 1, JobState::up_for_retry, "timeout", 900, {}, {});
    store->job_started(run_id, 1, "long", 2, "cl");
    store->flush();
    store->job_settled(run_id, 1, "after", JobState::upstream_failed, "long failed", "ca");
    store->job_settled(run_id, 1, "after", JobState::skipped, "settled again", "ca");
    store->job_started(run_id, 1, "lost", 1, "cx");
    store->job_finished(run_id, 1, "long", 2, JobState::failed, "boom", 40, {}, {});
    store->flush();
    // The store closes with "lost" still running: its host died.
  }
  {
    test::RawDb raw(path);
    CHECK(view_rows(raw, run_id) ==
          "1 quick 1 success 1 1 3 cq []\n"
          "1 long 1 up_for_retry 1 1 900 cl [timeout]\n"
          "1 long 2 failed 1 1 40 cl [boom]\n"
          "1 after 0 skipped 0 1 0 ca [settled again]\n"
          "1 lost 1 running 1 0 0 cx []");
  }

  auto store = test::open_store(path);
  auto h2 = store->begin_run(test::make_begin("daily", "2026-11-28"));
  CHECK(h2.interrupted_attempts == 1);
  CHECK(h2.prior.at("lost").state == JobState::failed);
  CHECK(h2.prior.at("lost").config_hash == "cx");
  CHECK(h2.prior.at("long").state == JobState::failed);
  CHECK(h2.prior.at("long").attempts == 2);
  CHECK(h2.prior.at("after").state == JobState::skipped);
  CHECK(h2.prior.at("after").attempts == 0);

  test::RawDb raw(path);
  CHECK(raw.scalar("SELECT state || ' ' || error || ' ' || (started_at IS NOT NULL) FROM "
                   "attempts WHERE job = 'lost'") == "failed host lost 1");
  CHECK(raw.count("SELECT count(*) FROM attempts WHERE run_id = '" + run_id + "'") == 5);

  // show reads the same: newest state per job, attempts that ran, in order of first record.
  auto detail = store->get_run(run_id);
  REQUIRE(detail);
  REQUIRE(detail->jobs.size() == 4);
  CHECK(detail->jobs[0].job == "quick");
  CHECK(detail->jobs[1].job == "long");
  CHECK(detail->jobs[1].state == "failed");
  CHECK(detail->jobs[1].attempts == 2);
  CHECK(detail->jobs[1].duration_ms == 40);
  CHECK(detail->jobs[2].job == "after");
  CHECK(detail->jobs[2].error == "settled again");
  CHECK(detail->jobs[3].job == "lost");
  CHECK(detail->jobs[3].error == "host lost");
}

TEST_CASE("texts that need escaping in JSON come back byte for byte", "[state][attempt_log]") {
  test::TempDir dir;
  const std::string path = dir.str("state.db");
  auto store = test::open_store(path);
  auto h = store->begin_run(test::make_begin("p", "2026-11-28"));
  const std::string job = "we\"ird\\job";
  const std::string error = std::string("said \"no\" at C:\\tmp\n\tline 2\x01\x1f end ") +
                            "caf\xc3\xa9 \xff\xfe (not UTF-8) ],[\"x\"]";
  store->job_started(h.run_id, 1, job, 1, "c");
  store->job_finished(h.run_id, 1, job, 1, JobState::failed, error, 1, {}, {});
  store->flush();

  auto detail = store->get_run(h.run_id);
  REQUIRE(detail);
  REQUIRE(detail->jobs.size() == 1);
  CHECK(detail->jobs[0].job == job);
  CHECK(detail->jobs[0].error == error);
  auto history = store->job_history("p", job, 10);
  REQUIRE(history.attempts.size() == 1);
  CHECK(history.attempts[0].error == error);

  test::RawDb raw(path);
  CHECK(raw.scalar("SELECT job FROM attempts") == job);
  CHECK(raw.scalar("SELECT error FROM attempts") == error);
  // Times: jobhost and the view format the stored milliseconds alike.
  CHECK(raw.scalar("SELECT started_at FROM attempts") == history.attempts[0].started_at);
  CHECK(raw.scalar("SELECT ended_at FROM attempts") == history.attempts[0].ended_at);
  CHECK(history.attempts[0].started_at.size() == 24);
}

TEST_CASE("a commit writes one log row per run, not one per attempt", "[state][attempt_log]") {
  test::TempDir dir;
  const std::string path = dir.str("state.db");
  // A long gathering window: every change below lands in a handful of commits.
  auto store = test::open_store(path, std::chrono::milliseconds(200));
  auto a = store->begin_run(test::make_begin("a", "2026-11-28"));
  auto b = store->begin_run(test::make_begin("b", "2026-11-28"));
  const int64_t commits_before = store->commits();
  for (int i = 0; i < 500; ++i)
    for (auto* run : {&a, &b}) {
      const std::string job = "j" + std::to_string(i);
      store->job_started(run->run_id, 1, job, 1, "c");
      store->job_finished(run->run_id, 1, job, 1, JobState::success, "", 1, {}, {});
    }
  store->flush();
  const int64_t commits = store->commits() - commits_before;

  test::RawDb raw(path);
  CHECK(raw.count("SELECT count(*) FROM attempts") == 1000);
  CHECK(raw.count("SELECT count(*) FROM attempt_log WHERE run_id = '" + a.run_id + "'") <=
        commits);
  CHECK(raw.count("SELECT count(*) FROM attempt_log") <= 2 * commits);
  CHECK(raw.count("SELECT count(*) FROM attempt_log") < 100);
  CHECK(store->get_run(a.run_id)->summary.counts_by_state ==
        std::map<std::string, int>{{"success", 500}});
}

TEST_CASE("history finds a job's attempts, not other jobs' errors that name it",
          "[state][attempt_log]") {
  test::TempDir dir;
  auto store = test::open_store(dir.str("state.db"));
  auto h = store->begin_run(test::make_begin("p", "2026-11-28"));
  store->job_started(h.run_id, 1, "load", 1, "c");
  store->job_finished(h.run_id, 1, "load", 1, JobState::success, "", 7, {}, {});
  store->flush();  // load's entry and the others' land in different log rows
  store->job_started(h.run_id, 1, "report", 1, "c");
  store->job_finished(h.run_id, 1, "report", 1, JobState::failed, "\"load\" gave no rows", 1,
                      {}, {});
  store->job_started(h.run_id, 1, "loader", 1, "c");
  store->job_finished(h.run_id, 1, "loader", 1, JobState::success, "", 2, {}, {});
  store->flush();

  auto history = store->job_history("p", "load", 10);
  REQUIRE(history.attempts.size() == 1);
  CHECK(history.attempts[0].job == "load");
  CHECK(history.attempts[0].duration_ms == 7);
  CHECK(store->job_history("p", "loa", 10).attempts.empty());
}

TEST_CASE("a damaged attempt log is reported with the file and the row",
          "[state][attempt_log]") {
  test::TempDir dir;
  const std::string path = dir.str("state.db");
  std::string run_id;
  {
    auto store = test::open_store(path);
    run_id = store->begin_run(test::make_begin("p", "2026-11-28")).run_id;
    store->job_started(run_id, 1, "a", 1, "c");
    store->flush();
  }
  {
    test::RawDb raw(path);
    raw.exec("UPDATE attempt_log SET entries = '[[1, \"a\"' WHERE run_id = '" + run_id + "'");
  }
  auto store = test::open_store(path);
  CHECK_THROWS_WITH(store->get_run(run_id), Catch::Contains(path) &&
                                                Catch::Contains("attempt_log row") &&
                                                Catch::Contains("malformed"));
}

TEST_CASE("history orders attempts by when they started, also across a later host-lost fix",
          "[state][attempt_log]") {
  test::TempDir dir;
  const std::string path = dir.str("state.db");
  {
    auto store = test::open_store(path);
    auto d1 = store->begin_run(test::make_begin("p", "2026-11-01"));
    store->job_started(d1.run_id, 1, "x", 1, "c");
    store->flush();  // the host dies here: d1's attempt stays running
  }
  auto store = test::open_store(path);
  for (const char* date : {"2026-11-02", "2026-11-03"}) {
    auto h = store->begin_run(test::make_begin("p", date));
    store->job_started(h.run_id, 1, "x", 1, "c");
    store->job_finished(h.run_id, 1, "x", 1, JobState::success, "", date[9] - '0', {}, {});
    store->flush();
  }
  // Retrying 11-01 records its lost attempt as failed, in the newest log row.
  CHECK(store->begin_run(test::make_begin("p", "2026-11-01")).interrupted_attempts == 1);

  auto two = store->job_history("p", "x", 2);
  REQUIRE(two.attempts.size() == 2);
  CHECK(two.attempts[0].logical_date == "2026-11-03");
  CHECK(two.attempts[1].logical_date == "2026-11-02");
  CHECK(two.failure_rate == 0.0);
  auto all = store->job_history("p", "x", 10);
  REQUIRE(all.attempts.size() == 3);
  CHECK(all.attempts[2].logical_date == "2026-11-01");
  CHECK(all.attempts[2].error == "host lost");
}
