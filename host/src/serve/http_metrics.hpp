// The HTTP server's own Prometheus metrics: requests by method, route and status code, and a
// latency histogram by route. Labels use route templates, never raw paths, so a client cannot
// grow the series without bound.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace jobhost::serve {

class HttpMetrics {
 public:
  HttpMetrics();
  // Records one answered request. `route`: the template that answered, "" when none did.
  // [thread-safe]
  void record(std::string_view method, std::string_view route, int status,
              std::chrono::nanoseconds elapsed);
  // Connections open now: the server adds 1 on accept and -1 on close. [thread-safe]
  void connection_delta(int delta);
  // Prometheus text format 0.0.4 (# HELP, # TYPE, samples). [thread-safe]
  std::string text() const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // per upper bound in kBounds (not cumulative)
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;  // method, route, code
  std::map<std::pair<std::string, std::string>, Histogram> latency_;        // method, route
  int64_t connections_ = 0;
};

}  // namespace jobhost::serve
