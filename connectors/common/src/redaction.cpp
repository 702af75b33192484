#include "jobhost_connectors/redaction.hpp"

#include <algorithm>

namespace jobhost::connectors {

Redactor::Redactor(const Redactor& other) {
  std::lock_guard lock(other.mu_);
  secrets_ = other.secrets_;
}

Redactor& Redactor::operator=(const Redactor& other) {
  if (this == &other) return *this;
  std::scoped_lock lock(mu_, other.mu_);
  secrets_ = other.secrets_;
  return *this;
}

void Redactor::add(std::string_view secret) {
  if (secret.size() < 4) return;
  std::lock_guard lock(mu_);
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.emplace_back(secret);
  // Longest first, so a secret that contains another is hidden whole, not around the inner one.
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::scrub(std::string_view text) const {
  std::string out(text);
  std::lock_guard lock(mu_);
  for (const auto& s : secrets_) {
    for (size_t pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos + 3))
      out.replace(pos, s.size(), "***");
  }
  return out;
}

std::string snippet(std::string_view text, size_t max) {
  std::string line;
  bool cut = false;
  for (char c : text) {
    const bool space = static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
    if (space && (line.empty() || line.back() == ' ')) continue;  // one space per run
    if (line.size() == max) {
      if (space) continue;  // trailing spaces are trimmed anyway
      cut = true;
      break;
    }
    line += space ? ' ' : c;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  if (!cut) return line;
  const std::string_view dots = "...";
  size_t keep = max > dots.size() ? max - dots.size() : 0;
  // Never cut a UTF-8 sequence in half: back up to the start of the character.
  while (keep > 0 && keep < line.size() && (static_cast<unsigned char>(line[keep]) & 0xC0) == 0x80)
    --keep;
  line.resize(std::min(keep, line.size()));
  return line + std::string(dots.substr(0, std::min(dots.size(), max)));
}

}  // namespace jobhost::connectors
