// An HTTP/1.1 server (Boost.Beast, hidden behind this header) on its own io_context and
// threads: keep-alive, limits on header and body size, timeouts, a bearer token, and a stop
// that lets requests in progress finish. What it answers is up to the handler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "serve/http_message.hpp"

namespace jobhost::serve {

class HttpMetrics;

struct HttpServerOptions {
  std::string address = "127.0.0.1";  // an IP literal or a host name ("localhost")
  uint16_t port = 8080;               // 0: any free port; read it with HttpServer::port()
  // Bearer token. Set: every request needs "Authorization: Bearer <token>" (else 401). Empty:
  // none, and only requests whose Host header names a loopback host are answered (else 403).
  std::string token;
  int threads = 2;
  size_t body_limit = size_t{1} << 20;     // larger bodies get 413
  size_t header_limit = size_t{16} << 10;  // larger headers get 431
  size_t max_connections = 512;            // connections beyond are closed at once
  // Waiting for a request's complete header, keep-alive idle time included.
  std::chrono::milliseconds header_timeout{30000};
  std::chrono::milliseconds body_timeout{30000};   // receiving the body
  std::chrono::milliseconds write_timeout{30000};  // sending the response
  std::chrono::milliseconds stop_grace{5000};      // stop(): how long requests may still run
};

class HttpServer {
 public:
  // The handler runs on the server's threads, several at once: it must be thread-safe. An
  // exception from it becomes a 500 JSON error. `metrics` (may be null) must outlive the server.
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  HttpServer(HttpServerOptions options, Handler handler, HttpMetrics* metrics = nullptr);
  // Stops the server when running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the threads. Throws std::runtime_error ("cannot listen on
  // ADDRESS:PORT: Address already in use") and leaves nothing running on failure. Once only.
  void start();
  // The bound port (after start()): the actual one when options.port was 0.
  uint16_t port() const;
  // Stops accepting, closes idle connections, lets requests in progress finish within
  // stop_grace (then closes them), and joins the threads. Idempotent; safe from any thread
  // except the server's own.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jobhost::serve
