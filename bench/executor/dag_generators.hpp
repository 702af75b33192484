// DAG shapes for benchmarks: each returns, per job, the indices of its dependencies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace jobhost::bench {

using Preds = std::vector<std::vector<uint32_t>>;

Preds chain(uint32_t n);
Preds fan_out_fan_in(uint32_t width);            // 1 -> width -> 1
Preds layered_random(uint32_t n, uint32_t layer_width, uint64_t seed);  // 2 parents each
Preds lattice(uint32_t side);                     // side x side grid, edges right and down

// The same DAG as pipeline TOML of utilities.noop jobs.
std::string to_toml(const std::string& name, const Preds& preds);

}  // namespace jobhost::bench
