// Helpers for the connectors/common tests: a connection with fast retries, error capture,
// scripted replies and a server that never answers.
#pragma once

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "connectors/fake_host.hpp"
#include "connectors/loopback_server.hpp"
#include "jobhost_connectors/auth.hpp"
#include "jobhost_connectors/connection.hpp"
#include "jobhost_connectors/rest_client.hpp"

namespace jobhost::test::connector_common {

namespace json = boost::json;
using namespace jobhost::connectors;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Contains "S3cr3t", like every secret in these tests, so one grep finds any leak.
inline constexpr const char* kPassword = "pw-S3cr3t-4711";

// A connection "fc" of type "fake" at `url` with fast retries; `extra` overrides.
inline Connection make_connection(FakeHost& host, const std::string& url, json::object extra = {}) {
  json::object t{{"name", "fc"}, {"type", "fake"}, {"url", url}, {"retry_backoff", "1ms"},
                 {"retry_backoff_max", "5ms"}, {"timeout", "5s"}};
  for (auto& [k, v] : extra) t[k] = v;
  return Connection(host.host(), host.ctx(), t);
}

template <class F>
ApiError api_error(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  FAIL("no ApiError was thrown");
  throw std::logic_error("unreachable");
}

template <class F>
std::string fatal_message(F&& f) {
  try {
    f();
  } catch (const FatalError& e) {
    return e.what();
  }
  FAIL("no FatalError was thrown");
  return "";
}

inline ServerResponse reply(int status, std::string body = "{}",
                            std::vector<std::pair<std::string, std::string>> headers = {}) {
  return ServerResponse{status, std::move(body), std::move(headers)};
}

inline Call call_of(std::string method, std::string path, std::string what = {}) {
  Call c;
  c.method = std::move(method);
  c.path = std::move(path);
  c.what = std::move(what);
  return c;
}

inline double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A listening socket that is never accepted: the TCP handshake completes, no answer comes.
struct SilentServer {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor{ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()); }
};

}  // namespace jobhost::test::connector_common
