// Host-wide pools (resources/pool_set.hpp) in the executor: an attempt takes its job's slots
// before it starts and gives them back when it ends, on every path (finish_attempt), so a
// retry's delay holds none. A job that must wait leaves a waiter in the pool and returns its
// worker; the pool's grant queues it again. A cancel withdraws the waits; shutting down
// returns whatever is left, so no slot outlives a run.
#include "exec/executor_core.hpp"
#include "resources/pool_set.hpp"

namespace jobhost {

using Core = Executor::Core;

bool Core::take_pool_slots(uint32_t job) {
  const ExecJob& spec = jobs[job];
  Runtime& r = rt[job];
  if (!opt.pools || spec.pool_slots == 0 || r.pool_held.load()) return true;
  // The ticket is published before the wait exists: a cancel from now on finds it.
  const uint64_t ticket = opt.pools->new_ticket();
  r.pool_ticket.store(ticket);
  if (opt.pools->acquire(spec.pool, spec.pool_slots, spec.priority, ticket,
                         [self = shared_from_this(), job] { self->on_pool_granted(job); })) {
    r.pool_held = true;
    return true;
  }
  // A cancel that came before the wait existed could not withdraw it: withdraw it here.
  if (cancel_all.load() && opt.pools->withdraw(ticket)) enqueue(job);
  return false;
}

void Core::on_pool_granted(uint32_t job) {
  {
    std::lock_guard lock(mu);
    if (!stopping) {
      rt[job].pool_held = true;
      ready.emplace(jobs[job].priority, jobs[job].rank, -static_cast<int64_t>(job));
      cv.notify_one();
      return;
    }
  }
  // The run ended meanwhile (it threw): nobody will use them.
  opt.pools->release(jobs[job].pool, jobs[job].pool_slots);
}

void Core::give_back_pool_slots(uint32_t job) {
  if (rt[job].pool_held.exchange(false)) opt.pools->release(jobs[job].pool, jobs[job].pool_slots);
}

void Core::withdraw_pool_waits() {
  if (!opt.pools) return;
  for (uint32_t job = 0; job < jobs.size(); ++job) {
    const uint64_t ticket = jobs[job].pool_slots ? rt[job].pool_ticket.load() : 0;
    if (ticket && opt.pools->withdraw(ticket)) enqueue(job);
  }
}

void Core::hold_pool_slots_now(uint32_t job) {
  if (!opt.pools || jobs[job].pool_slots == 0) return;
  opt.pools->take(jobs[job].pool, jobs[job].pool_slots);
  rt[job].pool_held = true;
}

void Core::return_pool_slots() {
  if (!opt.pools) return;
  for (uint32_t job = 0; job < jobs.size(); ++job) {
    if (jobs[job].pool_slots == 0) continue;
    if (const uint64_t ticket = rt[job].pool_ticket.load()) opt.pools->withdraw(ticket);
    give_back_pool_slots(job);
  }
}

}  // namespace jobhost
