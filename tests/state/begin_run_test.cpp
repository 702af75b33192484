// begin_run: run identity across tries and what earlier tries leave for the next one.
#include <catch2/catch.hpp>
#include <regex>

#include "state_test_util.hpp"

using namespace jobhost;
using namespace jobhost::state;

TEST_CASE("the first try creates a run with a readable id", "[state][begin_run]") {
  test::TempDir dir;
  auto store = test::open_store(dir.str("state.db"));
  auto h = store->begin_run(test::make_begin("daily sales", "2026-11-28"));
  CHECK_FALSE(h.existed);
  CHECK(h.try_number == 1);
  CHECK(h.prior.empty());
  CHECK(h.previous_file_hash.empty());
  CHECK(std::regex_match(h.run_id, std::regex("daily_sales-20261128-[0-9a-f]{6}")));

  auto other = store->begin_run(test::make_begin("daily sales", "2026-11-29"));
  CHECK(other.run_id != h.run_id);
  test::RawDb raw(dir.str("state.db"));
  CHECK(raw.scalar("SELECT definition FROM run_definition_texts WHERE run_id='" + h.run_id + "'") ==
        "[pipeline]\nname = \"daily sales\"\n");
}

TEST_CASE("a rerun keeps the run id and reports each job's latest state", "[state][begin_run]") {
  test::TempDir dir;
  auto store = test::open_store(dir.str("state.db"));
  auto t1 = store->begin_run(test::make_begin("daily", "2026-11-28", "hash-a"));
  store->job_started(t1.run_id, 1, "extract", 1, "cfg-e1");
  store->job_finished(t1.run_id, 1, "extract", 1, JobState::success, "", 100, {},
                      {{"path", "/data/x.csv"}, {"rows", "10"}});
  store->job_started(t1.run_id, 1, "transform", 1, "cfg-t1");
  store->job_finished(t1.run_id, 1, "transform", 1, JobState::up_for_retry, "timeout", 50, {},
                      {});
  store->job_started(t1.run_id, 1, "transform", 2, "cfg-t1");
  store->job_finished(t1.run_id, 1, "transform", 2, JobState::failed, "boom", 60, {}, {});
  store->job_settled(t1.run_id, 1, "load", JobState::upstream_failed, "transform failed",
                     "cfg-l1");
  store->finish_run(t1.run_id, "failed");

  // No flush here: begin_run must see everything submitted before it.
  auto t2 = store->begin_run(test::make_begin("daily", "2026-11-28", "hash-b"));
  CHECK(t2.existed);
  CHECK(t2.run_id == t1.run_id);
  CHECK(t2.try_number == 2);
  CHECK(t2.previous_file_hash == "hash-a");
  CHECK(t2.interrupted_attempts == 0);
  REQUIRE(t2.prior.size() == 3);
  CHECK(t2.prior.at("extract").state == JobState::success);
  CHECK(t2.prior.at("extract").config_hash == "cfg-e1");
  CHECK(t2.prior.at("extract").attempts == 1);
  CHECK(t2.prior.at("extract").outputs ==
        std::map<std::string, std::string>{{"path", "/data/x.csv"}, {"rows", "10"}});
  CHECK(t2.prior.at("transform").state == JobState::failed);
  CHECK(t2.prior.at("transform").attempts == 2);
  CHECK(t2.prior.at("load").state == JobState::upstream_failed);
  CHECK(t2.prior.at("load").attempts == 0);

  // Try 2: extract carried over, transform rerun with a changed config, load runs.
  store->job_settled(t2.run_id, 2, "extract", JobState::success, "succeeded in try 1",
                     "cfg-e1");
  store->job_started(t2.run_id, 2, "transform", 1, "cfg-t2");
  store->job_finished(t2.run_id, 2, "transform", 1, JobState::success, "", 70, {},
                      {{"table", "silver.sales"}});
  store->job_started(t2.run_id, 2, "load", 1, "cfg-l1");
  store->job_finished(t2.run_id, 2, "load", 1, JobState::failed, "refused", 5, {}, {});
  store->finish_run(t2.run_id, "failed");

  auto t3 = store->begin_run(test::make_begin("daily", "2026-11-28", "hash-b"));
  CHECK(t3.run_id == t1.run_id);
  CHECK(t3.try_number == 3);
  CHECK(t3.previous_file_hash == "hash-b");
  // Carried as success in try 2 without running: still a success with try 1's config hash
  // and outputs.
  CHECK(t3.prior.at("extract").state == JobState::success);
  CHECK(t3.prior.at("extract").config_hash == "cfg-e1");
  CHECK(t3.prior.at("extract").outputs.at("rows") == "10");
  CHECK(t3.prior.at("transform").state == JobState::success);
  CHECK(t3.prior.at("transform").config_hash == "cfg-t2");
  CHECK(t3.prior.at("transform").attempts == 3);
  CHECK(t3.prior.at("transform").outputs ==
        std::map<std::string, std::string>{{"table", "silver.sales"}});
  CHECK(t3.prior.at("load").state == JobState::failed);
  CHECK(t3.prior.at("load").config_hash == "cfg-l1");

  auto run = store->get_run(t1.run_id);
  REQUIRE(run);
  CHECK(run->summary.try_number == 3);
  CHECK(run->summary.status == "running");
  CHECK(run->summary.ended_at.empty());
  CHECK(run->file_hash == "hash-b");
}

