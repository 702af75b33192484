#include <pthread.h>
#include <spdlog/spdlog.h>

#include "exec/executor_core.hpp"
#include "exec/retry_policy.hpp"
#include "state/clock.hpp"
#include "exec/trigger_rules.hpp"

namespace jobhost {

bool ExecResult::ok() const {
  if (cancelled != CancelReason::none) return false;
  for (auto& j : jobs)
    if (j.state != JobState::success && j.state != JobState::skipped) return false;
  return true;
}

using Core = Executor::Core;

using state::now_unix_ms;

double Core::unit_random() {
  if (opt.unit_random) return opt.unit_random();
  std::lock_guard lock(random_mu);
  return std::uniform_real_distribution<double>(0.0, 1.0)(prng);
}

// --- queue ---
void Core::enqueue(uint32_t job) {
  {
    std::lock_guard lock(mu);
    ready.emplace(jobs[job].priority, jobs[job].rank, -static_cast<int64_t>(job));
  }
  cv.notify_one();
}

// One lock for many newly ready jobs (a fan-out releases thousands at once); drops
// batch[from..] once queued.
void Core::enqueue_all(std::vector<uint32_t>& batch, size_t from) {
  size_t n = batch.size() - from;
  if (n == 0) return;
  {
    std::lock_guard lock(mu);
    for (size_t i = from; i < batch.size(); ++i)
      ready.emplace(jobs[batch[i]].priority, jobs[batch[i]].rank, -static_cast<int64_t>(batch[i]));
  }
  batch.resize(from);
  if (n == 1) cv.notify_one();
  else cv.notify_all();
}

void Core::worker_loop() {
  pthread_setname_np(pthread_self(), "jobhost-worker");  // for top -H, perf and gdb
  for (;;) {
    StepResult r;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] {
        return stopping || !ready.empty() || !service.empty() || released.load() != 0;
      });
      // A run prepared ahead of its start: each worker waits for the instant by itself, so
      // that at a tick the jobs start without a thread handing them over.
      while (start_gate && !stopping && !cancel_all.load() && std::chrono::steady_clock::now() < *start_gate)
        cv.wait_until(lock, *start_gate);
      if (uint32_t head = released.exchange(0, std::memory_order_acquire)) {
        lock.unlock();
        release_dependants(head);
        continue;
      }
      if (!service.empty()) {  // a deferred attempt's poll or cancel: brief, so first
        auto [job, a] = std::move(service.front());
        service.pop_front();
        lock.unlock();
        r = serve(job, a);
      } else {
        if (ready.empty()) return;  // stopping
        auto job = static_cast<uint32_t>(-std::get<2>(ready.top()));
        ready.pop();
        lock.unlock();
        r = execute(job);
      }
    }
    // Run any dependant a step made ready inline (saves a queue round trip).
    while (!r.abandoned && r.continuation) r = execute(*r.continuation);
    if (r.abandoned) return;  // a replacement worker already took this thread's place
  }
}

AttemptInput Core::attempt_input(uint32_t job, int number, Attempt* a, char (&key)[40]) {
  auto& spec = jobs[job];
  AttemptInput in;
  in.run_id = opt.run_id;
  in.pipeline = opt.pipeline;
  in.job_name = spec.name;
  in.logical_date = opt.logical_date;
  in.scratch_dir = opt.scratch_root;  // `run` may narrow it to the job's own folder
  in.attempt = static_cast<uint32_t>(number);
  in.try_number = static_cast<uint32_t>(opt.try_number);
  in.max_attempts = static_cast<uint32_t>(spec.retry.retries + 1);
  in.cancel = a ? &a->cancel : nullptr;
  in.cancel_all = &cancel_all;
  in.inputs = [this](std::string_view j, std::string_view k) { return lookup_input(j, k); };
  in.upstreams = [this, job](uint64_t i) -> std::optional<std::string_view> {
    auto& preds = jobs[job].preds;
    if (i >= preds.size()) return std::nullopt;
    return std::string_view(jobs[preds[static_cast<size_t>(i)]].name);
  };
  in.input_keys = [this](std::string_view j) { return input_keys(j); };
  if (a) {
    in.deadline_unix_ms = a->deadline_unix_ms;
    in.started_unix_ms = a->started_unix_ms;
    in.idempotency_key = a->key;
    in.poll_count = a->polls;
    in.reattached = a->reattached;
  } else {
    keys.write(key, spec.name, spec.key_base + number);
    in.idempotency_key = std::string_view(key, kIdempotencyKeySize);
  }
  return in;
}

