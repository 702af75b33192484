// Deferred attempts (ABI 1.1): an attempt that deferred holds no worker and no max_parallel
// slot, only an entry in the wake-up heap and a row in the store. When its time comes a worker
// polls it briefly; a timeout or a cancelled run gets the job type's cancel() call on a
// worker, bounded by the cancel grace. Attempt::phase (executor_core.hpp) decides who owns
// each step.
#include <spdlog/spdlog.h>

#include "exec/executor_core.hpp"
#include "state/clock.hpp"

namespace jobhost {

using Core = Executor::Core;

namespace {
// Polls come due on whole milliseconds (rounded up, never early): attempts due in the same
// millisecond share one wake-up of the io thread and one timer syscall, instead of one each.
Clock::time_point wake_bucket(Clock::time_point at) {
  return std::chrono::ceil<std::chrono::milliseconds>(at);
}
}  // namespace

using state::now_unix_ms;

Core::StepResult Core::after_call(uint32_t job, const std::shared_ptr<Attempt>& a,
                                  AttemptResult&& res) {
  if (res.status == JH_STATUS_DEFERRED) {
    a->usage.add(res.usage);
    bool changed = false;
    if (!res.keep_handle) {
      changed = !a->handle_set || a->handle != res.handle;
      a->handle = std::move(res.handle);
    }
    a->handle_set = true;
    // Asked to stop while it ran: its remote work must stop too.
    if (a->cancel.load() || cancel_all.load()) return cancel_on_worker(job, a);
    defer(job, a, res.delay, changed, 0);
    return {};
  }
  int expected = Attempt::on_worker;
  if (!a->phase.compare_exchange_strong(expected, Attempt::done)) return {std::nullopt, true};
  end_attempt(job, a, res);
  return {finish_attempt(job, a->number, std::move(res), a->timed_out.load(), a->start,
                         Clock::now()),
          false};
}

void Core::defer(uint32_t job, const std::shared_ptr<Attempt>& a, Millis delay,
                 bool handle_changed, int reattached_from_try) {
  auto& r = rt[job];
  if (!a->deferred) {
    a->deferred = true;
    std::lock_guard lock(deferred_mu);
    deferred_attempts[job] = a;
    peak_deferred = std::max(peak_deferred, deferred_attempts.size());
  }
  r.state.store(static_cast<int>(JobState::deferred), std::memory_order_release);
  a->wake_at = Clock::now() + delay;
  a->wait_gate.store(0);

  // Recorded before the wait starts, and before anyone else may own the attempt: a cancel
  // that follows must land after this note in the store.
  if (observer) {
    ExecutionObserver::Deferral d;
    d.attempt = a->number;
    d.handle = a->handle;
    d.key = a->key;
    d.started_unix_ms = a->started_unix_ms;
    d.next_poll_unix_ms = now_unix_ms() + delay.count();
    d.polls = a->polls;
    d.handle_changed = handle_changed && hold_release;
    d.reattached_from_try = reattached_from_try;
    observer->on_attempt_deferred(
        job, d, [self = shared_from_this(), a, job] { self->pass_wait_gate(job, a); });
  } else {
    pass_wait_gate(job, a);
  }
  a->phase.store(Attempt::waiting, std::memory_order_release);
  pass_wait_gate(job, a);
  // A timeout or cancellation that came while the phase was still on_worker saw no waiting
  // attempt to cancel: look again now that it is waiting.
  if (a->cancel.load() || cancel_all.load()) cancel_if_waiting(job, a);
}

// The wait starts when both the store (the handle is durable) and the worker (the attempt is
// waiting) have passed the gate, in either order.
void Core::pass_wait_gate(uint32_t job, const std::shared_ptr<Attempt>& a) {
  if (a->wait_gate.fetch_add(1) != 1) return;
  bool earliest;
  {
    std::lock_guard lock(wake_mu);
    const auto at = wake_bucket(a->wake_at);
    wakes.push({at, job, a});
    earliest = at < wake_armed_for;
    if (earliest) wake_armed_for = at;
  }
  // Only a new earliest deadline needs the io thread: the timer is set for the earliest one.
  if (earliest) asio::post(io, [self = shared_from_this()] { self->arm_wake_timer(); });
}

void Core::arm_wake_timer() {
  Clock::time_point at;
  {
    std::lock_guard lock(wake_mu);
    if (wakes.empty()) {
      wake_armed_for = Clock::time_point::max();
      return;
    }
    at = wake_armed_for = wakes.top().at;
  }
  if (!wake_timer) wake_timer.emplace(io);
  wake_timer->expires_at(at);  // cancels the wait for a later deadline, if any
  wake_timer->async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_wake(ec); });
}

