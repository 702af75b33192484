// Read-side CLI commands over the run store. Each takes the arguments after its name and
// returns the exit code (cli/commands.hpp): 0 ok, 2 bad input, unknown run, or a store that
// cannot be opened. The store is --state PATH, else $JOBHOST_STATE, else .jobhost/state.db.
#pragma once

#include <string>
#include <vector>

namespace jobhost::cli {

// jobhost runs [--pipeline NAME] [--limit N] [--json] [--state PATH]
int cmd_runs(const std::vector<std::string>& args);
// jobhost show RUN_ID [--json] [--state PATH] | show --pipeline NAME --date D [--json]
int cmd_show(const std::vector<std::string>& args);
// jobhost history JOB --pipeline NAME [--limit N] [--json] [--state PATH]
int cmd_history(const std::vector<std::string>& args);

}  // namespace jobhost::cli
