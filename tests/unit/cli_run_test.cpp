#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <cstdlib>
#include <map>

#include "cli_support.hpp"

using namespace jobhost::test;
namespace json = boost::json;

namespace {
// A pipeline whose shell jobs append their name to ran.txt; `fail` names jobs that exit 1
// unless the file "fixed" exists.
std::string pipeline(const std::vector<std::pair<std::string, std::string>>& jobs,
                     const std::string& fail = "") {
  std::string t = "[pipeline]\nname = \"t\"\n[defaults]\nretry_jitter = false\n";
  for (auto& [name, deps] : jobs) {
    std::string cmd = "echo " + name + " >> ran.txt";
    if (name == fail) cmd += "; test -f fixed";
    t += "[[jobs]]\nname = \"" + name + "\"\nuses = \"utilities.shell\"\ndepends_on = [" + deps +
         "]\n[jobs.config]\ncommand = \"" + cmd + "\"\n";
  }
  return t;
}
}  // namespace

TEST_CASE("cli run: --json prints exactly one result object, exit codes", "[cli]") {
  TempDir dir;
  write_file(dir.str("p.toml"), pipeline({{"a", ""}, {"b", "\"a\""}, {"c", "\"b\""}}, "b"));
  auto r = run_cli("run p.toml --date 2026-11-28 --json", dir);
  CHECK(r.exit_code == 1);
  auto doc = json::parse(r.out).as_object();
  CHECK(doc.at("pipeline") == "t");
  CHECK(doc.at("logical_date") == "2026-11-28");
  CHECK(doc.at("status") == "failed");
  CHECK(!doc.at("run_id").as_string().empty());
  auto& jobs = doc.at("jobs").as_object();
  CHECK(jobs.at("a").at("state") == "success");
  CHECK(jobs.at("a").at("attempts") == 1);
  CHECK(jobs.at("a").at("error").is_null());
  CHECK(jobs.at("a").at("duration_ms").is_int64());
  CHECK(jobs.at("b").at("state") == "failed");
  CHECK(jobs.at("b").at("error") == "command exited with code 1");
  CHECK(jobs.at("c").at("state") == "upstream_failed");
}

TEST_CASE("cli run: a rerun executes only the failed job and what depends on it", "[cli][resume]") {
  TempDir dir;
  write_file(dir.str("p.toml"), pipeline({{"a", ""}, {"b", "\"a\""}, {"c", "\"b\""}, {"d", "\"a\""}}, "b"));
  CHECK(run_cli("run p.toml --date 2026-11-28", dir).exit_code == 1);
  CHECK(read_file(dir.str("ran.txt")).size() == std::string("a\nb\nd\n").size());
  write_file(dir.str("ran.txt"), "");
  write_file(dir.str("fixed"), "");
  auto r = run_cli("run p.toml --date 2026-11-28 --json", dir);
  CHECK(r.exit_code == 0);
  CHECK(read_file(dir.str("ran.txt")) == "b\nc\n");
  // Everything succeeded: a third run does nothing and says so.
  write_file(dir.str("ran.txt"), "");
  r = run_cli("run p.toml --date 2026-11-28", dir);
  CHECK(r.exit_code == 0);
  CHECK(read_file(dir.str("ran.txt")).empty());
  CHECK_THAT(r.err, Catch::Contains("nothing to do"));
  // Another date is another run; --force-job reruns a job and its dependants.
  r = run_cli("run p.toml --date 2026-11-28 --force-job b", dir);
  CHECK(read_file(dir.str("ran.txt")) == "b\nc\n");
}

TEST_CASE("cli run: --only refuses a job whose upstream has not succeeded, and writes nothing", "[cli][resume]") {
  TempDir dir;
  write_file(dir.str("p.toml"), pipeline({{"a", ""}, {"b", "\"a\""}, {"c", ""}}));
  auto r = run_cli("run p.toml --date 2026-11-28 --only b", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("job 'b' needs upstream job 'a', which has not succeeded for 2026-11-28"));
  CHECK_FALSE(std::filesystem::exists(dir.str("ran.txt")));
  CHECK_THAT(run_cli("runs", dir).out, !Catch::Contains("2026-11-28"));
  // Selecting the upstream too, or after it succeeded, works; unselected jobs are marked.
  r = run_cli("run p.toml --date 2026-11-28 --only a --only b --json", dir);
  CHECK(r.exit_code == 0);
  auto doc = json::parse(r.out).as_object();
  CHECK(doc.at("jobs").at("c").at("selected") == false);
  CHECK(doc.at("jobs").at("c").at("carried_over") == false);
  CHECK(doc.at("jobs").at("c").at("state") == "skipped");
  CHECK(read_file(dir.str("ran.txt")) == "a\nb\n");
  CHECK(run_cli("run-job p.toml b --date 2026-11-28", dir).exit_code == 0);
  CHECK(read_file(dir.str("ran.txt")) == "a\nb\nb\n");
}

