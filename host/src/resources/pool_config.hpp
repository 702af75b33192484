// The [pools] table of the host config: named, host-wide limits on attempts in progress
// (`warehouse = 2`). Read by load_host_config, checked against the pipelines' `pool` and
// `pool_slots` keys by validate_pipeline, and turned into a PoolSet (resources/pool_set.hpp)
// by the commands that run pipelines.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <toml++/toml.h>

namespace jobhost {

class Diagnostics;
struct PipelineSpec;

struct PoolConfig {
  std::string name;
  int size = 0;              // slots
  int line = 0, column = 0;  // of its key in the host config
};

struct HostPools {
  std::string file;  // the host config they come from; "" when there is none
  std::vector<PoolConfig> list;
  const PoolConfig* find(std::string_view name) const;
};

// Reads `NAME = SIZE` entries (a name as for jobs, a size 1–1,000,000); problems go to diags
// at their key's position.
std::vector<PoolConfig> read_pools(const toml::table& pools, Diagnostics& diags);

// Every job's `pool` is a configured pool, and its pool_slots fit in it. Reports into diags
// at the job's `pool` key, naming the pool and the configured ones.
void check_job_pools(const PipelineSpec& spec, const HostPools& pools, Diagnostics& diags);

// The pools validate_pipeline checks against: the host config's, set once by the commands
// (cli load_plugins) before they validate; none until then.
void set_host_pools(std::shared_ptr<const HostPools> pools);
std::shared_ptr<const HostPools> host_pools();

}  // namespace jobhost
