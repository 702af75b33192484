// Reply helpers the databricks engine's files share; internal to the databricks plugin.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors::databricks {

// A string or integer member as text, or "" when it is absent or of another type.
std::string text_of(const boost::json::object& o, std::string_view key);

// The reply's JSON object; a retryable ApiError naming `what` when it is not an object.
const boost::json::object& object_reply(const Reply& reply, const std::string& what);

// Databricks answers 400 INVALID_PARAMETER_VALUE "Job 999 does not exist." for an unknown
// job or run (and 404 RESOURCE_DOES_NOT_EXIST on some paths): both mean "not there".
// `what` is "Job 999" or "Run 123", so another object's absence is not taken for it.
bool does_not_exist(const ApiError& e, const std::string& what);

}  // namespace jobhost::connectors::databricks
