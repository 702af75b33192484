// Shared pieces of the runs/show/history commands: opening the store for reading, aligned
// text tables, and human-readable durations and times.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "state/run_store.hpp"

namespace jobhost::cli {

// Opens the store at `path` when the file exists; nullptr when there is none yet (nothing
// was ever recorded there), so read commands never create an empty store.
std::unique_ptr<state::RunStore> open_existing_store(const std::string& path);

// Runs `body`, turning a StoreError into a message on stderr and exit code 2.
int with_store_errors(const std::string& command, const std::function<int()>& body);

// Parses --limit: a positive integer, else UsageError.
int parse_limit(const std::optional<std::string>& value, int fallback);

// 850ms, 12.3s, 4m 05s, 2h 03m.
std::string format_duration(int64_t ms);
// 2026-11-28T06:00:01.250Z -> 2026-11-28 06:00:01 (UTC); "" stays "".
std::string format_time(const std::string& iso);
// One line, at most `max` characters (errors can be multi-line tool output).
std::string one_line(const std::string& text, size_t max = 100);

// Left-aligned columns separated by two spaces; the last column is not padded.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace jobhost::cli
