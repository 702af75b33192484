#include "cli/state_cli.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/args.hpp"
#include "cli/commands.hpp"

namespace jobhost::cli {

std::unique_ptr<state::RunStore> open_existing_store(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return nullptr;
  state::StoreOptions o;
  o.path = path;
  return state::RunStore::open(o);
}

int with_store_errors(const std::string& command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const state::StoreError& e) {
    std::cerr << "jobhost " << command << ": " << e.what() << "\n";
    return kBadInput;
  }
}

int parse_limit(const std::optional<std::string>& value, int fallback) {
  if (!value) return fallback;
  try {
    size_t used = 0;
    int n = std::stoi(*value, &used);
    if (used == value->size() && n > 0) return n;
  } catch (const std::exception&) {
  }
  throw UsageError("--limit needs a positive whole number, got '" + *value + "'");
}

std::string format_duration(int64_t ms) {
  char buf[32];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
  } else if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lldm %02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms / 1000 % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh %02lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60));
  }
  return buf;
}

std::string format_time(const std::string& iso) {
  if (iso.size() < 19) return iso;
  std::string s = iso.substr(0, 19);
  s[10] = ' ';
  return s;
}

std::string one_line(const std::string& text, size_t max) {
  std::string s;
  for (char c : text) s += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

void TextTable::print(std::ostream& out) const {
  std::vector<size_t> width;
  for (auto& row : rows_)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  for (auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

}  // namespace jobhost::cli
