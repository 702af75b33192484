// Every built-in job type declares its ABI 1.1 documentation: a config schema, an outputs
// schema and a doc, each present and well formed, and a config_example its schema admits.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <string_view>
#include <toml++/toml.h>

#include "support.hpp"

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 13> kBuiltinJobTypes = {
    "utilities.noop",      "utilities.shell",     "utilities.file_sensor", "utilities.http",
    "utilities.retention", "ingestion.csv",       "ingestion.jsonl",       "processing.sql",
    "processing.validate", "aggregation.sql",     "aggregation.rollup",    "ml.linear_regression",
    "ml.predict"};

// The member as the plugin compiled it; nullptr when its struct_size predates the member.
// (Read from the C struct until JobTypeRef carries the texts.)
const char* config_schema_of(const jh_job_type* t) {
  return JH_HAS(jh_job_type, t, config_schema) ? t->config_schema : nullptr;
}
const char* outputs_schema_of(const jh_job_type* t) {
  return JH_HAS(jh_job_type, t, outputs_schema) ? t->outputs_schema : nullptr;
}
const char* doc_of(const jh_job_type* t) { return JH_HAS(jh_job_type, t, doc) ? t->doc : nullptr; }

bool blank(const char* text) {
  return text == nullptr || std::string_view(text).find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// The schema text parsed as a JSON object with "type": "object"; fails the test otherwise.
json::object parse_object_schema(const char* text, const std::string& what) {
  INFO(what);
  json::error_code ec;
  json::value v = json::parse(text, ec);
  INFO(ec.message());
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  const json::value* type = v.as_object().if_contains("type");
  REQUIRE(type != nullptr);
  CHECK((type->is_string() && type->as_string() == "object"));
  return v.as_object();
}

// Every declared property has a one-line description, and every required key is declared,
// at every level (nested tables, array items, map values).
void check_documented(const json::object& node, const std::string& where) {
  if (const auto* props = node.if_contains("properties")) {
    REQUIRE(props->is_object());
    for (const auto& [key, sub] : props->as_object()) {
      const std::string path = where + "." + std::string(key);
      INFO(path);
      REQUIRE(sub.is_object());
      const json::value* description = sub.as_object().if_contains("description");
      CHECK((description && description->is_string() && !description->as_string().empty()));
      check_documented(sub.as_object(), path);
    }
    if (const auto* required = node.if_contains("required")) {
      for (const auto& key : required->as_array()) {
        INFO(where << " requires " << json::serialize(key));
        CHECK(props->as_object().contains(key.as_string()));
      }
    }
  }
  if (const auto* items = node.if_contains("items"); items && items->is_object())
    check_documented(items->as_object(), where + "[]");
  if (const auto* extra = node.if_contains("additionalProperties"); extra && extra->is_object())
    check_documented(extra->as_object(), where + ".*");
}

}  // namespace

TEST_CASE("builtin schemas: every job type declares a config schema, outputs schema and doc",
          "[schemas]") {
  const auto& registry = jobhost::test::built_plugins();
  for (const auto& refused : registry.refused()) WARN("refused " << refused.file << ": " << refused.reason);

  for (std::string_view name : kBuiltinJobTypes) {
    const std::string type_name(name);
    INFO(type_name);
    const auto* ref = registry.find(type_name);
    REQUIRE(ref != nullptr);
    REQUIRE(ref->type != nullptr);
    const jh_job_type* t = ref->type;

    REQUIRE_FALSE(blank(config_schema_of(t)));
    REQUIRE_FALSE(blank(outputs_schema_of(t)));
    CHECK_FALSE(blank(doc_of(t)));

    json::object config = parse_object_schema(config_schema_of(t), type_name + " config_schema");
    check_documented(config, type_name + " config");

    json::object outputs = parse_object_schema(outputs_schema_of(t), type_name + " outputs_schema");
    const json::value* output_keys = outputs.if_contains("properties");
    REQUIRE(output_keys != nullptr);
    CHECK(output_keys->is_object());
    check_documented(outputs, type_name + " outputs");
  }
}

TEST_CASE("builtin schemas: each config_example uses only keys its schema declares", "[schemas]") {
  const auto& registry = jobhost::test::built_plugins();
  for (std::string_view name : kBuiltinJobTypes) {
    const std::string type_name(name);
    INFO(type_name);
    const auto* ref = registry.find(type_name);
    REQUIRE(ref != nullptr);
    if (ref->type->config_example == nullptr || blank(config_schema_of(ref->type))) continue;

    json::error_code ec;
    json::value schema = json::parse(config_schema_of(ref->type), ec);
    REQUIRE_FALSE(ec);
    const json::value* props = schema.as_object().if_contains("properties");
    REQUIRE(props != nullptr);
    toml::table example = toml::parse(ref->type->config_example);
    for (const auto& [key, value] : example) {
      INFO("config_example key '" << key.str() << "'");
      CHECK(props->as_object().contains(key.str()));
    }
    if (const auto* required = schema.as_object().if_contains("required")) {
      for (const auto& key : required->as_array()) {
        INFO("required key " << json::serialize(key) << " is missing from the config_example");
        CHECK(example.contains(std::string_view(key.as_string())));
      }
    }
  }
}
