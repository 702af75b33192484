// Text as the inside of a JSON string: quotes, backslashes and control characters escaped.
// Other bytes pass through unchanged (jobhost's JSON readers accept invalid UTF-8).
#pragma once

#include <cstdio>
#include <string_view>

namespace jobhost::util {

// `Out` has append(std::string_view) and push_back(char): std::string, fmt's memory buffer.
template <class Out>
void append_json_escaped(Out& out, std::string_view text) {
  size_t plain_from = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(plain_from, i - plain_from));  // the plain run before it
    plain_from = i + 1;
    switch (c) {
      case '"': out.append(std::string_view("\\\"")); break;
      case '\\': out.append(std::string_view("\\\\")); break;
      case '\n': out.append(std::string_view("\\n")); break;
      case '\r': out.append(std::string_view("\\r")); break;
      case '\t': out.append(std::string_view("\\t")); break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        out.append(std::string_view(buf, 6));
      }
    }
  }
  out.append(text.substr(plain_from));
}

}  // namespace jobhost::util
