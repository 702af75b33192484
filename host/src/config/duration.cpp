#include "config/duration.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace jobhost {

std::optional<Millis> duration_from_seconds(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e9) return std::nullopt;
  return Millis(static_cast<int64_t>(std::llround(seconds * 1000.0)));
}

std::optional<Millis> parse_duration(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  std::string number(text.substr(0, i));
  double value = 0;
  try {
    size_t used = 0;
    value = std::stod(number, &used);
    if (used != number.size()) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  std::string_view unit = text.substr(i);
  double factor;
  if (unit == "ms") factor = 0.001;
  else if (unit == "s" || unit.empty()) factor = 1;
  else if (unit == "m") factor = 60;
  else if (unit == "h") factor = 3600;
  else if (unit == "d") factor = 86400;
  else return std::nullopt;
  return duration_from_seconds(value * factor);
}

}  // namespace jobhost
