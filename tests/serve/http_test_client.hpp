// A blocking HTTP/1.1 client for the serve tests: keep-alive connections, raw bytes for
// malformed requests, and a log of every answer that is checked against the OpenAPI document.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace jobhost::test {

struct TestResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// Every answer the tests got, to check against docs/serve-openapi.json with openapi_check.py.
class AnswerLog {
 public:
  void add(const std::string& method, const std::string& target, const TestResponse& r);
  size_t size() const;
  // Writes the answers to `dir`/answers.jsonl and runs the checker; true when it passes.
  // `output` receives the checker's report.
  bool check(const std::string& dir, std::string& output,
             bool require_all_operations = false) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One TCP connection to 127.0.0.1:port; requests on it reuse it (keep-alive).
class TestConnection {
 public:
  explicit TestConnection(uint16_t port, AnswerLog* log = nullptr);
  ~TestConnection();
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  // Sends a request (Host: 127.0.0.1:port unless `headers` has one) and reads the answer.
  // Throws std::runtime_error when the connection fails or closes.
  TestResponse request(const std::string& method, const std::string& target,
                       const std::string& body = "", const Headers& headers = {});
  // Writes bytes as they are.
  void send_raw(const std::string& bytes);
  // Reads one response after send_raw (`head`: to a HEAD request, so without a body).
  TestResponse read_response(bool head = false);
  // True when the server closed the connection within `wait` (reads nothing else).
  bool closed_by_server(std::chrono::milliseconds wait);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
TestResponse http_request(uint16_t port, const std::string& method, const std::string& target,
                          const std::string& body = "", const Headers& headers = {},
                          AnswerLog* log = nullptr);

}  // namespace jobhost::test
