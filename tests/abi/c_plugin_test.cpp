// A plugin written in plain C99 (tests/fixtures/c_plugin) reaches every host service.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "fixture_plugins.hpp"

using namespace jobhost;
using namespace jobhost::test;

namespace {

const char* kConfig = R"(
greeting = "hello, world"
enabled = true
count = 3
ratio = 0.25
whole = 2
tags = ["a", "bb", "ccc"]

[limits]
max_rows = 100

[[checks]]
column = "id"

[[checks]]
column = "date"
)";

struct Loaded {
  TempDir dir;
  PluginRegistry registry;
  Loaded() {
    add_fixtures(dir.path, {"c_plugin"});
    registry.load_path(dir.path);
  }
  const JobTypeRef& type(const std::string& name) {
    auto* t = registry.find(name);
    if (!t) throw std::runtime_error("not loaded: " + name);
    return *t;
  }
};

// Metrics are doubles; the plugin reports enum values (types, result codes) through them.
int code(const AttemptResult& r, const std::string& metric) {
  return static_cast<int>(r.metrics.at(metric));
}

jh_job_ctx::InputLookup upstream() {
  return [](std::string_view job, std::string_view key) -> std::optional<std::string> {
    if (job == "extract" && key == "path") return "/data/2026-11-28.csv";
    return std::nullopt;
  };
}

}  // namespace

TEST_CASE("abi c plugin: loads with its metadata", "[abi][c_plugin]") {
  Loaded p;
  REQUIRE(p.registry.refused().empty());
  REQUIRE(p.registry.plugins().size() == 1);
  auto& info = p.registry.plugins()[0];
  CHECK(info.name == "cfix");
  CHECK(info.version == "1.2.3");
  CHECK(info.description == "Fixture: a plain C99 plugin");
  CHECK(info.abi_major == 1);
  CHECK(info.abi_minor == 0);
  CHECK(info.job_types == std::vector<std::string>{"cfix.everything", "cfix.fail", "cfix.wait"});
  CHECK(p.type("cfix.everything").summary == "Uses every host service");
  CHECK(p.type("cfix.everything").config_example == "greeting = \"hello\"");
}

TEST_CASE("abi c plugin: every config lookup, output, input, metric and secret", "[abi][c_plugin]") {
  Loaded p;
  ::setenv("JOBHOST_SECRET_DB_PASSWORD", "s3cr3t-pa55", 1);
  std::string log;
  auto r = run_type(p.type("cfix.everything"), kConfig, &log, nullptr, upstream());
  INFO(log);
  REQUIRE(r.error.empty());
  REQUIRE(r.status == JH_STATUS_OK);

  // config_type for every kind of value, the root table and a missing path.
  CHECK(code(r, "type.greeting") == JH_TYPE_STRING);
  CHECK(code(r, "type.enabled") == JH_TYPE_BOOL);
  CHECK(code(r, "type.count") == JH_TYPE_INT);
  CHECK(code(r, "type.ratio") == JH_TYPE_DOUBLE);
  CHECK(code(r, "type.tags") == JH_TYPE_ARRAY);
  CHECK(code(r, "type.limits") == JH_TYPE_TABLE);
  CHECK(code(r, "type.root") == JH_TYPE_TABLE);
  CHECK(code(r, "type.missing") == JH_TYPE_NONE);

  // Scalars; an integer is accepted where a double is asked for.
  CHECK(r.metrics.at("enabled") == 1);
  CHECK(r.metrics.at("count") == 3);
  CHECK(r.metrics.at("ratio") == 0.25);
  CHECK(r.metrics.at("whole") == 2);
  // The 4-byte first buffer learnt the full size, then the retry got the whole string.
  CHECK(r.metrics.at("greeting.first_len") == 12);
  CHECK(r.outputs.at("greeting") == "hello, world");

  // Nested tables, arrays of tables, arrays by index, keys in file order.
  CHECK(r.metrics.at("max_rows") == 100);
  CHECK(r.metrics.at("checks") == 2);
  CHECK(r.outputs.at("second_check") == "date");
  CHECK(r.metrics.at("tags") == 3);
  CHECK(r.outputs.at("tags") == "a,bb,ccc");
  CHECK(r.metrics.at("keys") == 8);
  CHECK(r.outputs.at("keys") == "greeting,enabled,count,ratio,whole,tags,limits,checks");

  // Failure answers.
  CHECK(code(r, "err.int_of_string") == JH_E_TYPE);
  CHECK(code(r, "err.missing") == JH_E_MISSING);
  CHECK(code(r, "err.key_range") == JH_E_RANGE);
  CHECK(code(r, "err.size_of_int") == JH_E_TYPE);
  CHECK(code(r, "err.bool_of_int") == JH_E_TYPE);

  // Data exchange with upstream and downstream jobs.
  CHECK(r.outputs.at("upstream_path") == "/data/2026-11-28.csv");
  CHECK(code(r, "err.input_missing") == JH_E_MISSING);
  CHECK(r.outputs.at("rows") == "42");

  // Extensions: secrets offered (from JOBHOST_SECRET_<NAME>), unknown ids answer NULL.
  CHECK(r.metrics.at("ext.secrets") == 1);
  CHECK(r.metrics.at("ext.unknown") == 0);
  CHECK(r.metrics.at("secret.length") == 11);
  CHECK(r.outputs.at("secret_is_expected") == "yes");
  CHECK(code(r, "err.secret_missing") == JH_E_MISSING);

  // Log lines with their levels, and run facts from jh_run_info.
  CHECK(log == "2 c plugin: run run-7 job job type cfix.everything date 2026-11-28 attempt 2/3 host " +
                   std::string(JOBHOST_VERSION_STRING) + "\n3 c plugin: a warning\n2 c plugin: done\n");
}

