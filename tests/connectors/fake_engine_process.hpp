// Starts one of the fake engines (tests/connectors/fake_engines/fake_engine.py) on 127.0.0.1
// at a free port, for the duration of a test, and talks to its control API:
//   POST /_fake/control  {reset, targets{...}, faults[...], expire_tokens}
//   GET  /_fake/log      requests, starts per target, runs, violations of the spec
// The server validates every request and response against the vendored OpenAPI documents.
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
  // engine: airflow | databricks | adf | prefect. `state_file` keeps the server's state across
  // a restart (optional); extra: more command-line flags ("--no-auth").
  FakeEngine(const std::string& engine, const TempDir& dir, std::vector<std::string> extra = {}) {
    port_file_ = dir.str(".fake-" + engine + ".port");
    std::filesystem::remove(port_file_);
    std::vector<std::string> argv{"/usr/bin/python3", JOBHOST_FAKE_ENGINES_DIR "/fake_engine.py", engine,
                                  "--port-file", port_file_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    const std::string log = dir.str(".fake-" + engine + ".log");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
      FILE* f = std::freopen(log.c_str(), "w", stderr);
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
        throw std::runtime_error("fake " + engine + " exited: " + read_file(log));
      }
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("fake " + engine + " did not start: " + read_file(log));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    port_ = std::stoi(read_file(port_file_));
  }
  FakeEngine(const FakeEngine&) = delete;
  FakeEngine& operator=(const FakeEngine&) = delete;
  ~FakeEngine() { stop(); }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
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
  pid_t pid_ = -1;
  int port_ = 0;
  std::string port_file_;
};

}  // namespace jobhost::test
