#include "jobs.hpp"
#include "schemas.hpp"

using namespace jobhost::utilities;

JOBHOST_PLUGIN("utilities", "0.1.0", "General-purpose jobs: noop, shell, file_sensor, http, retention",
               JOBHOST_JOB(noop, "Does nothing and succeeds (a join point)", "1.0.0", nullptr)
                   .schema(kNoopSchema)
                   .outputs(kNoopOutputs)
                   .doc(kNoopDoc),
               JOBHOST_JOB(shell, "Runs a command; its output goes to the job log", "1.0.0",
                           "command = \"echo hello {{ run.logical_date }}\"\n"
                           "# argv = [\"python3\", \"etl.py\"]   # instead of command: no shell\n"
                           "# env = { MODE = \"full\" }\n# cwd = \"/tmp\"\n"
                           "# retry_exit_codes = [75]\n# fatal_exit_codes = [2]\n"
                           "# kill_grace_ms = 2000\n")
                   .schema(kShellSchema)
                   .outputs(kShellOutputs)
                   .doc(kShellDoc),
               JOBHOST_JOB(file_sensor, "Waits for a file or glob to appear", "1.0.0",
                           "path = \"/data/incoming/{{ run.logical_date }}/*.csv\"\n"
                           "# poke_interval = \"5s\"\n# timeout = \"1h\"\n# min_count = 1\n"
                           "# soft_fail = false   # true: skipped instead of failed on timeout\n")
                   .schema(kFileSensorSchema)
                   .outputs(kFileSensorOutputs)
                   .doc(kFileSensorDoc),
               JOBHOST_JOB(http, "Sends one HTTP(S) request and checks the status", "1.0.0",
                           "url = \"https://api.example.com/v1/refresh\"\nmethod = \"POST\"\n"
                           "headers = { Authorization = \"secret:API_TOKEN\", Accept = \"application/json\" }\n"
                           "# body = '{\"full\": true}'   # or body_file = \"payload.json\"\n"
                           "# expected_status = [200, 202]\n# output_file = \"out/response.json\"\n"
                           "# timeout = \"30s\"\n# insecure_skip_verify = false\n")
                   .schema(kHttpSchema)
                   .outputs(kHttpOutputs)
                   .doc(kHttpDoc),
               JOBHOST_JOB(retention, "Deletes date partitions older than N days, then VACUUMs", "1.0.0",
                           "database = \"{{ params.warehouse }}\"\ntable = \"bronze_weather\"\n"
                           "partition_column = \"date\"\nkeep_days = 30\n# vacuum = true\n")
                   .schema(kRetentionSchema)
                   .outputs(kRetentionOutputs)
                   .doc(kRetentionDoc))