TEST_CASE("attempts left running by a dead host become failed: host lost",
          "[state][begin_run]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  std::string run_id;
  {
    auto store = test::open_store(path);
    auto h = store->begin_run(test::make_begin("daily", "2026-11-28"));
    run_id = h.run_id;
    store->job_started(run_id, 1, "a", 1, "ca");
    store->job_finished(run_id, 1, "a", 1, JobState::success, "", 10, {}, {});
    store->job_started(run_id, 1, "b", 1, "cb");
    store->job_started(run_id, 1, "c", 1, "cc");
    // The process "dies" here: b and c never finish, the run never ends.
  }
  auto store = test::open_store(path);
  auto h = store->begin_run(test::make_begin("daily", "2026-11-28"));
  CHECK(h.run_id == run_id);
  CHECK(h.interrupted_attempts == 2);
  CHECK(h.prior.at("a").state == JobState::success);
  CHECK(h.prior.at("b").state == JobState::failed);
  CHECK(h.prior.at("c").state == JobState::failed);
  CHECK(h.prior.at("b").config_hash == "cb");

  auto run = store->get_run(run_id);
  REQUIRE(run);
  for (auto& j : run->jobs)
    if (j.job != "a") {
      CHECK(j.state == "failed");
      CHECK(j.error == "host lost");
    }
  // A second begin finds nothing left running.
  CHECK(store->begin_run(test::make_begin("daily", "2026-11-28")).interrupted_attempts == 0);
}

