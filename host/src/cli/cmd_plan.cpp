// jobhost plan FILE [--format text|dot|json]
#include <boost/json.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "config/pipeline_loader.hpp"
#include "graph/dag.hpp"

namespace jobhost::cli {

int cmd_plan(const std::vector<std::string>& argv) {
  Args args(argv, common_options({{"--format", true}}));
  if (args.flag("--help")) {
    std::cout << "usage: jobhost plan FILE [--format text|dot|json]\n\n"
                 "Shows the execution order, the parallel levels and the critical path.\n";
    return kOk;
  }
  if (args.positional().size() != 1) throw UsageError("plan needs exactly one pipeline file");
  std::string format = args.value("--format").value_or("text");
  if (format != "text" && format != "dot" && format != "json")
    throw UsageError("--format must be text, dot or json");
  auto spec = load_pipeline_file(args.positional()[0]);
  auto dag = build_dag_index(spec);
  auto plan = make_plan(spec, dag);
  auto name = [&](uint32_t i) -> const std::string& { return spec.jobs[i].name; };

  if (format == "json") {
    boost::json::array order, levels, critical;
    for (auto i : plan.order) order.push_back(boost::json::value(name(i)));
    for (auto& l : plan.levels) {
      boost::json::array a;
      for (auto i : l) a.push_back(boost::json::value(name(i)));
      levels.push_back(std::move(a));
    }
    for (auto i : plan.critical_path) critical.push_back(boost::json::value(name(i)));
    std::cout << boost::json::serialize(boost::json::object{
                     {"pipeline", spec.name}, {"jobs", spec.jobs.size()}, {"order", order},
                     {"levels", levels}, {"critical_path", critical}})
              << "\n";
  } else if (format == "dot") {
    std::cout << "digraph \"" << spec.name << "\" {\n  rankdir=LR;\n";
    std::vector<bool> on_path(spec.jobs.size());
    for (auto i : plan.critical_path) on_path[i] = true;
    for (uint32_t i = 0; i < spec.jobs.size(); ++i) {
      std::cout << "  \"" << name(i) << "\" [label=\"" << name(i) << "\\n" << spec.jobs[i].uses << "\""
                << (on_path[i] ? ", color=red" : "") << "];\n";
      for (auto p : dag.pred[i]) std::cout << "  \"" << name(p) << "\" -> \"" << name(i) << "\";\n";
    }
    std::cout << "}\n";
  } else {
    std::cout << "pipeline " << spec.name << ": " << spec.jobs.size() << " jobs, "
              << plan.levels.size() << " levels\n";
    for (size_t l = 0; l < plan.levels.size(); ++l) {
      std::cout << "level " << l << ":";
      for (auto i : plan.levels[l]) std::cout << " " << name(i);
      std::cout << "\n";
    }
    std::cout << "critical path:";
    for (size_t k = 0; k < plan.critical_path.size(); ++k)
      std::cout << (k ? " -> " : " ") << name(plan.critical_path[k]);
    std::cout << "\n";
  }
  return kOk;
}

}  // namespace jobhost::cli
