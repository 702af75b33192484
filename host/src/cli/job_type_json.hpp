// A job type as `jobhost plugins --json` and `jobhost describe --json` show it: one shape.
#pragma once

#include <boost/json/object.hpp>

#include "plugins/plugin_registry.hpp"

namespace jobhost::cli {

// {"name","summary","version","config_example","doc","deferrable","cancellable","reattach",
//  "config_schema","outputs_schema"}; schemas as JSON objects, null when not declared.
boost::json::object job_type_json(const JobTypeRef& type);

}  // namespace jobhost::cli
