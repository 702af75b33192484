#include "http_test_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "support.hpp"

namespace jobhost::test {
namespace {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void set_receive_timeout(tcp::socket& s, std::chrono::milliseconds wait) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(wait.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>(wait.count() % 1000 * 1000);
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

}  // namespace

void AnswerLog::add(const std::string& method, const std::string& target, const TestResponse& r) {
  boost::json::object headers;
  for (auto& [k, v] : r.headers) headers[k] = v;
  boost::json::object line{{"method", method},
                           {"path", target.substr(0, target.find('?'))},
                           {"status", r.status},
                           {"content_type", r.header("content-type")},
                           {"headers", std::move(headers)},
                           {"body", r.body}};
  std::lock_guard lock(mu_);
  lines_.push_back(boost::json::serialize(line));
}

size_t AnswerLog::size() const {
  std::lock_guard lock(mu_);
  return lines_.size();
}

bool AnswerLog::check(const std::string& dir, std::string& output, bool require_all) const {
  const std::string file = dir + "/answers.jsonl", report = dir + "/openapi-check.txt";
  {
    std::ofstream out(file, std::ios::binary);
    std::lock_guard lock(mu_);
    for (auto& l : lines_) out << l << "\n";
  }
  const std::string cmd =
      "/usr/bin/python3 '" JOBHOST_SOURCE_DIR "/tests/serve/openapi_check.py' '" JOBHOST_SOURCE_DIR
      "/docs/serve-openapi.json' '" +
      file + "'" + (require_all ? " --require-all-operations" : "") + " > '" + report + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  output = read_file(report);
  return rc == 0;
}

struct TestConnection::Impl {
  asio::io_context ioc;
  tcp::socket socket{ioc};
  boost::beast::flat_buffer buffer;
  uint16_t port = 0;
  AnswerLog* log = nullptr;
};

TestConnection::TestConnection(uint16_t port, AnswerLog* log) : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->log = log;
  impl_->socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  set_receive_timeout(impl_->socket, std::chrono::seconds(20));  // never hang a test
}

TestConnection::~TestConnection() = default;

TestResponse TestConnection::request(const std::string& method, const std::string& target,
                                     const std::string& body, const Headers& headers) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  bool has_host = false;
  for (auto& [k, v] : headers) {
    req.insert(k, v);
    has_host = has_host || lower(k) == "host";
  }
  if (!has_host) req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(impl_->port));
  if (!body.empty() || method == "POST") {
    req.body() = body;
    req.prepare_payload();
  }
  bhttp::write(impl_->socket, req);
  TestResponse r = read_response(method == "HEAD");
  if (impl_->log) impl_->log->add(method, target, r);
  return r;
}

void TestConnection::send_raw(const std::string& bytes) {
  asio::write(impl_->socket, asio::buffer(bytes));
}

TestResponse TestConnection::read_response(bool head) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 << 20);
  parser.skip(head);  // the answer to HEAD has a Content-Length but no body
  bhttp::read(impl_->socket, impl_->buffer, parser);
  auto res = parser.release();
  TestResponse r;
  r.status = static_cast<int>(res.result_int());
  for (auto& f : res) r.headers[lower(std::string(f.name_string()))] = std::string(f.value());
  r.body = std::move(res.body());
  return r;
}

bool TestConnection::closed_by_server(std::chrono::milliseconds wait) {
  set_receive_timeout(impl_->socket, wait);
  char c;
  boost::system::error_code ec;
  size_t n = impl_->socket.read_some(asio::buffer(&c, 1), ec);
  set_receive_timeout(impl_->socket, std::chrono::seconds(20));
  return n == 0 && (ec == asio::error::eof || ec == asio::error::connection_reset);
}

TestResponse http_request(uint16_t port, const std::string& method, const std::string& target,
                          const std::string& body, const Headers& headers, AnswerLog* log) {
  TestConnection c(port, log);
  return c.request(method, target, body, headers);
}

}  // namespace jobhost::test
