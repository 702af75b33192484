#include "jobhost_connectors/auth.hpp"

#include <boost/json/value.hpp>
#include <map>
#include <mutex>
#include <optional>

#include "jobhost_connectors/rest_client.hpp"

namespace jobhost::connectors {
namespace {

using SysClock = std::chrono::system_clock;

class NoAuth final : public Authenticator {
 public:
  void apply(RestClient&, http::Headers&) override {}
};

// A fixed Authorization header. Its credential is a secret in itself (base64 of user:password
// is as good as the password), so it is redacted like one, with and without the scheme, and
// so is the password it was made from.
class HeaderAuth final : public Authenticator {
 public:
  HeaderAuth(std::string scheme, std::string credential, std::string source = {})
      : credential_(std::move(credential)), value_(scheme + " " + credential_), source_(std::move(source)) {}
  void apply(RestClient& client, http::Headers& headers) override {
    Redactor& redactor = client.connection().redactor();
    redactor.add(value_);
    redactor.add(credential_);
    redactor.add(source_);
    headers.push_back({"Authorization", value_});
  }

 private:
  std::string credential_, value_, source_;
};

// One process-wide slot per cache key. Its mutex is held while fetching, so that many jobs
// needing a token at once cause one token request, not one each.
struct CachedToken {
  std::mutex mu;
  std::optional<Token> token;
  SysClock::time_point fetched_at;
};

std::shared_ptr<CachedToken> token_slot(const std::string& key) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<CachedToken>> slots;
  std::lock_guard lock(mu);
  auto& slot = slots[key];
  if (!slot) slot = std::make_shared<CachedToken>();
  return slot;
}

// Usable for the next request: refreshed 60 s before expiry (half its life for tokens that
// live under 2 min), or 5 min after the fetch when the expiry is unknown.
bool fresh(const CachedToken& c, SysClock::time_point now) {
  if (!c.token) return false;
  if (c.token->expires_at == SysClock::time_point{}) return now < c.fetched_at + std::chrono::minutes(5);
  const auto life = c.token->expires_at - c.fetched_at;
  const auto margin = std::min<SysClock::duration>(std::chrono::seconds(60), life / 2);
  return now < c.token->expires_at - margin;
}

class TokenAuth final : public Authenticator {
 public:
  TokenAuth(std::string key, std::function<Token(RestClient&)> fetch)
      : slot_(token_slot(key)), fetch_(std::move(fetch)) {}

  void apply(RestClient& client, http::Headers& headers) override {
    std::string value;
    {
      std::lock_guard lock(slot_->mu);
      if (!fresh(*slot_, SysClock::now())) {
        slot_->token.reset();
        Token t = fetch_(client);
        slot_->token = std::move(t);
        slot_->fetched_at = SysClock::now();
      }
      value = slot_->token->value;
    }
    {
      std::lock_guard lock(mu_);
      used_ = value;
    }
    client.connection().redactor().add(value);
    headers.push_back({"Authorization", "Bearer " + value});
  }

  // Drops the cached token only if it is the one this client sent: another job may have
  // fetched a fresh one meanwhile.
  bool invalidate() override {
    std::string used;
    {
      std::lock_guard lock(mu_);
      used = used_;
    }
    std::lock_guard lock(slot_->mu);
    if (slot_->token && slot_->token->value == used) slot_->token.reset();
    return true;
  }

 private:
  std::shared_ptr<CachedToken> slot_;
  std::function<Token(RestClient&)> fetch_;
  std::mutex mu_;
  std::string used_;
};

// expires_in as a number, or as a string of digits (Entra ID v1 endpoints).
std::optional<int64_t> seconds_value(const boost::json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_number()) {
    boost::system::error_code ec;
    const auto d = v->to_number<double>(ec);
    if (!ec && d >= 0 && d < 1e9) return static_cast<int64_t>(d);
    return std::nullopt;
  }
  if (v->is_string() && !v->get_string().empty()) {
    int64_t n = 0;
    for (char c : v->get_string()) {
      if (c < '0' || c > '9' || n > 1000000000) return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return n;
  }
  return std::nullopt;
}

}  // namespace

std::shared_ptr<Authenticator> no_auth() { return std::make_shared<NoAuth>(); }

std::shared_ptr<Authenticator> basic_auth(const std::string& user, const std::string& password) {
  return std::make_shared<HeaderAuth>("Basic", base64(user + ":" + password), password);
}

std::shared_ptr<Authenticator> bearer_auth(const std::string& token) {
  return std::make_shared<HeaderAuth>("Bearer", token);
}

std::shared_ptr<Authenticator> token_auth(std::string cache_key,
                                          std::function<Token(RestClient&)> fetch) {
  return std::make_shared<TokenAuth>(std::move(cache_key), std::move(fetch));
}

Token client_credentials(RestClient& client, const std::string& token_url,
                         const std::string& client_id, const std::string& client_secret,
                         const std::string& scope) {
  Redactor& redactor = client.connection().redactor();
  redactor.add(client_secret);
  redactor.add(url_encode(client_secret));
  Call call;
  call.method = "POST";
  call.path = token_url;
  call.form = "grant_type=client_credentials&client_id=" + url_encode(client_id) +
              "&client_secret=" + url_encode(client_secret);
  if (!scope.empty()) call.form += "&scope=" + url_encode(scope);
  call.what = "fetch an OAuth token";
  call.authenticate = false;  // a credential exchange: 400/401 mean the credentials are wrong
  Reply reply = client.send(call);

  const auto* obj = reply.json.if_object();
  const auto* access = obj ? obj->if_contains("access_token") : nullptr;
  if (!access || !access->is_string() || access->get_string().empty())
    throw ApiError(ApiError::Kind::kAuth, reply.status,
                   "authentication failed for connection " + client.connection().name() +
                       ": the token endpoint answered without an access_token");
  Token token;
  token.value = std::string(access->get_string());
  redactor.add(token.value);
  if (auto s = seconds_value(obj->if_contains("expires_in")))
    token.expires_at = SysClock::now() + std::chrono::seconds(*s);
  return token;
}

std::string secret_fingerprint(std::string_view secret) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : secret) h = (h ^ c) * 1099511628211ull;
  return std::to_string(h);
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                       uint8_t(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (rest == 2) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace jobhost::connectors
