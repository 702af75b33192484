#include "adf_engine.hpp"

#include <boost/json.hpp>

#include "adf_factory.hpp"
#include "adf_runs.hpp"
#include "jobhost_connectors/json_fields.hpp"

namespace jobhost::connectors::adf {
namespace {

namespace json = boost::json;
using std::chrono::system_clock;

constexpr const char* kDefaultAuthority = "https://login.microsoftonline.com";
constexpr const char* kDefaultScope = "https://management.azure.com/.default";
// Pages of activity runs read for the failure details (100 activity runs each).
constexpr int kMaxActivityPages = 5;

std::string trimmed(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

bool pending(const json::object& handle) { return string_field(handle, "phase") == "starting"; }

const json::object& object_reply(const Reply& reply, const std::string& what) {
  if (const json::object* o = reply.json.if_object()) return *o;
  throw ApiError(ApiError::Kind::kRetryable, reply.status, what + ": the reply is not a JSON object");
}

// The failed activities of a failed run, from queryActivityruns (their updates fall between
// the run's start, less a margin for clock skew, and now).
std::vector<std::string> activity_details(Session& session, const Factory& factory,
                                          const std::string& run_id, const json::object& run) {
  std::vector<std::string> lines;
  const auto start = parse_rfc3339(string_field(run, "runStart"))
                         .value_or(system_clock::now() - std::chrono::hours(24));
  json::object body{{"lastUpdatedAfter", rfc3339(start - std::chrono::minutes(5))},
                    {"lastUpdatedBefore", rfc3339(system_clock::now() + std::chrono::hours(1))}};
  Call call;
  call.method = "POST";
  call.path = factory.url("/pipelineruns/" + url_encode(run_id) + "/queryActivityruns");
  call.what = "read the activity runs of ADF run " + run_id;
  try {
    for (int page = 0; page < kMaxActivityPages; ++page) {
      call.json = body;
      const Reply raw = session.client().send(call);
      const json::object& reply = object_reply(raw, call.what);
      for (auto& line : failed_activity_lines(reply)) lines.push_back(std::move(line));
      const json::value* next = reply.if_contains("continuationToken");
      if (!next || !next->is_string() || next->get_string().empty()) break;
      body["continuationToken"] = next->get_string();
    }
  } catch (const ApiError& e) {
    if (e.kind() == ApiError::Kind::kCancelled) throw;
    lines.push_back(std::string("activity runs not available: ") + e.what());
  }
  return lines;
}

}  // namespace

std::shared_ptr<Authenticator> AdfEngine::authenticator(const Connection& connection) const {
  const std::string tenant = connection.require("tenant_id");
  const std::string client_id = connection.require("client_id");
  const std::string secret = connection.require_secret("client_secret");
  const std::string scope = connection.string("scope").value_or(kDefaultScope);
  const std::string token_url = trimmed(connection.string("authority_url").value_or(kDefaultAuthority)) +
                                "/" + url_encode(tenant) + "/oauth2/v2.0/token";
  // Jobs of one process share the token of the same tenant, client, secret and scope.
  const std::string key = "adf|" + connection.name() + "|" + token_url + "|" + client_id + "|" + scope +
                          "|" + secret_fingerprint(secret);
  return token_auth(key, [token_url, client_id, secret, scope](RestClient& client) {
    return client_credentials(client, token_url, client_id, secret, scope);
  });
}

Started AdfEngine::start(Session& session) const {
  const Context& ctx = session.ctx();
  const Factory factory = Factory::resolve(session.connection(), &ctx);
  const std::string pipeline = ctx.require<std::string>("pipeline");
  if (pipeline.empty()) throw FatalError("config: 'pipeline' is empty");
  const bool exact = !ctx.get_or<std::string>("idempotency_parameter", "").empty() &&
                     !ctx.idempotency_key().empty();
  // Runs are looked for from `since` on. With an exact key a wide margin costs nothing and
  // covers clock skew; without one it stays short, so that older runs with the same
  // parameters (an earlier attempt's) are not taken for this attempt's.
  const auto margin = exact ? std::chrono::minutes(5) : std::chrono::minutes(0);
  const auto since = system_clock::now() - margin - std::chrono::seconds(5);
  Started out;
  out.pending = true;
  out.handle["phase"] = "starting";
  out.handle["since"] = rfc3339(since);
  out.handle["pipeline"] = pipeline;
  factory.to_handle(out.handle);
  return out;
}

RemoteStatus AdfEngine::status(Session& session, const json::object& handle) const {
  if (pending(handle)) return start_pending(session, handle);
  const Factory factory = Factory::from_handle(session.connection(), handle);
  const std::string run_id = string_field(handle, "run_id");
  Call call;
  call.path = factory.url("/pipelineruns/" + url_encode(run_id));
  call.what = "read ADF run " + run_id;
  Reply reply;
  try {
    reply = session.client().send(call);
  } catch (const ApiError& e) {
    const bool run_gone = std::string_view(e.what()).find("PipelineRunNotFound") != std::string_view::npos;
    if (e.kind() != ApiError::Kind::kNotFound || run_gone) throw;
    factory.not_found(e, "", session.connection());
  }
  const json::object& run = object_reply(reply, call.what);
  RemoteStatus st = map_pipeline_run(run);
  if (st.phase == RemoteStatus::Phase::kFailed)
    for (auto& line : activity_details(session, factory, run_id, run)) st.details.push_back(std::move(line));
  return st;
}

void AdfEngine::cancel(Session& session, const json::object& handle) const {
  // A timed-out attempt is cancelled after its deadline, which the client otherwise applies
  // to these requests too (they would not even be sent): give them one request timeout.
  session.client().set_deadline(std::chrono::steady_clock::now() + session.connection().request_timeout());
  if (pending(handle)) return cancel_pending(session, handle);
  const Factory factory = Factory::from_handle(session.connection(), handle);
  cancel_run(session, factory, string_field(handle, "run_id"));
}

std::string AdfEngine::probe(Session& session) const {
  const Connection& c = session.connection();
  const Factory factory = Factory::resolve(c, nullptr);
  Call call;
  call.path = factory.url("");
  call.what = "read data factory '" + factory.name + "'";
  Reply reply;
  try {
    reply = session.client().send(call);
  } catch (const ApiError& e) {
    if (e.kind() != ApiError::Kind::kNotFound) throw;
    factory.not_found(e, "", c);
  }
  const json::object& body = object_reply(reply, call.what);
  const std::string location = string_field(body, "location");
  return "Data Factory " + factory.name + (location.empty() ? "" : " (" + location + ")") + " in " +
         factory.resource_group + ", authenticated as client " + c.require("client_id");
}

}  // namespace jobhost::connectors::adf
