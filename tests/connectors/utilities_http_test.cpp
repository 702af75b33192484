#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "loopback_server.hpp"
#include "support.hpp"

using namespace jobhost;
using jobhost::test::LoopbackServer;
using jobhost::test::run_job;
using jobhost::test::ServerRequest;
using jobhost::test::ServerResponse;
using jobhost::test::read_file;
using jobhost::test::TempDir;

namespace {
// Answers "/status/<code>" with that code, anything else with 200.
ServerResponse by_path(const ServerRequest& r) {
  if (r.target.rfind("/status/", 0) == 0) return {std::stoi(r.target.substr(8)), "status body", {}};
  return {200, "hello " + r.method + " " + r.body, {}};
}
}  // namespace

TEST_CASE("utilities.http: GET with secret and env headers, body written to output_file", "[http_job]") {
  ::setenv("JOBHOST_SECRET_HTTP_TEST_TOKEN", "Bearer s3cr3t-value", 1);
  ::setenv("JH_HTTP_TEST_TENANT", "acme", 1);
  TempDir dir;
  LoopbackServer server(by_path);
  std::string log;
  auto out = dir.str("out/response.txt");
  auto r = run_job("utilities.http",
                   "url = '" + server.url("/data?key=hidden") + "'\noutput_file = '" + out +
                       "'\nheaders = { Authorization = 'secret:http_test_token', X-Tenant = 'env:JH_HTTP_TEST_TENANT', "
                       "Accept = 'text/plain' }",
                   &log);
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(read_file(out) == "hello GET ");
  CHECK(r.outputs.at("status_code") == "200");
  CHECK(r.outputs.at("output_file") == out);
  CHECK(r.metrics.at("status_code") == 200);
  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].headers.at("authorization") == "Bearer s3cr3t-value");
  CHECK(seen[0].headers.at("x-tenant") == "acme");
  CHECK(seen[0].headers.at("accept") == "text/plain");
  // Neither header values nor the query string reach the log.
  CHECK(log.find("s3cr3t") == std::string::npos);
  CHECK(log.find("acme") == std::string::npos);
  CHECK(log.find("hidden") == std::string::npos);
  CHECK_THAT(log, Catch::Contains("GET http://127.0.0.1:") && Catch::Contains("/data -> 200"));
}

TEST_CASE("utilities.http: POST sends body or body_file", "[http_job]") {
  TempDir dir;
  LoopbackServer server(by_path, 2);
  auto r = run_job("utilities.http", "url = '" + server.url() + "'\nmethod = 'post'\nbody = '{\"a\":1}'");
  REQUIRE(r.status == JH_STATUS_OK);
  std::ofstream(dir.str("payload.json")) << "from file";
  r = run_job("utilities.http", "url = '" + server.url() + "'\nmethod = 'PUT'\nbody_file = '" + dir.str("payload.json") + "'");
  REQUIRE(r.status == JH_STATUS_OK);
  auto seen = server.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].body == "{\"a\":1}");
  CHECK(seen[1].method == "PUT");
  CHECK(seen[1].body == "from file");
}

TEST_CASE("utilities.http: status codes map onto retryable and fatal failures", "[http_job]") {
  TempDir dir;
  LoopbackServer server(by_path, 7);
  auto out = dir.str("out.txt");
  auto status_of = [&](int code, const std::string& extra = "") {
    return run_job("utilities.http",
                   "url = '" + server.url("/status/" + std::to_string(code)) + "'\noutput_file = '" + out + "'\n" + extra);
  };
  auto r = status_of(500);
  CHECK(r.status == JH_STATUS_RETRY);
  CHECK_THAT(r.error, Catch::Contains("answered 500") && Catch::Contains("expected 200-299") &&
                          Catch::Contains("status body"));
  CHECK(status_of(503).status == JH_STATUS_RETRY);
  CHECK(status_of(429).status == JH_STATUS_RETRY);
  CHECK(status_of(408).status == JH_STATUS_RETRY);
  CHECK(status_of(404).status == JH_STATUS_FATAL);
  CHECK(status_of(401).status == JH_STATUS_FATAL);
  CHECK_FALSE(std::filesystem::exists(out));
  r = status_of(404, "expected_status = [200, 404]");
  CHECK(r.status == JH_STATUS_OK);
  CHECK(read_file(out) == "status body");
}

