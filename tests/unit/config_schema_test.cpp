#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/config_schema.hpp"
#include "config/diagnostics.hpp"
#include "config/strict_table.hpp"

using namespace jobhost;

namespace {

// "line:col: message" for each diagnostic, a line each; "" when there are none.
std::string lines_of(const Diagnostics& diags) {
  try {
    diags.throw_if_any();
  } catch (const InputError& e) {
    std::string out;
    for (auto& d : e.diagnostics())
      out += std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.message + "\n";
    return out;
  }
  return "";
}

std::string diagnostics_of(const ConfigSchema& schema, const toml::table& config, int line = 1,
                           int column = 1) {
  Diagnostics diags("p.toml");
  schema.check(config, "load", line, column, diags);
  return lines_of(diags);
}

// What job 'load' with [jobs.config] `config` gets against `json`; the job sits at 1:1.
std::string check(const std::string& json, const std::string& config) {
  return diagnostics_of(*ConfigSchema::parse(json), toml::parse(config));
}

std::string schema_error(const std::string& json) {
  try {
    ConfigSchema::parse(json);
  } catch (const SchemaError& e) {
    return e.what();
  }
  return "";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream os;
  os << f.rdbuf();
  return os.str();
}

const char* kCsv = R"({
  "type": "object",
  "properties": {
    "path": {"type": "string", "minLength": 1, "description": "CSV file to read"},
    "delimiter": {"type": "string", "enum": [",", ";", "\t"], "default": ","},
    "header": {"type": "boolean", "default": true},
    "skip_rows": {"type": "integer", "minimum": 0},
    "sample": {"type": "number", "minimum": 0, "maximum": 1},
    "timeout": {"format": "duration", "default": "30s"},
    "columns": {
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "properties": {
          "type": {"enum": ["int", "float", "text", "date"]},
          "nullable": {"type": "boolean"}
        },
        "required": ["type"]
      }
    },
    "checks": {
      "type": "array",
      "maxItems": 3,
      "items": {
        "type": "object",
        "properties": {
          "column": {"type": "string"},
          "rule": {"enum": ["not_null", "unique"]}
        },
        "required": ["column", "rule"]
      }
    }
  },
  "required": ["path"]
})";

}  // namespace

