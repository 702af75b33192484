#include "graph/dag.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <boost/graph/topological_sort.hpp>
#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "config/pipeline_spec.hpp"

namespace jobhost {
namespace {

// Edges point from a dependency to its dependant (execution order).
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;

Graph to_graph(const DagIndex& dag) {
  Graph g(dag.succ.size());
  for (uint32_t u = 0; u < dag.succ.size(); ++u)
    for (uint32_t v : dag.succ[u]) boost::add_edge(u, v, g);
  return g;
}

// Keeps the DFS stack; the first back edge closes a cycle found on it.
struct CycleFinder : boost::default_dfs_visitor {
  std::vector<Vertex>* stack;
  std::vector<Vertex>* cycle;
  void discover_vertex(Vertex v, const Graph&) { stack->push_back(v); }
  void finish_vertex(Vertex, const Graph&) { stack->pop_back(); }
  void back_edge(boost::graph_traits<Graph>::edge_descriptor e, const Graph& g) {
    if (!cycle->empty()) return;
    Vertex target = boost::target(e, g);
    auto it = std::find(stack->begin(), stack->end(), target);
    cycle->assign(it, stack->end());
  }
};

// Kahn's algorithm without the order: true when every job can be scheduled.
bool is_acyclic(const DagIndex& dag) {
  const size_t n = dag.pred.size();
  std::vector<uint32_t> waiting(n);  // unscheduled dependencies per job
  std::vector<uint32_t> ready;
  ready.reserve(n);
  for (uint32_t i = 0; i < n; ++i)
    if ((waiting[i] = static_cast<uint32_t>(dag.pred[i].size())) == 0) ready.push_back(i);
  for (size_t k = 0; k < ready.size(); ++k)
    for (uint32_t s : dag.succ[ready[k]])
      if (--waiting[s] == 0) ready.push_back(s);
  return ready.size() == n;
}

}  // namespace

DagIndex build_dag_index(const PipelineSpec& spec) {
  const uint32_t n = static_cast<uint32_t>(spec.jobs.size());
  DagIndex dag;
  dag.succ.resize(n);
  dag.pred.resize(n);
  std::unordered_map<std::string_view, uint32_t> index;
  index.reserve(n);
  for (uint32_t i = 0; i < n; ++i) index.emplace(spec.jobs[i].name, i);
  // pred first, then succ sized exactly from the counted out-degrees: a fan-out job with 100k
  // dependants would otherwise regrow its succ vector ~17 times.
  std::vector<uint32_t> out_degree(n, 0);
  for (uint32_t i = 0; i < n; ++i) {
    auto& deps = spec.jobs[i].depends_on;
    dag.pred[i].reserve(deps.size());
    for (auto& d : deps) {
      auto it = index.find(d);
      if (it == index.end()) continue;  // reported by the loader
      dag.pred[i].push_back(it->second);
      ++out_degree[it->second];
    }
  }
  for (uint32_t u = 0; u < n; ++u) dag.succ[u].reserve(out_degree[u]);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t p : dag.pred[i]) dag.succ[p].push_back(i);
  return dag;
}

std::optional<std::vector<std::string>> find_cycle(const PipelineSpec& spec) {
  DagIndex dag = build_dag_index(spec);
  // The common case: no cycle, proven in one linear pass. Only a cyclic graph pays for the
  // Boost.Graph DFS, which names the ring the same way whatever the pre-check does.
  if (is_acyclic(dag)) return std::nullopt;
  Graph g = to_graph(dag);
  std::vector<Vertex> stack, cycle;
  CycleFinder vis;
  vis.stack = &stack;
  vis.cycle = &cycle;
  std::vector<boost::default_color_type> colors(boost::num_vertices(g));
  boost::depth_first_search(
      g, boost::visitor(vis).color_map(boost::make_iterator_property_map(
             colors.begin(), boost::get(boost::vertex_index, g))));
  if (cycle.empty()) return std::nullopt;
  // The DFS walks dependency -> dependant; a user reads "a depends on b" the other way round,
  // but either direction names the same ring. Report in execution order.
  std::vector<std::string> names;
  for (Vertex v : cycle) names.push_back(spec.jobs[v].name);
  return names;
}

Plan make_plan(const PipelineSpec& spec, const DagIndex& dag, const std::vector<double>& weights) {
  Plan plan;
  size_t n = spec.jobs.size();
  Graph g = to_graph(dag);
  std::vector<Vertex> reverse_order;
  reverse_order.reserve(n);
  boost::topological_sort(g, std::back_inserter(reverse_order));
  plan.order.assign(reverse_order.rbegin(), reverse_order.rend());

  auto weight = [&](uint32_t i) { return weights.empty() ? 1.0 : weights[i]; };
  std::vector<uint32_t> level(n, 0);
  for (uint32_t v : plan.order)
    for (uint32_t s : dag.succ[v]) level[s] = std::max(level[s], level[v] + 1);
  for (uint32_t i = 0; i < n; ++i) {
    if (plan.levels.size() <= level[i]) plan.levels.resize(level[i] + 1);
    plan.levels[level[i]].push_back(i);
  }

  // rank = heaviest path from the job to a leaf; the critical path follows the max rank.
  plan.rank.assign(n, 0);
  std::vector<int64_t> next(n, -1);
  for (auto it = plan.order.rbegin(); it != plan.order.rend(); ++it) {
    uint32_t v = *it;
    double best = 0;
    for (uint32_t s : dag.succ[v])
      if (plan.rank[s] > best) {
        best = plan.rank[s];
        next[v] = s;
      }
    plan.rank[v] = weight(v) + best;
  }
  int64_t start = -1;
  for (uint32_t i = 0; i < n; ++i)
    if (dag.pred[i].empty() && (start < 0 || plan.rank[i] > plan.rank[start])) start = i;
  if (start >= 0) plan.critical_length = plan.rank[start];
  for (int64_t v = start; v >= 0; v = next[v]) plan.critical_path.push_back(static_cast<uint32_t>(v));
  return plan;
}

}  // namespace jobhost
