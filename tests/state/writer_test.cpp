// The writer: group commit, flush, when_durable ordering, write errors.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "state_test_util.hpp"

using namespace jobhost;
using namespace jobhost::state;

TEST_CASE("changes from many threads share few transactions", "[state][writer]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  // A generous batching window keeps the bound robust on a loaded machine.
  auto store = test::open_store(path, std::chrono::milliseconds(50));
  auto h = store->begin_run(test::make_begin("fan", "2026-11-28"));
  const int64_t commits_before = store->commits();

  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i)
        store->job_started(h.run_id, 1, "job-" + std::to_string(t) + "-" + std::to_string(i), 1,
                           "cfg");
    });
  for (auto& th : threads) th.join();
  store->flush();

  test::RawDb raw(path);
  CHECK(raw.count("SELECT count(*) FROM attempts WHERE state = 'running'") == 1000);
  const int64_t commits = store->commits() - commits_before;
  INFO("commits for 1000 changes: " << commits);
  CHECK(commits >= 1);
  CHECK(commits < 100);
}

TEST_CASE("flush makes every earlier change visible to another connection",
          "[state][writer]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  auto store = test::open_store(path, std::chrono::seconds(10));
  auto h = store->begin_run(test::make_begin("p", "2026-11-28"));
  store->job_started(h.run_id, 1, "a", 1, "c");
  store->job_finished(h.run_id, 1, "a", 1, JobState::success, "", 12, {{"rows", 3}}, {});
  // The 10 s batching window must not delay a flush.
  auto t0 = std::chrono::steady_clock::now();
  store->flush();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  test::RawDb raw(path);
  CHECK(raw.scalar("SELECT state FROM attempts WHERE job = 'a'") == "success");
  CHECK(raw.scalar("SELECT value FROM job_metrics WHERE name = 'rows'") == "3.0");
  CHECK_FALSE(store->write_error());
}

TEST_CASE("when_durable runs after the commit covering earlier changes, in order",
          "[state][writer]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  auto store = test::open_store(path);
  auto h = store->begin_run(test::make_begin("p", "2026-11-28"));
  test::RawDb raw(path);  // another connection sees only committed data

  std::vector<std::string> seen;  // appended on the writer thread only
  auto visible = [&](const std::string& job) {
    return raw.count("SELECT count(*) FROM attempts WHERE job = '" + job +
                     "' AND state = 'success'");
  };
  store->job_finished(h.run_id, 1, "a", 1, JobState::success, "", 1, {}, {});
  store->when_durable([&] { seen.push_back("cb1:a=" + std::to_string(visible("a"))); });
  store->job_finished(h.run_id, 1, "b", 1, JobState::success, "", 1, {}, {});
  store->when_durable([&] {
    seen.push_back("cb2:a=" + std::to_string(visible("a")) + ",b=" + std::to_string(visible("b")));
  });
  store->when_durable([&] { seen.push_back("cb3"); });
  store->flush();  // returns after every earlier callback ran
  CHECK(seen == std::vector<std::string>{"cb1:a=1", "cb2:a=1,b=1", "cb3"});
}

TEST_CASE("job_finished_then calls back after the commit that writes the end, even a failed one",
          "[state][writer]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  // A long gathering window: the callback must not wait for it.
  auto store = test::open_store(path, std::chrono::seconds(10));
  auto h = store->begin_run(test::make_begin("p", "2026-11-28"));
  test::RawDb raw(path);
  struct Seen {
    test::RawDb* raw;
    std::vector<std::string> lines;  // appended on the writer thread only
  } seen{&raw, {}};
  auto record = [](void* context, uint64_t arg) {
    auto* s = static_cast<Seen*>(context);
    s->lines.push_back(std::to_string(arg) + ":" +
                       s->raw->scalar("SELECT group_concat(job || '=' || state) FROM attempts"));
  };
  store->job_started(h.run_id, 1, "a", 1, "c");
  auto t0 = std::chrono::steady_clock::now();
  store->job_finished_then(h.run_id, 1, "a", 1, JobState::success, "", 3, {}, {{"k", "v"}},
                           record, &seen, 7);
  store->flush();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  CHECK(seen.lines == std::vector<std::string>{"7:a=success"});
  CHECK(store->get_run(h.run_id)->jobs.at(0).outputs.at("k") == "v");

  // An unknown run: the write fails, the callback still runs (nothing waits forever).
  store->job_finished_then("no-such-run", 1, "b", 1, JobState::success, "", 1, {}, {}, record,
                           &seen, 8);
  CHECK_THROWS_WITH(store->flush(), Catch::Contains("no-such-run"));
  REQUIRE(seen.lines.size() == 2);
  CHECK(seen.lines[1] == "8:a=success");
}

