// Reading an engine's JSON replies and a connector's own handles: the members connectors look
// up by name, with "" for a member that is absent or of another type.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

namespace jobhost::connectors {

// The string member `key`, or "" when it is absent or not a string.
inline std::string string_field(const boost::json::object& object, std::string_view key) {
  const boost::json::value* v = object.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The same for an object that may be missing (a nested member looked up with if_object()).
inline std::string string_field(const boost::json::object* object, std::string_view key) {
  return object ? string_field(*object, key) : std::string();
}

}  // namespace jobhost::connectors
