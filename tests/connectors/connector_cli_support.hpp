// Drives one engine connector end to end: a fake engine on a free port, the connector plugin
// in a private folder, a host config with its connections, and the real `jobhost` binary.
// Used by the Airflow and Prefect connector tests.
#pragma once

#include <sys/stat.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "cli_support.hpp"
#include "fake_engine_process.hpp"

namespace jobhost::test {

inline const std::string kConnectorDate = "2026-11-28";

// One [[jobs]] table. `config` is the inside of an inline table; `keys` more job keys
// ("retries = 1\n").
inline std::string connector_job(const std::string& name, const std::string& uses,
                                 const std::string& config, const std::string& keys = "") {
  return "[[jobs]]\nname = \"" + name + "\"\nuses = \"" + uses + "\"\n" + keys + "config = { " +
         config + " }\n";
}

// How many requests of the fake's log matched `operation` (the spec's operationId).
inline int count_operation(const boost::json::object& log, std::string_view operation) {
  int n = 0;
  for (const auto& r : log.at("requests").as_array())
    if (const auto& op = r.at("operation"); op.is_string() && op.get_string() == operation) ++n;
  return n;
}

class ConnectorCli {
 public:
  // `plugin`: the connector's module name ("airflow"); `engine`: the fake to start.
  ConnectorCli(const std::string& plugin, const std::string& engine,
               std::vector<std::string> fake_flags = {})
      : fake(engine, dir, std::move(fake_flags)) {
    std::filesystem::create_directories(dir.str("plug"));
    const std::string so = "plug/" + plugin + ".so";
    std::filesystem::copy_file(JOBHOST_TEST_PLUGIN_DIR "/" + plugin + ".so", dir.str(so));
    ::chmod(dir.str(so).c_str(), 0755);
    ::chmod(dir.str("plug").c_str(), 0755);
  }

  // POST /_fake/control with a JSON text.
  void control(const std::string& json_text) const { fake.control(json_text); }
  void host_config(const std::string& toml) const { write_file(dir.str("jobhost.toml"), toml); }
  // A pipeline "p" with these [[jobs]] tables.
  void pipeline(const std::string& jobs) const {
    write_file(dir.str("p.toml"), "[pipeline]\nname = \"p\"\n" + jobs);
  }

  // `jobhost ARGS --plugin-path plug --config jobhost.toml` with the secrets in the environment.
  CliResult cli(const std::string& args) const {
    return run_cli(args + " --plugin-path plug --config jobhost.toml", dir, "env " + secrets_env);
  }
  CliResult run(const std::string& extra = "") const {
    return cli("run p.toml --date " + kConnectorDate + " --json --state state.db " + extra);
  }

  static boost::json::object doc(const CliResult& r) {
    boost::system::error_code ec;
    auto v = boost::json::parse(r.out, ec);
    return !ec && v.is_object() ? v.get_object() : boost::json::object{};
  }
  static boost::json::object job(const CliResult& r, const std::string& name) {
    auto d = doc(r);
    const auto* jobs = d.if_contains("jobs");
    const auto* j = jobs && jobs->is_object() ? jobs->get_object().if_contains(name) : nullptr;
    return j && j->is_object() ? j->get_object() : boost::json::object{};
  }

  // Everything the host wrote: its output, `show --json`, and the run store's bytes.
  std::string everything_written(const CliResult& r) const {
    std::string all = r.out + r.err;
    all += run_cli("show --pipeline p --date " + kConnectorDate + " --json --state state.db", dir).out;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path))
      if (entry.path().filename().string().rfind("state.db", 0) == 0) all += read_file(entry.path());
    return all;
  }

  // Polls `done` (e.g. on the fake's log) until it holds or 60 s passed.
  template <class Pred>
  static bool wait_for(Pred done) { return eventually(done); }

  TempDir dir;
  FakeEngine fake;
  // Shell words for `env`: the secrets the host config names.
  std::string secrets_env;
};

}  // namespace jobhost::test
