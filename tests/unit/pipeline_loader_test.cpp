#include <catch2/catch.hpp>

#include "config/diagnostics.hpp"
#include "config/pipeline_loader.hpp"
#include "support.hpp"

using namespace jobhost;

namespace {
// The diagnostics a pipeline text produces, formatted; empty when it loads.
std::string errors_of(const std::string& text) {
  try {
    auto spec = load_pipeline_text(text, "p.toml");
    validate_pipeline(spec, test::built_plugins());
    return "";
  } catch (const InputError& e) {
    return e.what();
  }
}
const char* kHead = "[pipeline]\nname = \"p\"\n";
}  // namespace

TEST_CASE("loader: a full pipeline with defaults and params", "[config]") {
  auto spec = load_pipeline_text(std::string(kHead) + R"(max_parallel = 3
fail_fast = true
[pipeline.params]
zeta = "z"
alpha = 1
[defaults]
retries = 2
retry_delay = "250ms"
retry_backoff = 1.5
retry_max_delay = "1m"
retry_jitter = false
timeout = "30m"
trigger = "all_done"
[[jobs]]
name = "a"
uses = "utilities.noop"
[[jobs]]
name = "b"
uses = "utilities.shell"
depends_on = ["a"]
retries = 0
trigger = "one_failed"
timeout = 5
[jobs.config]
command = "echo {{ params.zeta }} {{ run.logical_date }}"
)", "p.toml");
  CHECK(spec.max_parallel == 3);
  CHECK(spec.fail_fast);
  REQUIRE(spec.params.size() == 2);
  CHECK(spec.params[0].first == "zeta");  // file order, not key order
  CHECK(spec.params[1].second == "1");
  auto& a = spec.jobs[0];
  CHECK(a.retry.retries == 2);
  CHECK(a.retry.delay == Millis(250));
  CHECK(a.retry.backoff == 1.5);
  CHECK(a.retry.max_delay == Millis(60000));
  CHECK_FALSE(a.retry.jitter);
  CHECK(a.timeout == Millis(1800000));
  CHECK(a.trigger == TriggerRule::all_done);
  auto& b = spec.jobs[1];
  CHECK(b.retry.retries == 0);
  CHECK(b.trigger == TriggerRule::one_failed);
  CHECK(b.timeout == Millis(5000));
  CHECK(b.depends_on == std::vector<std::string>{"a"});
}

TEST_CASE("loader: built-in defaults", "[config]") {
  auto spec = load_pipeline_text(std::string(kHead) + "[[jobs]]\nname = \"a\"\nuses = \"utilities.noop\"\n", "p.toml");
  auto& a = spec.jobs[0];
  CHECK(a.retry.retries == 0);
  CHECK(a.retry.delay == Millis(1000));
  CHECK(a.retry.backoff == 2.0);
  CHECK(a.retry.max_delay == Millis(300000));
  CHECK(a.retry.jitter);
  CHECK_FALSE(a.timeout);
  CHECK(a.trigger == TriggerRule::all_success);
}

