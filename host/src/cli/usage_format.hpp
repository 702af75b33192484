// How the CLI and the run document show what an attempt used (util/attempt_usage.hpp): the
// JSON fields peak_rss_bytes, cpu_user_seconds and cpu_system_seconds (null when not known),
// and short text for tables.
#pragma once

#include <boost/json/object.hpp>

#include <string>

#include "util/attempt_usage.hpp"

namespace jobhost::cli {

// Adds the three fields to `o`; CPU seconds are rounded to the microsecond, as stored.
void add_usage_fields(boost::json::object& o, const AttemptUsage& u);
// "12.3 MiB"; "-" when not known.
std::string format_peak_rss(const AttemptUsage& u);
// "0.412s/0.020s" (user/system); "-" when not known.
std::string format_cpu(const AttemptUsage& u);

}  // namespace jobhost::cli
