// An HTTP(S) server on 127.0.0.1:<ephemeral port> for tests, running on its own thread.
// It serves a bounded number of connections (one request each) and stops at destruction,
// so a test never touches the network and never hangs on a client that did not come.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace jobhost::test {

struct ServerRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct ServerResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// PEM certificate + private key for the TLS mode.
struct TlsIdentity {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed certificate whose subjectAltName is `san`, e.g. "DNS:localhost,IP:127.0.0.1".
TlsIdentity make_self_signed_identity(const std::string& san);

class LoopbackServer {
 public:
  using Handler = std::function<ServerResponse(const ServerRequest&)>;
  // Accepts up to `max_connections`; TLS when `tls` is given.
  explicit LoopbackServer(Handler handler, int max_connections = 1, const TlsIdentity* tls = nullptr);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  uint16_t port() const;
  // "http(s)://127.0.0.1:<port><path>"
  std::string url(const std::string& path = "/") const;
  // Requests fully received so far.
  std::vector<ServerRequest> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jobhost::test