TEST_CASE("loader: errors carry file:line:col", "[config]") {
  std::string jobs = "[[jobs]]\nname = \"a\"\nuses = \"utilities.noop\"\n";  // lines 3-5
  CHECK(errors_of(std::string(kHead) + jobs + "[[jobs]]\nname = \"a\"\nuses = \"utilities.noop\"\n") ==
        "p.toml:6:1: error: duplicate job name 'a' (first defined at line 3)");
  CHECK(errors_of(std::string(kHead) + jobs + "depends_on = [\"x\"]\n") ==
        "p.toml:3:1: error: job 'a' depends on unknown job 'x'");
  CHECK(errors_of(std::string(kHead) + jobs + "depends_on = [\"a\"]\n") ==
        "p.toml:3:1: error: job 'a' depends on itself");
  CHECK(errors_of(std::string(kHead) + jobs + "retires = 3\n") ==
        "p.toml:6:1: error: unknown key 'retires' in [jobs] (did you mean 'retries'?)");
  CHECK(errors_of(std::string(kHead) + "[[jobs]]\nname = \"a\"\nuses = \"utilities.noops\"\n") ==
        "p.toml:3:1: error: job 'a' uses unknown job type 'utilities.noops' (did you mean 'utilities.noop'?)");
  CHECK(errors_of(std::string(kHead) + jobs + "trigger = \"all_sucess\"\n") ==
        "p.toml:6:11: error: unknown trigger rule 'all_sucess' (did you mean 'all_success'?)");
  CHECK(errors_of(std::string(kHead) + jobs + "timeout = \"10 parsecs\"\n") ==
        "p.toml:6:11: error: 'timeout' must be a duration like \"250ms\", \"10s\", \"5m\", \"2h\", \"1d\" or a number of seconds");
  CHECK(errors_of(std::string(kHead) + jobs + "[jobs.config]\ncommand = \"{{ params.nope }}\"\n") ==
        "p.toml:7:11: error: unknown template variable '{{ params.nope }}'");
  CHECK(errors_of("[pipeline]\nname = \"bad name\"\n" + jobs) ==
        "p.toml:2:8: error: pipeline name must match [A-Za-z0-9_-]+");
  CHECK_THAT(errors_of("[pipeline\n"), Catch::StartsWith("p.toml:1:"));
}

TEST_CASE("loader: a cycle is reported naming its jobs in order", "[config]") {
  std::string text = std::string(kHead) +
                     "[[jobs]]\nname = \"a\"\nuses = \"utilities.noop\"\ndepends_on = [\"c\"]\n"
                     "[[jobs]]\nname = \"b\"\nuses = \"utilities.noop\"\ndepends_on = [\"a\"]\n"
                     "[[jobs]]\nname = \"c\"\nuses = \"utilities.noop\"\ndepends_on = [\"b\"]\n"
                     "[[jobs]]\nname = \"d\"\nuses = \"utilities.noop\"\n";
  auto err = errors_of(text);
  CHECK_THAT(err, Catch::Contains("error: dependency cycle: "));
  bool named = err.find("a -> b -> c -> a") != std::string::npos ||
               err.find("b -> c -> a -> b") != std::string::npos ||
               err.find("c -> a -> b -> c") != std::string::npos;
  CHECK(named);
}

namespace {
// A [[jobs]] entry of utilities.noop depending on `deps` (each already quoted and comma-joined).
std::string job(const std::string& name, const std::string& deps = "") {
  return "[[jobs]]\nname = \"" + name + "\"\nuses = \"utilities.noop\"\n" +
         (deps.empty() ? "" : "depends_on = [" + deps + "]\n");
}
}  // namespace

TEST_CASE("loader: a repeated dependency is reported in short and long depends_on lists",
          "[config]") {
  std::string roots, few, many;
  for (int i = 0; i < 20; ++i) {
    roots += job("r" + std::to_string(i));
    if (i < 3) few += "\"r" + std::to_string(i) + "\", ";
    many += "\"r" + std::to_string(i) + "\", ";
  }
  // Roots take lines 3..62; the checked job starts at line 63.
  CHECK(errors_of(std::string(kHead) + roots + job("x", few + "\"r1\"")) ==
        "p.toml:63:1: error: job 'x' lists dependency 'r1' twice");
  CHECK(errors_of(std::string(kHead) + roots + job("x", many + "\"r7\", \"r19\", \"r7\"")) ==
        "p.toml:63:1: error: job 'x' lists dependency 'r7' twice\n"
        "p.toml:63:1: error: job 'x' lists dependency 'r19' twice\n"
        "p.toml:63:1: error: job 'x' lists dependency 'r7' twice");
  // Unknown and self entries are reported as such, never as repeats.
  CHECK(errors_of(std::string(kHead) + roots + job("x", many + "\"x\", \"x\", \"q\", \"q\"")) ==
        "p.toml:63:1: error: job 'x' depends on itself\n"
        "p.toml:63:1: error: job 'x' depends on itself\n"
        "p.toml:63:1: error: job 'x' depends on unknown job 'q'\n"
        "p.toml:63:1: error: job 'x' depends on unknown job 'q'");
}