// --- running one attempt ---
Core::StepResult Core::execute(uint32_t job) {
  auto& r = rt[job];
  auto& spec = jobs[job];
  if (cancel_all.load()) {
    give_back_pool_slots(job);  // granted while the cancel came
    return {settle_without_run(job, cancelled_state(), "run cancelled before the job started"), false};
  }
  if (!take_pool_slots(job)) return {};  // the pool queues it again when its slots are free
  if (spec.poll && !take_deferrable_slot(job)) return {};  // queued until an attempt ends
  int attempt = ++r.outcome.attempts;
  auto start = Clock::now();
  if (attempt == 1) r.first_start = start;
  r.state.store(static_cast<int>(JobState::running), std::memory_order_release);
  if (observer) observer->on_attempt_start(job, attempt);
  spdlog::debug("[{} {}] attempt {} started", opt.run_id, spec.name, attempt);

  const int64_t started_unix_ms = now_unix_ms();
  // Only a timeout or a deferral needs per-attempt shared state (timers may outlive the call).
  std::shared_ptr<Attempt> a;
  if (spec.timeout || spec.poll) {
    a = std::make_shared<Attempt>();
    a->number = attempt;
    a->start = start;
    a->started_unix_ms = started_unix_ms;
    char key[40];
    keys.write(key, spec.name, spec.key_base + attempt);
    a->key.assign(key, kIdempotencyKeySize);
    if (spec.timeout) {
      a->deadline_unix_ms = a->started_unix_ms + spec.timeout->count();
      arm_timeout(job, a, *spec.timeout);
    }
  }
  char key[40];
  AttemptInput in = attempt_input(job, attempt, a.get(), key);
  in.started_unix_ms = started_unix_ms;

  AttemptResult res;
  try {
    res = spec.run(in);
  } catch (const std::exception& e) {
    res.status = JH_STATUS_FATAL;
    res.error = std::string("internal error running the job: ") + e.what();
  }
  if (!a) return {finish_attempt(job, attempt, std::move(res), false, start, Clock::now()), false};
  return after_call(job, a, std::move(res));
}

void Core::arm_timeout(uint32_t job, const std::shared_ptr<Attempt>& a, Millis timeout) {
  // Created here, on the worker that starts the attempt, before anything else can touch it.
  a->has_timer = true;
  a->timer.emplace(io, timeout);
  a->timer->async_wait([self = shared_from_this(), a, job](boost::system::error_code ec) {
    int p = a->phase.load();
    if (ec || p == Attempt::done || p == Attempt::abandoned) return;
    a->timed_out = true;
    a->cancel = true;
    // A deferred attempt gets its cancel() call on a worker; a call in progress is asked to
    // stop (cooperative) and abandoned if it ignores that for the grace.
    if (!self->cancel_if_waiting(job, a)) self->arm_grace(job, a);
  });
}

void Core::arm_grace(uint32_t job, const std::shared_ptr<Attempt>& a) {
  if (jobs[job].stops_itself) return;
  if (!a->timer) {
    a->has_timer = true;
    a->timer.emplace(io);
  }
  a->timer->expires_after(opt.cancel_grace);
  a->timer->async_wait([self = shared_from_this(), a, job](boost::system::error_code ec) {
    if (!ec) self->abandon(job, a);
  });
}

void Core::abandon(uint32_t job, const std::shared_ptr<Attempt>& a) {
  int expected = Attempt::on_worker;
  if (!a->phase.compare_exchange_strong(expected, Attempt::abandoned)) return;
  spdlog::warn("[{} {}] attempt {} ignored cancellation{}; abandoned", opt.run_id, jobs[job].name,
               a->number, a->timed_out ? " after timing out" : "");
  add_worker();  // the stuck thread retires when (if) it returns
  AttemptResult res;
  res.status = a->timed_out ? JH_STATUS_RETRY : JH_STATUS_CANCELLED;
  if (!a->timed_out) res.error = "cancelled (did not stop within the cancel grace)";
  end_attempt(job, a, res, true);
  auto next = finish_attempt(job, a->number, std::move(res), a->timed_out, a->start, Clock::now());
  if (next) enqueue(*next);
}

