#include "serve/listen_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace jobhost::serve {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

ListenAddress parse_listen_address(std::string_view text) {
  const std::string shown(text);
  auto bad = [&](const std::string& why) {
    return ListenError("invalid listen address '" + shown + "': " + why +
                       " (expected ADDRESS:PORT, e.g. 127.0.0.1:8080 or [::1]:8080)");
  };
  ListenAddress out;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) throw bad("unterminated '['");
    out.host = std::string(text.substr(1, close - 1));
    if (close + 1 >= text.size() || text[close + 1] != ':') throw bad("no port");
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) throw bad("no port");
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos) throw bad("write an IPv6 address in brackets");
    port = text.substr(colon + 1);
  }
  if (out.host.empty()) throw bad("no address");
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw bad("the port is not a number");
  unsigned long value = std::stoul(std::string(port));
  if (value > 65535) throw bad("the port is above 65535");
  out.port = static_cast<uint16_t>(value);
  return out;
}

bool is_loopback_address(std::string_view host) {
  if (iequals(host, "localhost")) return true;
  std::string text(host);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

void check_listen_security(std::string_view host, bool has_token) {
  if (has_token || is_loopback_address(host)) return;
  throw ListenError(
      "refusing to listen on '" + std::string(host) +
      "' without an API token: it is not a loopback address, so anyone who can reach it could "
      "trigger and cancel runs. Set api_token_secret in the host config, or listen on "
      "127.0.0.1");
}

}  // namespace jobhost::serve
