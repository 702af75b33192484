// User-facing input errors: each names a file and, when known, line and column.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace jobhost {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;
  std::string message;
  // "file:line:col: error: message"
  std::string format() const;
};

// Thrown by loaders with every problem found (not just the first). Exit code 2.
class InputError : public std::runtime_error {
 public:
  explicit InputError(std::vector<Diagnostic> diagnostics);
  InputError(std::string file, int line, int column, std::string message);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// The closest candidate within a small edit distance, for "did you mean" hints; empty if none.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace jobhost
