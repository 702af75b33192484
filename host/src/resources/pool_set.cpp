#include "resources/pool_set.hpp"

namespace jobhost {

PoolSet::PoolSet(const std::vector<PoolConfig>& pools) {
  pools_.reserve(pools.size());
  for (auto& p : pools) pools_.push_back({p.name, p.size, 0, {}});
}

std::unique_ptr<PoolSet> PoolSet::from(const HostPools& pools) {
  return pools.list.empty() ? nullptr : std::make_unique<PoolSet>(pools.list);
}

std::optional<uint32_t> PoolSet::find(std::string_view name) const {
  for (uint32_t i = 0; i < pools_.size(); ++i)
    if (pools_[i].name == name) return i;
  return std::nullopt;
}

int PoolSet::size(uint32_t pool) const { return pools_[pool].size; }  // never changes

uint64_t PoolSet::new_ticket() {
  std::lock_guard lock(mu_);
  return next_ticket_++;
}

bool PoolSet::acquire(uint32_t pool, int slots, double priority, uint64_t ticket, Grant grant) {
  std::lock_guard lock(mu_);
  Pool& p = pools_[pool];
  const Order order{-priority, ticket};
  const bool first = p.waiters.empty() || order < p.waiters.begin()->first;
  if (first && p.in_use + slots <= p.size) {
    p.in_use += slots;
    return true;
  }
  p.waiters.emplace(order, Waiter{slots, std::move(grant)});
  waiting_.emplace(ticket, std::pair(pool, order));
  return false;
}

void PoolSet::take(uint32_t pool, int slots) {
  std::lock_guard lock(mu_);
  pools_[pool].in_use += slots;
}

void PoolSet::release(uint32_t pool, int slots) {
  std::vector<Grant> granted;
  {
    std::lock_guard lock(mu_);
    pools_[pool].in_use -= slots;
    grant_fitting(pools_[pool], granted);
  }
  for (auto& g : granted) g();
}

bool PoolSet::withdraw(uint64_t ticket) {
  Grant dropped;  // destroyed without the lock: it may hold the last reference to its executor
  std::vector<Grant> granted;
  {
    std::lock_guard lock(mu_);
    auto w = waiting_.find(ticket);
    if (w == waiting_.end()) return false;
    Pool& p = pools_[w->second.first];
    auto it = p.waiters.find(w->second.second);
    dropped = std::move(it->second.grant);
    p.waiters.erase(it);
    waiting_.erase(w);
    grant_fitting(p, granted);  // the head may have been what held the others back
  }
  for (auto& g : granted) g();
  return true;
}

void PoolSet::grant_fitting(Pool& p, std::vector<Grant>& out) {
  while (!p.waiters.empty()) {
    auto head = p.waiters.begin();
    if (p.in_use + head->second.slots > p.size) return;
    p.in_use += head->second.slots;
    waiting_.erase(head->first.second);
    out.push_back(std::move(head->second.grant));
    p.waiters.erase(head);
  }
}

std::vector<PoolSet::Usage> PoolSet::usage() const {
  std::lock_guard lock(mu_);
  std::vector<Usage> out;
  out.reserve(pools_.size());
  for (auto& p : pools_) out.push_back({p.name, p.size, p.in_use, p.waiters.size()});
  return out;
}

}  // namespace jobhost
