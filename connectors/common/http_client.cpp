// Boost.Beast + Asio (C++20 coroutines) + OpenSSL behind the http_client.hpp interface.
//
// Each request runs on a private io_context driven in slices of at most 100 ms, so the
// calling thread can enforce the deadline and poll the cancellation predicate between
// slices without any other thread touching the sockets.
#include "http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace jobhost::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using BeastRequest = bhttp::request<bhttp::string_body>;
using Parser = bhttp::response_parser<bhttp::string_body>;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string host_for_display(const Url& url) {
  return url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
}

// CR, LF or NUL in a header would let a value inject further headers.
void check_header_text(std::string_view text, std::string_view what) {
  if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
    throw HttpError(HttpError::Kind::kInvalidUrl, std::string(what) + " contains CR, LF or NUL");
}

enum class Phase { kResolve, kConnect, kHandshake, kWrite, kRead };
enum class Abort { kNone, kTimeout, kCancelled };

// State shared between the coroutine and the driving loop (same thread).
struct Exchange {
  explicit Exchange(asio::io_context& io) : ioc(io), resolver(io) {}
  asio::io_context& ioc;
  tcp::resolver resolver;
  tcp::socket* socket = nullptr;
  Phase phase = Phase::kResolve;
  std::string verify_failure;  // why the certificate was rejected, when it was

  void abort() {
    resolver.cancel();
    boost::system::error_code ec;
    if (socket) socket->close(ec);
  }
};

struct SocketRegistration {
  SocketRegistration(Exchange& ex, tcp::socket& s) : ex_(ex) { ex_.socket = &s; }
  ~SocketRegistration() { ex_.socket = nullptr; }
  Exchange& ex_;
};

asio::awaitable<void> connect(Exchange& ex, tcp::socket& socket, const Url& url) {
  ex.phase = Phase::kResolve;
  auto endpoints =
      co_await ex.resolver.async_resolve(url.host, std::to_string(url.port), asio::use_awaitable);
  ex.phase = Phase::kConnect;
  co_await asio::async_connect(socket, endpoints, asio::use_awaitable);
}

template <class Stream>
asio::awaitable<void> transfer(Exchange& ex, Stream& stream, BeastRequest& req, Parser& parser) {
  ex.phase = Phase::kWrite;
  co_await bhttp::async_write(stream, req, asio::use_awaitable);
  ex.phase = Phase::kRead;
  beast::flat_buffer buffer;
  co_await bhttp::async_read(stream, buffer, parser, asio::use_awaitable);
}

asio::awaitable<void> plain_exchange(Exchange& ex, const Url& url, BeastRequest& req,
                                     Parser& parser) {
  tcp::socket socket(ex.ioc);
  SocketRegistration reg(ex, socket);
  co_await connect(ex, socket, url);
  co_await transfer(ex, socket, req, parser);
}

