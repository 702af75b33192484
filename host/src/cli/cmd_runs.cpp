// jobhost runs [--pipeline NAME] [--limit N] [--json] [--state PATH]
#include <boost/json.hpp>
#include <iostream>

#include "cli/args.hpp"
#include "cli/common.hpp"
#include "cli/commands.hpp"
#include "cli/state_cli.hpp"
#include "cli/state_commands.hpp"
#include "state/state_path.hpp"
#include "util/logical_time.hpp"

namespace jobhost::cli {
namespace {

const char* kHelp = R"(usage: jobhost runs [--pipeline NAME] [--limit N] [--json] [--state PATH]

Lists recorded runs, newest first: run id, pipeline, logical date, status, try, start time,
duration and how many jobs ended in each state (each job's latest state in the latest try).

  --pipeline NAME  only runs of this pipeline
  --limit N        at most N runs (default 20)
  --json           a JSON array instead of the table
  --state PATH     the state store (default: $JOBHOST_STATE, the host config's
                   state_path, else .jobhost/state.db)
  --config FILE    host config (default: $JOBHOST_CONFIG, ./jobhost.toml)
)";

std::string counts_text(const std::map<std::string, int>& counts) {
  std::string s;
  for (auto& [state, n] : counts) s += (s.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  return s.empty() ? "-" : s;
}

boost::json::object summary_json(const state::RunSummary& r) {
  boost::json::object counts;
  for (auto& [state, n] : r.counts_by_state) counts[state] = n;
  return {{"run_id", r.run_id},         {"pipeline", r.pipeline},
          {"logical_date", logical_date_of(r.logical_date)},
          {"logical_time", r.logical_time},
          {"data_interval_start", r.data_interval_start},
          {"data_interval_end", r.data_interval_end},
          {"status", r.status},
          {"try_number", r.try_number},   {"started_at", r.started_at},
          {"ended_at", r.ended_at},       {"duration_ms", r.duration_ms},
          {"counts_by_state", std::move(counts)}};
}

}  // namespace

int cmd_runs(const std::vector<std::string>& argv) {
  Args args(argv, {{"--help"}, {"--json"}, {"--pipeline", true}, {"--limit", true},
                   {"--state", true}, {"--config", true}});
  if (args.flag("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (!args.positional().empty())
    throw UsageError("runs takes no positional arguments (got '" + args.positional()[0] + "')");
  const int limit = parse_limit(args.value("--limit"), 20);
  const std::string path = state_path(args, load_config(args));

  return with_store_errors("runs", [&] {
    auto store = open_existing_store(path);
    auto runs = store ? store->list_runs(args.value("--pipeline"), limit)
                      : std::vector<state::RunSummary>{};
    if (args.flag("--json")) {
      boost::json::array out;
      for (auto& r : runs) out.push_back(summary_json(r));
      std::cout << boost::json::serialize(out) << "\n";
      return kOk;
    }
    if (runs.empty()) {
      std::cout << "no runs recorded in " << path << "\n";
      return kOk;
    }
    TextTable table({"RUN ID", "PIPELINE", "DATE", "STATUS", "TRY", "STARTED", "DURATION",
                     "JOBS"});
    for (auto& r : runs)
      table.add({r.run_id, r.pipeline, r.logical_date, r.status, std::to_string(r.try_number),
                 format_time(r.started_at), format_duration(r.duration_ms),
                 counts_text(r.counts_by_state)});
    table.print(std::cout);
    return kOk;
  });
}

}  // namespace jobhost::cli
