// Boost.Beast + Asio (C++20 coroutines) behind http_server.hpp.
//
// One coroutine per connection, on its own strand: the connection's state (busy, closing) is
// only touched there, so stop() posts to that strand instead of locking. The acceptor has a
// strand of its own for the same reason.
#include "serve/http_server.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "serve/http_metrics.hpp"
#include "serve/request_guard.hpp"

namespace jobhost::serve {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Parser = bhttp::request_parser<bhttp::string_body>;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Session {
  explicit Session(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  bool busy = false;     // a request is being answered
  bool closing = false;  // stop() asked: close after the current response
  bool unread = false;   // answered before the request was read in full
};

// After answering early (413, 401 before the body...), read and drop what the client still
// sends for a moment: closing a socket with unread input resets the connection, and the
// client could lose the answer it has not read yet.
constexpr std::chrono::milliseconds kLingerTime{2000};
constexpr size_t kLingerBytes = size_t{16} << 20;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// Methods that change nothing: a page of another origin may send them (a browser does not
// let it read the answer anyway).
bool is_safe_method(std::string_view m) { return m == "GET" || m == "HEAD" || m == "OPTIONS"; }

HttpRequest to_request(bhttp::request<bhttp::string_body>&& req) {
  HttpRequest r;
  r.method = std::string(req.method_string());
  std::string_view target = req.target();
  auto q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  for (auto& f : req) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  r.body = std::move(req.body());
  return r;
}

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerOptions o, Handler h, HttpMetrics* m)
      : opt(std::move(o)), handler(std::move(h)), metrics(m), ioc(std::max(1, opt.threads)) {}

  HttpServerOptions opt;
  Handler handler;
  HttpMetrics* metrics;

  // Declared before the io_context: coroutine frames destroyed with it still erase themselves.
  std::mutex mu;
  std::condition_variable cv;
  std::map<Session*, std::weak_ptr<Session>> sessions;
  std::atomic<bool> stopping{false};
  bool started = false, stopped = false;
  uint16_t port = 0;

  asio::io_context ioc;
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  std::vector<std::thread> threads;

  // Erases the session when its coroutine ends, however it ends.
  struct SessionGuard {
    Impl& impl;
    Session* s;
    ~SessionGuard() {
      {
        std::lock_guard lock(impl.mu);
        impl.sessions.erase(s);
      }
      if (impl.metrics) impl.metrics->connection_delta(-1);
      impl.cv.notify_all();
    }
  };

