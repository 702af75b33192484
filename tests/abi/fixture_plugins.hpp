// Helpers for tests/abi: fixture plugins copied into a private folder per test, so each test
// owns the folder it loads from (and may chmod it) while others run in parallel.
#pragma once

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <toml++/toml.h>

#include "exec/attempt.hpp"
#include "isolation/process_attempt.hpp"
#include "plugins/plugin_registry.hpp"
#include "support.hpp"

namespace jobhost::test {

// The built fixture <name>.so (tests/fixtures, built into the build tree's fixture folder).
inline std::filesystem::path fixture_file(const std::string& name) {
  return std::filesystem::path(JOBHOST_FIXTURE_PLUGIN_DIR) / (name + ".so");
}

// Copies fixtures into `dir` with mode 0755 (the build tree's umask must not matter).
inline void add_fixtures(const std::filesystem::path& dir, std::initializer_list<std::string> names) {
  for (auto& n : names) {
    auto to = dir / (n + ".so");
    std::filesystem::copy_file(fixture_file(n), to, std::filesystem::copy_options::overwrite_existing);
    ::chmod(to.c_str(), 0755);
  }
  ::chmod(dir.c_str(), 0755);
}

// Runs `type` once with a TOML config; log lines go to `log` as "<level> <line>\n". With
// JOBHOST_TEST_ISOLATION=process the attempt runs in a worker process: ctest runs the plugin
// suites both ways, and a plugin must not be able to tell the difference.
inline AttemptResult run_type(const JobTypeRef& type, const std::string& config_toml = "",
                              std::string* log = nullptr,
                              const std::atomic<bool>* cancel = nullptr,
                              jh_job_ctx::InputLookup inputs = nullptr) {
  toml::table config = toml::parse(config_toml);
  AttemptInput in;
  in.run_id = "run-7";
  in.pipeline = "abi";
  in.job_name = "job";
  in.logical_date = "2026-11-28";
  in.attempt = 2;
  in.max_attempts = 3;
  in.config = &config;
  in.cancel = cancel;
  in.inputs = std::move(inputs);
  if (log)
    in.log = [log](jh_log_level level, std::string_view line) {
      *log += std::to_string(level) + " " + std::string(line) + "\n";
    };
  const char* mode = std::getenv("JOBHOST_TEST_ISOLATION");
  if (mode && std::string_view(mode) == "process")
    return isolation::run_in_worker(type, in, isolation::EntryPoint::run, {}, {});
  return run_attempt(type, in);
}

// Output of a shell command (stdout), and its exit status.
struct CommandResult {
  int exit_code = -1;
  std::string out;
};
inline CommandResult run_command(const std::string& cmd) {
  CommandResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

}  // namespace jobhost::test
