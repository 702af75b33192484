// One data factory as ARM addresses it, and the calls jobhost makes on it. Every ARM request
// carries api-version=2018-06-01; paths are absolute URLs on the connection's `url` (default
// https://management.azure.com).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>

#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors::adf {

inline constexpr const char* kApiVersion = "2018-06-01";
inline constexpr const char* kDefaultArm = "https://management.azure.com";
inline constexpr const char* kDefaultStudio = "https://adf.azure.com";

struct Factory {
  std::string arm;  // ARM endpoint, no trailing slash
  std::string subscription, resource_group, name;

  // The connection's factory, with the job's `subscription_id`, `resource_group` and
  // `factory` taking precedence when `ctx` is given. FatalError naming a missing key.
  static Factory resolve(const Connection& connection, const Context* ctx);
  // From a handle written by to_handle().
  static Factory from_handle(const Connection& connection, const boost::json::object& handle);
  void to_handle(boost::json::object& handle) const;

  // "/subscriptions/S/resourceGroups/R/providers/Microsoft.DataFactory/factories/F"
  std::string id() const;
  // An absolute URL for `suffix` under the factory ("" or "/pipelineruns/ID"), with the
  // api-version and `query` ("&isRecursive=true") appended.
  std::string url(const std::string& suffix, const std::string& query = "") const;

  // FatalError for a 404: names the subscription, resource group, factory or (otherwise)
  // `what_else` ("pipeline 'x'"), and the connection.
  [[noreturn]] void not_found(const ApiError& e, const std::string& what_else,
                              const Connection& connection) const;
};

// One page of queryPipelineRuns for `pipeline`, updated in [after, before], newest first.
boost::json::object query_runs(Session& session, const Factory& factory, const std::string& pipeline,
                               const std::string& after, const std::string& before,
                               const std::optional<std::string>& continuation);

// POST .../pipelineruns/{run_id}/cancel?isRecursive=true (child pipelines too).
void cancel_run(Session& session, const Factory& factory, const std::string& run_id);

}  // namespace jobhost::connectors::adf
