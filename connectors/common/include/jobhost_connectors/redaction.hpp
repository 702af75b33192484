// Keeps secret values (passwords, tokens, client secrets) out of everything a connector
// writes: log lines, error messages, outputs and handles pass through scrub().
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace jobhost::connectors {

class Redactor {
 public:
  Redactor() = default;
  Redactor(const Redactor& other);
  Redactor& operator=(const Redactor& other);

  // Remembers a value to hide; values shorter than 4 bytes are ignored (they would blank
  // out ordinary words). [thread-safe]
  void add(std::string_view secret);
  // `text` with every remembered value replaced by "***". [thread-safe]
  std::string scrub(std::string_view text) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> secrets_;
};

// At most `max` bytes of `text` on one line (control characters as spaces), with "..." when
// cut: for quoting a server's reply in an error message.
std::string snippet(std::string_view text, size_t max = 160);

}  // namespace jobhost::connectors
