// Test helpers: a loaded plugin registry over the build's plugins, and one-call job runs.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include <toml++/toml.h>

#include "exec/attempt.hpp"
#include "plugins/plugin_registry.hpp"

namespace jobhost::test {

// The plugins built in this tree (build/lib/jobhost/plugins), loaded once per process.
inline const PluginRegistry& built_plugins() {
  static PluginRegistry* reg = [] {
    auto* r = new PluginRegistry();
    r->load_path(JOBHOST_TEST_PLUGIN_DIR);
    return r;
  }();
  return *reg;
}

// Runs job type `type` with a TOML [config] body; each log line goes to `log_sink` (on the
// job's thread) when given.
inline AttemptResult run_job_logged(const std::string& type, const std::string& config_toml,
                                    jh_job_ctx::LogSink log_sink,
                                    const std::atomic<bool>* cancel = nullptr) {
  auto* ref = built_plugins().find(type);
  if (!ref) throw std::runtime_error("job type not built: " + type);
  toml::table config = toml::parse(config_toml);
  AttemptInput in;
  in.run_id = "test-run";
  in.pipeline = "test";
  in.job_name = "job";
  in.logical_date = "2026-11-28";
  in.config = &config;
  in.cancel = cancel;
  in.log = std::move(log_sink);
  return run_attempt(*ref, in);
}

// The same; the log is appended to `log`, a line each, when given.
inline AttemptResult run_job(const std::string& type, const std::string& config_toml,
                             std::string* log = nullptr, const std::atomic<bool>* cancel = nullptr) {
  jh_job_ctx::LogSink sink;
  if (log) sink = [log](jh_log_level, std::string_view line) { *log += std::string(line) + "\n"; };
  return run_job_logged(type, config_toml, std::move(sink), cancel);
}

// Whole-file helpers for test inputs and outputs (binary: bytes as written).
inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// The file's bytes; "" when it does not exist.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream os;
  os << f.rdbuf();
  return os.str();
}

// The file's non-empty lines, counted (order does not matter): what concurrent jobs appended.
inline std::multiset<std::string> lines_of(const std::filesystem::path& path) {
  std::multiset<std::string> out;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.insert(line);
  return out;
}

// A fresh directory under the system temp folder, removed at scope exit.
// The complete lines of `s` (a last line without '\n' is left out).
inline std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::string line;
  for (char c : s) {
    if (c != '\n') {
      line += c;
    } else {
      out.push_back(line);
      line.clear();
    }
  }
  return out;
}

// Polls `check` (every 20 ms) until it holds or `limit` passes; for state another process
// changes on its own clock (a daemon, a fake engine). The last answer of `check`.
inline bool eventually(const std::function<bool()>& check,
                       std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return check();
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "jobhost-test-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string str(const std::string& name = "") const { return (path / name).string(); }
};

}  // namespace jobhost::test
