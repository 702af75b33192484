#include "serve/http_metrics.hpp"

#include <array>
#include <cstdio>

namespace jobhost::serve {
namespace {

// Seconds. Tuned for a local API whose reads take about a millisecond.
constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

// Methods outside this set share one label value: a client cannot invent series.
std::string method_label(std::string_view method) {
  for (std::string_view m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    if (method == m) return std::string(m);
  return "other";
}

std::string escape_label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

HttpMetrics::HttpMetrics() = default;

void HttpMetrics::record(std::string_view method, std::string_view route, int status,
                         std::chrono::nanoseconds elapsed) {
  const std::string m = method_label(method);
  const std::string r = route.empty() ? "none" : std::string(route);
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::lock_guard lock(mu_);
  ++requests_[{m, r, status}];
  Histogram& h = latency_[{m, r}];
  if (h.buckets.empty()) h.buckets.assign(kBounds.size(), 0);
  for (size_t i = 0; i < kBounds.size(); ++i)
    if (seconds <= kBounds[i]) {
      ++h.buckets[i];
      break;
    }
  ++h.count;
  h.sum += seconds;
}

void HttpMetrics::connection_delta(int delta) {
  std::lock_guard lock(mu_);
  connections_ += delta;
}

std::string HttpMetrics::text() const {
  std::lock_guard lock(mu_);
  std::string out;
  out +=
      "# HELP jobhost_http_requests_total HTTP requests answered, by method, route and status.\n";
  out += "# TYPE jobhost_http_requests_total counter\n";
  for (auto& [key, n] : requests_) {
    auto& [method, route, code] = key;
    out += "jobhost_http_requests_total{method=\"" + escape_label(method) + "\",route=\"" +
           escape_label(route) + "\",code=\"" + std::to_string(code) + "\"} " + std::to_string(n) +
           "\n";
  }
  out +=
      "# HELP jobhost_http_request_duration_seconds Time from a request's header to its "
      "response written, by method and route.\n";
  out += "# TYPE jobhost_http_request_duration_seconds histogram\n";
  for (auto& [key, h] : latency_) {
    const std::string labels =
        "method=\"" + escape_label(key.first) + "\",route=\"" + escape_label(key.second) + "\"";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBounds.size(); ++i) {
      cumulative += h.buckets[i];
      out += "jobhost_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
             number(kBounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "jobhost_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    out += "jobhost_http_request_duration_seconds_sum{" + labels + "} " + number(h.sum) + "\n";
    out += "jobhost_http_request_duration_seconds_count{" + labels + "} " +
           std::to_string(h.count) + "\n";
  }
  out += "# HELP jobhost_http_connections_open HTTP connections open now.\n";
  out += "# TYPE jobhost_http_connections_open gauge\n";
  out += "jobhost_http_connections_open " + std::to_string(connections_) + "\n";
  return out;
}

}  // namespace jobhost::serve
