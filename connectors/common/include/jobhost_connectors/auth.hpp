// How a connector proves who it is: a fixed header (basic, bearer, PAT), or a token fetched
// from an endpoint and cached process-wide per connection until shortly before it expires
// (OAuth client credentials for Databricks and Azure, Airflow 3's /auth/token).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "http_client.hpp"

namespace jobhost::connectors {

class RestClient;

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Adds credentials to a request; may fetch a token through `client`. Throws ApiError.
  virtual void apply(RestClient& client, http::Headers& headers) = 0;
  // The server answered 401: forget cached tokens. Returns false when there is nothing to
  // refresh (then the 401 is final).
  virtual bool invalidate() { return false; }
};

// No credentials.
std::shared_ptr<Authenticator> no_auth();
// Authorization: Basic base64(user:password).
std::shared_ptr<Authenticator> basic_auth(const std::string& user, const std::string& password);
// Authorization: Bearer TOKEN.
std::shared_ptr<Authenticator> bearer_auth(const std::string& token);

struct Token {
  std::string value;
  std::chrono::system_clock::time_point expires_at;  // epoch when unknown: refetched after 5 min
};

// Tells credentials apart in a token_auth cache key without holding them (FNV-1a, in memory
// only): "<connection>|<url>|<user>|" + secret_fingerprint(password).
std::string secret_fingerprint(std::string_view secret);

// A bearer token from `fetch`, shared by every job of the process that uses the same
// `cache_key` (connection name + credentials fingerprint), refreshed 60 s before it expires
// or after a 401. `fetch` throws ApiError (kAuth for rejected credentials).
std::shared_ptr<Authenticator> token_auth(std::string cache_key,
                                          std::function<Token(RestClient&)> fetch);

// RFC 6749 client credentials grant (Databricks OAuth M2M, Microsoft Entra ID): POSTs a form
// to `token_url` and reads access_token / expires_in.
Token client_credentials(RestClient& client, const std::string& token_url,
                         const std::string& client_id, const std::string& client_secret,
                         const std::string& scope);

std::string base64(std::string_view bytes);

}  // namespace jobhost::connectors
