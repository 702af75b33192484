// jobhost history JOB --pipeline NAME [--limit N] [--json] [--state PATH]
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>

#include "cli/args.hpp"
#include "cli/common.hpp"
#include "cli/commands.hpp"
#include "cli/state_cli.hpp"
#include "cli/state_commands.hpp"
#include "cli/usage_format.hpp"
#include "state/state_path.hpp"
#include "util/logical_time.hpp"

namespace jobhost::cli {
namespace {

const char* kHelp = R"(usage: jobhost history JOB --pipeline NAME [--limit N] [--json] [--state PATH]

Shows a job's last attempts across runs, newest first, each with its duration, peak resident
memory and CPU time (user/system), with the median (p50) and 95th percentile (p95) duration
of its successful attempts and its failure rate (failed or retried attempts / finished
attempts). Exit code 2 when the job has no recorded attempt.

  --pipeline NAME  the pipeline the job belongs to (required)
  --limit N        the last N attempts (default 20)
  --json           a JSON object instead of text
  --state PATH     the state store (default: $JOBHOST_STATE, the host config's
                   state_path, else .jobhost/state.db)
  --config FILE    host config (default: $JOBHOST_CONFIG, ./jobhost.toml)
)";

boost::json::object history_json(const std::string& pipeline, const std::string& job,
                                 const state::JobHistory& h) {
  boost::json::array attempts;
  for (auto& a : h.attempts) {
    boost::json::object o{{"run_id", a.run_id},
                         {"logical_date", logical_date_of(a.logical_date)},
                         {"logical_time", logical_time_of(a.logical_date)},
                         {"try_number", a.try_number},
                         {"attempt", a.attempt},
                         {"state", a.state},
                         {"started_at", a.started_at},
                         {"ended_at", a.ended_at},
                         {"duration_ms", a.duration_ms},
                         {"error", a.error},
                         {"handle", a.has_handle ? boost::json::value(a.handle) : nullptr},
                         {"idempotency_key", a.has_handle && !a.idempotency_key.empty()
                                                 ? boost::json::value(a.idempotency_key)
                                                 : nullptr},
                         {"polls", a.polls},
                         {"next_poll_at", a.next_poll_at.empty()
                                              ? boost::json::value(nullptr)
                                              : boost::json::value(a.next_poll_at)}};
    add_usage_fields(o, a.usage);
    attempts.push_back(std::move(o));
  }
  return {{"pipeline", pipeline},       {"job", job},
          {"p50_ms", h.p50_ms},         {"p95_ms", h.p95_ms},
          {"failure_rate", h.failure_rate}, {"attempts", std::move(attempts)}};
}

// A deferred attempt's handle and next poll, in the ERROR column's place.
std::string deferred_note(const state::AttemptRecord& a) {
  if (a.state != "deferred") return "";
  return "waits on '" + one_line(a.handle, 40) + "', next poll " +
         (a.next_poll_at.empty() ? std::string("unknown") : format_time(a.next_poll_at)) + " UTC";
}

}  // namespace

int cmd_history(const std::vector<std::string>& argv) {
  Args args(argv, {{"--help"}, {"--json"}, {"--pipeline", true}, {"--limit", true},
                   {"--state", true}, {"--config", true}});
  if (args.flag("--help")) {
    std::cout << kHelp;
    return kOk;
  }
  if (args.positional().size() != 1) throw UsageError("history takes one JOB name");
  const auto pipeline = args.value("--pipeline");
  if (!pipeline) throw UsageError("history needs --pipeline NAME");
  const std::string job = args.positional()[0];
  const int limit = parse_limit(args.value("--limit"), 20);
  const std::string path = state_path(args, load_config(args));

  return with_store_errors("history", [&] {
    auto store = open_existing_store(path);
    auto h = store ? store->job_history(*pipeline, job, limit) : state::JobHistory{};
    if (h.attempts.empty()) {
      std::cerr << "jobhost history: no attempts of job '" << job << "' in pipeline '"
                << *pipeline << "' recorded in " << path << "\n";
      return static_cast<int>(kBadInput);
    }
    if (args.flag("--json")) {
      std::cout << boost::json::serialize(history_json(*pipeline, job, h)) << "\n";
      return static_cast<int>(kOk);
    }
    int finished = 0;
    for (auto& a : h.attempts) finished += a.state != "running" && a.state != "deferred";
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f%%", h.failure_rate * 100.0);
    std::cout << "job " << job << " in pipeline " << *pipeline << ": last "
              << h.attempts.size() << " attempts\n"
              << "p50 " << format_duration(h.p50_ms) << "  p95 " << format_duration(h.p95_ms)
              << "  failure rate " << rate << " of " << finished << " finished\n\n";
    TextTable table({"RUN ID", "DATE", "TRY", "ATTEMPT", "STATE", "STARTED", "DURATION",
                     "PEAK RSS", "CPU USER/SYS", "ERROR"});
    for (auto& a : h.attempts)
      table.add({a.run_id, a.logical_date, std::to_string(a.try_number),
                 std::to_string(a.attempt), a.state, format_time(a.started_at),
                 a.state == "running" || a.state == "deferred" ? "-" : format_duration(a.duration_ms),
                 format_peak_rss(a.usage), format_cpu(a.usage),
                 deferred_note(a) + one_line(a.error)});
    table.print(std::cout);
    return static_cast<int>(kOk);
  });
}

}  // namespace jobhost::cli
