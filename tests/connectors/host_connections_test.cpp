// [connections.NAME] in the host config: read, checked against the connection types plugins
// declare, served to jobs through the connections extension, listed and tested by
// `jobhost connections`; never a secret value in any output.
#include <catch2/catch.hpp>
#include <boost/json.hpp>

#include <sys/stat.h>

#include <filesystem>

#include "cli_support.hpp"

using namespace jobhost::test;
namespace json = boost::json;

namespace {

const std::string kDate = "2026-11-28";

// The connection fixture in a private plugin folder (mode 755, as the loader demands).
std::string plugins(const TempDir& dir) {
  std::filesystem::create_directories(dir.str("plug"));
  std::filesystem::copy_file(JOBHOST_FIXTURE_PLUGIN_DIR "/connection.so", dir.str("plug/connection.so"),
                             std::filesystem::copy_options::skip_existing);
  ::chmod(dir.str("plug/connection.so").c_str(), 0755);
  ::chmod(dir.str("plug").c_str(), 0755);
  return " --plugin-path plug --config jobhost.toml";
}

const std::string kGoodConfig = R"(
[connections.warehouse]
type = "fixture"
url = "https://example.invalid/api"
username = "svc"
password_secret = "WAREHOUSE_PASS"
region = "eu"

[connections.other]
type = "not_installed"
url = "https://other.invalid"
)";

const std::string kPipeline = R"(
[pipeline]
name = "p"
[[jobs]]
name = "reader"
uses = "connfix.use_connection"
config = { connection = "warehouse" }
)";

}  // namespace

TEST_CASE("a job reads its connection and the secret it names through the host") {
  TempDir dir;
  write_file(dir.str("jobhost.toml"), kGoodConfig);
  write_file(dir.str("p.toml"), kPipeline);
  auto r = run_cli("run p.toml --date " + kDate + " --json --state s.db" + plugins(dir), dir,
                   "env JOBHOST_SECRET_WAREHOUSE_PASS=letmein");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = json::parse(r.out).as_object();
  auto& outputs = doc.at("jobs").as_object().at("reader").as_object().at("outputs").as_object();
  CHECK(outputs.at("url") == "https://example.invalid/api");
  CHECK(outputs.at("type") == "fixture");
  CHECK(outputs.at("password_ok") == "yes");
  CHECK(r.out.find("letmein") == std::string::npos);
  CHECK(r.err.find("letmein") == std::string::npos);
}

TEST_CASE("a literal credential in a connection is refused without echoing it") {
  TempDir dir;
  write_file(dir.str("jobhost.toml"), "[connections.w]\ntype = \"fixture\"\nurl = \"https://x.invalid\"\n"
                                      "username = \"svc\"\npassword = \"hunter2-literal\"\n");
  write_file(dir.str("p.toml"), kPipeline);
  auto r = run_cli("validate p.toml" + plugins(dir), dir);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("jobhost.toml:5:") != std::string::npos);
  CHECK(r.err.find("password_secret") != std::string::npos);
  CHECK(r.err.find("JOBHOST_SECRET_") != std::string::npos);
  CHECK(r.err.find("hunter2-literal") == std::string::npos);
  CHECK(r.out.find("hunter2-literal") == std::string::npos);
}

TEST_CASE("connections are checked against their type's schema with line and column") {
  TempDir dir;
  write_file(dir.str("jobhost.toml"), "[connections.w]\ntype = \"fixture\"\nurl = \"https://x.invalid\"\n"
                                      "usernme = \"svc\"\npassword_secret = \"P\"\nregion = \"mars\"\n");
  write_file(dir.str("p.toml"), kPipeline);
  auto r = run_cli("validate p.toml" + plugins(dir), dir);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("connection 'w' (type fixture)") != std::string::npos);
  CHECK(r.err.find("did you mean 'username'") != std::string::npos);
  CHECK(r.err.find("jobhost.toml:6:") != std::string::npos);  // region = "mars"
  CHECK(r.err.find("mars") != std::string::npos);
}

