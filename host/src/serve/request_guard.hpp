// Who may talk to the daemon's HTTP server: the bearer token, and, for a server without one,
// the checks that keep web pages in a browser from using the local API (DNS rebinding and
// cross-site POSTs).
#pragma once

#include <optional>
#include <string_view>

namespace jobhost::serve {

// True when `a` equals `b`. The time taken depends only on b's length, never on where the
// two differ, so a client cannot find the token byte by byte.
bool constant_time_equals(std::string_view a, std::string_view b);

// True when `authorization` is "Bearer <token>" (scheme case-insensitive) for `token`.
bool bearer_token_matches(const std::optional<std::string>& authorization, std::string_view token);

// True when a Host header names a loopback host ("localhost:8080", "127.0.0.1", "[::1]:80").
// A server without a token answers only such requests: a page on another site that rebinds its
// name to 127.0.0.1 still sends its own name as the Host.
bool is_loopback_host_header(std::string_view host);

// False when a browser says the request comes from a page of another origin: `origin` (the
// Origin header) names a host:port other than `host` (the Host header). Absent: true.
bool same_origin(const std::optional<std::string>& origin, std::string_view host);

}  // namespace jobhost::serve