void Core::add_worker() {
  std::lock_guard lock(mu);
  workers.emplace_back([self = shared_from_this()] { self->worker_loop(); });
}

const Runtime* Core::find_job(std::string_view name) {
  std::call_once(by_name_once, [this] {
    by_name.reserve(jobs.size());
    for (uint32_t i = 0; i < jobs.size(); ++i) by_name.emplace(jobs[i].name, i);
  });
  auto it = by_name.find(name);
  if (it == by_name.end()) return nullptr;
  const Runtime& r = rt[it->second];
  // Only a settled success publishes outputs (acquire pairs with settle's release).
  if (r.state.load(std::memory_order_acquire) != static_cast<int>(JobState::success)) return nullptr;
  return &r;
}

std::optional<std::string> Core::lookup_input(std::string_view job, std::string_view key) {
  if (job == "@params") {
    auto it = opt.params.find(key);
    if (it == opt.params.end()) return std::nullopt;
    return it->second;
  }
  const Runtime* r = find_job(job);
  if (!r) return std::nullopt;
  auto o = r->outcome.outputs.find(key);
  if (o == r->outcome.outputs.end()) return std::nullopt;
  return o->second;
}

std::optional<std::vector<std::string>> Core::input_keys(std::string_view job) {
  std::vector<std::string> keys;
  if (job == "@params") {
    for (auto& [k, v] : opt.params) keys.push_back(k);
    return keys;
  }
  const Runtime* r = find_job(job);
  if (!r) return std::nullopt;
  for (auto& [k, v] : r->outcome.outputs) keys.push_back(k);
  return keys;
}

JobState Core::cancelled_state() const {
  return cancel_reason.load() == static_cast<int>(CancelReason::fail_fast) ? JobState::skipped
                                                                           : JobState::cancelled;
}

// Maps an attempt's status onto the job's next state; schedules a retry when due.
std::optional<uint32_t> Core::finish_attempt(uint32_t job, int attempt, AttemptResult&& res,
                                             bool timed_out, Clock::time_point start,
                                             Clock::time_point end) {
  auto& spec = jobs[job];
  auto& r = rt[job];
  int64_t duration = std::chrono::duration_cast<std::chrono::milliseconds>(end - start).count();
  jh_status status = res.status;
  if (timed_out) {
    status = JH_STATUS_RETRY;
    res.error = "timed out after " + std::to_string(spec.timeout->count()) + " ms" +
                (res.error.empty() || res.error == "cancelled" ? "" : " (" + res.error + ")");
  }
  JobState next;
  switch (status) {
    case JH_STATUS_OK: next = JobState::success; break;
    case JH_STATUS_SKIPPED: next = JobState::skipped; break;
    case JH_STATUS_CANCELLED: next = JobState::cancelled; break;
    case JH_STATUS_RETRY:
      next = attempt <= spec.retry.retries && !cancel_all.load() ? JobState::up_for_retry
                                                                  : JobState::failed;
      break;
    default: next = JobState::failed;
  }
  r.outcome.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(end - r.first_start).count();
  r.outcome.last_attempt_ms = duration;
  r.outcome.usage = res.usage;
  r.outcome.error = next == JobState::success ? std::string() : res.error;
  if (res.was_deferred) {
    r.outcome.handle = res.handle;
    r.outcome.idempotency_key = res.idempotency_key;
    r.outcome.polls = res.polls;
    r.outcome.reattached = res.reattached;
  }
  if (release_held(job, next)) {
    // Dependants may start as soon as the observer's store commits, so the outcome they
    // read is complete before the observer sees the end.
    r.outcome.metrics = res.metrics;
    r.outcome.outputs = res.outputs;
    r.state.store(static_cast<int>(JobState::success), std::memory_order_release);
    releases_in_flight.fetch_add(1);
    observer->on_success_held(job, attempt, res, duration, &Core::release, this);
    give_back_pool_slots(job);
    return std::nullopt;
  }
  if (observer) observer->on_attempt_end(job, attempt, next, res, duration);
  // After the observer noted the end: the next holder's start comes after it in the store.
  give_back_pool_slots(job);
  r.outcome.metrics = std::move(res.metrics);
  r.outcome.outputs = std::move(res.outputs);
  if (next == JobState::up_for_retry) {
    r.state.store(static_cast<int>(JobState::up_for_retry), std::memory_order_release);
    auto delay = retry_delay(spec.retry, attempt, unit_random());
    spdlog::info("[{} {}] attempt {} failed: {}; retrying in {} ms", opt.run_id, spec.name,
                 attempt, r.outcome.error, delay.count());
    schedule_retry(job, delay);
    return std::nullopt;
  }
  if (next == JobState::failed || (next == JobState::cancelled && !cancel_all.load()))
    spdlog::error("[{} {}] {} after {} attempt(s): {}", opt.run_id, spec.name,
                  state::to_string(next), attempt, r.outcome.error);
  if (next == JobState::failed && opt.fail_fast) start_cancel(CancelReason::fail_fast);
  return settle(job, next);
}

