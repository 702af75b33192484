// {{ params.NAME }}, {{ run.logical_date }}, {{ run.id }}, {{ job.name }} in config strings.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>
#include <toml++/toml.h>

namespace jobhost {

struct TemplateVars {
  std::map<std::string, std::string, std::less<>> values;  // "params.x", "run.id", ...
};

// The variable names used in `text` ("params.x"), or an error message for a malformed
// placeholder.
std::vector<std::string> template_variables(std::string_view text, std::string* error);

// Replaces every placeholder. Throws std::runtime_error naming an unknown variable.
std::string expand_template(std::string_view text, const TemplateVars& vars);

// Expands every string in the table, recursively, into a new table.
toml::table expand_table(const toml::table& in, const TemplateVars& vars);

}  // namespace jobhost