  // Who may send this request; an answer when refused.
  std::optional<HttpResponse> refuse(const bhttp::request_header<>& head) const {
    const std::string host(head[bhttp::field::host]);
    if (!opt.token.empty()) {
      auto auth = head.find(bhttp::field::authorization);
      std::optional<std::string> value;
      if (auth != head.end()) value = std::string(auth->value());
      if (!bearer_token_matches(value, opt.token)) {
        HttpResponse r =
            json_error(401, value ? "invalid bearer token"
                                  : "this server needs an Authorization: Bearer token");
        r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"jobhost\"");
        return r;
      }
    } else if (!is_loopback_host_header(host)) {
      return json_error(403,
                        "this server has no API token, so it only answers requests "
                        "addressed to a loopback host (Host: " +
                            host + ")");
    }
    auto origin = head.find(bhttp::field::origin);
    if (!is_safe_method(head.method_string()) && origin != head.end() &&
        !same_origin(std::string(origin->value()), host))
      return json_error(403, "cross-origin " + std::string(head.method_string()) + " refused");
    return std::nullopt;
  }

  HttpResponse dispatch(HttpRequest&& req) {
    try {
      return handler(req);
    } catch (const std::exception& e) {
      spdlog::error("http: {} {}: {}", req.method, req.path, e.what());
      return json_error(500, std::string("internal error: ") + e.what());
    } catch (...) {
      spdlog::error("http: {} {}: unknown exception", req.method, req.path);
      return json_error(500, "internal error");
    }
  }

  asio::awaitable<bool> write(Session& s, HttpResponse& out, unsigned version, bool keep_alive,
                              std::string_view method, Clock::time_point start) {
    bhttp::response<bhttp::string_body> res;
    res.version(version);
    res.result(static_cast<unsigned>(out.status));
    res.set(bhttp::field::server, "jobhost/" JOBHOST_VERSION_STRING);
    res.set(bhttp::field::content_type, out.content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    for (auto& [name, value] : out.headers) res.set(name, value);
    res.body() = std::move(out.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    s.stream.expires_after(opt.write_timeout);
    beast::error_code ec;
    if (method == "HEAD") {
      // The header of the GET answer, Content-Length included, and no body (RFC 9110 9.3.2).
      bhttp::response<bhttp::empty_body> head{bhttp::response_header<>(res.base())};
      std::tie(ec, std::ignore) = co_await bhttp::async_write(s.stream, head, kTuple);
    } else {
      std::tie(ec, std::ignore) = co_await bhttp::async_write(s.stream, res, kTuple);
    }
    if (metrics) metrics->record(method, out.route, out.status, Clock::now() - start);
    co_return !ec && keep_alive;
  }

  // Answers a request whose header was read. Returns whether the connection stays open.
  asio::awaitable<bool> answer(Session& s, beast::flat_buffer& buffer, Parser& parser) {
    const auto start = Clock::now();
    const std::string method(parser.get().method_string());
    const unsigned version = parser.get().version();
    std::optional<HttpResponse> out = refuse(parser.get());
    if (!out && !parser.is_done()) {
      if (iequals(parser.get()[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> go{bhttp::status::continue_, version};
        s.stream.expires_after(opt.write_timeout);
        auto [ec, n] = co_await bhttp::async_write(s.stream, go, kTuple);
        if (ec) co_return false;
      }
      s.stream.expires_after(opt.body_timeout);
      auto [ec, n] = co_await bhttp::async_read(s.stream, buffer, parser, kTuple);
      if (ec == bhttp::error::body_limit)
        out = json_error(413,
                         "request body larger than " + std::to_string(opt.body_limit) + " bytes");
      else if (ec && is_http_parse_error(ec))
        out = json_error(400, "malformed request: " + ec.message());
      else if (ec)
        co_return false;  // timeout or the client went away
    }
    // A body left unread cannot be skipped reliably: such a connection closes.
    s.unread = !parser.is_done();
    const bool client_keeps = parser.get().keep_alive();
    if (!out) out = dispatch(to_request(parser.release()));
    // After the handler: a stop() that came meanwhile closes this connection too.
    const bool keep_alive = client_keeps && !s.unread && !stopping && !s.closing;
    co_return co_await write(s, *out, version, keep_alive, method, start);
  }

  asio::awaitable<void> serve(std::shared_ptr<Session> s) {
    SessionGuard guard{*this, s.get()};
    beast::flat_buffer buffer;
    while (!stopping && !s->closing) {
      Parser parser;
      parser.header_limit(static_cast<std::uint32_t>(opt.header_limit));
      parser.body_limit(opt.body_limit);
      s->stream.expires_after(opt.header_timeout);
      auto [ec, n] = co_await bhttp::async_read_header(s->stream, buffer, parser, kTuple);
      if (ec) {
        std::optional<HttpResponse> out;
        if (ec == bhttp::error::header_limit)
          out = json_error(
              431, "request header larger than " + std::to_string(opt.header_limit) + " bytes");
        else if (ec == bhttp::error::body_limit)
          out = json_error(413,
                           "request body larger than " + std::to_string(opt.body_limit) + " bytes");
        else if (is_http_parse_error(ec))
          out = json_error(400, "malformed request: " + ec.message());
        if (out) {
          s->unread = true;
          co_await write(*s, *out, 11, false, parser.get().method_string(), Clock::now());
        }
        break;
      }
      s->busy = true;
      const bool keep = co_await answer(*s, buffer, parser);
      s->busy = false;
      if (!keep) break;
    }
    beast::error_code ignored;
    s->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (s->unread && !stopping) co_await linger(*s);
  }

  asio::awaitable<void> linger(Session& s) {
    std::array<char, 16384> sink;
    size_t total = 0;
    s.stream.expires_after(kLingerTime);
    while (total < kLingerBytes) {
      auto [ec, n] = co_await s.stream.async_read_some(asio::buffer(sink), kTuple);
      if (ec) break;
      total += n;
    }
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, accepted] = co_await acceptor.async_accept(asio::make_strand(ioc), kTuple);
      if (stopping || !acceptor.is_open()) co_return;
      if (ec) {
        // Out of file descriptors and the like: wait instead of spinning.
        spdlog::warn("http: accept failed: {}", ec.message());
        asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
        co_await pause.async_wait(kTuple);
        continue;
      }
      tcp::socket socket(std::move(accepted));
      std::shared_ptr<Session> s;
      {
        std::lock_guard lock(mu);
        if (sessions.size() >= opt.max_connections) continue;  // the socket closes here
        s = std::make_shared<Session>(std::move(socket));
        sessions.emplace(s.get(), s);
      }
      if (metrics) metrics->connection_delta(1);
      asio::co_spawn(s->stream.get_executor(), serve(s), [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          spdlog::error("http: connection ended by an exception: {}", x.what());
        }
      });
    }
  }

  tcp::endpoint resolve() {
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto results = resolver.resolve(opt.address, std::to_string(opt.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty())
      throw std::runtime_error("cannot listen on " + opt.address + ":" + std::to_string(opt.port) +
                               ": " + (ec ? ec.message() : "no address"));
    return results.begin()->endpoint();
  }

  void listen() {
    const tcp::endpoint ep = resolve();
    beast::error_code ec;
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      beast::error_code ignored;
      acceptor.close(ignored);
      throw std::runtime_error("cannot listen on " + opt.address + ":" + std::to_string(opt.port) +
                               ": " + ec.message());
    }
    port = acceptor.local_endpoint().port();
  }
};

