// jobhost validate checks every job's config against its job type's declared schema, upstream
// outputs used in templates against the outputs their job types declare, and names the plugin
// file behind a job type that was refused: file:line:col, exit 2, before anything runs.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>

#include "cli_support.hpp"

using namespace jobhost::test;

TEST_CASE("cli validate: configs are checked against declared schemas", "[cli][schema]") {
  TempDir dir;
  write_file(dir.str("v.toml"), R"([pipeline]
name = "v"

[[jobs]]
name = "load"
uses = "ingestion.csv"
[jobs.config]
path = "in.csv"
database = "w.db"
table = "t"
mode = "apend"

[[jobs]]
name = "a"
uses = "utilities.shell"
depends_on = ["load"]
[jobs.config]
comand = "echo {{ jobs.load.outputs.rows_lodaed }}"
kill_grace_ms = "2s"

[[jobs]]
name = "b"
uses = "utilities.shell"
depends_on = ["a"]
config = { command = "echo {{ jobs.load.outputs.rows_loaded }} {{ run.logical_date }}" }
)");
  auto r = run_cli("validate v.toml", dir);
  CHECK(r.exit_code == 2);
  CHECK(r.err ==
        "v.toml:11:8: error: job 'load' config: 'mode' must be one of \"replace\", \"append\", "
        "\"replace_partition\" (got \"apend\"; did you mean \"append\"?)\n"
        "v.toml:13:1: error: job 'a' config: needs exactly one of 'command' or 'argv'\n"
        "v.toml:18:1: error: job 'a' config: unknown key 'comand' (did you mean 'command'?)\n"
        "v.toml:18:10: error: '{{ jobs.load.outputs.rows_lodaed }}': job 'load' (ingestion.csv) "
        "publishes no output 'rows_lodaed' (did you mean 'rows_loaded'?); it declares: "
        "rows_loaded, rows_read, rows_rejected, table\n"
        "v.toml:19:17: error: job 'a' config: 'kill_grace_ms' must be an integer, got a string\n");
  // run refuses the same file the same way, with nothing recorded.
  auto run = run_cli("run v.toml --date 2026-11-28", dir);
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains("v.toml:18:1: error: job 'a' config: unknown key 'comand'"));
  CHECK_FALSE(std::filesystem::exists(dir.str(".jobhost/state.db")));
}

TEST_CASE("cli validate: a job type of a refused plugin file names the file and the reason",
          "[cli][schema]") {
  TempDir dir;
  std::filesystem::create_directories(dir.str("plug"));
  ::chmod(dir.str("plug").c_str(), 0755);
  write_file(dir.str("plug/mything.so"), "not a library");
  ::chmod(dir.str("plug/mything.so").c_str(), 0644);
  write_file(dir.str("v.toml"),
             "[pipeline]\nname = \"v\"\n[[jobs]]\nname = \"b\"\nuses = \"mything.run\"\n");
  auto r = run_cli("validate v.toml --plugin-path plug", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("v.toml:3:1: error: job 'b' uses job type 'mything.run' from "
                                    "plugin file plug/mything.so, which was refused: not a shared "
                                    "library: no ELF header\n"));
}

TEST_CASE("cli describe: a job type's doc, config schema, outputs and example", "[cli][schema]") {
  TempDir dir;
  auto r = run_cli("describe ingestion.csv", dir);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("ingestion.csv 1.0.0  "));
  CHECK_THAT(r.out, Catch::Contains("Config ([jobs.config]):") && Catch::Contains("  path ") &&
                        Catch::Contains("required") && Catch::Contains("Outputs (") &&
                        Catch::Contains("rows_loaded") && Catch::Contains("Example:"));
  auto j = run_cli("describe utilities.shell --json", dir);
  CHECK(j.exit_code == 0);
  CHECK_THAT(j.out, Catch::Contains("\"name\":\"utilities.shell\"") &&
                        Catch::Contains("\"config_schema\":{") &&
                        Catch::Contains("\"deferrable\":false"));
  auto bad = run_cli("describe utilities.shel", dir);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("unknown job type 'utilities.shel' (did you mean 'utilities.shell'?)"));
}
