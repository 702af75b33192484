// A DaemonHttp on 127.0.0.1:<free port> over a FakeDaemon and a store filled by real runs;
// every answer is logged, to be checked against docs/serve-openapi.json.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "fake_daemon.hpp"
#include "http_test_client.hpp"
#include "serve/daemon_http.hpp"
#include "serve_fixture.hpp"
#include "support.hpp"

namespace jobhost::test {

struct ServeHarness {
  explicit ServeHarness(std::string token = "")
      : token(std::move(token)),
        store(fill_store(dir.str())),
        daemon(store.path, fake_pipelines()),
        http(daemon, options(this->token)) {
    http.start();
  }

  static serve::HttpServerOptions options(const std::string& token) {
    serve::HttpServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.token = token;
    return o;
  }

  uint16_t port() const { return http.port(); }

  // With the token when one is set (unless `headers` has an Authorization of its own).
  Headers with_auth(Headers headers) const {
    bool has = false;
    for (auto& [k, v] : headers) has = has || k == "Authorization";
    if (!token.empty() && !has) headers.emplace_back("Authorization", "Bearer " + token);
    return headers;
  }
  TestResponse get(const std::string& target, const Headers& headers = {}) {
    return http_request(port(), "GET", target, "", with_auth(headers), &log);
  }
  TestResponse post(const std::string& target, const std::string& body = "",
                    const Headers& headers = {}) {
    return http_request(port(), "POST", target, body, with_auth(headers), &log);
  }
  TestResponse send(const std::string& method, const std::string& target,
                    const std::string& body = "", const Headers& headers = {}) {
    return http_request(port(), method, target, body, with_auth(headers), &log);
  }

  // Every answer so far is documented and matches its schema.
  void check_openapi(bool require_all_operations = false) {
    std::string report;
    const bool ok = log.check(dir.str(), report, require_all_operations);
    INFO(report);
    CHECK(ok);
  }

  TempDir dir;
  std::string token;
  FilledStore store;
  FakeDaemon daemon;
  serve::DaemonHttp http;
  AnswerLog log;
};

}  // namespace jobhost::test
