#include "column_spec.hpp"

#include <algorithm>
#include <cctype>

#include "jobhost_common/config_keys.hpp"

namespace jobhost::ingestion {

const char* type_name(ValueType t) {
  switch (t) {
    case ValueType::integer: return "INTEGER";
    case ValueType::real: return "REAL";
    case ValueType::date: return "DATE";
    case ValueType::timestamp: return "TIMESTAMP";
    default: return "TEXT";
  }
}

const char* sql_type(ValueType t) {
  switch (t) {
    case ValueType::integer: return "INTEGER";
    case ValueType::real: return "REAL";
    default: return "TEXT";
  }
}

namespace {
ValueType parse_type(std::string s, const std::string& path) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  if (s == "TEXT") return ValueType::text;
  if (s == "INTEGER") return ValueType::integer;
  if (s == "REAL") return ValueType::real;
  if (s == "DATE") return ValueType::date;
  if (s == "TIMESTAMP") return ValueType::timestamp;
  throw FatalError("config: '" + path + "' = '" + s + "' is not one of TEXT, INTEGER, REAL, DATE, TIMESTAMP");
}

std::string escape_pointer_token(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}
}  // namespace

std::vector<ColumnSpec> read_column_specs(const Context& ctx, bool with_pointer) {
  std::vector<ColumnSpec> out;
  if (!ctx.has("columns")) return out;
  if (ctx.type_of("columns") != JH_TYPE_TABLE)
    throw FatalError("config: 'columns' must be a table of column = \"TYPE\" or column = { type = ... }");
  for (auto& name : ctx.keys("columns")) {
    ColumnSpec spec;
    spec.name = name;
    spec.pointer = "/" + escape_pointer_token(name);
    std::string path = "columns." + name;
    if (ctx.type_of(path) == JH_TYPE_STRING) {
      spec.type = parse_type(ctx.require<std::string>(path), path);
    } else if (ctx.type_of(path) == JH_TYPE_TABLE) {
      if (with_pointer) common::reject_unknown_keys(ctx, path, {"type", "date_format", "pointer"});
      else common::reject_unknown_keys(ctx, path, {"type", "date_format"});
      spec.type = parse_type(ctx.get_or(path + ".type", "TEXT"), path + ".type");
      spec.date_format = ctx.get_or(path + ".date_format", "");
      if (!spec.date_format.empty() && spec.type != ValueType::date && spec.type != ValueType::timestamp)
        throw FatalError("config: '" + path + ".date_format' needs type DATE or TIMESTAMP, not " +
                         type_name(spec.type));
      if (with_pointer && ctx.has(path + ".pointer")) {
        spec.pointer = ctx.require<std::string>(path + ".pointer");
        if (!spec.pointer.empty() && spec.pointer[0] != '/')
          throw FatalError("config: '" + path + ".pointer' = '" + spec.pointer +
                           "' is not a JSON pointer (it must be empty or start with '/')");
      }
    } else {
      throw FatalError("config: '" + path + "' must be a type string or a table { type = ..., date_format = ... }");
    }
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace jobhost::ingestion