HttpServer::HttpServer(HttpServerOptions options, Handler handler, HttpMetrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), metrics)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->started) throw std::logic_error("HttpServer::start called twice");
    impl_->started = true;
  }
  impl_->listen();
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->accept_loop(), [](std::exception_ptr e) {
    if (e) spdlog::error("http: the accept loop ended by an exception");
  });
  for (int i = 0; i < std::max(1, impl_->opt.threads); ++i)
    impl_->threads.emplace_back([this] {
      for (;;) {
        try {
          impl_->ioc.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("http: server thread: {}", e.what());
        }
      }
    });
  spdlog::info("http: listening on {}:{}", impl_->opt.address, impl_->port);
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  Impl& im = *impl_;
  {
    std::lock_guard lock(im.mu);
    if (!im.started || im.stopped) return;
    im.stopped = true;
  }
  im.stopping = true;
  asio::post(im.acceptor.get_executor(), [&im] {
    beast::error_code ignored;
    im.acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(im.mu);
    for (auto& [raw, weak] : im.sessions)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  // An idle connection stops waiting for its next request; one that is answering finishes
  // first. A request whose header already arrived is still answered (closing is checked after).
  for (auto& s : live)
    asio::post(s->stream.get_executor(), [s] {
      s->closing = true;
      if (!s->busy) s->stream.cancel();
    });
  live.clear();
  {
    std::unique_lock lock(im.mu);
    im.cv.wait_for(lock, im.opt.stop_grace, [&im] { return im.sessions.empty(); });
  }
  im.ioc.stop();
  for (auto& t : im.threads) t.join();
  im.threads.clear();
  spdlog::info("http: stopped");
}

}  // namespace jobhost::serve