void Core::schedule_retry(uint32_t job, Millis delay) {
  auto self = shared_from_this();
  asio::post(io, [self, job, delay] {
    auto t = std::make_shared<asio::steady_timer>(self->io, delay);
    self->retry_timers[job] = t;
    t->async_wait([self, job, t](boost::system::error_code ec) {
      self->retry_timers.erase(job);
      if (ec || self->cancel_all.load()) {
        auto next = self->settle_without_run(job, self->cancelled_state(), "run cancelled while waiting to retry");
        if (next) self->enqueue(*next);
        return;
      }
      self->enqueue(job);
    });
    if (self->cancel_all.load()) t->cancel();
  });
}

std::optional<uint32_t> Core::settle_without_run(uint32_t job, JobState state, const std::string& reason) {
  rt[job].outcome.error = reason;
  if (observer) observer->on_settled_without_run(job, state, reason);
  return settle(job, state);
}

// A success whose dependants wait until the observer releases them (a durable store).
bool Core::release_held(uint32_t job, JobState state) const {
  return state == JobState::success && hold_release && !rt[job].succ.empty();
}

// Records the final state and propagates it to dependants. Returns one newly ready job to
// run inline (the rest go to the queue).
std::optional<uint32_t> Core::settle(uint32_t job, JobState state) {
  rt[job].state.store(static_cast<int>(state), std::memory_order_release);
  std::optional<uint32_t> inline_next;
  if (release_held(job, state)) {
    releases_in_flight.fetch_add(1);
    observer->before_release(job, &Core::release, this);
    return std::nullopt;
  }
  inline_next = propagate(job, state);
  count_settled();
  return inline_next;
}

void Core::count_settled() {
  if (settled.fetch_add(1) + 1 == jobs.size()) {
    std::lock_guard lock(done_mu);
    done_cv.notify_all();
  }
}

// Called by the observer (the store's thread) once a success is durable: hands the job to
// a worker and returns.
void Core::release(void* core, uint64_t job_index) {
  auto* c = static_cast<Core*>(core);
  // When this returns, the release is no longer in flight. This is the last touch of the
  // Core: run() and ~Executor() may return once done_mu is released.
  // Only the last release in flight takes done_mu (before counting down, so a waiter cannot
  // see zero and free the Core while we still use it); the others never touch c after.
  struct CountDown {
    Core* c;
    ~CountDown() {
      int n = c->releases_in_flight.load();
      while (n > 1)
        if (c->releases_in_flight.compare_exchange_weak(n, n - 1)) return;
      std::lock_guard lock(c->done_mu);
      if (c->releases_in_flight.fetch_sub(1) == 1) c->done_cv.notify_all();
    }
  } count_down{c};
  uint32_t head = c->released.load(std::memory_order_relaxed);
  do {
    c->rt[job_index].next_released = head;
  } while (!c->released.compare_exchange_weak(head, static_cast<uint32_t>(job_index) + 1,
                                              std::memory_order_release,
                                              std::memory_order_relaxed));
  if (head != 0) return;  // a worker was woken for the list already, or is busy and will look
  // The list was empty: wake a worker. Taking `mu` first means a worker that saw the list
  // empty is already waiting (and gets the notification) or has not checked yet.
  { std::lock_guard lock(c->mu); }
  c->cv.notify_one();
}