// Every attempt whose poll is due goes to the workers in one batch.
void Core::on_wake(boost::system::error_code ec) {
  if (ec) return;  // re-armed for an earlier deadline, or shutting down
  std::vector<std::pair<uint32_t, std::shared_ptr<Attempt>>> due;
  {
    std::lock_guard lock(wake_mu);
    const auto now = Clock::now();
    while (!wakes.empty() && wakes.top().at <= now) {
      Wake w = std::move(const_cast<Wake&>(wakes.top()));
      wakes.pop();
      int expected = Attempt::waiting;  // else cancelled meanwhile: nothing to poll
      if (w.attempt->phase.compare_exchange_strong(expected, Attempt::poll_queued))
        due.emplace_back(w.job, std::move(w.attempt));
    }
    wake_armed_for = Clock::time_point::max();
  }
  enqueue_services(due);
  arm_wake_timer();
}

bool Core::cancel_if_waiting(uint32_t job, const std::shared_ptr<Attempt>& a) {
  int expected = Attempt::waiting;
  if (a->phase.compare_exchange_strong(expected, Attempt::cancel_queued)) {
    enqueue_service(job, a);  // its wake-up entry is dropped when it comes due
    return true;
  }
  expected = Attempt::poll_queued;  // its queue entry will find it cancel-queued
  return a->phase.compare_exchange_strong(expected, Attempt::cancel_queued) ||
         expected == Attempt::cancel_queued;
}

void Core::enqueue_service(uint32_t job, std::shared_ptr<Attempt> a) {
  {
    std::lock_guard lock(mu);
    service.emplace_back(job, std::move(a));
  }
  cv.notify_one();
}

void Core::enqueue_services(std::vector<std::pair<uint32_t, std::shared_ptr<Attempt>>>& batch) {
  if (batch.empty()) return;
  {
    std::lock_guard lock(mu);
    for (auto& s : batch) service.push_back(std::move(s));
  }
  if (batch.size() == 1) cv.notify_one();
  else cv.notify_all();
  batch.clear();
}

Core::StepResult Core::serve(uint32_t job, const std::shared_ptr<Attempt>& a) {
  for (;;) {
    int phase = a->phase.load();
    if (phase == Attempt::poll_queued) {
      if (a->phase.compare_exchange_strong(phase, Attempt::on_worker)) return poll(job, a);
    } else if (phase == Attempt::cancel_queued) {
      if (a->phase.compare_exchange_strong(phase, Attempt::on_worker))
        return cancel_on_worker(job, a);
    } else {
      return {};  // already handled
    }
  }
}

Core::StepResult Core::poll(uint32_t job, const std::shared_ptr<Attempt>& a) {
  if (a->cancel.load() || cancel_all.load()) return cancel_on_worker(job, a);
  ++a->polls;
  char key[40];
  AttemptInput in = attempt_input(job, a->number, a.get(), key);
  AttemptResult res;
  try {
    res = jobs[job].poll(in, a->handle);
  } catch (const std::exception& e) {
    res.status = JH_STATUS_FATAL;
    res.error = std::string("internal error polling the job: ") + e.what();
  }
  return after_call(job, a, std::move(res));
}

Core::StepResult Core::cancel_on_worker(uint32_t job, const std::shared_ptr<Attempt>& a) {
  auto& spec = jobs[job];
  // A cancel() that never returns is abandoned after the grace, like any call.
  asio::post(io, [self = shared_from_this(), a, job] { self->arm_grace(job, a); });
  AttemptResult cancelled;
  if (spec.cancel_remote && a->handle_set) {
    char key[40];
    AttemptInput in = attempt_input(job, a->number, a.get(), key);
    try {
      cancelled = spec.cancel_remote(in, a->handle);
    } catch (const std::exception& e) {
      cancelled.status = JH_STATUS_RETRY;
      cancelled.error = e.what();
    }
    a->usage.add(cancelled.usage);
  } else {
    cancelled.status = JH_STATUS_OK;
  }
  int expected = Attempt::on_worker;
  if (!a->phase.compare_exchange_strong(expected, Attempt::done)) return {std::nullopt, true};
  AttemptResult res;
  res.status = JH_STATUS_CANCELLED;
  res.error = "cancelled";
  if (cancelled.status != JH_STATUS_OK) {
    spdlog::warn("[{} {}] attempt {}: cancelling its remote work failed: {}", opt.run_id,
                 spec.name, a->number, cancelled.error);
    res.error += "; cancelling its remote work failed: " + cancelled.error;
  }
  end_attempt(job, a, res);
  return {finish_attempt(job, a->number, std::move(res), a->timed_out.load(), a->start,
                         Clock::now()),
          false};
}