asio::awaitable<void> tls_exchange(Exchange& ex, ssl::context& tls, bool verify, const Url& url,
                                   BeastRequest& req, Parser& parser) {
  ssl::stream<tcp::socket> stream(ex.ioc, tls);
  SocketRegistration reg(ex, stream.next_layer());
  // SNI carries host names only (RFC 6066), never IP literals.
  if (!is_ip_literal(url.host) && !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
    throw HttpError(HttpError::Kind::kTls, "cannot set TLS SNI host name");
  if (verify) {
    stream.set_verify_mode(ssl::verify_peer);
    ssl::host_name_verification check_host(url.host);
    stream.set_verify_callback([&ex, check_host](bool preverified, ssl::verify_context& vc) mutable {
      bool ok = check_host(preverified, vc);
      if (!ok && ex.verify_failure.empty()) {
        int err = X509_STORE_CTX_get_error(vc.native_handle());
        ex.verify_failure = preverified || err == X509_V_OK
                                ? "certificate does not match host name"
                                : X509_verify_cert_error_string(err);
      }
      return ok;
    });
  } else {
    stream.set_verify_mode(ssl::verify_none);
  }
  co_await connect(ex, stream.next_layer(), url);
  ex.phase = Phase::kHandshake;
  co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
  co_await transfer(ex, stream, req, parser);
}

BeastRequest build_request(const Request& r, const Url& url, const ClientOptions& opt) {
  check_header_text(r.method, "method");
  if (r.method.empty() || r.method.find(' ') != std::string::npos)
    throw HttpError(HttpError::Kind::kInvalidUrl, "invalid HTTP method '" + r.method + "'");
  BeastRequest req;
  bhttp::verb verb = bhttp::string_to_verb(r.method);
  if (verb == bhttp::verb::unknown)
    req.method_string(r.method);
  else
    req.method(verb);
  req.target(url.target);
  req.version(11);
  bool default_port = url.port == (url.https ? 443 : 80);
  req.set(bhttp::field::host,
          default_port ? host_for_display(url) : host_for_display(url) + ":" + std::to_string(url.port));
  req.set(bhttp::field::user_agent, opt.user_agent);
  for (auto& h : r.headers) {
    // Names are echoed in errors; values never are.
    check_header_text(h.name, "header name '" + h.name + "'");
    check_header_text(h.value, "the value of header '" + h.name + "'");
    if (h.name.empty()) throw HttpError(HttpError::Kind::kInvalidUrl, "empty header name");
    req.insert(h.name, h.value);
  }
  // One request per connection keeps the exchange simple and the deadline exact.
  req.set(bhttp::field::connection, "close");
  if (!r.body.empty() || verb == bhttp::verb::post || verb == bhttp::verb::put ||
      verb == bhttp::verb::patch) {
    req.body() = r.body;
    req.prepare_payload();
  }
  return req;
}

[[noreturn]] void throw_mapped(const boost::system::system_error& e, const Exchange& ex,
                               const Url& url) {
  std::string where = host_for_display(url) + ":" + std::to_string(url.port);
  std::string why = e.code().message();
  switch (ex.phase) {
    case Phase::kResolve:
      throw HttpError(HttpError::Kind::kConnect, "cannot resolve host '" + url.host + "': " + why);
    case Phase::kConnect:
      throw HttpError(HttpError::Kind::kConnect, "cannot connect to " + where + ": " + why);
    case Phase::kHandshake:
      if (!ex.verify_failure.empty())
        throw HttpError(HttpError::Kind::kTls,
                        "TLS certificate of " + where + " rejected: " + ex.verify_failure +
                            " (set insecure_skip_verify only for test servers you trust)");
      throw HttpError(HttpError::Kind::kProtocol, "TLS handshake with " + where + " failed: " + why);
    case Phase::kWrite:
      throw HttpError(HttpError::Kind::kProtocol, "error sending the request to " + where + ": " + why);
    case Phase::kRead:
      if (e.code() == bhttp::error::body_limit)
        throw HttpError(HttpError::Kind::kTooLarge, "response body from " + where + " is too large");
      throw HttpError(HttpError::Kind::kProtocol, "error reading the response from " + where + ": " + why);
  }
  throw HttpError(HttpError::Kind::kProtocol, why);
}

}  // namespace

std::optional<std::string> Response::header(std::string_view name) const {
  for (auto& h : headers)
    if (iequals(h.name, name)) return h.value;
  return std::nullopt;
}