TEST_CASE("config schema: a config that fits passes", "[config][schema]") {
  CHECK(check(kCsv, R"(path = "in/{{ run.logical_date }}.csv"
delimiter = ";"
header = false
skip_rows = 0
sample = 1
timeout = 90
columns.id = { type = "int" }
columns.day = { type = "date", nullable = true }
[[checks]]
column = "id"
rule = "unique"
)") == "");
  CHECK(check(kCsv, "path = \"a.csv\"\nsample = 0.25\ntimeout = \"1.5m\"\n") == "");
  CHECK(check("{}", "anything = [1, { x = true }]\n") == "");
}

TEST_CASE("config schema: unknown keys, with did-you-mean and nested paths", "[config][schema]") {
  CHECK(check(kCsv, "path = \"a\"\ndelimeter = \",\"\nzzz = 1\n") ==
        "2:1: job 'load' config: unknown key 'delimeter' (did you mean 'delimiter'?)\n"
        "3:1: job 'load' config: unknown key 'zzz'\n");
  CHECK(check(kCsv, "path = \"a\"\n[columns.date]\ntyp = \"date\"\n") ==
        "2:1: job 'load' config: missing required key 'columns.date.type'\n"
        "3:1: job 'load' config: unknown key 'columns.date.typ' (did you mean 'type'?)\n");
  CHECK(check(kCsv, R"(path = "a"
[[checks]]
column = "a"
rule = "unique"
[[checks]]
colum = "b"
rule = "unique"
)") == "5:1: job 'load' config: missing required key 'checks[1].column'\n"
       "6:1: job 'load' config: unknown key 'checks[1].colum' (did you mean 'column'?)\n");
  // Closed: additionalProperties false with no properties; open: explicit true.
  CHECK(check(R"({"additionalProperties": false})", "x = 1\n") ==
        "1:1: job 'load' config: unknown key 'x'\n");
  CHECK(check(R"({"properties": {"a": {}}, "additionalProperties": true})", "b = 1\n") == "");
  // A key that needs quoting in TOML is quoted in its path.
  CHECK(check(R"({"properties": {"m": {"properties": {}}}})", "m.\"a b\" = 1\n") ==
        "1:3: job 'load' config: unknown key 'm.\"a b\"'\n");
}

TEST_CASE("config schema: wrong types name TOML kinds", "[config][schema]") {
  auto schema = R"({"properties": {
    "s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number"},
    "b": {"type": "boolean"}, "a": {"type": "array"}, "t": {"type": "object"},
    "sa": {"type": ["string", "array"]}, "many": {"type": ["integer", "boolean", "object"]}}})";
  CHECK(check(schema, "s = 1\ni = \"3\"\nn = true\nb = \"yes\"\na = { x = 1 }\nt = [1]\n") ==
        "1:5: job 'load' config: 's' must be a string, got an integer\n"
        "2:5: job 'load' config: 'i' must be an integer, got a string\n"
        "3:5: job 'load' config: 'n' must be a number, got a boolean\n"
        "4:5: job 'load' config: 'b' must be a boolean, got a string\n"
        "5:5: job 'load' config: 'a' must be an array, got a table\n"
        "6:5: job 'load' config: 't' must be a table, got an array\n");
  CHECK(check(schema, "i = 2.0\nsa = 1.5\nmany = 1979-05-27T07:32:00Z\n") ==
        "1:5: job 'load' config: 'i' must be an integer, got a float\n"
        "2:6: job 'load' config: 'sa' must be a string or an array, got a float\n"
        "3:8: job 'load' config: 'many' must be an integer, a boolean or a table, got a "
        "date/time\n");
  // An integer is a number; dates and times are strings.
  CHECK(check(schema, "n = 3\ns = 1979-05-27\n") == "");
  CHECK(check(schema, "s = 07:32:00\nsa = [1]\n") == "");
}

TEST_CASE("config schema: missing required keys", "[config][schema]") {
  auto schema = R"({"properties": {
      "path": {"type": "string"},
      "auth": {"properties": {"user": {}, "token": {}}, "required": ["user", "token"]},
      "checks": {"items": {"properties": {"column": {}}, "required": ["column"]}}},
    "required": ["path"]})";
  // Top level: at the job's line and column.
  CHECK(diagnostics_of(*ConfigSchema::parse(schema), toml::table{}, 7, 3) ==
        "7:3: job 'load' config: missing required key 'path'\n");
  Diagnostics diags("p.toml");  // as the user sees it
  ConfigSchema::parse(schema)->check(toml::table{}, "load", 7, 3, diags);
  CHECK_THROWS_WITH(diags.throw_if_any(),
                    "p.toml:7:3: error: job 'load' config: missing required key 'path'");
  // Nested: at the table's header, its inline braces, or the array element's header.
  CHECK(check(schema, R"(path = "x"
checks = [{ column = "a" }, { }]
[auth]
user = "u"
)") == "2:29: job 'load' config: missing required key 'checks[1].column'\n"
       "3:1: job 'load' config: missing required key 'auth.token'\n");
  CHECK(check(schema, "path = \"x\"\nauth = { token = \"t\" }\n") ==
        "2:8: job 'load' config: missing required key 'auth.user'\n");
}

