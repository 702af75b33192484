#include "config/diagnostics.hpp"

#include <algorithm>

namespace jobhost {

std::string Diagnostic::format() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column > 0 ? column : 1);
  return out + ": error: " + message;
}

static std::string join_messages(const std::vector<Diagnostic>& d) {
  std::string out;
  for (auto& x : d) out += (out.empty() ? "" : "\n") + x.format();
  return out;
}

InputError::InputError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join_messages(diagnostics)), diagnostics_(std::move(diagnostics)) {}

InputError::InputError(std::string file, int line, int column, std::string message)
    : InputError(std::vector<Diagnostic>{{std::move(file), line, column, std::move(message)}}) {}

static size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  // Short words tolerate one edit, longer ones up to three; never suggest a full rewrite.
  size_t best_d = (word.size() <= 3 ? 1 : word.size() <= 6 ? 2 : 3) + 1;
  for (auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d && d < word.size()) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

}  // namespace jobhost
