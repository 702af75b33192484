// A job type's declared config (jh_job_type.config_schema) and outputs (outputs_schema): a
// subset of JSON Schema, parsed once when the plugin loads, and used to check every job's
// [jobs.config] statically, before anything runs (`jobhost validate`, `run`).
//
// The subset (docs/sdk.md, "Declaring a config schema"):
//   type                 "object" "array" "string" "integer" "number" "boolean", or a list of them.
//                        TOML tables are objects; dates and times are strings; an integer is a
//                        number too.
//   properties, required, additionalProperties
//                        an object with `properties` and no `additionalProperties` is closed:
//                        other keys are errors ("did you mean"). additionalProperties may be a
//                        schema (a table used as a map, e.g. env = { A = "x" }).
//   items                the schema of every array element (arrays of tables included).
//   enum                 allowed values. minimum, maximum, minItems, maxItems, minLength.
//   format "duration"    "10s", "250ms", "1.5m", "2h", "1d" or a number of seconds.
//   oneOf, anyOf         only as lists of {"required": [...]}: "exactly one / at least one of
//                        these keys".
//   description, default, examples, title
//                        documentation (shown by `jobhost describe`); never applied.
// Other keywords are ignored, as JSON Schema says, so a schema written for a newer host still
// loads here.
//
// Templates: a string holding "{{ ... }}" is text whose value is known only at run time. It
// must be allowed to be a string; enum, format and length are not checked on it.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>
#include <toml++/toml.h>

namespace jobhost {

class Diagnostics;

// A schema that is not valid JSON or misuses a keyword; the message says which and where
// (e.g. "properties.columns.items: 'required' must be an array of strings").
struct SchemaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ConfigSchema {
 public:
  // Throws SchemaError.
  static std::shared_ptr<const ConfigSchema> parse(std::string_view json);
  ~ConfigSchema();
  ConfigSchema(const ConfigSchema&) = delete;
  ConfigSchema& operator=(const ConfigSchema&) = delete;

  // Reports every mismatch of `config` (a job's [jobs.config] table, with its source
  // positions) into `diags` as "job 'JOB' config: ...", at the offending value's line and
  // column. A missing required key is reported at (line, column): the job's [[jobs]] entry.
  void check(const toml::table& config, std::string_view job, int line, int column,
             Diagnostics& diags) const;
  // The same for another table, with messages as "SUBJECT: ..." (e.g. "connection 'af'").
  void check_as(const toml::table& table, std::string_view subject, int line, int column,
                Diagnostics& diags) const;

  // For an outputs schema: the declared keys, sorted, and whether other keys may appear.
  std::vector<std::string> property_names() const;
  bool closed() const;

  // One line per key (dotted paths for nested tables, [] for array elements): type,
  // required or optional, default, allowed values, description. For `jobhost describe`.
  std::string describe() const;
  // The schema's JSON text as declared.
  const std::string& json() const;

  struct Node;  // parsed schema node (config_schema.cpp)

 private:
  ConfigSchema();
  std::string json_;
  std::unique_ptr<Node> root_;
};

}  // namespace jobhost