TEST_CASE("abi c plugin: secrets also come from files in the secrets folder", "[abi][c_plugin]") {
  Loaded p;
  ::unsetenv("JOBHOST_SECRET_DB_PASSWORD");
  TempDir secrets;
  write_file(secrets.path / "db_password", "s3cr3t-pa55\n");
  set_secrets_dir(secrets.str());
  auto r = run_type(p.type("cfix.everything"), kConfig);
  set_secrets_dir("");
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.metrics.at("secret.length") == 11);  // the trailing newline is not part of it
  CHECK(r.outputs.at("secret_is_expected") == "yes");
}

TEST_CASE("abi c plugin: without upstream outputs or secrets the lookups say missing",
          "[abi][c_plugin]") {
  Loaded p;
  ::unsetenv("JOBHOST_SECRET_DB_PASSWORD");
  auto r = run_type(p.type("cfix.everything"), "");
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.outputs.count("upstream_path") == 0);
  CHECK(r.outputs.count("secret_is_expected") == 0);
  CHECK(code(r, "type.greeting") == JH_TYPE_NONE);
  CHECK(r.metrics.at("keys") == 0);
}

TEST_CASE("abi c plugin: progress reaches the job context", "[abi][c_plugin]") {
  Loaded p;
  const JobTypeRef& t = p.type("cfix.everything");
  toml::table config = toml::parse(kConfig);
  jh_job_ctx ctx;
  ctx.config = &config;
  const jh_job_ctx::LogSink quiet = [](jh_log_level, std::string_view) {};
  ctx.log = &quiet;
  jh_run_info info{};
  info.struct_size = sizeof info;
  info.attempt = 1;
  info.max_attempts = 1;
  CHECK(t.type->run(t.type, host_services_table(), &ctx, &info) == JH_STATUS_OK);
  CHECK(ctx.progress_permyriad.load() == 10000);
  CHECK(ctx.progress_note == "done");
}

TEST_CASE("abi c plugin: set_error keeps the last message", "[abi][c_plugin]") {
  Loaded p;
  auto r = run_type(p.type("cfix.fail"));
  CHECK(r.status == JH_STATUS_RETRY);
  CHECK(r.error == "upstream returned HTTP 503");
}

TEST_CASE("abi c plugin: is_cancelled is seen by the plugin", "[abi][c_plugin]") {
  Loaded p;
  std::atomic<bool> cancel{false};
  CHECK(run_type(p.type("cfix.wait"), "", nullptr, &cancel).status == JH_STATUS_OK);
  cancel = true;
  auto r = run_type(p.type("cfix.wait"), "", nullptr, &cancel);
  CHECK(r.status == JH_STATUS_CANCELLED);
  CHECK(r.error == "cancelled");
  // A cancelled `everything` stops before doing any work.
  r = run_type(p.type("cfix.everything"), kConfig, nullptr, &cancel);
  CHECK(r.status == JH_STATUS_CANCELLED);
  CHECK(r.outputs.empty());
}
