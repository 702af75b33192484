#include "cli/args.hpp"

#include <algorithm>

namespace jobhost::cli {

Args::Args(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      positional_.insert(positional_.end(), argv.begin() + static_cast<long>(i) + 1, argv.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      positional_.push_back(a);
      continue;
    }
    std::string name = a, inline_value;
    bool has_inline = false;
    if (auto eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
      has_inline = true;
    }
    auto spec = std::find_if(specs.begin(), specs.end(), [&](auto& s) { return s.name == name; });
    if (spec == specs.end()) throw UsageError("unknown option '" + name + "'");
    auto& slot = values_[name];
    if (!slot.empty() && !spec->repeatable) throw UsageError("option '" + name + "' given twice");
    if (!spec->takes_value) {
      if (has_inline) throw UsageError("option '" + name + "' takes no value");
      slot.emplace_back();
    } else if (has_inline) {
      slot.push_back(inline_value);
    } else if (i + 1 < argv.size()) {
      slot.push_back(argv[++i]);
    } else {
      throw UsageError("option '" + name + "' needs a value");
    }
  }
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace jobhost::cli