TEST_CASE("an attempt's start and end make one row, whether the end comes before the start "
          "was written or after", "[state][writer]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  auto store = test::open_store(path, std::chrono::seconds(10));
  auto h = store->begin_run(test::make_begin("p", "2026-11-28"));
  test::RawDb raw(path);
  auto rows = [&](const std::string& job) {
    return raw.count("SELECT count(*) FROM attempts WHERE job = '" + job + "'");
  };
  // Quick: the end arrives while the start is still queued.
  store->job_started(h.run_id, 1, "quick", 1, "cfg-q");
  store->job_finished(h.run_id, 1, "quick", 1, JobState::success, "", 5, {}, {});
  // Long: the start must be durable (and visible as running) before the end exists; a
  // when_durable callback commits it despite the 10 s gathering window.
  store->job_started(h.run_id, 1, "long", 1, "cfg-l");
  std::string seen;
  store->when_durable([&] {
    seen = raw.scalar("SELECT state || ' ' || config_hash FROM attempts WHERE job = 'long'");
  });
  store->flush();
  CHECK(seen == "running cfg-l");
  store->job_finished(h.run_id, 1, "long", 1, JobState::failed, "boom", 7, {}, {});
  store->flush();

  CHECK(rows("quick") == 1);
  CHECK(raw.scalar("SELECT state || ' ' || config_hash || ' ' || (started_at IS NOT NULL) || "
                   "(ended_at IS NOT NULL) FROM attempts WHERE job = 'quick'") == "success cfg-q 11");
  CHECK(rows("long") == 1);
  CHECK(raw.scalar("SELECT state || ' ' || config_hash || ' ' || error || ' ' || "
                   "(started_at IS NOT NULL) || (ended_at IS NOT NULL) FROM attempts "
                   "WHERE job = 'long'") == "failed cfg-l boom 11");
}

TEST_CASE("many when_durable callbacks share commits", "[state][writer]") {
  test::TempDir dir;
  auto store = test::open_store(dir.str("state.db"), std::chrono::milliseconds(50));
  auto h = store->begin_run(test::make_begin("p", "2026-11-28"));
  const int64_t before = store->commits();
  std::atomic<int> called{0};
  for (int i = 0; i < 500; ++i) {
    store->job_finished(h.run_id, 1, "j" + std::to_string(i), 1, JobState::success, "", 1, {},
                        {});
    store->when_durable([&] { ++called; });
  }
  store->flush();
  CHECK(called == 500);
  CHECK(store->commits() - before < 50);
}

TEST_CASE("a failed write is logged, reported by flush, and does not lose the rest",
          "[state][writer]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  auto store = test::open_store(path, std::chrono::milliseconds(50));
  auto h = store->begin_run(test::make_begin("p", "2026-11-28"));
  store->job_started(h.run_id, 1, "good-before", 1, "c");
  store->job_started("no-such-run", 1, "orphan", 1, "c");  // violates the runs foreign key
  store->job_started(h.run_id, 1, "good-after", 1, "c");
  bool callback_ran = false, error_seen_in_callback = false;
  store->when_durable([&] {
    callback_ran = true;
    error_seen_in_callback = store->write_error().has_value();
  });

  CHECK_THROWS_WITH(store->flush(), Catch::Contains("no-such-run") &&
                                        Catch::Contains("orphan") &&
                                        Catch::Contains("FOREIGN KEY"));
  CHECK(callback_ran);  // nothing waits forever on a failed write
  CHECK(error_seen_in_callback);
  // Reported once: the store goes on working for later changes.
  CHECK_FALSE(store->write_error());
  store->job_started(h.run_id, 1, "later", 1, "c");
  CHECK_NOTHROW(store->flush());

  test::RawDb raw(path);
  CHECK(raw.count("SELECT count(*) FROM attempts WHERE job LIKE 'good-%'") == 2);
  CHECK(raw.count("SELECT count(*) FROM attempts WHERE job = 'later'") == 1);
  CHECK(raw.count("SELECT count(*) FROM attempts WHERE job = 'orphan'") == 0);
}

TEST_CASE("a pending write error is left for flush, not thrown by begin_run",
          "[state][writer]") {
  test::TempDir dir;
  auto store = test::open_store(dir.str("state.db"));
  store->job_started("no-such-run", 1, "orphan", 1, "c");
  CHECK_NOTHROW(store->begin_run(test::make_begin("p", "2026-11-28")));
  CHECK(store->write_error());
  CHECK_THROWS_AS(store->flush(), StoreError);
}

TEST_CASE("finish_run of an unknown run is a write error", "[state][writer]") {
  test::TempDir dir;
  auto store = test::open_store(dir.str("state.db"));
  store->finish_run("ghost", "success");
  CHECK_THROWS_WITH(store->flush(), Catch::Contains("ghost"));
}

TEST_CASE("closing the store writes what is still queued", "[state][writer]") {
  test::TempDir dir;
  std::string path = dir.str("state.db");
  std::string run_id;
  {
    auto store = test::open_store(path, std::chrono::seconds(10));
    run_id = store->begin_run(test::make_begin("p", "2026-11-28")).run_id;
    for (int i = 0; i < 20; ++i) store->job_started(run_id, 1, "j" + std::to_string(i), 1, "c");
    store->finish_run(run_id, "cancelled");
  }
  test::RawDb raw(path);
  CHECK(raw.count("SELECT count(*) FROM attempts") == 20);
  CHECK(raw.scalar("SELECT status FROM runs") == "cancelled");
}

TEST_CASE("flush from a when_durable callback is refused, not a deadlock", "[state][writer]") {
  test::TempDir dir;
  auto store = test::open_store(dir.str("state.db"));
  bool refused = false;
  store->when_durable([&] {
    try {
      store->flush();
    } catch (const std::logic_error&) {
      refused = true;
    }
  });
  store->flush();
  CHECK(refused);
}
