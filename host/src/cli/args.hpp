// A small, strict command-line parser: unknown options are usage errors (exit 2).
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace jobhost::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;        // "--plugin-path"
  bool takes_value = false;
  bool repeatable = false;
};

class Args {
 public:
  // Throws UsageError for an unknown option, a missing value, or a repeated single option.
  Args(const std::vector<std::string>& argv, const std::vector<OptionSpec>& specs);

  bool flag(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::vector<std::string> values(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

}  // namespace jobhost::cli
