#include <catch2/catch.hpp>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <fstream>

#include "http_client.hpp"
#include "loopback_server.hpp"
#include "support.hpp"

using namespace jobhost;
using jobhost::test::LoopbackServer;
using jobhost::test::ServerRequest;
using jobhost::test::ServerResponse;
using Kind = http::HttpError::Kind;

namespace {
// The kind of HttpError `fn` throws; fails the test when it does not throw one.
template <class Fn>
Kind error_kind(Fn&& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const http::HttpError& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  FAIL("no HttpError thrown");
  return Kind::kProtocol;
}
}  // namespace

TEST_CASE("http client: URLs are parsed and redacted for logs", "[http]") {
  auto u = http::Url::parse("https://example.com:8443/a/b?token=x#frag");
  CHECK(u.https);
  CHECK(u.host == "example.com");
  CHECK(u.port == 8443);
  CHECK(u.target == "/a/b?token=x");
  CHECK(u.redacted() == "https://example.com:8443/a/b");
  auto v = http::Url::parse("http://[::1]?q=1");
  CHECK(v.host == "::1");
  CHECK(v.port == 80);
  CHECK(v.target == "/?q=1");
  CHECK(v.redacted() == "http://[::1]/");
  CHECK(error_kind([] { http::Url::parse("ftp://x/"); }) == Kind::kInvalidUrl);
  CHECK(error_kind([] { http::Url::parse("http://x:99999/"); }) == Kind::kInvalidUrl);
  CHECK(error_kind([] { http::Url::parse("example.com/path"); }) == Kind::kInvalidUrl);
  std::string msg;
  CHECK(error_kind([] { http::Url::parse("https://user:hunter2@example.com/"); }, &msg) == Kind::kInvalidUrl);
  CHECK(msg.find("hunter2") == std::string::npos);
}

TEST_CASE("http client: sends method, headers and body, returns status, headers and body", "[http]") {
  LoopbackServer server([](const ServerRequest& r) {
    return ServerResponse{201, "echo:" + r.body, {{"X-Reply", "yes"}}};
  });
  auto res = http::request("POST", server.url("/items?x=1"), {{"X-Custom", "abc"}}, "payload");
  CHECK(res.status == 201);
  CHECK(res.body == "echo:payload");
  CHECK(res.header("x-reply") == "yes");
  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].target == "/items?x=1");
  CHECK(seen[0].headers.at("x-custom") == "abc");
  CHECK(seen[0].headers.at("host") == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(seen[0].headers.at("content-length") == "7");
}

TEST_CASE("http client: 4xx and 5xx are responses, not errors", "[http]") {
  LoopbackServer server([](const ServerRequest&) { return ServerResponse{503, "busy", {}}; });
  auto res = http::request("GET", server.url());
  CHECK(res.status == 503);
  CHECK(res.body == "busy");
}

TEST_CASE("http client: header injection is refused", "[http]") {
  CHECK(error_kind([] { http::request("GET", "http://127.0.0.1:1/", {{"X-A", "v\r\nX-B: injected"}}); }) ==
        Kind::kInvalidUrl);
}

TEST_CASE("http client: connection refused is a connect error", "[http]") {
  uint16_t port;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }  // closed: nothing listens there now
  CHECK(error_kind([&] { http::request("GET", "http://127.0.0.1:" + std::to_string(port) + "/"); }) ==
        Kind::kConnect);
}

TEST_CASE("http client: a server that never answers hits the timeout", "[http]") {
  // A listening socket that is never accepted: the kernel completes the TCP handshake, no
  // HTTP response ever comes.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor silent(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/";
  auto start = std::chrono::steady_clock::now();
  CHECK(error_kind([&] { http::request("GET", url, {}, {}, std::chrono::milliseconds(200)); }) == Kind::kTimeout);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("http client: the cancellation predicate aborts a pending request", "[http]") {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor silent(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  http::Request req;
  req.url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/";
  req.timeout = std::chrono::seconds(60);
  int polls = 0;
  req.cancelled = [&] { return ++polls >= 3; };
  auto start = std::chrono::steady_clock::now();
  CHECK(error_kind([&] { http::Client().send(req); }) == Kind::kCancelled);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("http client: response bodies over the limit are refused", "[http]") {
  LoopbackServer server([](const ServerRequest&) { return ServerResponse{200, std::string(4096, 'x'), {}}; });
  http::ClientOptions opt;
  opt.max_body_bytes = 1024;
  CHECK(error_kind([&] { http::request("GET", server.url(), {}, {}, std::chrono::seconds(10), opt); }) ==
        Kind::kTooLarge);
}

TEST_CASE("http client: https verifies certificates unless told not to", "[http][tls]") {
  auto identity = jobhost::test::make_self_signed_identity("DNS:localhost,IP:127.0.0.1");
  auto ok = [](const ServerRequest&) { return ServerResponse{200, "secure", {}}; };

  SECTION("a self-signed certificate is rejected by default") {
    LoopbackServer server(ok, 1, &identity);
    std::string msg;
    CHECK(error_kind([&] { http::request("GET", server.url()); }, &msg) == Kind::kTls);
    CHECK_THAT(msg, Catch::Contains("self-signed") || Catch::Contains("self signed"));
    CHECK(server.requests().empty());
  }
  SECTION("insecure_skip_verify accepts it") {
    LoopbackServer server(ok, 1, &identity);
    http::ClientOptions opt;
    opt.insecure_skip_verify = true;
    auto res = http::request("GET", server.url(), {}, {}, std::chrono::seconds(10), opt);
    CHECK(res.status == 200);
    CHECK(res.body == "secure");
  }
  SECTION("a trusted CA file and a matching host name verify") {
    jobhost::test::TempDir dir;
    std::ofstream(dir.str("ca.pem")) << identity.cert_pem;
    LoopbackServer server(ok, 1, &identity);
    http::ClientOptions opt;
    opt.ca_file = dir.str("ca.pem");
    CHECK(http::request("GET", server.url(), {}, {}, std::chrono::seconds(10), opt).status == 200);
  }
  SECTION("a trusted certificate for another host name is rejected") {
    auto other = jobhost::test::make_self_signed_identity("DNS:localhost");
    jobhost::test::TempDir dir;
    std::ofstream(dir.str("ca.pem")) << other.cert_pem;
    LoopbackServer server(ok, 1, &other);
    http::ClientOptions opt;
    opt.ca_file = dir.str("ca.pem");
    std::string msg;
    CHECK(error_kind([&] { http::request("GET", server.url(), {}, {}, std::chrono::seconds(10), opt); }, &msg) ==
          Kind::kTls);
    CHECK_THAT(msg, Catch::Contains("does not match host name"));
  }
}
