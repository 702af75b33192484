#include "jobs.hpp"

using namespace jobhost::utilities;

JOBHOST_PLUGIN("utilities", "0.1.0", "General-purpose jobs: noop, shell",
               JOBHOST_JOB(noop, "Does nothing and succeeds (a join point)", "1.0.0", nullptr),
               JOBHOST_JOB(shell, "Runs a command; its output goes to the job log", "1.0.0",
                           "command = \"echo hello {{ run.logical_date }}\"\n"
                           "# argv = [\"python3\", \"etl.py\"]   # instead of command: no shell\n"
                           "# env = { MODE = \"full\" }\n# cwd = \"/tmp\"\n"
                           "# retry_exit_codes = [75]\n# fatal_exit_codes = [2]\n"))
