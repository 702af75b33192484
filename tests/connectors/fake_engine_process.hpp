// Starts one of the fake engines (tests/connectors/fake_engines/fake_engine.py) on 127.0.0.1
// at a free port, for the duration of a test, and talks to its control API:
//   POST /_fake/control  {reset, targets{...}, runs{...}, faults[...], expire_tokens}
//   GET  /_fake/log      requests, starts per target, runs, violations of the spec
// The server validates every request and response against the vendored OpenAPI documents.
// kill() and restart() stand for a server that disappears and comes back on the same port.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "support.hpp"

namespace jobhost::test {

class FakeEngine {
 public:
  // engine: airflow | databricks | adf | prefect. extra: more command-line flags ("--no-auth";
  // "--state-file", PATH to keep the server's state across a restart()).
  FakeEngine(const std::string& engine, const TempDir& dir, std::vector<std::string> extra = {})
      : engine_(engine), extra_(std::move(extra)) {
    port_file_ = dir.str(".fake-" + engine + ".port");
    log_ = dir.str(".fake-" + engine + ".log");
    launch(extra_, "w");
  }
  FakeEngine(const FakeEngine&) = delete;
  FakeEngine& operator=(const FakeEngine&) = delete;
  ~FakeEngine() { stop(); }

  void stop() { end(SIGTERM); }
  // The server vanishes at once (SIGKILL): connections are refused until restart().
  void kill() { end(SIGKILL); }
  // Starts the server again on the same port with the same flags (a lost server coming back;
  // with --state-file it continues where it was).
  void restart() {
    end(SIGKILL);
    std::vector<std::string> flags = extra_;
    flags.insert(flags.end(), {"--port", std::to_string(port_)});
    launch(flags, "a");  // the log goes on
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // POST /_fake/control with `body` (a JSON object).
  void control(const boost::json::value& body) const {
    auto r = http::request("POST", url() + "/_fake/control", {{"Content-Type", "application/json"}},
                           boost::json::serialize(body));
    if (r.status != 200) throw std::runtime_error("fake control failed: " + r.body);
  }
  void control(const std::string& json_text) const { control(boost::json::parse(json_text)); }

  // GET /_fake/log as a JSON object.
  boost::json::object log() const {
    auto r = http::request("GET", url() + "/_fake/log");
    if (r.status != 200) throw std::runtime_error("fake log failed: " + r.body);
    return boost::json::parse(r.body).as_object();
  }
  // How many runs of `target` were started (accepted start requests).
  int64_t starts(const std::string& target) const {
    auto doc = log();
    auto* s = doc.at("starts").as_object().if_contains(target);
    return s ? s->to_number<int64_t>() : 0;
  }
  // Requests the spec did not allow (should be empty).
  boost::json::array violations() const { return log().at("violations").as_array(); }

 private:
  void end(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }

  // Runs fake_engine.py with `flags` and waits until it listens; its stderr goes to the log
  // file, opened with `log_mode`.
  void launch(std::vector<std::string> flags, const char* log_mode) {
    std::filesystem::remove(port_file_);
    std::vector<std::string> argv{"/usr/bin/python3", JOBHOST_FAKE_ENGINES_DIR "/fake_engine.py", engine_,
                                  "--port-file", port_file_};
    argv.insert(argv.end(), flags.begin(), flags.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
      FILE* f = std::freopen(log_.c_str(), log_mode, stderr);
      (void)f;
      ::execv(cargv[0], cargv.data());
      ::_exit(127);
    }
    // The server writes the port file (atomically) once it listens.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!std::filesystem::exists(port_file_)) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("fake " + engine_ + " exited: " + read_file(log_));
      }
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("fake " + engine_ + " did not start: " + read_file(log_));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    port_ = std::stoi(read_file(port_file_));
  }

  std::string engine_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string port_file_, log_;
};

}  // namespace jobhost::test
