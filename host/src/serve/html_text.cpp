#include "serve/html_text.hpp"

#include <cctype>
#include <cstdio>

namespace jobhost::serve {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

bool is_web_url(std::string_view text) {
  auto starts_with_ci = [&](std::string_view prefix) {
    if (text.size() <= prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
    return true;
  };
  if (!starts_with_ci("http://") && !starts_with_ci("https://")) return false;
  for (unsigned char c : text)
    if (c <= ' ' || c == 0x7f) return false;
  return true;
}

std::string output_html(std::string_view value) {
  if (!is_web_url(value)) return html_escape(value);
  const std::string v = html_escape(value);
  return "<a href=\"" + v + "\" rel=\"noopener noreferrer nofollow\">" + v + "</a>";
}

std::string format_duration_ms(int64_t ms) {
  if (ms < 0) ms = 0;
  char buf[48];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(ms));
  } else if (ms < 60000) {
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3600000) {
    std::snprintf(buf, sizeof buf, "%lld m %02lld s", static_cast<long long>(ms / 60000),
                  static_cast<long long>(ms / 1000 % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lld h %02lld m", static_cast<long long>(ms / 3600000),
                  static_cast<long long>(ms / 60000 % 60));
  }
  return buf;
}

}  // namespace jobhost::serve
