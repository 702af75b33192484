// Host-wide named pools of slots, shared by every run of one process (`jobhost serve` runs all
// its pipelines in one): an attempt of a job with `pool` holds its `pool_slots` slots from
// before it starts until it ends. Thread-safe.
//
// Taking slots never blocks. A job that cannot have its slots now leaves a waiter; when
// slots come back, the pool hands them to its waiters in order, highest priority first, then
// the earliest ticket, and calls each one's grant. The order is strict: a waiter that needs
// more slots than are free holds back the ones behind it (it would starve otherwise).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "resources/pool_config.hpp"

namespace jobhost {

class PoolSet {
 public:
  explicit PoolSet(const std::vector<PoolConfig>& pools);
  // The host config's pools; null when it defines none.
  static std::unique_ptr<PoolSet> from(const HostPools& pools);

  // The pool's index for the calls below; nullopt when there is no such pool.
  std::optional<uint32_t> find(std::string_view name) const;
  int size(uint32_t pool) const;

  // A fresh ticket: it names a wait, and orders waiters of equal priority (earlier first).
  uint64_t new_ticket();

  // Called once, when a waiter's slots were taken for it: on the thread that gave slots back,
  // with no lock of the PoolSet held. The slots are then the waiter's to release().
  using Grant = std::function<void()>;
  // Takes `slots` of `pool` now and returns true when they are free and no waiter comes
  // first. Otherwise queues a waiter under `ticket` and returns false: `grant` is called
  // when they are taken for it, unless withdraw(ticket) removes it first.
  // `slots` must not exceed the pool's size (the validation checks it).
  bool acquire(uint32_t pool, int slots, double priority, uint64_t ticket, Grant grant);
  // Takes `slots` at once, even beyond the size: work that already runs (an attempt taken
  // over from a lost host). Waiters wait until it ends.
  void take(uint32_t pool, int slots);
  // Gives slots back and grants the waiters that now fit.
  void release(uint32_t pool, int slots);
  // Removes a waiter: true when it was waiting (its grant is never called); false when the
  // ticket is not waiting (granted already, so its slots are the caller's, or unknown).
  bool withdraw(uint64_t ticket);

  struct Usage {
    std::string name;
    int size = 0;
    int in_use = 0;      // slots held
    size_t waiting = 0;  // jobs waiting for slots
  };
  std::vector<Usage> usage() const;

 private:
  using Order = std::pair<double, uint64_t>;  // (-priority, ticket): the smallest goes first
  struct Waiter {
    int slots = 0;
    Grant grant;
  };
  struct Pool {
    std::string name;
    int size = 0;
    int in_use = 0;
    std::map<Order, Waiter> waiters;
  };
  // Under mu_: takes slots for the waiters at the head that fit; their grants go to `out`.
  void grant_fitting(Pool& pool, std::vector<Grant>& out);

  mutable std::mutex mu_;
  std::vector<Pool> pools_;
  std::unordered_map<uint64_t, std::pair<uint32_t, Order>> waiting_;  // ticket -> its place
  uint64_t next_ticket_ = 1;  // guarded by mu_
};

}  // namespace jobhost