TEST_CASE("config schema: enum", "[config][schema]") {
  auto schema = R"({"properties": {
    "method": {"type": "string", "enum": ["GET", "POST", "PUT"]},
    "version": {"enum": ["v2"]}, "level": {"enum": [1, 2, 3.5, true]}}})";
  CHECK(check(schema, "method = \"PST\"\n") ==
        "1:10: job 'load' config: 'method' must be one of \"GET\", \"POST\", \"PUT\" (got \"PST\"; "
        "did you mean \"POST\"?)\n");
  CHECK(check(schema, "method = \"DELETE\"\nversion = \"v1\"\nlevel = 4\n") ==
        "1:10: job 'load' config: 'method' must be one of \"GET\", \"POST\", \"PUT\" (got "
        "\"DELETE\")\n"
        "2:11: job 'load' config: 'version' must be \"v2\" (got \"v1\")\n"
        "3:9: job 'load' config: 'level' must be one of 1, 2, 3.5, true (got 4)\n");
  // Numbers compare by value, whatever their TOML or JSON kind.
  CHECK(check(schema, "level = 2\n") == "");
  CHECK(check(schema, "level = 2.0\n") == "");
  CHECK(check(schema, "level = 3.5\n") == "");
  CHECK(check(schema, "level = true\n") == "");
  CHECK(check(schema, "level = \"1\"\n") ==
        "1:9: job 'load' config: 'level' must be one of 1, 2, 3.5, true (got \"1\")\n");
}

TEST_CASE("config schema: bounds name the bound", "[config][schema]") {
  auto schema = R"({"properties": {
    "retries": {"type": "integer", "minimum": 0, "maximum": 10},
    "ratio": {"type": "number", "minimum": 0.5, "maximum": 1.5},
    "argv": {"type": "array", "minItems": 1, "maxItems": 2},
    "pair": {"type": "array", "minItems": 2},
    "one": {"type": "array", "maxItems": 1},
    "name": {"type": "string", "minLength": 1},
    "code": {"type": "string", "minLength": 3}}})";
  CHECK(check(schema,
              "retries = -1\nratio = 2\nargv = []\npair = [1]\nname = \"\"\ncode = \"é!\"\n") ==
        "1:11: job 'load' config: 'retries' must be at least 0 (got -1)\n"
        "2:9: job 'load' config: 'ratio' must be at most 1.5 (got 2)\n"
        "3:8: job 'load' config: 'argv' must not be empty\n"
        "4:8: job 'load' config: 'pair' must have at least 2 items (got 1)\n"
        "5:8: job 'load' config: 'name' must not be empty\n"
        "6:8: job 'load' config: 'code' must be at least 3 characters long (got 2)\n");
  CHECK(check(schema, "retries = 11\nratio = 0.25\nargv = [\"a\", \"b\", \"c\"]\none = [1, 2]\n") ==
        "1:11: job 'load' config: 'retries' must be at most 10 (got 11)\n"
        "2:9: job 'load' config: 'ratio' must be at least 0.5 (got 0.25)\n"
        "3:8: job 'load' config: 'argv' must have at most 2 items (got 3)\n"
        "4:7: job 'load' config: 'one' must have at most 1 item (got 2)\n");
  CHECK(check(schema,
              "retries = 10\nratio = 0.5\nargv = [\"a\"]\nname = \"x\"\ncode = \"abc\"\n") == "");
  CHECK(check(schema, "ratio = nan\n") ==
        "1:9: job 'load' config: 'ratio' must be at least 0.5 (got nan)\n");
}

TEST_CASE("config schema: format duration", "[config][schema]") {
  auto schema = R"({"properties": {"timeout": {"format": "duration"},
                                     "poll": {"type": "string", "format": "duration"},
                                     "url": {"type": "string", "format": "uri"}}})";
  for (auto ok : {"\"250ms\"", "\"10s\"", "\"1.5m\"", "\"2h\"", "\"1d\"", "\"10\"", "30", "0.5"})
    CHECK(check(schema, std::string("timeout = ") + ok + "\n") == "");
  CHECK(check(schema, "timeout = \"10 s\"\n") ==
        "1:11: job 'load' config: 'timeout': \"10 s\" is not a duration (use e.g. \"250ms\", "
        "\"10s\", \"5m\", \"2h\", \"1d\", or a number of seconds)\n");
  CHECK(check(schema, "timeout = -5\n") ==
        "1:11: job 'load' config: 'timeout': -5 is not a duration (use e.g. \"250ms\", \"10s\", "
        "\"5m\", \"2h\", \"1d\", or a number of seconds)\n");
  CHECK(check(schema, "timeout = true\n") ==
        "1:11: job 'load' config: 'timeout': true is not a duration (use e.g. \"250ms\", "
        "\"10s\", \"5m\", \"2h\", \"1d\", or a number of seconds)\n");
  CHECK(check(schema, "poll = 5\n") ==
        "1:8: job 'load' config: 'poll' must be a string, got an integer\n");
  // Other formats are annotations.
  CHECK(check(schema, "url = \"not a url\"\n") == "");
}