// On a worker: starts what the durable successes in the list at `head` made ready.
void Core::release_dependants(uint32_t head) {
  while (head != 0) {
    const uint32_t job = head - 1;
    head = rt[job].next_released;
    auto next = propagate(job, JobState::success);
    if (next) enqueue(*next);
    count_settled();
  }
}

// Releases still held by the observer would call into a destroyed Core: wait for them
// (the store runs every callback, even after a failed write).
void Core::wait_for_releases() {
  std::unique_lock lock(done_mu);
  done_cv.wait(lock, [&] { return releases_in_flight.load() == 0; });
}

bool Core::all_settled() const {
  return settled.load() >= jobs.size() && releases_in_flight.load() == 0;
}

// Iterative, so long chains of skips do not recurse deeply.
std::optional<uint32_t> Core::propagate(uint32_t root, JobState root_state) {
  std::optional<uint32_t> inline_next;
  // Reused per thread: settling is the hot path and must not allocate per job.
  thread_local std::vector<std::pair<uint32_t, JobState>> work;
  thread_local std::vector<uint32_t> ready_now;
  size_t base = work.size();  // re-entrant: a nested settle keeps the outer entries
  size_t ready_base = ready_now.size();
  work.emplace_back(root, root_state);
  while (work.size() > base) {
    auto [job, state] = work.back();
    work.pop_back();
    for (uint32_t s : rt[job].succ) {
      auto& r = rt[s];
      if (state == JobState::success) r.n_success.fetch_add(1);
      else if (state == JobState::skipped) r.n_skipped.fetch_add(1);
      else r.n_failed.fetch_add(1);
      if (r.decided.load()) continue;
      Decision d = decide(jobs[s].trigger, static_cast<int>(jobs[s].preds.size()),
                          r.n_success.load(), r.n_failed.load(), r.n_skipped.load());
      if (d == Decision::wait || r.decided.exchange(true)) continue;
      if (cancel_all.load()) {
        settle_inline(s, cancelled_state(), "run cancelled before the job started", work);
      } else if (d == Decision::run) {
        if (!inline_next) {
          inline_next = s;
        } else {
          ready_now.push_back(s);
        }
      } else {
        JobState st = d == Decision::skip ? JobState::skipped : JobState::upstream_failed;
        settle_inline(s, st, std::string("trigger rule ") + to_string(jobs[s].trigger) +
                                 (st == JobState::skipped ? " not met (upstream skipped or succeeded)"
                                                          : " cannot be met (an upstream job failed)"),
                      work);
      }
    }
  }
  enqueue_all(ready_now, ready_base);
  return inline_next;
}

void Core::settle_inline(uint32_t job, JobState state, std::string reason,
                         std::vector<std::pair<uint32_t, JobState>>& work) {
  rt[job].outcome.error = std::move(reason);
  if (observer) observer->on_settled_without_run(job, state, rt[job].outcome.error);
  rt[job].state.store(static_cast<int>(state), std::memory_order_release);
  count_settled();
  work.emplace_back(job, state);
}

// Stops workers and the timer thread; idempotent (run() and the destructor both call it).
void Core::shut_down() {
  std::vector<std::thread> stopped;
  {
    std::lock_guard lock(mu);
    stopping = true;
    stopped.swap(workers);
  }
  cv.notify_all();
  return_pool_slots();
  // Idle workers exit on `stopping`; only a thread stuck in an abandoned attempt is still
  // busy, and it must not hold up the run. Each holds the Core alive until it returns.
  for (auto& w : stopped) w.detach();
  io_guard.reset();
  io.stop();
  if (io_thread.joinable()) io_thread.join();
}

