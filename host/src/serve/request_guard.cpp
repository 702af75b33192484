#include "serve/request_guard.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "serve/listen_address.hpp"

namespace jobhost::serve {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The host part of "host", "host:port", "[v6]" or "[v6]:port".
std::string_view host_part(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(0, close + 1);
  }
  return authority.substr(0, authority.find(':'));
}

}  // namespace

bool constant_time_equals(std::string_view a, std::string_view b) {
  // volatile: the compiler may not turn the loop into an early-exit comparison.
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    diff = static_cast<unsigned char>(diff | (x ^ static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

bool bearer_token_matches(const std::optional<std::string>& authorization, std::string_view token) {
  if (!authorization || token.empty()) return false;
  std::string_view v = *authorization;
  constexpr std::string_view kScheme = "bearer ";
  if (v.size() < kScheme.size() || lower(v.substr(0, kScheme.size())) != kScheme) return false;
  v.remove_prefix(kScheme.size());
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return constant_time_equals(v, token);
}

bool is_loopback_host_header(std::string_view host) {
  return !host.empty() && is_loopback_address(host_part(host));
}

bool same_origin(const std::optional<std::string>& origin, std::string_view host) {
  if (!origin) return true;
  std::string_view o = *origin;
  auto sep = o.find("://");
  if (sep == std::string_view::npos) return false;  // "null" (sandboxed or file:// pages)
  std::string_view authority = o.substr(sep + 3);
  authority = authority.substr(0, authority.find('/'));
  if (lower(authority) == lower(host)) return true;
  // The Host header may leave out a default port the Origin names, and the other way round.
  const std::string scheme = lower(o.substr(0, sep));
  const std::string default_port = scheme == "https" ? ":443" : ":80";
  auto strip = [&](std::string_view a) {
    std::string s = lower(a);
    if (s.size() > default_port.size() && s.ends_with(default_port))
      s.resize(s.size() - default_port.size());
    return s;
  };
  return strip(authority) == strip(host);
}

}  // namespace jobhost::serve
