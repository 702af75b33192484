#include "plugins/connection_types.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "config/config_schema.hpp"

namespace jobhost {
namespace {

bool valid_type_name(const char* s) {
  if (!s || !*s || std::strlen(s) > 64) return false;
  return std::all_of(s, s + std::strlen(s), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

}  // namespace

std::string read_connection_types(const jh_plugin& plugin, const std::string& plugin_name,
                                  const std::string& file, std::vector<ConnectionTypeRef>& out) {
  if (!plugin.get_extension) return "";
  auto* ext = static_cast<const jh_connection_types_v1*>(plugin.get_extension(JH_EXT_CONNECTION_TYPES));
  if (!ext) return "";
  if (ext->struct_size < sizeof(jh_connection_types_v1))
    return "extension " JH_EXT_CONNECTION_TYPES " is too small (struct_size " +
           std::to_string(ext->struct_size) + ")";
  if (ext->count > 0 && !ext->types) return JH_EXT_CONNECTION_TYPES ": count > 0 but types is NULL";
  for (uint32_t i = 0; i < ext->count; ++i) {
    const jh_connection_type* t = ext->types[i];
    const std::string which = "connection type #" + std::to_string(i);
    if (!t || t->struct_size < sizeof(jh_connection_type)) return which + " is NULL or too small";
    if (!valid_type_name(t->name))
      return which + " has an invalid name (use letters, digits, '_' and '-')";
    if (!t->test) return "connection type '" + std::string(t->name) + "' has no test function";
    ConnectionTypeRef ref;
    ref.name = t->name;
    ref.summary = t->summary ? t->summary : "";
    ref.plugin = plugin_name;
    ref.plugin_file = file;
    ref.type = t;
    if (t->schema && *t->schema) {
      try {
        ref.schema = ConfigSchema::parse(t->schema);
      } catch (const SchemaError& e) {
        return "connection type '" + ref.name + "' declares an invalid schema: " + e.what();
      }
    }
    out.push_back(std::move(ref));
  }
  return "";
}

}  // namespace jobhost