TEST_CASE("config schema: oneOf and anyOf of required lists", "[config][schema]") {
  auto schema = R"({"properties": {"command": {}, "argv": {}, "user": {}, "password": {},
      "token": {}, "auth": {"properties": {"a": {}, "b": {}}, "anyOf": [{"required": ["a"]},
      {"required": ["b"]}]}},
    "oneOf": [{"required": ["command"]}, {"required": ["argv"]}],
    "anyOf": [{"required": ["user", "password"]}, {"required": ["token"]}]})";
  CHECK(check(schema, "token = \"t\"\n") ==
        "1:1: job 'load' config: needs exactly one of 'command' or 'argv'\n");
  CHECK(check(schema, "command = \"x\"\ntoken = \"t\"\nargv = [\"x\"]\n") ==
        "3:1: job 'load' config: needs exactly one of 'command' or 'argv' (got both)\n");
  CHECK(check(schema, "command = \"x\"\nuser = \"u\"\n") ==
        "1:1: job 'load' config: needs one of ('user' and 'password') or 'token'\n");
  CHECK(check(schema, "command = \"x\"\nuser = \"u\"\npassword = \"p\"\ntoken = \"t\"\n") == "");
  CHECK(check(schema, "argv = []\ntoken = \"t\"\n[auth]\n") ==
        "3:1: job 'load' config: needs one of 'auth.a' or 'auth.b'\n");
  auto three = R"({"oneOf": [{"required": ["a"]}, {"required": ["b"]}, {"required": ["c"]}]})";
  CHECK(check(three, "a = 1\nc = 2\n") ==
        "2:1: job 'load' config: needs exactly one of 'a', 'b' or 'c' (got 'a' and 'c')\n");
  CHECK(check(three, "b = 1\n") == "");
}

TEST_CASE("config schema: templates are text known at run time", "[config][schema]") {
  auto schema = R"({"properties": {
    "path": {"type": "string", "minLength": 50},
    "mode": {"enum": ["a", "b"]},
    "timeout": {"format": "duration"},
    "times": {"type": "integer"},
    "when": {"type": ["integer", "string"], "enum": [1]},
    "args": {"type": "array", "items": {"type": "string", "enum": ["-v"]}}}})";
  CHECK(check(schema, R"(path = "{{ params.p }}"
mode = "{{ params.mode }}"
timeout = "{{ params.t }}s"
when = "{{ run.id }}"
args = ["{{ params.a }}"]
)") == "");
  CHECK(check(schema, "times = \"{{ params.n }}\"\nargs = \"{{ params.list }}\"\n") ==
        "1:9: job 'load' config: 'times' must be an integer, got a template (templates expand "
        "to text)\n"
        "2:8: job 'load' config: 'args' must be an array, got a template (templates expand to "
        "text)\n");
}

TEST_CASE("config schema: maps, arrays of tables and nested arrays", "[config][schema]") {
  auto schema = R"({"properties": {
    "env": {"type": "object", "additionalProperties": {"type": "string"}},
    "headers": {"type": "object", "properties": {"Accept": {"type": "string"}},
                "additionalProperties": {"type": "string", "minLength": 1}},
    "matrix": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
    "none": {"type": "object", "properties": {"x": false}}}})";
  CHECK(check(schema, R"(env = { HOME = "/h", N = 3, "MY VAR" = true }
headers = { Accept = 1, X-Trace = "" }
matrix = [[1, 2], [3, "4"], 5]
none = { x = 1 }
)") == "1:26: job 'load' config: 'env.N' must be a string, got an integer\n"
       "1:40: job 'load' config: 'env.\"MY VAR\"' must be a string, got a boolean\n"
       "2:22: job 'load' config: 'headers.Accept' must be a string, got an integer\n"
       "2:35: job 'load' config: 'headers.X-Trace' must not be empty\n"
       "3:23: job 'load' config: 'matrix[1][1]' must be an integer, got a string\n"
       "3:29: job 'load' config: 'matrix[2]' must be an array, got an integer\n"
       "4:14: job 'load' config: 'none.x' is not allowed here\n");
}

