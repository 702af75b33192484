// jobhost validate FILE...
#include <iostream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "config/diagnostics.hpp"
#include "config/pipeline_loader.hpp"

namespace jobhost::cli {

int cmd_validate(const std::vector<std::string>& argv) {
  Args args(argv, common_options({}));
  if (args.flag("--help")) {
    std::cout << "usage: jobhost validate FILE... [--plugin-path DIR]...\n\n"
                 "Checks pipeline files: syntax, keys, values, dependencies, cycles, job types.\n"
                 "Exit 0 when all are valid; 2 with file:line:col: error: lines on stderr.\n";
    return kOk;
  }
  if (args.positional().empty()) throw UsageError("validate needs at least one pipeline file");
  HostConfig host = load_config(args);
  setup_logging(args, host);
  auto plugins = load_plugins(args, host);
  int rc = kOk;
  for (auto& file : args.positional()) {
    try {
      auto spec = load_pipeline_file(file);
      validate_pipeline(spec, *plugins);
      std::cerr << file << ": ok (" << spec.jobs.size() << " jobs)\n";
    } catch (const InputError& e) {
      for (auto& d : e.diagnostics()) std::cerr << d.format() << "\n";
      rc = kBadInput;
    }
  }
  return rc;
}

}  // namespace jobhost::cli
