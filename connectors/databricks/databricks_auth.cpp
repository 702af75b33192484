// DatabricksEngine's authenticator: a personal access token, or OAuth M2M with the token
// endpoint the workspace advertises.
#include "databricks_engine.hpp"

#include <boost/json.hpp>

#include "databricks_internal.hpp"

namespace jobhost::connectors::databricks {
namespace {

namespace json = boost::json;

bool same_origin(const std::string& a, const std::string& b) {
  try {
    const http::Url x = http::Url::parse(a), y = http::Url::parse(b);
    return x.https == y.https && x.host == y.host && x.port == y.port;
  } catch (const http::HttpError&) {
    return false;
  }
}

// OAuth M2M: the workspace's advertised token endpoint (RFC 8414 discovery), when it is on
// the workspace's own origin, else the documented default.
Token fetch_oauth_token(RestClient& client, const std::string& client_id,
                        const std::string& client_secret) {
  const std::string base = client.connection().url();
  std::string endpoint = base + "/oidc/v1/token";
  try {
    Call discover;
    discover.path = "/oidc/.well-known/oauth-authorization-server";
    discover.what = "discover the Databricks OAuth token endpoint";
    discover.authenticate = false;
    const Reply reply = client.send(discover);
    if (const json::object* doc = reply.json.if_object()) {
      const std::string advertised = text_of(*doc, "token_endpoint");
      if (!advertised.empty() && same_origin(advertised, base)) endpoint = advertised;
    }
  } catch (const ApiError& e) {
    if (e.retryable() || e.kind() == ApiError::Kind::kCancelled) throw;
    // No discovery document (older workspaces): the default endpoint.
  }
  return client_credentials(client, endpoint, client_id, client_secret, "all-apis");
}

}  // namespace

std::shared_ptr<Authenticator> DatabricksEngine::authenticator(const Connection& connection) const {
  if (auto token = connection.secret("token")) return bearer_auth(*token);
  const auto client_id = connection.string("client_id");
  if (!client_id)
    connection.fail("needs token_secret (a personal access token) or client_id and "
                    "client_secret_secret (OAuth machine-to-machine)");
  const std::string secret = connection.require_secret("client_secret");
  // Jobs of one process share the token of the same workspace, client and secret.
  const std::string key = "databricks|" + connection.name() + "|" + connection.url() + "|" +
                          *client_id + "|" + secret_fingerprint(secret);
  return token_auth(key, [id = *client_id, secret](RestClient& client) {
    return fetch_oauth_token(client, id, secret);
  });
}

}  // namespace jobhost::connectors::databricks