Url Url::parse(std::string_view text) {
  auto invalid = [](const std::string& why) { return HttpError(HttpError::Kind::kInvalidUrl, why); };
  Url url;
  auto sep = text.find("://");
  if (sep == std::string_view::npos) throw invalid("URL has no scheme (expected http:// or https://)");
  std::string_view scheme = text.substr(0, sep);
  if (iequals(scheme, "https")) {
    url.https = true;
  } else if (!iequals(scheme, "http")) {
    throw invalid("unsupported URL scheme '" + std::string(scheme) + "' (use http or https)");
  }
  std::string_view rest = text.substr(sep + 3);
  auto end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  target = target.substr(0, target.find('#'));
  if (authority.find('@') != std::string_view::npos)
    throw invalid("credentials in the URL are not supported; send an Authorization header from a secret");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) throw invalid("unterminated IPv6 address in URL");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw invalid("unexpected text after the IPv6 address in URL");
      port = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) throw invalid("URL has no host");
  url.port = url.https ? 443 : 80;
  if (!port.empty()) {
    unsigned long value = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || (value = value * 10 + (c - '0')) > 65535)
        throw invalid("invalid port '" + std::string(port) + "' in URL");
    }
    if (value == 0) throw invalid("invalid port 0 in URL");
    url.port = static_cast<uint16_t>(value);
  }
  if (target.find_first_of(" \r\n\t") != std::string_view::npos)
    throw invalid("URL path contains whitespace; percent-encode it");
  url.target = target.empty() || target.front() == '?' ? "/" + std::string(target) : std::string(target);
  return url;
}

std::string Url::redacted() const {
  std::string out = (https ? "https://" : "http://") + host_for_display(*this);
  if (port != (https ? 443 : 80)) out += ":" + std::to_string(port);
  return out + target.substr(0, target.find('?'));
}

struct Client::Impl {
  ClientOptions options;
  std::unique_ptr<ssl::context> tls;

  ssl::context& tls_context() {
    if (tls) return *tls;
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    ctx->set_default_verify_paths(ec);
    if (ec) throw HttpError(HttpError::Kind::kTls, "cannot load the system CA store: " + ec.message());
    if (!options.ca_file.empty()) {
      ctx->load_verify_file(options.ca_file, ec);
      if (ec)
        throw HttpError(HttpError::Kind::kTls,
                        "cannot load CA file '" + options.ca_file + "': " + ec.message());
    }
    tls = std::move(ctx);
    return *tls;
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Response Client::send(const Request& r) {
  Url url = Url::parse(r.url);
  BeastRequest req = build_request(r, url, impl_->options);
  Parser parser;
  parser.body_limit(impl_->options.max_body_bytes);
  parser.header_limit(64 * 1024);

  asio::io_context ioc(1);
  Exchange ex(ioc);
  std::exception_ptr failure;
  auto done = [&failure](std::exception_ptr e) { failure = e; };
  if (url.https)
    asio::co_spawn(ioc, tls_exchange(ex, impl_->tls_context(), !impl_->options.insecure_skip_verify, url, req, parser), done);
  else
    asio::co_spawn(ioc, plain_exchange(ex, url, req, parser), done);

  const auto deadline = Clock::now() + r.timeout;
  Abort abort = Abort::kNone;
  while (!ioc.stopped()) {
    auto now = Clock::now();
    if (abort == Abort::kNone) {
      if (now >= deadline)
        abort = Abort::kTimeout;
      else if (r.cancelled && r.cancelled())
        abort = Abort::kCancelled;
      if (abort != Abort::kNone) ex.abort();
    }
    auto slice = std::chrono::milliseconds(100);
    if (abort == Abort::kNone)
      slice = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now),
                         std::chrono::milliseconds(1), slice);
    ioc.run_for(slice);
  }

  if (abort == Abort::kTimeout)
    throw HttpError(HttpError::Kind::kTimeout,
                    "no complete response from " + url.redacted() + " within " +
                        std::to_string(r.timeout.count()) + " ms");
  if (abort == Abort::kCancelled) throw HttpError(HttpError::Kind::kCancelled, "request cancelled");
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const boost::system::system_error& e) {
      throw_mapped(e, ex, url);
    }
  }

  auto res = parser.release();
  Response out;
  out.status = static_cast<int>(res.result_int());
  out.reason = std::string(res.reason());
  for (auto& field : res) out.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  out.body = std::move(res.body());
  return out;
}

Response request(std::string method, std::string url, Headers headers, std::string body,
                 std::chrono::milliseconds timeout, const ClientOptions& options) {
  Request r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers = std::move(headers);
  r.body = std::move(body);
  r.timeout = timeout;
  return Client(options).send(r);
}

}  // namespace jobhost::http
