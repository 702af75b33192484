// The dependency graph of a pipeline (Boost.Graph inside dag.cpp only: it is a heavy header).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jobhost {

struct PipelineSpec;

// Adjacency by job index (the order of PipelineSpec::jobs).
struct DagIndex {
  std::vector<std::vector<uint32_t>> succ;  // job -> jobs that depend on it
  std::vector<std::vector<uint32_t>> pred;  // job -> its dependencies
};
DagIndex build_dag_index(const PipelineSpec& spec);

// The jobs on one cycle in dependency order (a depends on ... depends on a), or nullopt.
std::optional<std::vector<std::string>> find_cycle(const PipelineSpec& spec);

struct Plan {
  std::vector<uint32_t> order;                 // a topological order
  std::vector<std::vector<uint32_t>> levels;   // jobs that can run in parallel, level by level
  std::vector<uint32_t> critical_path;         // heaviest root-to-leaf chain
  double critical_length = 0;                  // sum of its weights
  std::vector<double> rank;                    // per job: heaviest path from it to a leaf
};

// weights[i] is job i's expected duration (1.0 each when empty). Requires an acyclic graph.
Plan make_plan(const PipelineSpec& spec, const DagIndex& dag, const std::vector<double>& weights = {});

}  // namespace jobhost
