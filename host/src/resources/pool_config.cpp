#include "resources/pool_config.hpp"

#include <algorithm>
#include <mutex>

#include "config/diagnostics.hpp"
#include "config/pipeline_loader.hpp"
#include "config/pipeline_spec.hpp"
#include "config/strict_table.hpp"

namespace jobhost {

namespace {

constexpr int64_t kMaxPoolSize = 1000000;

std::mutex& current_mutex() {
  static std::mutex mu;
  return mu;
}

std::shared_ptr<const HostPools>& current() {
  static std::shared_ptr<const HostPools> pools = std::make_shared<HostPools>();
  return pools;
}

std::string pool_names(const HostPools& pools) {
  std::string out;
  for (auto& p : pools.list) out += (out.empty() ? "" : ", ") + p.name + " (" + std::to_string(p.size) + ")";
  return out;
}

// What a job whose pool is unknown is told: the pools there are, or where to define them.
std::string unknown_pool_message(const JobSpec& job, const HostPools& pools) {
  std::string m = "job '" + job.name + "' uses pool '" + job.pool + "', which ";
  if (pools.list.empty())
    return m + "is not defined: no pools are configured (define it under [pools] in the host config" +
           (pools.file.empty() ? ", jobhost.toml" : " " + pools.file) + ")";
  std::vector<std::string> names;
  for (auto& p : pools.list) names.push_back(p.name);
  auto hint = closest_match(job.pool, names);
  return m + "the host config " + pools.file + " does not define" +
         (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; configured pools: " + pool_names(pools);
}

}  // namespace

const PoolConfig* HostPools::find(std::string_view name) const {
  for (auto& p : list)
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<PoolConfig> read_pools(const toml::table& pools, Diagnostics& diags) {
  std::vector<PoolConfig> list;
  for (auto& [key, value] : pools) {
    const std::string name(key.str());
    const auto at = key.source().begin;
    if (!valid_name(name)) {
      diags.add(value, "pool name '" + name + "' must match [A-Za-z0-9_-]+");
      continue;
    }
    auto size = value.value_exact<int64_t>();
    if (!size || *size < 1 || *size > kMaxPoolSize) {
      diags.add(value, "pools." + name + " must be a number of slots from 1 to " + std::to_string(kMaxPoolSize));
      continue;
    }
    list.push_back({name, static_cast<int>(*size), static_cast<int>(at.line), static_cast<int>(at.column)});
  }
  // In file order (toml++ orders a table by key), as messages list them.
  std::sort(list.begin(), list.end(), [](auto& a, auto& b) { return std::pair(a.line, a.column) < std::pair(b.line, b.column); });
  return list;
}

void check_job_pools(const PipelineSpec& spec, const HostPools& pools, Diagnostics& diags) {
  for (auto& j : spec.jobs) {
    if (j.pool.empty()) continue;
    const PoolConfig* p = pools.find(j.pool);
    if (!p)
      diags.add(j.pool_line, j.pool_column, unknown_pool_message(j, pools));
    else if (j.pool_slots > p->size)
      diags.add(j.pool_line, j.pool_column,
                "job '" + j.name + "' takes " + std::to_string(j.pool_slots) + " slots of pool '" + p->name +
                    "', which has " + std::to_string(p->size) + " (host config " + pools.file + ")");
  }
}

void set_host_pools(std::shared_ptr<const HostPools> pools) {
  std::lock_guard lock(current_mutex());
  current() = pools ? std::move(pools) : std::make_shared<HostPools>();
}

std::shared_ptr<const HostPools> host_pools() {
  std::lock_guard lock(current_mutex());
  return current();
}

}  // namespace jobhost
