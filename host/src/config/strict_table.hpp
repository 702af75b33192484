// Strict, typed reading of a TOML table: unknown keys and wrong types become diagnostics
// with file:line:col, collected rather than thrown one at a time.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>
#include <toml++/toml.h>

#include "config/diagnostics.hpp"
#include "config/duration.hpp"

namespace jobhost {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  void add(const toml::node& at, std::string message);
  void add(int line, int column, std::string message);
  bool empty() const { return list_.empty(); }
  // Orders what was added by line and column (a stage that checks job by job, key by key).
  void sort_by_position();
  void throw_if_any() const;  // InputError

 private:
  std::string file_;
  std::vector<Diagnostic> list_;
};

class StrictTable {
 public:
  // `where` names the table in messages ("pipeline", "jobs", ...).
  StrictTable(const toml::table& table, std::string where, Diagnostics& diags)
      : table_(table), where_(std::move(where)), diags_(diags) {}

  // Reports every key not in `keys`, with a "did you mean" hint.
  void allow(std::initializer_list<const char*> keys);

  std::optional<std::string> string(const char* key, bool required = false);
  std::optional<int64_t> integer(const char* key, int64_t min, int64_t max);
  std::optional<double> number(const char* key, double min, double max);
  std::optional<bool> boolean(const char* key);
  std::optional<Millis> duration(const char* key);  // "10s" or a number of seconds
  const toml::table* table(const char* key, bool required = false);
  std::vector<std::string> string_list(const char* key);  // a string or an array of strings

  void error(const char* key, std::string message, const std::string& word = {},
             const std::vector<std::string>& candidates = {});

 private:
  const toml::node& at(const char* key) const;
  // `v` when within [min, max]; otherwise a diagnostic naming the bounds.
  template <class T>
  std::optional<T> in_range(const char* key, T v, T min, T max);
  void missing(const char* key);
  const toml::table& table_;
  std::string where_;
  Diagnostics& diags_;
};

}  // namespace jobhost
