// The executor's shared state (private to exec/): executor.cpp schedules and settles jobs,
// deferral.cpp keeps deferred attempts (timers, polls, cancels). Includes Asio: include it
// only from those two files.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <queue>
#include <random>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "exec/executor.hpp"
#include "exec/idempotency_key.hpp"

namespace jobhost {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// One attempt that needs more than a worker's stack: it has a timeout or its job type can
// defer. Shared by the worker running it and the timers (timeout, grace, next poll).
//
// `phase` says who owns the attempt's next step; every hand-over is a compare-exchange, so
// exactly one party finishes it:
//   on_worker     run()/poll()/cancel() is being called on a worker
//   waiting       deferred: nothing runs; its entry in Core::wakes will queue a poll
//   poll_queued   a worker will poll it
//   cancel_queued a worker will call cancel() (timeout or run cancelled while it waited)
//   done          finished normally; abandoned: the grace ran out while a call hung
struct Attempt {
  enum Phase : int { on_worker, done, abandoned, waiting, poll_queued, cancel_queued };
  std::atomic<bool> cancel{false};     // this attempt's is_cancelled() (timeouts)
  std::atomic<bool> timed_out{false};
  std::atomic<int> phase{on_worker};
  std::optional<asio::steady_timer> timer;  // timeout, then grace; io thread only
  std::atomic<bool> has_timer{false};       // set before `timer` is created: ending needs io

  // Written by whoever owns the current step (hand-overs through `phase` order them).
  int number = 0;                    // the attempt's number
  Clock::time_point start{};         // when run() was first called
  int64_t started_unix_ms = 0;
  int64_t deadline_unix_ms = 0;      // 0: no timeout
  bool deferred = false;             // in Core::deferred_attempts
  bool handle_set = false;           // returned DEFERRED at least once: `handle` is its work
  bool reattached = false;
  uint32_t polls = 0;
  AttemptUsage usage{};              // of its calls so far (run, polls, cancel)
  std::string handle;
  std::string key;                   // idempotency key (kept for deferred attempts)
  std::atomic<int> wait_gate{0};     // the wait starts when both the store and the worker agree
  Clock::time_point wake_at{};       // when the next poll is due
};

struct Runtime {
  std::atomic<int> n_success{0}, n_failed{0}, n_skipped{0};
  std::atomic<bool> decided{false};
  std::atomic<int> state{static_cast<int>(JobState::pending)};
  std::vector<uint32_t> succ;
  Clock::time_point first_start{};
  JobOutcome outcome;  // written by the thread that owns the job's current step
  uint32_t next_released = 0;  // Core::released list link (job index + 1; 0 ends it)
  std::atomic<bool> pool_held{false};    // holds its pool slots (pool_slots.cpp)
  std::atomic<uint64_t> pool_ticket{0};  // its latest wait in the pool (0: never waited)
};

struct Executor::Core : std::enable_shared_from_this<Core> {
  std::vector<ExecJob> jobs;
  std::vector<Runtime> rt;
  ExecOptions opt;
  IdempotencyKeys keys;  // of opt.run_id
  ExecutionObserver* observer = nullptr;
  bool hold_release = false;  // observer->holds_release(), read once
  // Built on the first input lookup: most pipelines never look one up.
  std::once_flag by_name_once;
  std::unordered_map<std::string_view, uint32_t> by_name;

  // Ready queue, ordered by priority, then rank, then job index (stable, deterministic).
  std::mutex mu;
  std::condition_variable cv;
  std::priority_queue<std::tuple<double, double, int64_t>> ready;  // (priority, rank, -index)
  // Deferred attempts due for a poll or a cancel: served before new jobs (they are brief).
  std::deque<std::pair<uint32_t, std::shared_ptr<Attempt>>> service;
  // Deferrable attempts in progress (guarded by mu) and jobs waiting for one to end.
  int deferrable_in_progress = 0;
  std::priority_queue<std::tuple<double, double, int64_t>> waiting_for_slot;
  bool stopping = false;
  // Successes whose commit the observer confirmed, waiting for a worker to release their
  // dependants: the store's thread only hands them over, it has commits to make. A lock-free
  // list linked through Runtime::next_released (head: job index + 1, 0 when empty): the
  // store's thread pushes without taking `mu`, which the workers hold to pop ready jobs.
  std::atomic<uint32_t> released{0};
  std::vector<std::thread> workers;

  std::atomic<size_t> settled{0};
  std::mutex done_mu;
  std::condition_variable done_cv;
  // Successes whose release the observer still holds. The release runs on the observer's
  // thread with a plain pointer to this Core, so run() must not return before it is done.
  std::atomic<int> releases_in_flight{0};

  std::atomic<bool> cancel_all{false};
  // No job starts before this (ExecOptions::start_at); set before the workers exist.
  std::optional<std::chrono::steady_clock::time_point> start_gate;
  std::atomic<int> cancel_reason{static_cast<int>(CancelReason::none)};

  asio::io_context io;  // timers: retries, timeouts, polls
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> io_guard;
  std::thread io_thread;
  std::unordered_map<uint32_t, std::shared_ptr<asio::steady_timer>> retry_timers;  // io thread only

