// Where the daemon's HTTP server listens, and the rule that keeps an unauthenticated API off
// the network.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace jobhost::serve {

// A listen address that is malformed or refused; the message says what to change.
struct ListenError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ListenAddress {
  std::string host;  // an IP literal (IPv6 without brackets) or a host name
  uint16_t port = 0;
};

// "127.0.0.1:8080", "[::1]:8080", "localhost:0" (0: any free port). Throws ListenError.
ListenAddress parse_listen_address(std::string_view text);

// True for 127.0.0.0/8, ::1, ::ffff:127.x.y.z and "localhost".
bool is_loopback_address(std::string_view host);

// The daemon calls this before it listens: an API that triggers and cancels runs must not be
// reachable from other machines without a bearer token. Throws ListenError when `host` is not
// a loopback address and `has_token` is false; returns otherwise.
void check_listen_security(std::string_view host, bool has_token);

}  // namespace jobhost::serve
