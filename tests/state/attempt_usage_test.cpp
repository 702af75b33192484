// Resource accounting in the attempt log: what an attempt used (peak RSS, CPU user/system) is
// written as optional keys of an entry's trailing object and read back by show and history;
// entries without them (older stores, attempts that never answered) read as unknown, and keys
// a reader does not know are skipped.
#include <catch2/catch.hpp>

#include <string>

#include "state_test_util.hpp"

using namespace jobhost;
using namespace jobhost::state;

namespace {

std::string entries_of(test::RawDb& raw, const std::string& run_id) {
  return raw.scalar("SELECT group_concat(entries, char(10)) FROM (SELECT entries FROM attempt_log "
                    "WHERE run_id = '" + run_id + "' ORDER BY id)");
}

const JobRecord& job_of(const RunDetail& d, const std::string& name) {
  for (auto& j : d.jobs)
    if (j.job == name) return j;
  FAIL("no job " << name);
  throw;
}

}  // namespace

TEST_CASE("an attempt's resource usage goes into its log entry and comes back in show and history",
          "[state][attempt_log][usage]") {
  test::TempDir dir;
  const std::string path = dir.str("state.db");
  auto store = test::open_store(path);
  auto h = store->begin_run(test::make_begin("daily", "2026-11-28"));

  AttemptUsage heavy{64ll << 20, 0.41, 0.02};
  AttemptUsage exact{1536, 12.000305, 0};
  AttemptUsage cpu_only{-1, 0.0000004, 1.5};  // rounds to the microsecond
  store->job_started(h.run_id, 1, "heavy", 1, "c1");
  store->job_finished(h.run_id, 1, "heavy", 1, JobState::up_for_retry, "oops", 10, {}, {}, nullptr,
                      &exact);
  store->job_started(h.run_id, 1, "heavy", 2, "c1");
  store->job_finished(h.run_id, 1, "heavy", 2, JobState::success, "", 20, {}, {}, nullptr, &heavy);
  store->job_finished(h.run_id, 1, "cpu", 1, JobState::success, "", 5, {}, {}, nullptr, &cpu_only);
  AttemptUsage unknown;
  store->job_finished(h.run_id, 1, "quick", 1, JobState::success, "", 0, {}, {}, nullptr, &unknown);
  store->job_finished(h.run_id, 1, "old", 1, JobState::success, "", 0, {}, {});
  DeferredAttempt d{1, 1, "jh-k", "remote:7", -1, -1, 2, "c9"};
  store->job_finished(h.run_id, 1, "remote", 1, JobState::success, "", 30, {}, {}, &d, &heavy);
  store->flush();

  {
    test::RawDb raw(path);
    const std::string log = entries_of(raw, h.run_id);
    CHECK_THAT(log,
               Catch::Contains(R"("oops","c1",{"rss":1536,"cpu_user":12.000305,"cpu_sys":0}])"));
    CHECK_THAT(log, Catch::Contains(R"({"rss":67108864,"cpu_user":0.41,"cpu_sys":0.02}])"));
    CHECK_THAT(log, Catch::Contains(R"(,{"cpu_user":0,"cpu_sys":1.5}])"));
    // Nothing known, nothing written: the entry stays nine fields long.
    CHECK_THAT(log, Catch::Contains(R"([1,"quick",1,"success",null,)") &&
                        Catch::Contains(R"(,0,"",""],[1,"old")"));
    CHECK_THAT(log, Catch::Contains(R"("polls":2,"rss":67108864,"cpu_user":0.41,"cpu_sys":0.02})"));
  }

  auto detail = store->get_run(h.run_id);
  REQUIRE(detail);
  const JobRecord& heavy_job = job_of(*detail, "heavy");
  CHECK(heavy_job.usage.peak_rss_bytes == 64ll << 20);
  CHECK(heavy_job.usage.cpu_user_seconds == Approx(0.41));
  CHECK(heavy_job.usage.cpu_system_seconds == Approx(0.02));
  const JobRecord& cpu_job = job_of(*detail, "cpu");
  CHECK(cpu_job.usage.peak_rss_bytes == -1);
  CHECK(cpu_job.usage.cpu_user_seconds == 0);
  CHECK(cpu_job.usage.cpu_system_seconds == Approx(1.5));
  CHECK_FALSE(job_of(*detail, "quick").usage.known());
  CHECK_FALSE(job_of(*detail, "old").usage.known());
  const JobRecord& remote = job_of(*detail, "remote");
  CHECK(remote.has_handle);
  CHECK(remote.polls == 2);
  CHECK(remote.usage.peak_rss_bytes == 64ll << 20);

  auto history = store->job_history("daily", "heavy", 10);
  REQUIRE(history.attempts.size() == 2);
  CHECK(history.attempts[0].attempt == 2);
  CHECK(history.attempts[0].usage.cpu_user_seconds == Approx(0.41));
  CHECK(history.attempts[1].usage.peak_rss_bytes == 1536);
  CHECK(history.attempts[1].usage.cpu_user_seconds == Approx(12.000305));
  CHECK(history.attempts[1].usage.cpu_system_seconds == 0);
}

TEST_CASE("a later entry without usage is unknown again, and unknown keys are skipped",
          "[state][attempt_log][usage]") {
  test::TempDir dir;
  const std::string path = dir.str("state.db");
  std::string run_id;
  {
    auto store = test::open_store(path);
    run_id = store->begin_run(test::make_begin("daily", "2026-11-28")).run_id;
    store->flush();
  }
  {
    // As a later jobhost might write them: keys this one does not know, and an attempt whose
    // newest entry (host lost) says nothing about usage.
    test::RawDb raw(path);
    raw.exec("INSERT INTO attempt_log(run_id, entries) VALUES('" + run_id +
             R"(', '[[1,"a",1,"success",1,2,1,"","h",)"
             R"({"rss":4096,"cpu_user":0.5,"gpu_ms":12,"future":{"x":[1]}}],)"
             R"([1,"b",1,"running",1,null,0,"","h",{"rss":4096,"cpu_user":0.5,"cpu_sys":0.1}],)"
             R"([1,"b",1,"failed",1,3,0,"host lost","h",{"lost":true}]]'))");
  }
  auto store = test::open_store(path);
  auto detail = store->get_run(run_id);
  REQUIRE(detail);
  const JobRecord& a = job_of(*detail, "a");
  CHECK(a.state == "success");
  CHECK(a.usage.peak_rss_bytes == 4096);
  CHECK(a.usage.cpu_user_seconds == Approx(0.5));
  CHECK(a.usage.cpu_system_seconds == -1);
  CHECK_FALSE(job_of(*detail, "b").usage.known());
}

TEST_CASE("usage of several calls of one attempt adds up", "[state][usage]") {
  AttemptUsage total;
  CHECK_FALSE(total.known());
  total.add({100, 0.5, -1});
  total.add({-1, -1, -1});  // a call that never answered changes nothing
  total.add({300, 0.25, 0.125});
  CHECK(total.peak_rss_bytes == 300);
  CHECK(total.cpu_user_seconds == Approx(0.75));
  CHECK(total.cpu_system_seconds == Approx(0.125));
}
