#include "adf_factory.hpp"

#include <boost/json.hpp>

#include "jobhost_connectors/json_fields.hpp"

namespace jobhost::connectors::adf {
namespace {

namespace json = boost::json;

std::string arm_endpoint(const Connection& connection) {
  std::string arm = connection.string("url").value_or(kDefaultArm);
  while (!arm.empty() && arm.back() == '/') arm.pop_back();
  return arm;
}

}  // namespace

Factory Factory::resolve(const Connection& connection, const Context* ctx) {
  auto pick = [&](const char* key) {
    if (ctx) {
      if (auto v = ctx->get<std::string>(key); v && !v->empty()) return *v;
    }
    if (auto v = connection.string(key); v && !v->empty()) return *v;
    throw FatalError("connection '" + connection.name() + "': missing '" + key +
                     "' (set it on the connection or in the job's config)");
  };
  Factory f;
  f.arm = arm_endpoint(connection);
  f.subscription = pick("subscription_id");
  f.resource_group = pick("resource_group");
  f.name = pick("factory");
  return f;
}

Factory Factory::from_handle(const Connection& connection, const json::object& handle) {
  Factory f;
  f.arm = arm_endpoint(connection);
  f.subscription = string_field(handle, "subscription_id");
  f.resource_group = string_field(handle, "resource_group");
  f.name = string_field(handle, "factory");
  if (f.subscription.empty() || f.resource_group.empty() || f.name.empty())
    throw FatalError("ADF: the run handle does not name its factory");
  return f;
}

void Factory::to_handle(json::object& handle) const {
  handle["subscription_id"] = subscription;
  handle["resource_group"] = resource_group;
  handle["factory"] = name;
}

std::string Factory::id() const {
  return "/subscriptions/" + url_encode(subscription) + "/resourceGroups/" + url_encode(resource_group) +
         "/providers/Microsoft.DataFactory/factories/" + url_encode(name);
}

std::string Factory::url(const std::string& suffix, const std::string& query) const {
  return arm + id() + suffix + "?api-version=" + kApiVersion + query;
}

void Factory::not_found(const ApiError& e, const std::string& what_else,
                        const Connection& connection) const {
  const std::string_view said = e.what();
  const std::string on = " on connection '" + connection.name() + "'";
  if (said.find("SubscriptionNotFound") != std::string_view::npos)
    throw FatalError("subscription '" + subscription + "' not found" + on);
  if (said.find("ResourceGroupNotFound") != std::string_view::npos)
    throw FatalError("resource group '" + resource_group + "' not found in subscription '" +
                     subscription + "'" + on);
  if (said.find("ResourceNotFound") != std::string_view::npos || what_else.empty())
    throw FatalError("factory '" + name + "' not found in resource group '" + resource_group + "'" + on);
  throw FatalError(what_else + " not found in factory '" + name + "'" + on);
}

json::object query_runs(Session& session, const Factory& factory, const std::string& pipeline,
                        const std::string& after, const std::string& before,
                        const std::optional<std::string>& continuation) {
  json::object body{
      {"lastUpdatedAfter", after},
      {"lastUpdatedBefore", before},
      {"filters", json::array{json::object{
                      {"operand", "PipelineName"}, {"operator", "Equals"}, {"values", json::array{pipeline}}}}},
      {"orderBy", json::array{json::object{{"orderBy", "RunStart"}, {"order", "DESC"}}}}};
  if (continuation) body["continuationToken"] = *continuation;
  Call call;
  call.method = "POST";
  call.path = factory.url("/queryPipelineRuns");
  call.json = std::move(body);
  call.what = "look for runs of ADF pipeline '" + pipeline + "'";
  Reply reply;
  try {
    reply = session.client().send(call);
  } catch (const ApiError& e) {
    if (e.kind() != ApiError::Kind::kNotFound) throw;
    factory.not_found(e, "", session.connection());
  }
  if (const json::object* o = reply.json.if_object()) return *o;
  throw ApiError(ApiError::Kind::kRetryable, reply.status, call.what + ": the reply is not a JSON object");
}

void cancel_run(Session& session, const Factory& factory, const std::string& run_id) {
  Call call;
  call.method = "POST";
  call.path = factory.url("/pipelineruns/" + url_encode(run_id) + "/cancel", "&isRecursive=true");
  call.what = "cancel ADF run " + run_id;
  session.client().send(call);
}

}  // namespace jobhost::connectors::adf