TEST_CASE("loader: an unknown dependency suggests the first closest name in name order",
          "[config]") {
  // "ab" and "ad" are both one edit from "ac"; the hint is the smaller name.
  CHECK(errors_of(std::string(kHead) + job("ad") + job("ab") + job("x", "\"ac\"")) ==
        "p.toml:9:1: error: job 'x' depends on unknown job 'ac' (did you mean 'ab'?)");
  CHECK(errors_of(std::string(kHead) + job("a1") + job("a1") + job("x", "\"a2\"")) ==
        "p.toml:6:1: error: duplicate job name 'a1' (first defined at line 3)\n"
        "p.toml:9:1: error: job 'x' depends on unknown job 'a2' (did you mean 'a1'?)");
}

TEST_CASE("loader: a cycle behind acyclic jobs is named in order from its first job",
          "[config]") {
  // s -> a -> b -> c -> a, with t hanging off the ring and u independent.
  std::string text = std::string(kHead) + job("u") + job("s") + job("t", "\"b\"") +
                     job("a", "\"s\", \"c\"") + job("b", "\"a\"") + job("c", "\"b\"");
  CHECK(errors_of(text) == "p.toml:13:1: error: dependency cycle: a -> b -> c -> a");
  // Two rings: the one the depth-first search meets first is reported.
  CHECK(errors_of(std::string(kHead) + job("p", "\"q\"") + job("q", "\"p\"") +
                  job("y", "\"z\"") + job("z", "\"y\"")) ==
        "p.toml:3:1: error: dependency cycle: p -> q -> p");
  CHECK(errors_of(std::string(kHead) + job("a") + job("b", "\"a\"")).empty());
}

TEST_CASE("loader: {{ jobs.NAME.outputs.KEY }} must name an upstream job", "[config][templates]") {
  const std::string jobs = R"(
[[jobs]]
name = "extract"
uses = "utilities.noop"
[[jobs]]
name = "load"
uses = "utilities.noop"
depends_on = ["extract"]
[[jobs]]
name = "report"
uses = "utilities.shell"
depends_on = ["load"]
)";
  // Direct and transitive upstreams are fine, and so is text around the placeholder (the
  // loader's check; validate then finds that noop declares no outputs at all).
  CHECK_NOTHROW(load_pipeline_text(
      kHead + jobs + "config = { command = 'echo {{ jobs.load.outputs.x }}/{{ jobs.extract.outputs.y }}' }\n",
      "p.toml"));
  CHECK_THAT(errors_of(kHead + jobs + "config = { command = 'echo {{ jobs.load.outputs.x }}' }\n"),
             Catch::Contains("job 'load' (utilities.noop) publishes no output 'x'; it declares none"));
  CHECK(errors_of(kHead + jobs + "config = { command = 'echo {{ jobs.report.outputs.x }}' }\n") ==
        "p.toml:15:22: error: '{{ jobs.report.outputs.x }}': job 'report' is not upstream of job "
        "'report' (add it to depends_on, directly or through another job)");
  CHECK(errors_of(kHead + jobs + "config = { command = 'echo {{ jobs.lod.outputs.x }}' }\n") ==
        "p.toml:15:22: error: '{{ jobs.lod.outputs.x }}': no job 'lod' in the pipeline (did you mean 'load'?)");
  CHECK(errors_of(kHead + jobs + "config = { command = 'echo {{ jobs.load.x }}' }\n") ==
        "p.toml:15:22: error: malformed template variable '{{ jobs.load.x }}': an upstream output is "
        "'{{ jobs.NAME.outputs.KEY }}'");
}