  // Deferred attempts' next polls: one deadline heap and one io timer for all of them, so a
  // deferral costs a heap entry, not a timer of its own and a wake-up of the io thread. Entries
  // of attempts that were cancelled meanwhile are dropped when they come due.
  struct Wake {
    Clock::time_point at;
    uint32_t job;
    std::shared_ptr<Attempt> attempt;
    bool operator>(const Wake& o) const { return at > o.at; }
  };
  std::mutex wake_mu;
  std::priority_queue<Wake, std::vector<Wake>, std::greater<>> wakes;  // guarded by wake_mu
  Clock::time_point wake_armed_for = Clock::time_point::max();         // guarded by wake_mu
  std::optional<asio::steady_timer> wake_timer;                        // io thread only

  // Attempts deferred now, for cancellation (after io: their timers go first).
  std::mutex deferred_mu;
  std::unordered_map<uint32_t, std::shared_ptr<Attempt>> deferred_attempts;
  size_t peak_deferred = 0;  // most deferred_attempts at once; guarded by deferred_mu

  std::mutex random_mu;
  std::mt19937_64 prng{0x6a6f62686f7374ull};

  struct StepResult {
    std::optional<uint32_t> continuation;
    bool abandoned = false;
  };

  // --- executor.cpp: queue, attempts, settling ---
  double unit_random();
  void enqueue(uint32_t job);
  void enqueue_all(std::vector<uint32_t>& batch, size_t from);
  void worker_loop();
  StepResult execute(uint32_t job);
  // What every call of a job type entry gets for attempt `a` (or a plain attempt `number`).
  AttemptInput attempt_input(uint32_t job, int number, Attempt* a, char (&key)[40]);
  void arm_timeout(uint32_t job, const std::shared_ptr<Attempt>& a, Millis timeout);
  void arm_grace(uint32_t job, const std::shared_ptr<Attempt>& a);  // io thread only
  void abandon(uint32_t job, const std::shared_ptr<Attempt>& a);    // io thread only
  void add_worker();
  std::optional<std::string> lookup_input(std::string_view job, std::string_view key);
  std::optional<std::vector<std::string>> input_keys(std::string_view job);
  const Runtime* find_job(std::string_view name);
  JobState cancelled_state() const;
  std::optional<uint32_t> finish_attempt(uint32_t job, int attempt, AttemptResult&& res,
                                         bool timed_out, Clock::time_point start,
                                         Clock::time_point end);
  void schedule_retry(uint32_t job, Millis delay);
  std::optional<uint32_t> settle_without_run(uint32_t job, JobState state, const std::string& reason);
  bool release_held(uint32_t job, JobState state) const;
  std::optional<uint32_t> settle(uint32_t job, JobState state);
  void count_settled();
  static void release(void* core, uint64_t job_index);
  void release_dependants(uint32_t head);
  void wait_for_releases();
  bool all_settled() const;
  std::optional<uint32_t> propagate(uint32_t root, JobState root_state);
  void settle_inline(uint32_t job, JobState state, std::string reason,
                     std::vector<std::pair<uint32_t, JobState>>& work);
  void shut_down();
  void start_cancel(CancelReason reason);

  // --- pool_slots.cpp: host-wide pools (ExecOptions::pools) ---
  // True when the job may start an attempt: it holds its pool slots, or needs none. False:
  // it waits in the pool, holding no worker, and is queued again once they are its.
  bool take_pool_slots(uint32_t job);
  void on_pool_granted(uint32_t job);
  // Gives the job's slots back when it holds them: at most once per acquisition.
  void give_back_pool_slots(uint32_t job);
  // A cancelled run: jobs waiting in a pool go back to the queue, to settle as cancelled.
  void withdraw_pool_waits();
  // A re-attached attempt's work runs already: it takes its slots even beyond the size.
  void hold_pool_slots_now(uint32_t job);
  // Shutting down: no slot or wait outlives the run, whatever ended it.
  void return_pool_slots();

  // --- deferral.cpp: deferred attempts ---
  // After run() or poll() returned on a worker: defers, cancels or ends the attempt.
  StepResult after_call(uint32_t job, const std::shared_ptr<Attempt>& a, AttemptResult&& res);
  // A worker serves a queued poll or cancel.
  StepResult serve(uint32_t job, const std::shared_ptr<Attempt>& a);
  StepResult poll(uint32_t job, const std::shared_ptr<Attempt>& a);
  StepResult cancel_on_worker(uint32_t job, const std::shared_ptr<Attempt>& a);
  void defer(uint32_t job, const std::shared_ptr<Attempt>& a, Millis delay, bool handle_changed,
             int reattached_from_try);
  void pass_wait_gate(uint32_t job, const std::shared_ptr<Attempt>& a);
  void arm_wake_timer();                      // io thread only
  void on_wake(boost::system::error_code ec); // io thread only
  // A waiting (or poll-queued) attempt becomes cancel-queued; false when it was not waiting.
  bool cancel_if_waiting(uint32_t job, const std::shared_ptr<Attempt>& a);
  void enqueue_service(uint32_t job, std::shared_ptr<Attempt> a);
  void enqueue_services(std::vector<std::pair<uint32_t, std::shared_ptr<Attempt>>>& batch);
  // Ends the attempt's deferral bookkeeping and timers; fills res with its handle and key,
  // unless `abandoned` (the stuck thread may still write them when its call returns).
  void end_attempt(uint32_t job, const std::shared_ptr<Attempt>& a, AttemptResult& res,
                   bool abandoned = false);
  bool take_deferrable_slot(uint32_t job);
  void give_back_deferrable_slot();
  void reattach(uint32_t job);
  void cancel_deferred_attempts();
};

}  // namespace jobhost
