// `jobhost serve` as a child process of a test: pipelines from <dir>/pl, store <dir>/s.db, an
// HTTP port picked by the daemon (--port-file); ready once the port is known and the daemon
// said so. get/post speak to its API; stop() sends SIGTERM and returns the exit status.
#pragma once

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>

#include "http_client.hpp"
#include "reliability/child_process.hpp"
#include "support.hpp"

namespace jobhost::test {

struct LiveDaemon {
  explicit LiveDaemon(const TempDir& dir)
      : child(dir.str(), {"serve", "--pipelines", "pl", "--state", "s.db", "--listen", "127.0.0.1:0",
                          "--port-file", "port", "--drain-grace", "1s"},
              dir.str("serve.out"), dir.str("serve.err")) {
    REQUIRE(eventually([&] { return std::filesystem::exists(dir.str("port")) &&
                                    read_file(dir.str("serve.err")).find("serve: ready") != std::string::npos; }));
    base = "http://127.0.0.1:" + std::to_string(std::stoi(read_file(dir.str("port"))));
  }
  http::Response get(const std::string& path) const { return http::request("GET", base + path); }
  http::Response post(const std::string& path, const std::string& body) const {
    return http::request("POST", base + path, {{"Content-Type", "application/json"}}, body);
  }
  int stop() {
    child.kill(SIGTERM);
    int st = child.wait();
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  ChildProcess child;
  std::string base;
};

}  // namespace jobhost::test
