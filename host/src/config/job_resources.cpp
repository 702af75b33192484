#include "config/job_resources.hpp"

#include <charconv>

#include "config/strict_table.hpp"

namespace jobhost {

const char* to_string(Isolation i) { return i == Isolation::process ? "process" : "thread"; }

std::optional<Isolation> isolation_from_string(std::string_view s) {
  if (s == "thread") return Isolation::thread;
  if (s == "process") return Isolation::process;
  return std::nullopt;
}

namespace {

struct Unit {
  const char* suffix;
  uint64_t factor;
};
// Longest suffixes first, so "MiB" is not read as "B".
constexpr Unit kUnits[] = {{"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
                           {"TiB", 1ull << 40}, {"KB", 1000ull},     {"MB", 1000000ull},
                           {"GB", 1000000000ull}, {"TB", 1000000000000ull}, {"B", 1}};

}  // namespace

std::optional<uint64_t> parse_byte_size(std::string_view text) {
  uint64_t factor = 1;
  for (auto& u : kUnits) {
    std::string_view suffix(u.suffix);
    if (text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix) {
      factor = u.factor;
      text.remove_suffix(suffix.size());
      break;
    }
  }
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n == 0) return std::nullopt;
  if (n > UINT64_MAX / factor) return std::nullopt;
  return n * factor;
}

std::string format_byte_size(uint64_t bytes) {
  for (auto& u : kUnits)
    if (u.factor > 1 && bytes % u.factor == 0 && bytes / u.factor < 1024 && std::string_view(u.suffix).size() == 3)
      return std::to_string(bytes / u.factor) + u.suffix;
  for (auto& u : kUnits)
    if (u.factor > 1 && bytes % u.factor == 0 && std::string_view(u.suffix).size() == 2)
      if (bytes / u.factor < 1000) return std::to_string(bytes / u.factor) + u.suffix;
  return std::to_string(bytes) + "B";
}

void read_job_resources(StrictTable& t, JobResources& r) {
  if (auto v = t.string("isolation")) {
    if (auto i = isolation_from_string(*v)) r.isolation = *i;
    else t.error("isolation", "isolation must be \"thread\" or \"process\", got '" + *v + "'", *v, {"thread", "process"});
  }
  if (auto v = t.string("memory_limit")) {
    if (auto b = parse_byte_size(*v)) r.memory_limit = *b;
    else t.error("memory_limit", "memory_limit must be a size such as \"512MiB\" or \"2GiB\", got '" + *v + "'");
  }
  if (auto v = t.number("cpu_limit", 0.01, 4096)) r.cpu_limit = *v;
  if (auto v = t.integer("max_open_files", 16, 1 << 20)) r.max_open_files = *v;
}

}  // namespace jobhost