TEST_CASE("utilities.http: connection failures are retryable", "[http_job]") {
  uint16_t port;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  auto r = run_job("utilities.http", "url = 'http://127.0.0.1:" + std::to_string(port) + "/'");
  CHECK(r.status == JH_STATUS_RETRY);
  CHECK_THAT(r.error, Catch::Contains("cannot connect"));

  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor silent(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  r = run_job("utilities.http",
              "url = 'http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/'\ntimeout = '100ms'");
  CHECK(r.status == JH_STATUS_RETRY);
  CHECK_THAT(r.error, Catch::Contains("within 100 ms"));
}

TEST_CASE("utilities.http: https rejects a self-signed certificate unless insecure_skip_verify", "[http_job][tls]") {
  auto identity = jobhost::test::make_self_signed_identity("IP:127.0.0.1");
  LoopbackServer server(by_path, 2, &identity);
  auto r = run_job("utilities.http", "url = '" + server.url() + "'");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK_THAT(r.error, Catch::Contains("certificate") && Catch::Contains("rejected"));
  std::string log;
  r = run_job("utilities.http", "url = '" + server.url() + "'\ninsecure_skip_verify = true", &log);
  CHECK(r.status == JH_STATUS_OK);
  CHECK_THAT(log, Catch::Contains("insecure_skip_verify is set"));
}

TEST_CASE("utilities.http: config mistakes are fatal and name the key", "[http_job]") {
  ::unsetenv("JOBHOST_SECRET_HTTP_TEST_ABSENT");
  auto expect_fatal = [](const std::string& cfg, const std::string& needle) {
    auto r = run_job("utilities.http", cfg);
    CHECK(r.status == JH_STATUS_FATAL);
    CHECK_THAT(r.error, Catch::Contains(needle));
    return r.error;
  };
  expect_fatal("", "missing required key 'url'");
  expect_fatal("url = 'ftp://example.com/'", "config: 'url': unsupported URL scheme 'ftp'");
  auto err = expect_fatal("url = 'http://127.0.0.1:1/'\nheaders = { Authorization = 'Bearer literal-token' }",
                          "header 'Authorization' carries credentials");
  CHECK(err.find("literal-token") == std::string::npos);
  expect_fatal("url = 'http://127.0.0.1:1/'\nheaders = { Authorization = 'secret:http_test_absent' }",
               "secret 'http_test_absent' is not available");
  expect_fatal("url = 'http://127.0.0.1:1/'\nheaders = { X-A = 'env:JH_HTTP_TEST_UNSET_VAR' }",
               "environment variable 'JH_HTTP_TEST_UNSET_VAR' is not set");
  expect_fatal("url = 'http://127.0.0.1:1/'\nheaders = { X-A = 1 }", "'headers.X-A' must be a string");
  expect_fatal("url = 'http://127.0.0.1:1/'\nbody = 'x'\nbody_file = 'y'", "at most one of 'body' and 'body_file'");
  expect_fatal("url = 'http://127.0.0.1:1/'\nbody_file = '/no/such/file'", "'body_file': cannot read");
  expect_fatal("url = 'http://127.0.0.1:1/'\nexpected_status = 'ok'", "'expected_status' must be an integer");
  expect_fatal("url = 'http://127.0.0.1:1/'\nexpected_status = [200, 1000]", "invalid status code 1000");
  expect_fatal("url = 'http://127.0.0.1:1/'\ntimeout = 'soon'", "'timeout' must be a duration");
}
