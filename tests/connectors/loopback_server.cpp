#include "loopback_server.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace jobhost::test {
namespace {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}
}  // namespace

TlsIdentity make_self_signed_identity(const std::string& san) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (!key || !cert) throw std::runtime_error("OpenSSL: cannot create key or certificate");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("jobhost test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san.c_str()},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    if (!ext) throw std::runtime_error("OpenSSL: bad extension value");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (!X509_sign(cert, key, EVP_sha256())) throw std::runtime_error("OpenSSL: cannot sign certificate");
  TlsIdentity id;
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, cert);
  id.cert_pem = bio_text(b);
  BIO_free(b);
  b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  id.key_pem = bio_text(b);
  BIO_free(b);
  X509_free(cert);
  EVP_PKEY_free(key);
  return id;
}

struct LoopbackServer::Impl {
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<ssl::context> tls;
  Handler handler;
  mutable std::mutex mu;
  std::vector<ServerRequest> received;
  std::thread thread;
  uint16_t port = 0;

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream) {
    boost::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    co_await bhttp::async_read(stream, buffer, req, asio::use_awaitable);
    ServerRequest sr;
    sr.method = std::string(req.method_string());
    sr.target = std::string(req.target());
    for (auto& f : req) {
      std::string n(f.name_string());
      for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      sr.headers[n] = std::string(f.value());
    }
    sr.body = req.body();
    {
      std::lock_guard lock(mu);
      received.push_back(sr);
    }
    ServerResponse out = handler(sr);
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(out.status), 11};
    for (auto& [k, v] : out.headers) res.set(k, v);
    res.body() = out.body;
    res.keep_alive(false);
    res.prepare_payload();
    co_await bhttp::async_write(stream, res, asio::use_awaitable);
  }

  asio::awaitable<void> accept_loop(int max_connections) {
    for (int i = 0; i < max_connections; ++i) {
      tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
      try {
        if (tls) {
          ssl::stream<tcp::socket> stream(std::move(socket), *tls);
          co_await stream.async_handshake(ssl::stream_base::server, asio::use_awaitable);
          co_await serve(stream);
          boost::system::error_code ec;
          stream.next_layer().shutdown(tcp::socket::shutdown_both, ec);
        } else {
          co_await serve(socket);
          boost::system::error_code ec;
          socket.shutdown(tcp::socket::shutdown_both, ec);
        }
      } catch (const std::exception&) {
        // A client that rejected our certificate or hung up: serve the next one.
      }
    }
  }
};

LoopbackServer::LoopbackServer(Handler handler, int max_connections, const TlsIdentity* tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  if (tls) {
    impl_->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    impl_->tls->use_certificate_chain(asio::buffer(tls->cert_pem));
    impl_->tls->use_private_key(asio::buffer(tls->key_pem), ssl::context::pem);
  }
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->ioc, impl_->accept_loop(max_connections), asio::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

LoopbackServer::~LoopbackServer() {
  impl_->ioc.stop();
  impl_->thread.join();
}

uint16_t LoopbackServer::port() const { return impl_->port; }

std::string LoopbackServer::url(const std::string& path) const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) + path;
}

std::vector<ServerRequest> LoopbackServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->received;
}

}  // namespace jobhost::test