void Core::start_cancel(CancelReason reason) {
  int expected = static_cast<int>(CancelReason::none);
  if (!cancel_reason.compare_exchange_strong(expected, static_cast<int>(reason))) return;
  cancel_all = true;
  // Queued jobs settle as they are popped; waiting retries settle when their timer is
  // cancelled; deferred attempts get their cancel() call on a worker.
  auto self = shared_from_this();
  asio::post(io, [self] {
    for (auto& [job, t] : self->retry_timers) t->cancel();
  });
  cancel_deferred_attempts();
  {
    std::lock_guard lock(mu);
    // Jobs waiting for a deferrable slot go back to the queue, to settle as cancelled.
    while (!waiting_for_slot.empty()) {
      ready.push(waiting_for_slot.top());
      waiting_for_slot.pop();
    }
  }
  cv.notify_all();
  withdraw_pool_waits();
}

Executor::Executor(std::vector<ExecJob> jobs, ExecOptions options, ExecutionObserver* observer)
    : core_(std::make_shared<Core>()) {
  core_->jobs = std::move(jobs);
  core_->opt = std::move(options);
  core_->keys = IdempotencyKeys(core_->opt.run_id);
  core_->observer = observer;
  core_->hold_release = observer && observer->holds_release();
  core_->rt = std::vector<Runtime>(core_->jobs.size());
  for (uint32_t i = 0; i < core_->jobs.size(); ++i) {
    for (uint32_t p : core_->jobs[i].preds) core_->rt[p].succ.push_back(i);
  }
}

Executor::~Executor() {
  core_->wait_for_releases();  // run() may have thrown with releases queued
  core_->shut_down();
}

void Executor::cancel() { core_->start_cancel(CancelReason::interrupted); }

ExecResult Executor::run() {
  auto& c = *core_;
  size_t n = c.jobs.size();
  int parallel = c.opt.max_parallel > 0 ? c.opt.max_parallel
                                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  c.io_guard.emplace(c.io.get_executor());
  c.io_thread = std::thread([&c] {
    pthread_setname_np(pthread_self(), "jobhost-timer");
    c.io.run();
  });
  // Workers exist before the first job is ready, so that a run with a start instant (a
  // scheduled tick) pays for its threads ahead of it and starts its jobs on time; each one
  // waits for the instant (worker_loop). No more workers than jobs.
  if (c.opt.start_at)
    c.start_gate = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       *c.opt.start_at - std::chrono::system_clock::now());
  parallel = static_cast<int>(std::min<size_t>(static_cast<size_t>(parallel), std::max<size_t>(n, 1)));
  for (int i = 0; i < parallel; ++i) c.add_worker();

  // Presets settle first, in dependency order of their own (they never wait); attempts a
  // lost host left deferred are taken over before anything new starts.
  for (uint32_t i = 0; i < n; ++i) {
    if (c.jobs[i].preset) {
      c.rt[i].decided = true;
      c.rt[i].outcome.outputs = c.jobs[i].preset_outputs;
    } else if (c.jobs[i].reattach) {
      c.rt[i].decided = true;
    }
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (c.jobs[i].preset) {
      auto next = c.settle(i, *c.jobs[i].preset);
      if (next) c.enqueue(*next);
    } else if (c.jobs[i].reattach) {
      c.reattach(i);
    }
  }
  for (uint32_t i = 0; i < n; ++i) {
    if (c.rt[i].decided) continue;
    if (c.jobs[i].preds.empty() || c.jobs[i].trigger == TriggerRule::always) {
      if (!c.rt[i].decided.exchange(true)) c.enqueue(i);
    }
  }
  {
    std::unique_lock lock(c.done_mu);
    c.done_cv.wait(lock, [&] { return c.all_settled(); });
  }
  c.shut_down();

  ExecResult result;
  result.cancelled = static_cast<CancelReason>(c.cancel_reason.load());
  {
    std::lock_guard lock(c.deferred_mu);
    result.peak_deferred = c.peak_deferred;
  }
  result.jobs.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    JobOutcome o = std::move(c.rt[i].outcome);
    o.state = static_cast<JobState>(c.rt[i].state.load());
    result.jobs.push_back(std::move(o));
  }
  return result;
}

}  // namespace jobhost
