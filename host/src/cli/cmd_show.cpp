// jobhost show RUN_ID [--json] | jobhost show --pipeline NAME --date D [--json]
#include <iostream>

#include "cli/args.hpp"
#include "cli/common.hpp"
#include "cli/commands.hpp"
#include "cli/run_document.hpp"
#include "cli/state_cli.hpp"
#include "cli/state_commands.hpp"
#include "cli/usage_format.hpp"
#include "state/state_path.hpp"

namespace jobhost::cli {
namespace {

const char* kHelp = R"(usage: jobhost show RUN_ID [--json] [--state PATH]
       jobhost show --pipeline NAME --date D [--json] [--state PATH]

Shows one run: its status, parameters and every job with its state, number of attempts
(across all tries), the duration, peak resident memory and CPU time (user/system) of its
last attempt and its error. Exit code 2 when the run is not recorded.

  --pipeline NAME --date D  find the run of this pipeline for this logical date
                            (YYYY-MM-DD) or time (an ISO instant, as run --date took it)
  --json                    a JSON object instead of text
  --state PATH              the state store (default: $JOBHOST_STATE, the host config's
                            state_path, else .jobhost/state.db)
  --config FILE             host config (default: $JOBHOST_CONFIG, ./jobhost.toml)
)";

void print_detail(const state::RunDetail& d) {
  const auto& s = d.summary;
  TextTable head({"run", s.run_id});
  head.add({"pipeline", s.pipeline});
  head.add({"date", s.logical_date});
  head.add({"interval", s.data_interval_start + "/" + s.data_interval_end});
  head.add({"status", s.status + " (try " + std::to_string(s.try_number) + ")"});
  head.add({"started", format_time(s.started_at) + " UTC"});
  if (!s.ended_at.empty()) head.add({"ended", format_time(s.ended_at) + " UTC"});
  head.add({"duration", format_duration(s.duration_ms)});
  head.add({"params", one_line(d.params_json)});
  head.print(std::cout);
  std::cout << "\n";
  if (d.jobs.empty()) {
    std::cout << "no job has started yet\n";
    return;
  }
  TextTable jobs({"JOB", "STATE", "ATTEMPTS", "DURATION", "PEAK RSS", "CPU USER/SYS", "ERROR"});
  bool any_handle = false;
  for (auto& j : d.jobs) {
    any_handle |= j.has_handle;
    jobs.add({j.job, j.state, std::to_string(j.attempts),
              j.attempts ? format_duration(j.duration_ms) : "-", format_peak_rss(j.usage),
              format_cpu(j.usage), one_line(j.error)});
  }
  jobs.print(std::cout);
  if (!any_handle) return;
  // Deferred attempts: what they wait for, and when they are polled next.
  std::cout << "\n";
  TextTable deferred({"JOB", "HANDLE", "POLLS", "NEXT POLL", "IDEMPOTENCY KEY"});
  for (auto& j : d.jobs)
    if (j.has_handle)
      deferred.add({j.job, one_line(j.handle, 60), std::to_string(j.polls),
                    j.next_poll_at.empty() ? "-" : format_time(j.next_poll_at) + " UTC",
                    j.idempotency_key});
  deferred.print(std::cout);
}

}  // namespace

int cmd_show(const std::vector<std::string>& argv) {
  Args args(argv, {{"--help"}, {"--json"}, {"--pipeline", true}, {"--date", true},
                   {"--state", true}, {"--config", true}});
  if (args.flag("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  const auto pipeline = args.value("--pipeline");
  auto date = args.value("--date");
  if (date) date = logical_time_arg(*date);  // the key run --date recorded
  const auto& pos = args.positional();
  if (pos.size() > 1) throw UsageError("show takes one RUN_ID");
  if (pos.empty() && !(pipeline && date))
    throw UsageError("give a RUN_ID, or --pipeline NAME and --date D");
  if (!pos.empty() && (pipeline || date))
    throw UsageError("give either a RUN_ID or --pipeline/--date, not both");
  const std::string path = state_path(args, load_config(args));

  return with_store_errors("show", [&] {
    auto store = open_existing_store(path);
    if (!store) {
      std::cerr << "jobhost show: no state store at " << path << " (no runs recorded)\n";
      return static_cast<int>(kBadInput);
    }
    std::string run_id;
    if (!pos.empty()) {
      run_id = pos[0];
    } else if (auto id = store->find_run_id(*pipeline, *date)) {
      run_id = *id;
    } else {
      std::cerr << "jobhost show: no run of pipeline '" << *pipeline << "' for date " << *date
                << " in " << path << "\n";
      return static_cast<int>(kBadInput);
    }
    auto detail = store->get_run(run_id);
    if (!detail) {
      std::cerr << "jobhost show: no run '" << run_id << "' in " << path
                << " (see jobhost runs)\n";
      return static_cast<int>(kBadInput);
    }
    if (args.flag("--json"))
      std::cout << run_document(*detail) << "\n";
    else
      print_detail(*detail);
    return static_cast<int>(kOk);
  });
}

}  // namespace jobhost::cli