TEST_CASE("a job naming a missing connection or one of the wrong type fails validation") {
  TempDir dir;
  write_file(dir.str("jobhost.toml"), kGoodConfig);
  write_file(dir.str("p.toml"), R"([pipeline]
name = "p"
[[jobs]]
name = "a"
uses = "connfix.use_connection"
config = { connection = "warehous" }
[[jobs]]
name = "b"
uses = "connfix.use_connection"
config = { connection = "other" }
)");
  auto r = run_cli("validate p.toml" + plugins(dir), dir);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("p.toml:6:") != std::string::npos);
  CHECK(r.err.find("connection 'warehous' is not defined") != std::string::npos);
  CHECK(r.err.find("did you mean 'warehouse'") != std::string::npos);
  CHECK(r.err.find("p.toml:10:") != std::string::npos);
  CHECK(r.err.find("is of type 'not_installed'") != std::string::npos);
  CHECK(r.err.find("type 'fixture'") != std::string::npos);
}

TEST_CASE("jobhost connections lists names and types and secrets by name only") {
  TempDir dir;
  write_file(dir.str("jobhost.toml"), kGoodConfig);
  auto r = run_cli("connections --json" + plugins(dir), dir, "env JOBHOST_SECRET_WAREHOUSE_PASS=letmein");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto list = json::parse(r.out).at("connections").as_array();
  REQUIRE(list.size() == 2);  // sorted by name
  CHECK(list[0].at("name") == "other");
  CHECK(list[0].at("plugin").is_null());
  auto& w = list[1].as_object();
  CHECK(w.at("name") == "warehouse");
  CHECK(w.at("type") == "fixture");
  CHECK(w.at("plugin") == "connfix");
  auto& secret = w.at("secrets").as_array().at(0).as_object();
  CHECK(secret.at("name") == "WAREHOUSE_PASS");
  CHECK(secret.at("defined") == true);
  CHECK(r.out.find("letmein") == std::string::npos);

  auto text = run_cli("connections" + plugins(dir), dir);
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("WAREHOUSE_PASS (not defined)") != std::string::npos);
  CHECK(text.out.find("unknown type") != std::string::npos);
}

TEST_CASE("jobhost connections test reports success or failure with a reason or an unknown name") {
  TempDir dir;
  write_file(dir.str("jobhost.toml"), kGoodConfig);
  auto ok = run_cli("connections test warehouse" + plugins(dir), dir,
                    "env JOBHOST_SECRET_WAREHOUSE_PASS=letmein");
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("ok") != std::string::npos);
  CHECK(ok.err.find("reached https://example.invalid/api as svc") != std::string::npos);

  auto bad = run_cli("connections test warehouse" + plugins(dir), dir,
                     "env JOBHOST_SECRET_WAREHOUSE_PASS=wrong-pass-value");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("authentication failed for connection warehouse") != std::string::npos);
  CHECK(bad.err.find("wrong-pass-value") == std::string::npos);

  auto unknown = run_cli("connections test warehose" + plugins(dir), dir);
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("did you mean 'warehouse'") != std::string::npos);

  auto no_type = run_cli("connections test other" + plugins(dir), dir);
  CHECK(no_type.exit_code == 2);
  CHECK(no_type.err.find("not_installed") != std::string::npos);
}

TEST_CASE("plain http to a remote host is warned about") {
  TempDir dir;
  write_file(dir.str("jobhost.toml"), "[connections.w]\ntype = \"fixture\"\nurl = \"http://10.1.2.3/api\"\n"
                                      "username = \"svc\"\npassword_secret = \"P\"\n"
                                      "[connections.local]\ntype = \"fixture\"\nurl = \"http://127.0.0.1:8080\"\n"
                                      "username = \"svc\"\npassword_secret = \"P\"\n");
  auto r = run_cli("connections" + plugins(dir), dir);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("connection 'w' uses plain http://") != std::string::npos);
  CHECK(r.err.find("connection 'local'") == std::string::npos);
}

TEST_CASE("plugins --json lists a plugin's connection types with their schema") {
  TempDir dir;
  write_file(dir.str("jobhost.toml"), "");
  auto r = run_cli("plugins --json" + plugins(dir), dir);
  auto doc = json::parse(r.out).as_object();
  auto& p = doc.at("plugins").as_array().at(0).as_object();  // --plugin-path comes first
  CHECK(p.at("name") == "connfix");
  auto& types = p.at("connection_types").as_array();
  REQUIRE(types.size() == 1);
  CHECK(types[0].at("name") == "fixture");
  CHECK(types[0].at("schema").at("required").as_array().size() == 3);
}