TEST_CASE("cli: bad input exits 2 with file:line:col", "[cli]") {
  TempDir dir;
  write_file(dir.str("bad.toml"), "[pipeline]\nname = \"x\"\n[[jobs]]\nname = \"a\"\nuses = \"utilities.shell\"\ndepends_on = [\"b\"]\n");
  auto r = run_cli("validate bad.toml", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("bad.toml:3:1: error: job 'a' depends on unknown job 'b'"));
  r = run_cli("run bad.toml", dir);
  CHECK(r.exit_code == 2);
  CHECK(run_cli("run", dir).exit_code == 2);
  CHECK(run_cli("run bad.toml --bogus", dir).exit_code == 2);
  CHECK(run_cli("frobnicate", dir).exit_code == 2);
  write_file(dir.str("ok.toml"), pipeline({{"a", ""}}));
  CHECK(run_cli("run ok.toml --date 2026-02-30", dir).exit_code == 2);
  CHECK(run_cli("run ok.toml --param nope=1", dir).exit_code == 2);
  // Nothing was recorded for the refused runs.
  CHECK(run_cli("validate ok.toml", dir).exit_code == 0);
  // A folder is bad input too, named as such (not an internal error).
  std::filesystem::create_directories(dir.path / "pipelines");
  r = run_cli("validate pipelines", dir);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("pipelines: error: cannot open pipeline file: it is a folder"));
}

TEST_CASE("cli run: a generated 10,000-job pipeline validates and runs", "[cli][scale]") {
  TempDir dir;
  std::string t = "[pipeline]\nname = \"big\"\n";
  for (int i = 0; i < 10000; ++i) {
    t += "[[jobs]]\nname = \"j" + std::to_string(i) + "\"\nuses = \"utilities.noop\"\n";
    if (i >= 10) t += "depends_on = [\"j" + std::to_string(i / 10) + "\", \"j" + std::to_string(i - 1) + "\"]\n";
  }
  write_file(dir.str("big.toml"), t);
  CHECK(run_cli("validate big.toml", dir).exit_code == 0);
  auto r = run_cli("run big.toml --json --date 2026-11-28", dir);
  REQUIRE(r.exit_code == 0);
  auto doc = json::parse(r.out).as_object();
  CHECK(doc.at("status") == "success");
  CHECK(doc.at("jobs").as_object().size() == 10000);
}

TEST_CASE("cli run: SIGTERM cancels running jobs, records them, exits 143", "[cli][signal]") {
  TempDir dir;
  write_file(dir.str("p.toml"),
             "[pipeline]\nname = \"s\"\n[[jobs]]\nname = \"long\"\nuses = \"utilities.shell\"\n"
             "[jobs.config]\ncommand = \"touch started; sleep 30\"\n"
             "[[jobs]]\nname = \"next\"\nuses = \"utilities.noop\"\ndepends_on = [\"long\"]\n");
  // The shell waits (bounded) until the job has started, then signals the host.
  std::string script = "cd '" + dir.str() + "' && ('" JOBHOST_TEST_BIN_DIR "/jobhost' run p.toml --json --date 2026-11-28 > out.json 2> err.txt & pid=$!; "
                       "for i in $(seq 1 500); do [ -f started ] && break; sleep 0.01; done; kill -TERM $pid; wait $pid; echo $? > rc.txt)";
  REQUIRE(std::system(script.c_str()) == 0);
  CHECK(read_file(dir.str("rc.txt")) == "143\n");
  auto doc = json::parse(read_file(dir.str("out.json"))).as_object();
  CHECK(doc.at("status") == "cancelled");
  CHECK(doc.at("jobs").at("long").at("state") == "cancelled");
  CHECK(doc.at("jobs").at("next").at("state") == "cancelled");
  auto show = run_cli("runs --json", dir);
  CHECK_THAT(show.out, Catch::Contains("cancelled"));
}