TEST_CASE("config schema: every problem is reported, in source order", "[config][schema]") {
  CHECK(check(kCsv, R"(skip_rows = -1
delimiter = "|"
timeout = "soon"
[columns]
a = { type = "int", nullable = "no" }
b = "int"
[[checks]]
rule = "uniq"
)") == "1:1: job 'load' config: missing required key 'path'\n"
       "1:13: job 'load' config: 'skip_rows' must be at least 0 (got -1)\n"
       "2:13: job 'load' config: 'delimiter' must be one of \",\", \";\", \"\\t\" (got \"|\")\n"
       "3:11: job 'load' config: 'timeout': \"soon\" is not a duration (use e.g. \"250ms\", "
       "\"10s\", \"5m\", \"2h\", \"1d\", or a number of seconds)\n"
       "5:32: job 'load' config: 'columns.a.nullable' must be a boolean, got a string\n"
       "6:5: job 'load' config: 'columns.b' must be a table, got a string\n"
       "7:1: job 'load' config: missing required key 'checks[0].column'\n"
       "8:8: job 'load' config: 'checks[0].rule' must be one of \"not_null\", \"unique\" (got "
       "\"uniq\"; did you mean \"unique\"?)\n");
}

TEST_CASE("config schema: a copied table has no value positions, keys place diagnostics",
          "[config][schema]") {
  auto doc = toml::parse(R"([[jobs]]
name = "load"
[jobs.config]
skip_rows = "x"
checks = [
  { rule = "unique" },
]
[jobs.config.columns.a]
type = 1
)");
  const toml::table& original = *doc["jobs"][0]["config"].as_table();
  toml::table copy = original;  // what JobSpec::config holds
  // toml++ (3.3) drops source positions on copy, but not the keys' positions.
  CHECK(original.get("skip_rows")->source().begin.line == 4);
  CHECK(copy.get("skip_rows")->source().begin.line == 0);
  CHECK(copy.find("skip_rows")->first.source().begin.line == 4);
  auto schema = ConfigSchema::parse(kCsv);
  CHECK(diagnostics_of(*schema, original, 1, 1) ==
        "1:1: job 'load' config: missing required key 'path'\n"
        "4:13: job 'load' config: 'skip_rows' must be an integer, got a string\n"
        "6:3: job 'load' config: missing required key 'checks[0].column'\n"
        "9:8: job 'load' config: 'columns.a.type' must be one of \"int\", \"float\", \"text\", "
        "\"date\" (got 1)\n");
  CHECK(diagnostics_of(*schema, copy, 1, 1) ==
        "1:1: job 'load' config: missing required key 'path'\n"
        "4:1: job 'load' config: 'skip_rows' must be an integer, got a string\n"
        "6:5: job 'load' config: missing required key 'checks[0].column'\n"
        "9:1: job 'load' config: 'columns.a.type' must be one of \"int\", \"float\", \"text\", "
        "\"date\" (got 1)\n");
  // A table built in code has no positions at all: everything lands on the job.
  toml::table built{{"skip_rows", "x"}};
  CHECK(diagnostics_of(*schema, built, 12, 1) ==
        "12:1: job 'load' config: 'skip_rows' must be an integer, got a string\n"
        "12:1: job 'load' config: missing required key 'path'\n");
}