TEST_CASE("begin_run after peek_run reuses the peek only while it is current",
          "[state][begin_run]") {
  test::TempDir dir;
  const std::string path = dir.str("state.db");
  const auto begin = test::make_begin("daily", "2026-11-28");
  {
    auto store = test::open_store(path);
    auto t1 = store->begin_run(begin);
    store->job_started(t1.run_id, 1, "a", 1, "ca");
    store->job_finished(t1.run_id, 1, "a", 1, JobState::success, "", 1, {}, {{"rows", "3"}});
    store->job_started(t1.run_id, 1, "b", 1, "cb");
    store->job_finished(t1.run_id, 1, "b", 1, JobState::failed, "boom", 1, {}, {});
    store->finish_run(t1.run_id, "failed");

    // Current: try 2 sees what try 1 left, read once.
    auto t2 = store->begin_run(begin, std::move(*store->peek_run("daily", "2026-11-28")));
    CHECK(t2.try_number == 2);
    CHECK(t2.prior.at("a").state == JobState::success);
    CHECK(t2.prior.at("a").outputs.at("rows") == "3");
    CHECK(t2.prior.at("b").state == JobState::failed);
    store->job_started(t2.run_id, 2, "b", 1, "cb");
    store->job_finished(t2.run_id, 2, "b", 1, JobState::success, "", 1, {}, {});

    // Stale: a try ran after the peek (b failed in it), so the peek's picture is not used.
    auto stale = *store->peek_run("daily", "2026-11-28");
    CHECK(stale.prior.at("b").state == JobState::success);
    auto t3 = store->begin_run(begin);
    store->job_started(t3.run_id, 3, "b", 1, "cb");
    store->job_finished(t3.run_id, 3, "b", 1, JobState::failed, "again", 1, {}, {});
    auto t4 = store->begin_run(begin, std::move(stale));
    CHECK(t3.try_number == 3);
    CHECK(t4.try_number == 4);
    CHECK(t4.prior.at("b").state == JobState::failed);

    // Stale too: an attempt of the same try was recorded after the peek.
    auto same_try = *store->peek_run("daily", "2026-11-28");
    store->job_started(t4.run_id, 4, "b", 1, "cb");
    store->job_finished(t4.run_id, 4, "b", 1, JobState::success, "", 1, {}, {});
    store->flush();
    auto t5 = store->begin_run(begin, std::move(same_try));
    CHECK(t5.try_number == 5);
    CHECK(t5.prior.at("b").state == JobState::success);
    store->job_started(t5.run_id, 5, "b", 1, "cb");
    store->flush();
  }
  // Attempts to mark lost: the peek only counts them; begin_run records them.
  auto store = test::open_store(path);
  auto peeked = *store->peek_run("daily", "2026-11-28");
  CHECK(peeked.interrupted_attempts == 1);
  auto t6 = store->begin_run(begin, std::move(peeked));
  CHECK(t6.interrupted_attempts == 1);
  CHECK(t6.prior.at("b").state == JobState::failed);
  test::RawDb raw(path);
  CHECK(raw.scalar("SELECT error FROM attempts WHERE try_number = 5 AND job = 'b'") ==
        "host lost");
}

TEST_CASE("the pipeline text is stored once however many tries and dates run it",
          "[state][begin_run]") {
  test::TempDir dir;
  const std::string path = dir.str("state.db");
  auto store = test::open_store(path);
  auto a = test::make_begin("daily", "2026-11-27");
  a.definition = std::string(100000, 'x');  // a big pipeline file
  auto t1 = store->begin_run(a);
  store->begin_run(a);  // try 2, same text
  auto other_day = a;
  other_day.logical_date = "2026-11-28";
  store->begin_run(other_day);
  auto changed = a;
  changed.definition = std::string(100000, 'y');  // same length, other text
  auto t3 = store->begin_run(changed);

  test::RawDb raw(path);
  CHECK(raw.count("SELECT count(*) FROM run_definitions") == 4);
  CHECK(raw.count("SELECT count(*) FROM pipeline_texts") == 2);
  CHECK(raw.scalar("SELECT substr(definition, 1, 3) FROM run_definition_texts WHERE run_id = '" +
                   t1.run_id + "' AND try_number = 2") == "xxx");
  CHECK(raw.scalar("SELECT substr(definition, 1, 3) FROM run_definition_texts WHERE run_id = '" +
                   t3.run_id + "' AND try_number = 3") == "yyy");
}

TEST_CASE("job state names round-trip", "[state]") {
  for (auto s : {JobState::pending, JobState::running, JobState::up_for_retry, JobState::success,
                 JobState::failed, JobState::upstream_failed, JobState::skipped,
                 JobState::cancelled})
    CHECK(job_state_from_string(to_string(s)) == s);
  CHECK_FALSE(job_state_from_string("succeeded"));
}
