#include "jobhost_common/config_keys.hpp"

#include <algorithm>

namespace jobhost::common {

std::string join_path(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return std::string(prefix) + "." + std::string(key);
}

void reject_unknown_keys(const Context& ctx, std::string_view table_path, const std::vector<std::string>& valid) {
  for (const auto& key : ctx.keys(table_path)) {
    if (std::find(valid.begin(), valid.end(), key) != valid.end()) continue;
    std::string list;
    for (const auto& v : valid) list += (list.empty() ? "" : ", ") + v;
    throw FatalError("config: unknown key '" + join_path(table_path, key) + "' (valid keys: " + list + ")");
  }
}

void reject_unknown_keys(const Context& ctx, std::string_view table_path,
                         std::initializer_list<std::string_view> valid) {
  reject_unknown_keys(ctx, table_path, std::vector<std::string>(valid.begin(), valid.end()));
}

std::string require_string(const Context& ctx, std::string_view path) {
  std::string v = ctx.require<std::string>(path);
  if (v.empty()) throw FatalError("config: '" + std::string(path) + "' must not be empty");
  return v;
}

}  // namespace jobhost::common