TEST_CASE("config schema: schema errors name the place in the schema", "[config][schema]") {
  CHECK(schema_error("{\"type\": \"object\",\n \"properties\": {,}}") ==
        "not valid JSON: syntax error at line 2, column 17");
  CHECK(schema_error("") == "not valid JSON: incomplete JSON at line 1, column 1");
  CHECK(schema_error("[1]") == "a schema must be a JSON object");
  CHECK(schema_error("true") == "a schema must be a JSON object");
  CHECK(schema_error(R"({"type": "string"})") ==
        "the top-level schema must describe a table (\"type\": \"object\")");
  CHECK(schema_error(R"({"properties": {"a": {"type": "strng"}}})") ==
        "properties.a: unknown type 'strng' (did you mean 'string'?)");
  CHECK(schema_error(R"({"properties": {"a": {"type": "text"}}})") ==
        "properties.a: unknown type 'text'");
  CHECK(schema_error(R"({"properties": {"a": {"type": 3}}})") ==
        "properties.a: 'type' must be a string or an array of strings");
  CHECK(schema_error(R"({"properties": {"a": {"type": []}}})") ==
        "properties.a: 'type' must be a string or an array of strings");
  CHECK(schema_error(R"({"properties": {"checks": {"items": {"required": "column"}}}})") ==
        "properties.checks.items: 'required' must be an array of strings");
  CHECK(schema_error(R"({"required": ["a", 1]})") == "'required' must be an array of strings");
  CHECK(schema_error(R"({"properties": {"a": "string"}})") ==
        "properties.a: a schema must be a JSON object");
  CHECK(schema_error(R"({"properties": []})") == "'properties' must be an object of schemas");
  CHECK(schema_error(R"({"additionalProperties": "no"})") ==
        "'additionalProperties' must be a boolean or a schema");
  CHECK(schema_error(R"({"properties": {"m": {"additionalProperties": {"type": "nope"}}}})") ==
        "properties.m.additionalProperties: unknown type 'nope'");
  CHECK(schema_error(R"({"properties": {"a": {"items": [{}]}}})") ==
        "properties.a: 'items' must be one schema; a list of schemas is not supported");
  CHECK(schema_error(R"({"properties": {"a": {"enum": []}}})") ==
        "properties.a: 'enum' must be a non-empty array");
  CHECK(schema_error(R"({"properties": {"a": {"minimum": "1"}}})") ==
        "properties.a: 'minimum' must be a number");
  CHECK(schema_error(R"({"properties": {"a": {"maximum": null}}})") ==
        "properties.a: 'maximum' must be a number");
  CHECK(schema_error(R"({"properties": {"a": {"minItems": -1}}})") ==
        "properties.a: 'minItems' must be a non-negative integer");
  CHECK(schema_error(R"({"properties": {"a": {"maxItems": 1.5}}})") ==
        "properties.a: 'maxItems' must be a non-negative integer");
  CHECK(schema_error(R"({"properties": {"a": {"minLength": "2"}}})") ==
        "properties.a: 'minLength' must be a non-negative integer");
  CHECK(schema_error(R"({"properties": {"a": {"minimum": 5, "maximum": 1}}})") ==
        "properties.a: 'minimum' is greater than 'maximum'");
  CHECK(schema_error(R"({"properties": {"a": {"minItems": 5, "maxItems": 1}}})") ==
        "properties.a: 'minItems' is greater than 'maxItems'");
  CHECK(schema_error(R"({"properties": {"a": {"format": 1}}})") ==
        "properties.a: 'format' must be a string");
  CHECK(schema_error(R"({"properties": {"a": {"description": ["x"]}}})") ==
        "properties.a: 'description' must be a string");
  CHECK(schema_error(R"({"properties": {"a": {"examples": "x"}}})") ==
        "properties.a: 'examples' must be an array");
  CHECK(schema_error(R"({"oneOf": {"required": ["a"]}})") ==
        "'oneOf' must be a non-empty array of {\"required\": [...]} objects");
  CHECK(schema_error(R"({"anyOf": [{"required": ["a"]}, {"type": "string"}]})") ==
        "anyOf[1]: only {\"required\": [...]} is supported in 'anyOf'");
  CHECK(schema_error(R"({"oneOf": [{"required": ["a"], "properties": {}}]})") ==
        "oneOf[0]: only {\"required\": [...]} is supported in 'oneOf', not 'properties'");
  CHECK(schema_error(R"({"properties": {"x": {"oneOf": [{"required": []}]}}})") ==
        "properties.x.oneOf[0]: 'required' must name at least one key");
  CHECK(schema_error(R"({"properties": {"a": {}}, "required": ["b"]})") ==
        "'required' names 'b', which is not in 'properties' (and other keys are not allowed)");
  CHECK(schema_error(R"({"properties": {"a": {}}, "oneOf": [{"required": ["a"]},
                         {"required": ["c"]}]})") ==
        "'oneOf' names 'c', which is not in 'properties' (and other keys are not allowed)");
  // Unknown keywords are ignored (a schema for a newer host still loads); so are the
  // documentation keywords and boolean sub-schemas; an open object may require any key.
  CHECK(schema_error(R"({"$schema": "x", "title": "t", "if": {}, "properties": {
      "a": true, "b": false, "c": {"default": [1], "examples": [2], "x-ui": 1}},
      "additionalProperties": {}, "required": ["z"]})") == "");
}