TEST_CASE("cli run: the huge-page re-execution keeps the process name and leaks no environment", "[cli][heap]") {
  TempDir dir;
  write_file(dir.str("p.toml"),
             "[pipeline]\nname = \"env\"\n[[jobs]]\nname = \"dump\"\nuses = \"utilities.shell\"\n"
             "[jobs.config]\ncommand = \"env > env.txt; cat /proc/$PPID/comm > comm.txt\"\n");
  for (const char* opt_out : {"", "JOBHOST_HUGE_PAGES=0"}) {
    INFO("prefix: " << opt_out);
    // Through env, so GLIBC_TUNABLES is unset for sure.
    REQUIRE(run_cli("run p.toml --no-state", dir, std::string("env -u GLIBC_TUNABLES ") + opt_out)
                .exit_code == 0);
    std::string env = read_file(dir.str("env.txt"));
    CHECK(env.find("JOBHOST_HEAP_REEXEC") == std::string::npos);
    CHECK(env.find("GLIBC_TUNABLES") == std::string::npos);
    CHECK(read_file(dir.str("comm.txt")) == "jobhost\n");  // ps, top and pkill still find it
  }
  // Started through the dynamic loader, /proc/self/exe is ld.so: no re-execution, still runs.
  const std::string loader = "/lib64/ld-linux-x86-64.so.2";
  if (std::filesystem::exists(loader))
    CHECK(run_cli("run p.toml --no-state --plugin-path '" JOBHOST_TEST_PLUGIN_DIR "'", dir,
                  "env -u GLIBC_TUNABLES " + loader)
              .exit_code == 0);
}

namespace {
// The JSON kind of every value, recursively, with object keys (sorted: JSON objects have no
// order; show lists jobs as first recorded, run in pipeline order): two documents of the same
// shape give the same text. Nulls and strings count as one kind (nullable text fields).
std::string shape(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      std::map<std::string, std::string> fields;
      for (auto& [k, x] : v.as_object()) fields[std::string(k)] = shape(x);
      std::string s = "{";
      for (auto& [k, x] : fields) s += k + ":" + x + ",";
      return s + "}";
    }
    case json::kind::array: return "[]";
    case json::kind::string:
    case json::kind::null: return "text";
    case json::kind::bool_: return "bool";
    default: return "number";
  }
}
}  // namespace

TEST_CASE("cli run: run --json and show --json are one document, valid against its JSON Schema",
          "[cli][json]") {
  TempDir dir;
  write_file(dir.str("p.toml"), pipeline({{"a", ""}, {"b", "\"a\""}, {"c", "\"b\""}, {"d", ""}}, "b"));
  auto run = run_cli("run p.toml --date 2026-11-28 --json --param", dir);  // usage error first
  CHECK(run.exit_code == 2);
  run = run_cli("run p.toml --date 2026-11-28 --json", dir);
  REQUIRE(run.exit_code == 1);
  auto show = run_cli("show --pipeline t --date 2026-11-28 --json", dir);
  REQUIRE(show.exit_code == 0);
  auto r = json::parse(run.out), s = json::parse(show.out);
  CHECK(r.at("schema_version") == 3);
  // Same fields, same kinds, jobs in the same order; and the same facts about each job.
  CHECK(shape(r) == shape(s));
  for (auto& [name, job] : r.at("jobs").as_object()) {
    INFO(name);
    for (auto field : {"state", "attempts", "try_attempts", "duration_ms", "error", "carried_over",
                       "selected", "outputs", "handle"})
      CHECK(job.at(field) == s.at("jobs").at(name).at(field));
  }
  // Both validate against the published schema (Debian's python3-jsonschema).
  write_file(dir.str("run.json"), run.out);
  write_file(dir.str("show.json"), show.out);
  std::string cmd = "/usr/bin/python3 -c 'import json, sys, jsonschema\n"
                    "schema = json.load(open(sys.argv[1]))\n"
                    "for f in sys.argv[2:]: jsonschema.Draft202012Validator(schema).validate(json.load(open(f)))' "
                    "'" JOBHOST_SOURCE_DIR "/docs/schemas/run.schema.json' '" +
                    dir.str("run.json") + "' '" + dir.str("show.json") + "' 2>&1";
  CHECK(std::system(cmd.c_str()) == 0);
}
