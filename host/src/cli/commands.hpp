// CLI commands. Each takes the arguments after its name and returns the process exit code:
// 0 success, 1 the pipeline ran and something failed, 2 bad input or usage, 3 internal error,
// 130/143 interrupted.
#pragma once

#include <string>
#include <vector>

namespace jobhost::cli {

enum ExitCode : int { kOk = 0, kFailed = 1, kBadInput = 2, kInternal = 3 };

int cmd_plugins(const std::vector<std::string>& args);
int cmd_describe(const std::vector<std::string>& args);
int cmd_validate(const std::vector<std::string>& args);
int cmd_plan(const std::vector<std::string>& args);
int cmd_run(const std::vector<std::string>& args);
int cmd_run_job(const std::vector<std::string>& args);
int cmd_connections(const std::vector<std::string>& args);
// jobhost schedule next EXPR [--tz TZ] [--from ISO-INSTANT] [--count N]
int cmd_schedule(const std::vector<std::string>& args);
int cmd_serve(const std::vector<std::string>& args);
// jobhost backfill FILE --from D1 --to D2 [--max-active N]
int cmd_backfill(const std::vector<std::string>& args);

}  // namespace jobhost::cli