TEST_CASE("config schema: outputs schemas", "[config][schema]") {
  auto outputs = ConfigSchema::parse(R"({"properties": {"rows": {}, "bytes": {}}})");
  CHECK(outputs->property_names() == std::vector<std::string>{"bytes", "rows"});
  CHECK(outputs->closed());
  CHECK_FALSE(ConfigSchema::parse(R"({"properties": {"rows": {}},
                                      "additionalProperties": true})")
                  ->closed());
  CHECK_FALSE(ConfigSchema::parse("{}")->closed());
  CHECK(ConfigSchema::parse(R"({"additionalProperties": false})")->closed());
  CHECK_FALSE(ConfigSchema::parse(R"({"properties": {"a": {}},
                                      "additionalProperties": {"type": "integer"}})")
                  ->closed());
  CHECK(ConfigSchema::parse(" {} ")->json() == " {} ");
}

TEST_CASE("config schema: describe renders an aligned table", "[config][schema]") {
  CHECK(ConfigSchema::parse(kCsv)->describe() ==
        "KEY                 TYPE             REQUIRED  DEFAULT  DESCRIPTION\n"
        "path                string           required  -        CSV file to read; at least 1 "
        "character\n"
        "delimiter           string           optional  \",\"      one of: \",\", \";\", \"\\t\"\n"
        "header              boolean          optional  true\n"
        "skip_rows           integer          optional  -        at least 0\n"
        "sample              number           optional  -        at least 0; at most 1\n"
        "timeout             duration         optional  \"30s\"\n"
        "columns             table            optional  -\n"
        "columns.*           table            optional  -\n"
        "columns.*.type      string           required  -        one of: int, float, text, date\n"
        "columns.*.nullable  boolean          optional  -\n"
        "checks              array of tables  optional  -        at most 3 items\n"
        "checks[].column     string           required  -\n"
        "checks[].rule       string           required  -        one of: not_null, unique\n");
  CHECK(ConfigSchema::parse(R"({"properties": {
      "command": {"type": ["string", "array"], "items": {"type": "string"},
                  "description": "What to run.\nA string goes to the shell."},
      "argv": {"type": "array", "items": {"type": "string", "enum": ["-a", "-b"]},
               "minItems": 1, "title": "Arguments."},
      "env": {"additionalProperties": {"type": "string"}, "default": {"A": "x", "B": 2}},
      "retry": {"type": "object", "properties": {"count": {"type": "integer", "default": 3}},
                "additionalProperties": true}},
    "oneOf": [{"required": ["command"]}, {"required": ["argv"]}],
    "additionalProperties": true})")
            ->describe() ==
        "KEY          TYPE                        REQUIRED  DEFAULT             DESCRIPTION\n"
        "command      string or array of strings  optional  -                   What to run. A "
        "string goes to the shell.\n"
        "argv         array of strings            optional  -                   Arguments; each "
        "one of: -a, -b; at least 1 item\n"
        "env          any                         optional  { A = \"x\", B = 2 }\n"
        "env.*        string                      optional  -\n"
        "retry        table                       optional  -\n"
        "retry.count  integer                     optional  3\n"
        "\n"
        "'retry' may hold other keys (not checked)\n"
        "needs exactly one of 'command' or 'argv'\n"
        "other keys are allowed (not checked)\n");
  // Widths count characters, not bytes; long defaults are cut; oneOf inside array items.
  CHECK(ConfigSchema::parse(R"({"properties": {
      "größe": {"type": "integer", "default": 1, "description": "in cm"},
      "tags": {"type": "array", "items": {"type": "string"},
               "default": ["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"]},
      "checks": {"type": "array", "items": {"type": "object",
        "properties": {"column": {"type": "string"}, "columns": {"type": "array"}},
        "oneOf": [{"required": ["column"]}, {"required": ["columns"]}]}}}})")
            ->describe() ==
        "KEY               TYPE              REQUIRED  DEFAULT                           "
        "DESCRIPTION\n"
        "\"größe\"           integer           optional  1                                 in cm\n"
        "tags              array of strings  optional  [\"aaaaaaaaaa\", \"bbbbbbbbbb\", ...\n"
        "checks            array of tables   optional  -\n"
        "checks[].column   string            optional  -\n"
        "checks[].columns  array             optional  -\n"
        "\n"
        "needs exactly one of 'checks[].column' or 'checks[].columns'\n");
  CHECK(ConfigSchema::parse("{}")->describe() == "any keys (not checked)\n");
  CHECK(ConfigSchema::parse(R"({"additionalProperties": false})")->describe() ==
        "no keys\n");
}