void Core::end_attempt(uint32_t job, const std::shared_ptr<Attempt>& a, AttemptResult& res,
                       bool abandoned) {
  if (a->has_timer.load()) {
    asio::post(io, [a] {  // its timeout or grace timer lives on the io thread
      if (a->timer) a->timer->cancel();
    });
  }
  if (a->deferred) {
    std::lock_guard lock(deferred_mu);
    deferred_attempts.erase(job);
  }
  if (!abandoned) {  // the sum over the attempt's calls (an abandoned call never reported)
    a->usage.add(res.usage);
    res.usage = a->usage;
  }
  if (a->handle_set && !abandoned) {
    res.was_deferred = true;
    res.reattached = a->reattached;
    res.handle = a->handle;
    res.idempotency_key = a->key;
    res.polls = a->polls;
  }
  if (jobs[job].poll) give_back_deferrable_slot();
}

bool Core::take_deferrable_slot(uint32_t job) {
  if (opt.max_deferred <= 0) return true;
  std::lock_guard lock(mu);
  if (deferrable_in_progress < opt.max_deferred) {
    ++deferrable_in_progress;
    return true;
  }
  waiting_for_slot.emplace(jobs[job].priority, jobs[job].rank, -static_cast<int64_t>(job));
  return false;
}

void Core::give_back_deferrable_slot() {
  if (opt.max_deferred <= 0) return;
  bool wake = false;
  {
    std::lock_guard lock(mu);
    --deferrable_in_progress;
    if (!waiting_for_slot.empty()) {
      ready.push(waiting_for_slot.top());
      waiting_for_slot.pop();
      wake = true;
    }
  }
  if (wake) cv.notify_one();
}

// An attempt a lost host left deferred: polled at its next poll time with its handle, as the
// same attempt (number, key, start), and never started again.
void Core::reattach(uint32_t job) {
  auto& spec = jobs[job];
  const ExecJob::Reattach& from = *spec.reattach;
  auto& r = rt[job];
  auto a = std::make_shared<Attempt>();
  a->number = from.attempt;
  a->started_unix_ms = from.started_unix_ms;
  const int64_t now_unix = now_unix_ms();
  a->start = Clock::now() - Millis(std::max<int64_t>(0, now_unix - from.started_unix_ms));
  a->handle = from.handle;
  a->key = from.key;
  a->polls = from.polls;
  a->reattached = true;
  a->handle_set = true;
  r.outcome.attempts = from.attempt;
  r.first_start = a->start;
  {
    std::lock_guard lock(mu);
    ++deferrable_in_progress;  // counted even beyond max_deferred: it exists already
  }
  hold_pool_slots_now(job);
  spdlog::info("[{} {}] attempt {} re-attached: its host was lost while it was deferred", opt.run_id,
               spec.name, from.attempt);
  if (spec.timeout) {
    a->deadline_unix_ms = from.started_unix_ms + spec.timeout->count();
    arm_timeout(job, a, Millis(std::max<int64_t>(0, a->deadline_unix_ms - now_unix)));
  }
  defer(job, a, Millis(std::max<int64_t>(0, from.next_poll_unix_ms - now_unix)), false,
        from.from_try);
}

void Core::cancel_deferred_attempts() {
  std::vector<std::pair<uint32_t, std::shared_ptr<Attempt>>> list;
  {
    std::lock_guard lock(deferred_mu);
    list.assign(deferred_attempts.begin(), deferred_attempts.end());
  }
  for (auto& [job, a] : list) cancel_if_waiting(job, a);
}

}  // namespace jobhost
