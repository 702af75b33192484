// Runs the built jobhost binary as a user would, capturing exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "support.hpp"

namespace jobhost::test {

struct CliResult {
  int exit_code = -1;
  std::string out, err;
};

// `args` is appended to the binary path as shell words; runs in `cwd`. `launcher` (shell
// words) goes before the binary: e.g. "env -u NAME" or a dynamic loader.
inline CliResult run_cli(const std::string& args, const TempDir& cwd,
                         const std::string& launcher = "") {
  std::string out = cwd.str(".cli.out"), err = cwd.str(".cli.err");
  std::string cmd = "cd '" + cwd.str() + "' && JOBHOST_PLUGIN_PATH= " + launcher + " '" JOBHOST_TEST_BIN_DIR
                    "/jobhost' " + args + " > '" + out + "' 2> '" + err + "'";
  int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

}  // namespace jobhost::test
