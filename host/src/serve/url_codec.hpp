// Percent-encoding for the HTTP side: decoding path segments and query strings, and encoding
// values put into links.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace jobhost::serve {

// "%2F" -> "/". With `plus_is_space` (query strings), '+' -> ' '. Nothing when a '%' is not
// followed by two hex digits or the result holds a NUL.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

// "a=1&b=x%20y" -> {a: "1", b: "x y"}. Nothing when a part does not decode or a name repeats
// (`*error` says which).
std::optional<std::map<std::string, std::string>> parse_query(std::string_view query,
                                                              std::string* error);

// Everything but unreserved characters (RFC 3986: A-Z a-z 0-9 - . _ ~) as %XX: safe in a path
// segment or a query value.
std::string percent_encode(std::string_view text);

}  // namespace jobhost::serve
