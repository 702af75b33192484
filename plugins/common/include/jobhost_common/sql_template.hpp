// Expansion of {{ ... }} variables in SQL read from files. (Strings in the pipeline TOML are
// expanded by the host before a job sees them; a file's contents are not, so the job does it
// with the same vocabulary.)
#pragma once

#include <jobhost/sdk.hpp>

#include <string>
#include <string_view>

namespace jobhost::common {

// Replaces {{ run.logical_date }}, {{ run.id }}, {{ job.name }} and {{ params.NAME }}
// (a run parameter, asked from the host as input("@params", NAME)). Whitespace inside the
// braces is optional. Throws FatalError naming `source` and the variable for an unknown
// variable, an unknown parameter or an unclosed "{{".
std::string expand_template(std::string_view text, const Context& ctx, std::string_view source);

}  // namespace jobhost::common
