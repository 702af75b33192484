#include "jobhost_common/duration.hpp"

#include <cmath>
#include <cstdlib>

namespace jobhost::common {

std::chrono::milliseconds config_duration(const Context& ctx, const std::string& key,
                                          std::chrono::milliseconds fallback) {
  auto bad = [&](const std::string& got) {
    return FatalError("config: '" + key +
                      "' must be a duration like \"250ms\", \"5s\", \"1m\", \"1h\", \"1d\" or a number of "
                      "seconds; got " + got);
  };
  double seconds = 0;
  switch (ctx.type_of(key)) {
    case JH_TYPE_NONE: return fallback;
    case JH_TYPE_INT:
    case JH_TYPE_DOUBLE: seconds = ctx.require<double>(key); break;
    case JH_TYPE_STRING: {
      auto text = ctx.require<std::string>(key);
      char* end = nullptr;
      double value = std::strtod(text.c_str(), &end);
      if (end == text.c_str()) throw bad("'" + text + "'");
      std::string unit(end);
      if (unit == "ms")
        seconds = value / 1000;
      else if (unit == "s" || unit.empty())
        seconds = value;
      else if (unit == "m")
        seconds = value * 60;
      else if (unit == "h")
        seconds = value * 3600;
      else if (unit == "d")
        seconds = value * 86400;
      else
        throw bad("'" + text + "'");
      break;
    }
    default: throw bad("a value of another type");
  }
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 366.0 * 24 * 3600)
    throw bad("an out-of-range value");
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(seconds * 1000)));
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms != 0 && ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms != 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace jobhost::common
