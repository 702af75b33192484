// jobhost describe TYPE [--json]: one job type's documentation, config schema, outputs and
// example, from the plugin that provides it.
#include <boost/json/serialize.hpp>

#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/job_type_json.hpp"
#include "config/config_schema.hpp"
#include "config/diagnostics.hpp"

namespace jobhost::cli {
namespace {

const char* kHelp = R"(usage: jobhost describe TYPE [--json] [--plugin-path DIR]...

Shows one job type ("plugin.type", as in a pipeline's `uses`): its summary and version, the
plugin file it comes from, whether it defers (waits for remote work without a thread), its
documentation, every config key it accepts (type, required or optional, default, allowed
values, description), the outputs it publishes, and an example config. --json prints the same
as one object, in the shape of `jobhost plugins --json`. Exit code 2 for an unknown type.
)";

void print_indented(std::ostream& out, const std::string& text, const std::string& indent) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    out << (line.empty() ? "" : indent) << line << "\n";
}

void print_text(const JobTypeRef& t, const PluginRegistry& reg) {
  std::cout << t.qualified_name << " " << t.version << "  " << t.summary << "\n";
  for (auto& p : reg.plugins())
    if (p.file == t.plugin_file)
      std::cout << "plugin " << p.name << " " << p.version << " (ABI " << p.abi_major << "."
                << p.abi_minor << "), " << p.file << "\n";
  if (t.can_defer)
    std::cout << "deferrable: waits without a thread between polls"
              << (t.can_reattach ? "; re-attached after a lost host" : "; runs again after a lost host")
              << (t.can_cancel ? "; cancels its remote work" : "") << "\n";
  if (!t.doc.empty()) {
    std::cout << "\n";
    print_indented(std::cout, t.doc, "");
  }
  std::cout << "\nConfig ([jobs.config]):\n";
  if (!t.config_schema)
    std::cout << "  not declared: the job type checks its config itself when it runs\n";
  else if (t.config_schema->property_names().empty() && t.config_schema->closed())
    std::cout << "  none: the config must be empty\n";
  else
    print_indented(std::cout, t.config_schema->describe(), "  ");
  std::cout << "\nOutputs ({{ jobs.NAME.outputs.KEY }} downstream):\n";
  if (!t.outputs_schema)
    std::cout << "  not declared\n";
  else if (t.outputs_schema->property_names().empty() && t.outputs_schema->closed())
    std::cout << "  none\n";
  else
    print_indented(std::cout, t.outputs_schema->describe(), "  ");
  if (!t.config_example.empty()) {
    std::cout << "\nExample:\n  [jobs.config]\n";
    print_indented(std::cout, t.config_example, "  ");
  }
}

}  // namespace

int cmd_describe(const std::vector<std::string>& argv) {
  Args args(argv, common_options({{"--json"}}));
  if (args.flag("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (args.positional().size() != 1) throw UsageError("describe needs one job type, e.g. utilities.shell");
  HostConfig host = load_config(args);
  setup_logging(args, host);
  auto registry = load_plugins(args, host);
  const std::string& name = args.positional()[0];
  const JobTypeRef* t = registry->find(name);
  if (!t) {
    auto hint = closest_match(name, registry->job_type_names());
    std::cerr << "jobhost describe: unknown job type '" << name << "'"
              << (hint.empty() ? "" : " (did you mean '" + hint + "'?)") << " (see jobhost plugins)\n";
    return kBadInput;
  }
  if (args.flag("--json"))
    std::cout << boost::json::serialize(job_type_json(*t)) << "\n";
  else
    print_text(*t, *registry);
  return kOk;
}

}  // namespace jobhost::cli
