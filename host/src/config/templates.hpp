// {{ params.NAME }}, {{ run.logical_date }}, {{ run.logical_time }}, {{ run.data_interval_start }},
// {{ run.data_interval_end }}, {{ run.id }}, {{ job.name }} in config strings,
// and {{ jobs.NAME.outputs.KEY }}: an upstream job's output, expanded when the job starts.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>
#include <toml++/toml.h>

namespace jobhost {

struct TemplateVars {
  std::map<std::string, std::string, std::less<>> values;  // "params.x", "run.id", ...
  // True when the run starts: {{ jobs.NAME.outputs.KEY }} placeholders stay as they are, for
  // the job's start (a malformed {{ jobs.* }} is an unknown variable, as ever).
  bool keep_job_outputs = false;
  // When the job starts: the value of {{ jobs.NAME.outputs.KEY }} (upstream job, key).
  std::function<std::optional<std::string>(std::string_view job, std::string_view key)> job_output;
};

// {{ jobs.NAME.outputs.KEY }}: NAME and KEY, or nullopt when `variable` does not have that
// form (a variable starting with "jobs." that does not is malformed).
struct JobOutputRef {
  std::string job, key;
};
std::optional<JobOutputRef> parse_job_output(std::string_view variable);

// Every {{ jobs.NAME.outputs.KEY }} in the table's strings, with the string that holds it
// (for its source position). Malformed jobs.* variables are left to the loader's checks.
struct JobOutputUse {
  JobOutputRef ref;
  const toml::node* node;
};
std::vector<JobOutputUse> job_output_uses(const toml::table& table);

// The variable names used in `text` ("params.x"), or an error message for a malformed
// placeholder.
std::vector<std::string> template_variables(std::string_view text, std::string* error);

// Replaces every placeholder. Throws std::runtime_error naming an unknown variable.
std::string expand_template(std::string_view text, const TemplateVars& vars);

// Expands every string in the table, recursively, into a new table.
toml::table expand_table(const toml::table& in, const TemplateVars& vars);

}  // namespace jobhost