// Each tests/unit/schema_corpus/NAME.toml is a pipeline fragment whose [[jobs]] are checked
// against NAME.schema.json; NAME.expected lists the diagnostics, "line:col: message" a line.
TEST_CASE("config schema: corpus", "[config][schema]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(JOBHOST_SOURCE_DIR) / "tests/unit/schema_corpus";
  std::vector<fs::path> cases;
  for (auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".toml") cases.push_back(entry.path());
  std::sort(cases.begin(), cases.end());
  CHECK(cases.size() >= 15);
  for (auto& path : cases) {
    fs::path base = path;
    base.replace_extension();
    INFO("corpus case " << base.filename().string());
    auto schema = ConfigSchema::parse(read_text(base.string() + ".schema.json"));
    toml::table doc = toml::parse(read_text(path), path.string());
    auto* jobs = doc["jobs"].as_array();
    REQUIRE(jobs);
    Diagnostics diags(path.string()), from_copies(path.string());
    for (auto& node : *jobs) {
      auto& job = *node.as_table();
      int line = static_cast<int>(job.source().begin.line);
      int column = static_cast<int>(job.source().begin.column);
      std::string name = job["name"].value_or(std::string("?"));
      const toml::table* config = job["config"].as_table();
      toml::table empty;
      schema->check(config ? *config : empty, name, line, column, diags);
      toml::table copy = config ? *config : empty;
      schema->check(copy, name, line, column, from_copies);
    }
    std::string expected = read_text(base.string() + ".expected");
    CHECK(lines_of(diags) == expected);
    // A copy (as the loader stores it) loses value positions: the same messages, each still
    // placed on a line.
    auto messages = [](const std::string& lines) {
      std::vector<std::string> out;
      std::istringstream in(lines);
      for (std::string l; std::getline(in, l);) {
        auto colon = l.find(": ");
        CHECK(l.rfind("0:", 0) != 0);
        out.push_back(l.substr(colon + 2));
      }
      std::sort(out.begin(), out.end());
      return out;
    };
    CHECK(messages(lines_of(from_copies)) == messages(expected));
  }
}
