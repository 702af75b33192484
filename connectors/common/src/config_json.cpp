#include "jobhost_connectors/config_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

namespace jobhost::connectors {
namespace {

// toml++ paths have no quoting: a key holding one of these cannot be addressed.
bool addressable(const std::string& key) {
  return !key.empty() && key.find_first_of(".[]") == std::string::npos;
}

}  // namespace

boost::json::value config_json(const Context& ctx, const std::string& path) {
  switch (ctx.type_of(path)) {
    case JH_TYPE_BOOL:
      return ctx.require<bool>(path);
    case JH_TYPE_INT:
      return ctx.require<int64_t>(path);
    case JH_TYPE_DOUBLE:
      return ctx.require<double>(path);
    case JH_TYPE_STRING:
      return boost::json::value(ctx.require<std::string>(path));
    case JH_TYPE_ARRAY: {
      boost::json::array array;
      const uint64_t n = ctx.size_of(path);
      for (uint64_t i = 0; i < n; ++i)
        array.push_back(config_json(ctx, path + "[" + std::to_string(i) + "]"));
      return array;
    }
    case JH_TYPE_TABLE: {
      boost::json::object object;
      for (const auto& key : ctx.keys(path)) {
        if (!addressable(key))
          throw FatalError("config: key '" + key + "' in '" + path +
                           "' cannot be read (it holds '.', '[' or ']'); give '" + path +
                           "' as a JSON string instead");
        object[key] = config_json(ctx, path + "." + key);
      }
      return object;
    }
    default:
      return nullptr;
  }
}

boost::json::object config_object(const Context& ctx, const std::string& path) {
  const jh_value_type type = ctx.type_of(path);
  if (type == JH_TYPE_NONE) return {};
  if (type == JH_TYPE_TABLE) return config_json(ctx, path).as_object();
  if (type == JH_TYPE_STRING) {
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(ctx.require<std::string>(path), ec);
    if (!ec && parsed.is_object()) return std::move(parsed.get_object());
  }
  throw FatalError("config: '" + path + "' must be a table or a string holding a JSON object");
}

}  // namespace jobhost::connectors
