// A job's config value (a TOML table, array or scalar) as JSON, for the parts of a config
// that are passed through to the engine unchanged (Airflow's DAG run `conf`). The value may
// also be given as a string holding a JSON object, for keys the TOML path syntax cannot
// address (keys with '.', '[' or ']').
#pragma once

#include <jobhost/sdk.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>

namespace jobhost::connectors {

// The value at `path` as JSON: tables become objects, arrays arrays, dates and times their
// ISO-8601 text; null when absent. FatalError naming the key it cannot read.
boost::json::value config_json(const Context& ctx, const std::string& path);

// The object at `path`: a table, or a string holding a JSON object. An empty object when
// absent. FatalError for anything else.
boost::json::object config_object(const Context& ctx, const std::string& path);

}  // namespace jobhost::connectors
