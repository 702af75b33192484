// jobhost CLI: parses the command name, calls the core, maps errors to exit codes.
#include <jobhost/abi.h>
#include <jobhost/version.hpp>

#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/state_commands.hpp"
#include "config/diagnostics.hpp"
#include "exec/pipeline_run.hpp"
#include "state/run_store.hpp"
#include "util/heap_tuning.hpp"

namespace {

using Command = std::function<int(const std::vector<std::string>&)>;

struct CommandInfo {
  Command run;
  const char* summary;
};

const std::map<std::string, CommandInfo>& commands() {
  using namespace jobhost::cli;
  static const std::map<std::string, CommandInfo> table = {
      {"plugins", {cmd_plugins, "list loaded plugins, job types and refused files"}},
      {"describe", {cmd_describe, "one job type: its doc, config schema, outputs and example"}},
      {"validate", {cmd_validate, "check pipeline files (exit 2 with file:line:col errors)"}},
      {"plan", {cmd_plan, "show order, parallel levels and the critical path"}},
      {"run", {cmd_run, "run a pipeline for a logical date (resumes earlier runs)"}},
      {"run-job", {cmd_run_job, "run exactly one job of a pipeline and record it"}},
      {"runs", {cmd_runs, "list recent runs, newest first"}},
      {"show", {cmd_show, "show one run: every job's state, attempts, duration, error"}},
      {"history", {cmd_history, "a job's recent attempts: durations p50/p95, failure rate"}},
      {"connections", {cmd_connections, "list the host config's connections; test one"}},
      {"schedule", {cmd_schedule, "schedule next EXPR: a cron schedule's next fire times"}},
      {"backfill", {cmd_backfill, "run a schedule's ticks in a date range, in order (catch-up on demand)"}},
      {"serve", {cmd_serve, "the scheduler daemon: schedules, triggers, REST API, status page"}},
  };
  return table;
}

void print_help() {
  std::cout << "usage: jobhost COMMAND [OPTIONS]\n\njobhost " JOBHOST_VERSION
               " - a native, plugin-based data-pipeline orchestrator\n\ncommands:\n";
  for (auto& [name, info] : commands()) std::cout << "  " << name << "\t" << info.summary << "\n";
  std::cout << "\nRun 'jobhost COMMAND --help' for a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
  jobhost::tune_heap_for_large_runs(argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_help();
    return args.empty() ? jobhost::cli::kBadInput : jobhost::cli::kOk;
  }
  if (args[0] == "--version") {
    std::cout << "jobhost " JOBHOST_VERSION " (plugin ABI " << JH_ABI_MAJOR << "." << JH_ABI_MINOR
              << ")\n";
    return 0;
  }
  auto it = commands().find(args[0]);
  if (it == commands().end()) {
    std::cerr << "jobhost: unknown command '" << args[0] << "' (see jobhost --help)\n";
    return jobhost::cli::kBadInput;
  }
  try {
    return it->second.run({args.begin() + 1, args.end()});
  } catch (const jobhost::InputError& e) {
    for (auto& d : e.diagnostics()) std::cerr << d.format() << "\n";
    return jobhost::cli::kBadInput;
  } catch (const jobhost::state::StoreError& e) {
    std::cerr << "jobhost " << args[0] << ": " << e.what() << "\n";
    return jobhost::cli::kBadInput;
  } catch (const jobhost::RunLocked& e) {
    std::cerr << "jobhost " << args[0] << ": " << e.what() << "\n";
    return jobhost::cli::kBadInput;
  } catch (const jobhost::cli::UsageError& e) {
    std::cerr << "jobhost " << args[0] << ": " << e.what() << " (see jobhost " << args[0]
              << " --help)\n";
    return jobhost::cli::kBadInput;
  } catch (const std::exception& e) {
    std::cerr << "jobhost " << args[0] << ": internal error: " << e.what() << "\n";
    return jobhost::cli::kInternal;
  }
}
