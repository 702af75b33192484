// The HTTP server itself (http_server.hpp) with small handlers: keep-alive, limits, timeouts,
// a graceful stop; and the listen and request rules (listen_address.hpp, request_guard.hpp).
#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "http_test_client.hpp"
#include "serve/daemon_http.hpp"
#include "serve/http_metrics.hpp"
#include "serve/http_server.hpp"
#include "serve/listen_address.hpp"
#include "serve/request_guard.hpp"

using namespace jobhost;
using namespace jobhost::test;
using namespace std::chrono_literals;

namespace {

serve::HttpServerOptions loopback() {
  serve::HttpServerOptions o;
  o.port = 0;
  return o;
}

serve::HttpResponse echo(const serve::HttpRequest& r) {
  serve::HttpResponse out;
  out.content_type = "text/plain";
  out.body = r.method + " " + r.path + "?" + r.query + " " + std::to_string(r.body.size());
  out.route = "/echo";
  return out;
}

}  // namespace

TEST_CASE("serve server: port 0 binds a free port, and keep-alive serves many requests",
          "[serve][server]") {
  serve::HttpMetrics metrics;
  serve::HttpServer server(loopback(), echo, &metrics);
  server.start();
  REQUIRE(server.port() != 0);
  TestConnection c(server.port());
  for (int i = 0; i < 20; ++i) {
    auto r = c.request("GET", "/a/b?x=" + std::to_string(i));
    REQUIRE(r.status == 200);
    CHECK(r.body == "GET /a/b?x=" + std::to_string(i) + " 0");
    CHECK(r.header("connection") != "close");
  }
  auto post = c.request("POST", "/p", std::string(1000, 'z'));
  CHECK(post.body == "POST /p? 1000");
  CHECK_THAT(metrics.text(),
             Catch::Contains(
                 "jobhost_http_requests_total{method=\"GET\",route=\"/echo\",code=\"200\"} 20\n"));
  CHECK_THAT(metrics.text(), Catch::Contains("jobhost_http_connections_open 1\n"));
  // HTTP/1.0 without keep-alive: one answer, then the server closes.
  TestConnection old(server.port());
  old.send_raw("GET /old HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  CHECK(old.read_response().status == 200);
  CHECK(old.closed_by_server(2s));
}

TEST_CASE("serve server: a second server on the same port fails to start, clearly",
          "[serve][server]") {
  serve::HttpServer first(loopback(), echo);
  first.start();
  auto o = loopback();
  o.port = first.port();
  serve::HttpServer second(o, echo);
  CHECK_THROWS_WITH(second.start(),
                    Catch::Contains("cannot listen on 127.0.0.1:" + std::to_string(first.port())) &&
                        Catch::Contains("in use"));
  CHECK(http_request(first.port(), "GET", "/still").status == 200);
}

TEST_CASE("serve server: oversized bodies and headers get 413 and 431 JSON, and serving goes on",
          "[serve][server][limits]") {
  auto o = loopback();
  o.body_limit = 1 << 20;
  serve::HttpServer server(o, echo);
  server.start();

  // Declared too large: refused from the header, before any body byte is read.
  TestConnection declared(server.port());
  declared.send_raw("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000000\r\n\r\n");
  auto r = declared.read_response();
  CHECK(r.status == 413);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.body == "{\"error\":\"request body larger than 1048576 bytes\"}");
  CHECK(declared.closed_by_server(2s));

  // Sent in full.
  auto big = http_request(server.port(), "POST", "/x", std::string((1 << 20) + 1, 'a'));
  CHECK(big.status == 413);
  CHECK(http_request(server.port(), "POST", "/x", std::string(1 << 20, 'a')).status == 200);

  // Chunked, growing past the limit.
  TestConnection chunked(server.port());
  chunked.send_raw("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string chunk(256 * 1024, 'c');
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  for (int i = 0; i < 5; ++i) chunked.send_raw(size + chunk + "\r\n");
  CHECK(chunked.read_response().status == 413);

  // A header over 16 KiB.
  TestConnection header(server.port());
  header.send_raw("GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(20000, 'h') +
                  "\r\n\r\n");
  auto h = header.read_response();
  CHECK(h.status == 431);
  CHECK_THAT(h.body, Catch::Contains("request header larger than"));

  // Not HTTP at all.
  TestConnection garbage(server.port());
  garbage.send_raw("HELLO THERE\r\n\r\n");
  auto g = garbage.read_response();
  CHECK(g.status == 400);
  CHECK_THAT(g.body, Catch::Contains("malformed request"));
  CHECK(garbage.closed_by_server(2s));

  CHECK(http_request(server.port(), "GET", "/after").status == 200);
}

TEST_CASE("serve server: Expect: 100-continue gets its interim answer", "[serve][server]") {
  serve::HttpServer server(loopback(), echo);
  server.start();
  TestConnection c(server.port());
  c.send_raw(
      "POST /up HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto cont = c.read_response();
  CHECK(cont.status == 100);
  c.send_raw("hello");
  auto r = c.read_response();
  CHECK(r.status == 200);
  CHECK(r.body == "POST /up? 5");
}

TEST_CASE("serve server: a client that stops sending is timed out", "[serve][server][limits]") {
  auto o = loopback();
  o.header_timeout = 300ms;
  o.body_timeout = 300ms;
  serve::HttpServer server(o, echo);
  server.start();
  TestConnection idle(server.port());
  CHECK(idle.closed_by_server(3s));
  TestConnection half(server.port());
  half.send_raw("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n");  // never finishes the header
  CHECK(half.closed_by_server(3s));
  TestConnection body(server.port());
  body.send_raw("POST /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nabc");
  CHECK(body.closed_by_server(3s));
  CHECK(http_request(server.port(), "GET", "/fine").status == 200);
}

TEST_CASE("serve server: a handler's exception is a 500 JSON error", "[serve][server]") {
  serve::HttpServer server(loopback(), [](const serve::HttpRequest&) -> serve::HttpResponse {
    throw std::runtime_error("boom");
  });
  server.start();
  auto r = http_request(server.port(), "GET", "/");
  CHECK(r.status == 500);
  CHECK(r.body == "{\"error\":\"internal error: boom\"}");
  CHECK(http_request(server.port(), "GET", "/").status == 500);
}

TEST_CASE("serve server: stop() finishes requests in progress and closes idle connections",
          "[serve][server][stop]") {
  std::atomic<bool> entered{false};
  auto slow = [&](const serve::HttpRequest& r) {
    if (r.path == "/slow") {
      entered = true;
      std::this_thread::sleep_for(400ms);
    }
    return echo(r);
  };
  serve::HttpServer server(loopback(), slow);
  server.start();
  const uint16_t port = server.port();
  TestConnection idle(port);
  CHECK(idle.request("GET", "/warm").status == 200);
  auto pending =
      std::async(std::launch::async, [port] { return http_request(port, "GET", "/slow"); });
  while (!entered) std::this_thread::sleep_for(5ms);
  const auto t0 = std::chrono::steady_clock::now();
  server.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
  auto r = pending.get();
  CHECK(r.status == 200);
  CHECK(r.header("connection") == "close");
  CHECK(idle.closed_by_server(2s));
  CHECK_THROWS(http_request(port, "GET", "/gone"));
  server.stop();  // idempotent
}

TEST_CASE("serve server: stop() gives up on a stuck request after the grace period",
          "[serve][server][stop]") {
  auto o = loopback();
  o.stop_grace = 200ms;
  o.body_timeout = 60s;
  serve::HttpServer server(o, echo);
  server.start();
  TestConnection stuck(server.port());
  stuck.send_raw("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nab");
  std::this_thread::sleep_for(100ms);
  const auto t0 = std::chrono::steady_clock::now();
  server.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
}

TEST_CASE("serve listen: a non-loopback address needs a token", "[serve][security]") {
  for (const char* ok :
       {"127.0.0.1", "127.3.2.1", "::1", "[::1]", "localhost", "LocalHost", "::ffff:127.0.0.1"}) {
    INFO(ok);
    CHECK_NOTHROW(serve::check_listen_security(ok, false));
  }
  for (const char* open : {"0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "jobs.example.com",
                           "::ffff:10.0.0.1", "128.0.0.1"}) {
    INFO(open);
    CHECK_THROWS_AS(serve::check_listen_security(open, false), serve::ListenError);
    CHECK_THROWS_WITH(
        serve::check_listen_security(open, false),
        Catch::Contains("api_token_secret") && Catch::Contains("without an API token"));
    CHECK_NOTHROW(serve::check_listen_security(open, true));
  }
  // The daemon's HTTP side checks it itself, before it binds anything.
  struct Nothing : serve::DaemonControl {
    std::vector<serve::PipelineStatus> pipelines() const override { return {}; }
    std::string trigger(const serve::TriggerRequest&) override { return ""; }
    bool cancel(const std::string&) override { return false; }
    std::string store_path() const override { return "/nonexistent/state.db"; }
    std::string metrics_text() const override { return ""; }
  } nothing;
  auto o = loopback();
  o.address = "0.0.0.0";
  CHECK_THROWS_AS(serve::DaemonHttp(nothing, o), serve::ListenError);
  o.token = "t";
  serve::DaemonHttp open(nothing, o);
  open.start();
  CHECK(http_request(open.port(), "GET", "/healthz", "", {{"Authorization", "Bearer t"}}).status ==
        200);
}

TEST_CASE("serve listen: ADDRESS:PORT", "[serve]") {
  auto a = serve::parse_listen_address("127.0.0.1:8080");
  CHECK(a.host == "127.0.0.1");
  CHECK(a.port == 8080);
  auto b = serve::parse_listen_address("[::1]:0");
  CHECK(b.host == "::1");
  CHECK(b.port == 0);
  CHECK(serve::parse_listen_address("localhost:65535").port == 65535);
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", ":80", "::1:80", "[::1]80", "[::1",
                          "host:65536", "host:8o", "host:-1"}) {
    INFO(bad);
    CHECK_THROWS_AS(serve::parse_listen_address(bad), serve::ListenError);
  }
}

TEST_CASE("serve guard: tokens, Host names and origins", "[serve][security]") {
  CHECK(serve::constant_time_equals("abc", "abc"));
  CHECK_FALSE(serve::constant_time_equals("abd", "abc"));
  CHECK_FALSE(serve::constant_time_equals("ab", "abc"));
  CHECK_FALSE(serve::constant_time_equals("abcd", "abc"));
  CHECK_FALSE(serve::constant_time_equals("", "abc"));
  CHECK(serve::bearer_token_matches(std::string("Bearer tok"), "tok"));
  CHECK(serve::bearer_token_matches(std::string("BEARER  tok "), "tok"));
  CHECK_FALSE(serve::bearer_token_matches(std::string("Bearer"), "tok"));
  CHECK_FALSE(serve::bearer_token_matches(std::string("Token tok"), "tok"));
  CHECK_FALSE(serve::bearer_token_matches(std::nullopt, "tok"));
  CHECK_FALSE(serve::bearer_token_matches(std::string("Bearer "), ""));  // no token: never

  CHECK(serve::is_loopback_host_header("127.0.0.1:8080"));
  CHECK(serve::is_loopback_host_header("localhost"));
  CHECK(serve::is_loopback_host_header("[::1]:80"));
  CHECK_FALSE(serve::is_loopback_host_header(""));
  CHECK_FALSE(serve::is_loopback_host_header("127.0.0.1.evil.example"));
  CHECK_FALSE(serve::is_loopback_host_header("localhost.evil.example:80"));

  CHECK(serve::same_origin(std::nullopt, "127.0.0.1:8080"));
  CHECK(serve::same_origin(std::string("http://127.0.0.1:8080"), "127.0.0.1:8080"));
  CHECK(serve::same_origin(std::string("http://LOCALHOST"), "localhost:80"));
  CHECK_FALSE(serve::same_origin(std::string("http://127.0.0.1:9999"), "127.0.0.1:8080"));
  CHECK_FALSE(serve::same_origin(std::string("null"), "127.0.0.1:8080"));
}
