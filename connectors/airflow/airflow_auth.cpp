// AirflowEngine's authenticator: HTTP Basic (v1), a JWT from /auth/token (v2), or a static
// bearer token.
#include "airflow_engine.hpp"

#include <functional>

namespace jobhost::connectors {
namespace {

using airflow::Api;
using airflow::ApiVersion;

// Airflow 3's simple and FAB auth managers: POST /auth/token with the user's name and
// password answers 201 {"access_token": JWT}.
Token fetch_airflow_token(RestClient& client, const std::string& user, const std::string& password) {
  Call call;
  call.method = "POST";
  call.path = "/auth/token";
  call.json = boost::json::object{{"username", user}, {"password", password}};
  call.what = "get an Airflow API token for '" + user + "'";
  call.authenticate = false;
  const Reply reply = client.send(call);
  const auto* object = reply.json.if_object();
  const auto* token = object ? object->if_contains("access_token") : nullptr;
  if (!token || !token->is_string() || token->get_string().empty())
    throw ApiError(ApiError::Kind::kRetryable, reply.status, "Airflow's /auth/token answer has no access_token");
  Token t;
  t.value = std::string(token->get_string());
  client.connection().redactor().add(t.value);
  // The JWT's lifetime is the server's setting (jwt_expiration_time); unknown here, so the
  // token is fetched again after a few minutes or on a 401.
  return t;
}

}  // namespace

std::shared_ptr<Authenticator> AirflowEngine::authenticator(const Connection& connection) const {
  const Api api = airflow::api_of(connection);
  const auto token = connection.secret("token");
  const auto user = connection.string("username");
  if (token && user)
    connection.fail("set either token_secret or username + password_secret, not both");
  if (token) return bearer_auth(*token);
  if (!user) {
    if (connection.string("password_secret")) connection.fail("password_secret needs a username");
    return no_auth();
  }
  const std::string password = connection.require_secret("password");
  if (api.version == ApiVersion::kV1) return basic_auth(*user, password);
  const std::string key = connection.name() + "|" + connection.url() + "|" + *user + "|" +
                          secret_fingerprint(password);
  return token_auth(key, [user = *user, password](RestClient& client) {
    return fetch_airflow_token(client, user, password);
  });
}

}  // namespace jobhost::connectors
