#include "config/strict_table.hpp"

#include <algorithm>

namespace jobhost {

void Diagnostics::add(const toml::node& at, std::string message) {
  add(static_cast<int>(at.source().begin.line), static_cast<int>(at.source().begin.column),
      std::move(message));
}

void Diagnostics::add(int line, int column, std::string message) {
  list_.push_back({file_, line, column, std::move(message)});
}

void Diagnostics::sort_by_position() {
  std::stable_sort(list_.begin(), list_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
}

void Diagnostics::throw_if_any() const {
  if (!list_.empty()) throw InputError(list_);
}

const toml::node& StrictTable::at(const char* key) const {
  auto* n = table_.get(key);
  return n ? *n : static_cast<const toml::node&>(table_);
}

void StrictTable::error(const char* key, std::string message, const std::string& word,
                        const std::vector<std::string>& candidates) {
  if (!word.empty()) {
    auto hint = closest_match(word, candidates);
    if (!hint.empty()) message += " (did you mean '" + hint + "'?)";
  }
  diags_.add(at(key), std::move(message));
}

void StrictTable::missing(const char* key) {
  diags_.add(table_, "[" + where_ + "] is missing required key '" + key + "'");
}

void StrictTable::allow(std::initializer_list<const char*> keys) {
  for (auto& [k, v] : table_) {
    // Runs for every [[jobs]] table: compare in place, allocate only to report.
    if (std::find(keys.begin(), keys.end(), k.str()) != keys.end()) continue;
    std::string name(k.str());
    std::vector<std::string> known(keys.begin(), keys.end());
    auto hint = closest_match(name, known);
    diags_.add(static_cast<int>(k.source().begin.line), static_cast<int>(k.source().begin.column),
               "unknown key '" + name + "' in [" + where_ + "]" +
                   (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
}

std::optional<std::string> StrictTable::string(const char* key, bool required) {
  auto* n = table_.get(key);
  if (!n) {
    if (required) missing(key);
    return std::nullopt;
  }
  if (auto s = n->value_exact<std::string>()) return *s;
  error(key, std::string("'") + key + "' must be a string");
  return std::nullopt;
}

std::optional<int64_t> StrictTable::integer(const char* key, int64_t min, int64_t max) {
  auto* n = table_.get(key);
  if (!n) return std::nullopt;
  auto v = n->value_exact<int64_t>();
  if (!v) {
    error(key, std::string("'") + key + "' must be an integer");
    return std::nullopt;
  }
  return in_range(key, *v, min, max);
}

template <class T>
std::optional<T> StrictTable::in_range(const char* key, T v, T min, T max) {
  if (v >= min && v <= max) return v;
  error(key, std::string("'") + key + "' must be between " + std::to_string(min) + " and " +
                 std::to_string(max));
  return std::nullopt;
}

std::optional<double> StrictTable::number(const char* key, double min, double max) {
  auto* n = table_.get(key);
  if (!n) return std::nullopt;
  std::optional<double> v = n->value_exact<double>();
  if (!v) {
    if (auto i = n->value_exact<int64_t>()) v = static_cast<double>(*i);
  }
  if (!v) {
    error(key, std::string("'") + key + "' must be a number");
    return std::nullopt;
  }
  return in_range(key, *v, min, max);
}

std::optional<bool> StrictTable::boolean(const char* key) {
  auto* n = table_.get(key);
  if (!n) return std::nullopt;
  if (auto b = n->value_exact<bool>()) return b;
  error(key, std::string("'") + key + "' must be true or false");
  return std::nullopt;
}

std::optional<Millis> StrictTable::duration(const char* key) {
  auto* n = table_.get(key);
  if (!n) return std::nullopt;
  std::optional<Millis> d;
  if (auto s = n->value_exact<std::string>()) d = parse_duration(*s);
  else if (auto i = n->value_exact<int64_t>()) d = duration_from_seconds(static_cast<double>(*i));
  else if (auto f = n->value_exact<double>()) d = duration_from_seconds(*f);
  if (!d)
    error(key, std::string("'") + key +
                   "' must be a duration like \"250ms\", \"10s\", \"5m\", \"2h\", \"1d\" or a number of seconds");
  return d;
}

const toml::table* StrictTable::table(const char* key, bool required) {
  auto* n = table_.get(key);
  if (!n) {
    if (required) diags_.add(table_, std::string("missing required table [") + key + "]");
    return nullptr;
  }
  if (auto* t = n->as_table()) return t;
  error(key, std::string("'") + key + "' must be a table");
  return nullptr;
}

std::vector<std::string> StrictTable::string_list(const char* key) {
  std::vector<std::string> out;
  auto* n = table_.get(key);
  if (!n) return out;
  if (auto* s = n->as_string()) return {s->get()};
  if (auto* a = n->as_array()) {
    out.reserve(a->size());
    for (auto& e : *a) {
      if (auto* s = e.as_string()) out.push_back(s->get());
      else diags_.add(e, std::string("'") + key + "' must contain only strings");
    }
    return out;
  }
  error(key, std::string("'") + key + "' must be an array of strings");
  return out;
}

}  // namespace jobhost
