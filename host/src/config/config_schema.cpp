#include "config/config_schema.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <sstream>
#include <tuple>
#include <utility>
#include <boost/json.hpp>

#include "config/diagnostics.hpp"
#include "config/duration.hpp"
#include "config/strict_table.hpp"

namespace jobhost {

namespace json = boost::json;

namespace {

// JSON Schema types as bits; a node whose `types` is 0 accepts any value.
enum : unsigned {
  kObject = 1,
  kArray = 2,
  kString = 4,
  kInteger = 8,
  kNumber = 16,
  kBoolean = 32,
  kNull = 64
};

struct TypeInfo {
  const char* name;  // as written in a schema
  unsigned bit;
  const char* noun;    // in messages, as a TOML user says it
  const char* plural;  // in `describe`: "array of strings"
};
// In the order messages list them: "a string or an array".
constexpr TypeInfo kTypes[] = {{"string", kString, "a string", "strings"},
                               {"integer", kInteger, "an integer", "integers"},
                               {"number", kNumber, "a number", "numbers"},
                               {"boolean", kBoolean, "a boolean", "booleans"},
                               {"array", kArray, "an array", "arrays"},
                               {"object", kObject, "a table", "tables"},
                               {"null", kNull, "null", "nulls"}};

}  // namespace

struct ConfigSchema::Node {
  bool never = false;  // the schema `false`: no value is allowed here
  unsigned types = 0;
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> properties;  // in declared order
  std::vector<std::string> required;
  bool closed = false;               // keys outside `properties` are errors
  std::unique_ptr<Node> additional;  // the schema of keys outside `properties` (a map)
  std::unique_ptr<Node> items;
  std::vector<json::value> enumeration;
  std::optional<double> minimum, maximum;
  std::optional<uint64_t> min_items, max_items, min_length;
  bool duration = false;
  // oneOf / anyOf: the alternatives, each a set of keys required together.
  std::vector<std::vector<std::string>> one_of, any_of;
  std::string description;
  std::optional<json::value> default_value;

  const Node* property(std::string_view key) const {
    for (auto& [name, node] : properties)
      if (name == key) return node.get();
    return nullptr;
  }
};

namespace {

using Node = ConfigSchema::Node;

// ---- text helpers shared by messages and `describe` ----

std::string shortest_decimal(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

std::string quoted(std::string_view s) { return json::serialize(json::string(s)); }

// A key as written in a TOML path: bare when it can be, quoted otherwise.
std::string key_text(std::string_view key) {
  bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return bare ? std::string(key) : quoted(key);
}

std::string join_key(const std::string& path, std::string_view key) {
  return path.empty() ? key_text(key) : path + "." + key_text(key);
}

// join({"a", "b", "c"}, ", ", " or ") is "a, b or c".
std::string join(const std::vector<std::string>& parts, const char* sep, const char* last) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i == 0 ? "" : i + 1 == parts.size() ? last : sep) + parts[i];
  return out;
}

std::string join_or(const std::vector<std::string>& parts, const char* last = " or ") {
  return join(parts, ", ", last);
}

std::string count_text(uint64_t n, const char* unit) {
  return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

// A JSON value (enum member, default) as a TOML user would write it.
std::string json_text(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return quoted(v.get_string());
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_:
      return shortest_decimal(v.get_double());
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    case json::kind::null:
      return "null";
    case json::kind::array: {
      std::vector<std::string> parts;
      for (auto& e : v.get_array()) parts.push_back(json_text(e));
      return "[" + join_or(parts, ", ") + "]";
    }
    case json::kind::object: {
      std::string out;
      for (auto& [k, e] : v.get_object())
        out += (out.empty() ? "{ " : ", ") + key_text(k) + " = " + json_text(e);
      return out.empty() ? "{}" : out + " }";
    }
  }
  return "";
}

std::optional<double> number_of(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return std::nullopt;
}

// "'a' or ('b' and 'c')"
std::string alternatives_text(const std::vector<std::vector<std::string>>& alts,
                              const std::string& path, const char* last = " or ") {
  std::vector<std::string> parts;
  for (auto& keys : alts) {
    std::vector<std::string> quoted_keys;
    for (auto& k : keys) quoted_keys.push_back("'" + join_key(path, k) + "'");
    parts.push_back(keys.size() == 1 ? quoted_keys[0] : "(" + join_or(quoted_keys, " and ") + ")");
  }
  return join_or(parts, last);
}

// ---- parsing a schema ----

[[noreturn]] void fail(const std::string& at, const std::string& message) {
  throw SchemaError(at.empty() ? message : at + ": " + message);
}

std::string sub(const std::string& at, const std::string& step) {
  return at.empty() ? step : at + "." + step;
}

std::vector<std::string> string_list(const json::value& v, const std::string& at,
                                     const std::string& keyword) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (auto& e : v.get_array()) {
      if (!e.is_string()) break;
      out.emplace_back(e.get_string());
    }
    if (out.size() == v.get_array().size()) return out;
  }
  fail(at, "'" + keyword + "' must be an array of strings");
}

uint64_t count_of(const json::value& v, const std::string& at, const char* keyword) {
  auto n = number_of(v);
  if (!n || *n < 0 || *n != std::floor(*n) || *n > 1e15)
    fail(at, std::string("'") + keyword + "' must be a non-negative integer");
  return static_cast<uint64_t>(*n);
}

unsigned parse_types(const json::value& v, const std::string& at) {
  std::vector<std::string> names;
  if (v.is_string())
    names.emplace_back(v.get_string());
  else if (v.is_array() && !v.get_array().empty())
    names = string_list(v, at, "type");
  else
    fail(at, "'type' must be a string or an array of strings");
  unsigned bits = 0;
  for (auto& name : names) {
    auto t = std::find_if(std::begin(kTypes), std::end(kTypes),
                          [&](const TypeInfo& i) { return name == i.name; });
    if (t != std::end(kTypes)) {
      bits |= t->bit;
      continue;
    }
    std::vector<std::string> known;
    for (auto& i : kTypes) known.emplace_back(i.name);
    auto hint = closest_match(name, known);
    fail(at,
         "unknown type '" + name + "'" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  return bits;
}

// oneOf / anyOf, in the only form supported: a list of {"required": [...]}.
std::vector<std::vector<std::string>> parse_alternatives(const json::value& v,
                                                         const std::string& at,
                                                         const std::string& keyword) {
  if (!v.is_array() || v.get_array().empty())
    fail(at, "'" + keyword + "' must be a non-empty array of {\"required\": [...]} objects");
  std::vector<std::vector<std::string>> out;
  for (size_t i = 0; i < v.get_array().size(); ++i) {
    auto& e = v.get_array()[i];
    std::string loc = sub(at, keyword + "[" + std::to_string(i) + "]");
    if (!e.is_object() || !e.get_object().contains("required"))
      fail(loc, "only {\"required\": [...]} is supported in '" + keyword + "'");
    for (auto& [k, unused] : e.get_object())
      if (k != "required" && k != "description" && k != "title" && k != "$comment")
        fail(loc, "only {\"required\": [...]} is supported in '" + keyword + "', not '" +
                      std::string(k) + "'");
    out.push_back(string_list(e.get_object().at("required"), loc, "required"));
    if (out.back().empty()) fail(loc, "'required' must name at least one key");
  }
  return out;
}

std::unique_ptr<Node> parse_node(const json::value& v, const std::string& at) {
  auto node = std::make_unique<Node>();
  if (v.is_bool()) {  // `true` allows anything, `false` nothing
    node->never = !v.get_bool();
    return node;
  }
  if (!v.is_object()) fail(at, "a schema must be a JSON object");
  std::optional<bool> additional;
  bool has_properties = false;
  std::string title;
  auto number = [&](const json::value& x, const char* keyword) {
    auto n = number_of(x);
    if (!n) fail(at, std::string("'") + keyword + "' must be a number");
    return *n;
  };
  auto text = [&](const json::value& x, const char* keyword) {
    if (!x.is_string()) fail(at, std::string("'") + keyword + "' must be a string");
    return std::string(x.get_string());
  };
  for (auto& [key, val] : v.get_object()) {
    if (key == "type") {
      node->types = parse_types(val, at);
    } else if (key == "properties") {
      if (!val.is_object()) fail(at, "'properties' must be an object of schemas");
      has_properties = true;
      for (auto& [name, schema] : val.get_object())
        node->properties.emplace_back(
            name, parse_node(schema, sub(at, "properties." + std::string(name))));
    } else if (key == "required") {
      node->required = string_list(val, at, "required");
    } else if (key == "additionalProperties") {
      if (val.is_bool())
        additional = val.get_bool();
      else if (val.is_object())
        node->additional = parse_node(val, sub(at, "additionalProperties"));
      else
        fail(at, "'additionalProperties' must be a boolean or a schema");
    } else if (key == "items") {
      if (val.is_array())
        fail(at, "'items' must be one schema; a list of schemas is not supported");
      node->items = parse_node(val, sub(at, "items"));
    } else if (key == "enum") {
      if (!val.is_array() || val.get_array().empty()) fail(at, "'enum' must be a non-empty array");
      node->enumeration.assign(val.get_array().begin(), val.get_array().end());
    } else if (key == "minimum") {
      node->minimum = number(val, "minimum");
    } else if (key == "maximum") {
      node->maximum = number(val, "maximum");
    } else if (key == "minItems") {
      node->min_items = count_of(val, at, "minItems");
    } else if (key == "maxItems") {
      node->max_items = count_of(val, at, "maxItems");
    } else if (key == "minLength") {
      node->min_length = count_of(val, at, "minLength");
    } else if (key == "format") {
      node->duration = text(val, "format") == "duration";  // other formats are annotations
    } else if (key == "oneOf" || key == "anyOf") {
      (key == "oneOf" ? node->one_of : node->any_of) =
          parse_alternatives(val, at, std::string(key));
    } else if (key == "description") {
      node->description = text(val, "description");
    } else if (key == "title") {
      title = text(val, "title");
    } else if (key == "default") {
      node->default_value = val;
    } else if (key == "examples") {
      if (!val.is_array()) fail(at, "'examples' must be an array");
    }
  }
  if (node->description.empty()) node->description = title;
  node->closed = additional ? !*additional : has_properties && !node->additional;
  if (node->minimum && node->maximum && *node->minimum > *node->maximum)
    fail(at, "'minimum' is greater than 'maximum'");
  if (node->min_items && node->max_items && *node->min_items > *node->max_items)
    fail(at, "'minItems' is greater than 'maxItems'");
  if (node->closed) {  // a key no config may hold cannot be required
    auto check_declared = [&](const std::vector<std::string>& keys, const char* keyword) {
      for (auto& k : keys)
        if (!node->property(k))
          fail(at, std::string("'") + keyword + "' names '" + k +
                       "', which is not in 'properties' (and other keys are not allowed)");
    };
    check_declared(node->required, "required");
    for (auto& alt : node->one_of) check_declared(alt, "oneOf");
    for (auto& alt : node->any_of) check_declared(alt, "anyOf");
  }
  return node;
}

// ---- checking a config ----

struct Pos {
  int line = 0;
  int column = 0;
};

bool before(Pos a, Pos b) { return std::tie(a.line, a.column) < std::tie(b.line, b.column); }

// toml++ does not copy source positions when a node is copied (a JobSpec's config is a copy),
// but keys keep theirs: callers fall back from a value's position to its key's.
Pos pos_or(const toml::source_region& r, Pos fallback) {
  if (r.begin.line == 0) return fallback;
  return {static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
}

// An array element has no key: a table without a position is placed at its first key.
Pos element_pos(const toml::node& n, Pos fallback) {
  Pos p = pos_or(n.source(), {});
  if (p.line) return p;
  if (auto* t = n.as_table())
    for (auto& [k, v] : *t) {
      Pos kp = pos_or(k.source(), {});
      if (kp.line && (!p.line || before(kp, p))) p = kp;
    }
  return p.line ? p : fallback;
}

unsigned kind_of(const toml::node& v) {
  switch (v.type()) {
    case toml::node_type::table:
      return kObject;
    case toml::node_type::array:
      return kArray;
    case toml::node_type::integer:
      return kInteger;
    case toml::node_type::floating_point:
      return kNumber;
    case toml::node_type::boolean:
      return kBoolean;
    default:
      return kString;  // strings, and dates and times (written as strings in JSON)
  }
}

std::string noun_of(const toml::node& v) {
  switch (v.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date/time";
  }
}

std::string expected_text(unsigned types) {
  std::vector<std::string> nouns;
  for (auto& t : kTypes)
    if ((types & t.bit) && !(t.bit == kInteger && (types & kNumber))) nouns.emplace_back(t.noun);
  return join_or(nouns);
}

// A value as written in TOML (strings quoted); tables and arrays by kind.
std::string value_text(const toml::node& v) {
  if (auto* s = v.as_string()) return quoted(s->get());
  if (auto i = v.value_exact<int64_t>()) return std::to_string(*i);
  if (auto f = v.value_exact<double>()) {
    std::string t = shortest_decimal(*f);
    return t.find_first_of(".en") == std::string::npos ? t + ".0" : t;
  }
  if (auto b = v.value_exact<bool>()) return *b ? "true" : "false";
  if (v.is_table() || v.is_array()) return noun_of(v);
  std::ostringstream os;
  v.visit([&](auto& x) { os << x; });  // dates and times
  return os.str();
}

bool equal(const json::value& j, const toml::node& t) {
  if (auto* s = t.as_string()) return j.is_string() && j.get_string() == s->get();
  if (auto i = t.value_exact<int64_t>()) {
    if (j.is_int64()) return j.get_int64() == *i;
    if (j.is_uint64()) return *i >= 0 && j.get_uint64() == static_cast<uint64_t>(*i);
    return j.is_double() && j.get_double() == static_cast<double>(*i);
  }
  if (auto f = t.value_exact<double>()) return number_of(j) == *f;
  if (auto b = t.value_exact<bool>()) return j.is_bool() && j.get_bool() == *b;
  if (auto* a = t.as_array()) {
    if (!j.is_array() || j.get_array().size() != a->size()) return false;
    for (size_t i = 0; i < a->size(); ++i)
      if (!equal(j.get_array()[i], *a->get(i))) return false;
    return true;
  }
  if (auto* tab = t.as_table()) {
    if (!j.is_object() || j.get_object().size() != tab->size()) return false;
    for (auto& [k, v] : *tab) {
      auto* e = j.get_object().if_contains(k.str());
      if (!e || !equal(*e, v)) return false;
    }
    return true;
  }
  return j.is_string() && j.get_string() == value_text(t);  // a date or time
}

size_t code_points(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// One job's findings, reported in source order once the walk is over.
class Checker {
 public:
  explicit Checker(std::string prefix) : prefix_(std::move(prefix)) {}

  // `at`: the value's position; for a table, where its missing keys are reported.
  void value(const Node& s, const toml::node& v, const std::string& path, Pos at);
  void table(const Node& s, const toml::table& t, const std::string& path, Pos at);

  void report(Diagnostics& diags) {
    std::stable_sort(found_.begin(), found_.end(),
                     [](auto& a, auto& b) { return before(a.first, b.first); });
    for (auto& [pos, message] : found_) diags.add(pos.line, pos.column, std::move(message));
  }

 private:
  void array(const Node& s, const toml::array& a, const std::string& path, Pos at);
  void alternatives(const std::vector<std::vector<std::string>>& alts, bool exactly,
                    const toml::table& t, const std::string& path, Pos at);
  void error(Pos at, std::string message) { found_.emplace_back(at, prefix_ + std::move(message)); }

  std::string prefix_;
  std::vector<std::pair<Pos, std::string>> found_;
};

void Checker::value(const Node& s, const toml::node& v, const std::string& path, Pos at) {
  const std::string name = "'" + path + "'";
  if (s.never) return error(at, name + " is not allowed here");
  auto* str = v.as_string();
  if (str && str->get().find("{{") != std::string::npos) {  // known only at run time
    if (s.types && !(s.types & kString))
      error(at, name + " must be " + expected_text(s.types) +
                    ", got a template (templates expand to text)");
    return;
  }
  unsigned kind = kind_of(v);
  if (s.types && !(s.types & kind) && !(kind == kInteger && (s.types & kNumber)))
    return error(at, name + " must be " + expected_text(s.types) + ", got " + noun_of(v));

  if (!s.enumeration.empty() && std::none_of(s.enumeration.begin(), s.enumeration.end(),
                                             [&](const json::value& e) { return equal(e, v); })) {
    std::vector<std::string> allowed, words;
    for (auto& e : s.enumeration) {
      allowed.push_back(json_text(e));
      if (e.is_string()) words.emplace_back(e.get_string());
    }
    std::string hint = str && words.size() > 1 ? closest_match(str->get(), words) : "";
    return error(at, name + " must be " + (allowed.size() == 1 ? "" : "one of ") +
                         join_or(allowed, ", ") + " (got " + value_text(v) +
                         (hint.empty() ? "" : "; did you mean " + quoted(hint) + "?") + ")");
  }
  if (s.duration) {
    std::optional<Millis> d;
    if (str)
      d = parse_duration(str->get());
    else if (auto i = v.value_exact<int64_t>())
      d = duration_from_seconds(static_cast<double>(*i));
    else if (auto f = v.value_exact<double>())
      d = duration_from_seconds(*f);
    if (!d)
      return error(at, name + ": " + value_text(v) +
                           " is not a duration (use e.g. \"250ms\", \"10s\", \"5m\", \"2h\", "
                           "\"1d\", or a number of seconds)");
  }
  if (kind == kInteger || kind == kNumber) {
    double x = kind == kInteger ? static_cast<double>(v.value_exact<int64_t>().value())
                                : v.value_exact<double>().value();
    if (s.minimum && !(x >= *s.minimum))
      error(at, name + " must be at least " + shortest_decimal(*s.minimum) + " (got " +
                    value_text(v) + ")");
    else if (s.maximum && !(x <= *s.maximum))
      error(at, name + " must be at most " + shortest_decimal(*s.maximum) + " (got " +
                    value_text(v) + ")");
  }
  if (str && s.min_length) {
    size_t n = code_points(str->get());
    if (n < *s.min_length)
      error(at, n == 0 ? name + " must not be empty"
                       : name + " must be at least " + count_text(*s.min_length, "character") +
                             " long (got " + std::to_string(n) + ")");
  }
  if (auto* t = v.as_table())
    table(s, *t, path, at);
  else if (auto* a = v.as_array())
    array(s, *a, path, at);
}

void Checker::table(const Node& s, const toml::table& t, const std::string& path, Pos at) {
  std::vector<std::string> known;
  for (auto& [k, v] : t) {
    std::string key(k.str());
    std::string key_path = join_key(path, key);
    Pos key_pos = pos_or(k.source(), at);
    if (auto* p = s.property(key)) {
      value(*p, v, key_path, pos_or(v.source(), key_pos));
    } else if (s.additional) {
      value(*s.additional, v, key_path, pos_or(v.source(), key_pos));
    } else if (s.closed) {
      if (known.empty())
        for (auto& [name, unused] : s.properties) known.push_back(name);
      auto hint = closest_match(key, known);
      error(key_pos, "unknown key '" + key_path + "'" +
                         (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
    }
  }
  for (auto& r : s.required)
    if (!t.contains(r)) error(at, "missing required key '" + join_key(path, r) + "'");
  alternatives(s.one_of, true, t, path, at);
  alternatives(s.any_of, false, t, path, at);
}

void Checker::alternatives(const std::vector<std::vector<std::string>>& alts, bool exactly,
                           const toml::table& t, const std::string& path, Pos at) {
  if (alts.empty()) return;
  std::vector<std::vector<std::string>> present;
  Pos last;  // the latest key among the alternatives present: where a second one is reported
  for (auto& keys : alts) {
    if (!std::all_of(keys.begin(), keys.end(), [&](auto& k) { return t.contains(k); })) continue;
    present.push_back(keys);
    for (auto& k : keys) {
      Pos p = pos_or(t.find(k)->first.source(), at);
      if (!last.line || before(last, p)) last = p;
    }
  }
  std::string needs = std::string("needs ") + (exactly ? "exactly one of " : "one of ") +
                      alternatives_text(alts, path);
  if (present.empty())
    error(at, needs);
  else if (exactly && present.size() > 1)
    error(last, needs + " (got " +
                    (alts.size() == 2 ? "both" : alternatives_text(present, path, " and ")) + ")");
}

void Checker::array(const Node& s, const toml::array& a, const std::string& path, Pos at) {
  const std::string name = "'" + path + "'";
  if (s.min_items && a.size() < *s.min_items)
    error(at, a.empty() ? name + " must not be empty"
                        : name + " must have at least " + count_text(*s.min_items, "item") +
                              " (got " + std::to_string(a.size()) + ")");
  if (s.max_items && a.size() > *s.max_items)
    error(at, name + " must have at most " + count_text(*s.max_items, "item") + " (got " +
                  std::to_string(a.size()) + ")");
  if (!s.items) return;
  for (size_t i = 0; i < a.size(); ++i)
    value(*s.items, *a.get(i), path + "[" + std::to_string(i) + "]", element_pos(*a.get(i), at));
}

// ---- describe ----

struct Row {
  std::string key, type, required, default_text, doc;
};

std::string type_text(const Node& s) {
  if (s.never) return "none";
  if (s.duration && !(s.types & ~(kString | kInteger | kNumber))) return "duration";
  std::vector<std::string> names;
  if (!s.types) {  // an enum without a type: the kinds of its values
    for (auto& e : s.enumeration) {
      std::string kind = e.is_string()   ? "string"
                         : e.is_bool()   ? "boolean"
                         : e.is_double() ? "number"
                         : e.is_number() ? "integer"
                                         : "any";
      if (std::find(names.begin(), names.end(), kind) == names.end()) names.push_back(kind);
    }
    return names.empty() || std::count(names.begin(), names.end(), "any") ? "any" : join_or(names);
  }
  for (auto& t : kTypes) {
    if (!(s.types & t.bit)) continue;
    if (t.bit == kObject)
      names.emplace_back("table");
    else if (t.bit == kArray && s.items && s.items->types &&
             (s.items->types & (s.items->types - 1)) == 0 && s.items->types != kArray) {
      auto item = std::find_if(std::begin(kTypes), std::end(kTypes),
                               [&](const TypeInfo& i) { return i.bit == s.items->types; });
      names.push_back(std::string("array of ") + (s.items->duration ? "durations" : item->plural));
    } else {
      names.emplace_back(t.name);
    }
  }
  return join_or(names);
}

std::string doc_text(const Node& s) {
  std::vector<std::string> parts;
  std::string d = s.description;
  for (auto& c : d)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  while (!d.empty() && d.back() == ' ') d.pop_back();
  if (!d.empty()) parts.push_back(d);
  auto one_of = [&](const Node& n, const char* lead) {
    if (n.enumeration.empty()) return;
    std::vector<std::string> values;
    for (auto& e : n.enumeration)
      values.push_back(e.is_string() ? key_text(e.get_string()) : json_text(e));  // GET, "\t"
    parts.push_back(lead + join_or(values, ", "));
  };
  one_of(s, "one of: ");
  if (s.items) one_of(*s.items, "each one of: ");
  if (s.minimum) parts.push_back("at least " + shortest_decimal(*s.minimum));
  if (s.maximum) parts.push_back("at most " + shortest_decimal(*s.maximum));
  if (s.min_items) parts.push_back("at least " + count_text(*s.min_items, "item"));
  if (s.max_items) parts.push_back("at most " + count_text(*s.max_items, "item"));
  if (s.min_length) parts.push_back("at least " + count_text(*s.min_length, "character"));
  if (parts.size() > 1 && parts[0].back() == '.') parts[0].pop_back();
  return join(parts, "; ", "; ");
}

void describe_object(const Node& s, const std::string& path, std::vector<Row>& rows,
                     std::vector<std::string>& notes);

void describe_nested(const Node& s, const std::string& path, std::vector<Row>& rows,
                     std::vector<std::string>& notes) {
  if (!s.properties.empty() || s.additional || !s.one_of.empty() || !s.any_of.empty())
    describe_object(s, path, rows, notes);
  if (s.items) describe_nested(*s.items, path + "[]", rows, notes);
}

void describe_object(const Node& s, const std::string& path, std::vector<Row>& rows,
                     std::vector<std::string>& notes) {
  auto add = [&](const std::string& key, const Node& child, bool required) {
    std::string def = child.default_value ? json_text(*child.default_value) : "-";
    if (def.size() > 32) {
      size_t cut = 29;
      while (cut > 0 && (def[cut] & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
      def = def.substr(0, cut) + "...";
    }
    rows.push_back(
        {key, type_text(child), required ? "required" : "optional", def, doc_text(child)});
    describe_nested(child, key, rows, notes);
  };
  for (auto& [name, child] : s.properties)
    add(join_key(path, name), *child,
        std::find(s.required.begin(), s.required.end(), name) != s.required.end());
  if (s.additional) add(path.empty() ? "*" : path + ".*", *s.additional, false);
  if (!s.one_of.empty())
    notes.push_back("needs exactly one of " + alternatives_text(s.one_of, path));
  if (!s.any_of.empty()) notes.push_back("needs one of " + alternatives_text(s.any_of, path));
  if (!s.closed && !s.additional && !s.properties.empty())
    notes.push_back(path.empty() ? "other keys are allowed (not checked)"
                                 : "'" + path + "' may hold other keys (not checked)");
}

}  // namespace

ConfigSchema::ConfigSchema() = default;
ConfigSchema::~ConfigSchema() = default;

std::shared_ptr<const ConfigSchema> ConfigSchema::parse(std::string_view text) {
  json::parser parser;
  boost::system::error_code ec;
  size_t used = parser.write(text.data(), text.size(), ec);
  if (ec) {
    auto upto = text.substr(0, std::min(used, text.size()));
    auto line = 1 + std::count(upto.begin(), upto.end(), '\n');
    auto newline = upto.rfind('\n');
    auto column = upto.size() - (newline == std::string_view::npos ? 0 : newline + 1) + 1;
    throw SchemaError("not valid JSON: " + ec.message() + " at line " + std::to_string(line) +
                      ", column " + std::to_string(column));
  }
  json::value root = parser.release();
  if (!root.is_object()) throw SchemaError("a schema must be a JSON object");
  std::shared_ptr<ConfigSchema> schema(new ConfigSchema());
  schema->json_ = std::string(text);
  schema->root_ = parse_node(root, "");
  if (schema->root_->types && !(schema->root_->types & kObject))
    throw SchemaError("the top-level schema must describe a table (\"type\": \"object\")");
  return schema;
}

void ConfigSchema::check(const toml::table& config, std::string_view job, int line, int column,
                         Diagnostics& diags) const {
  check_as(config, "job '" + std::string(job) + "' config", line, column, diags);
}

void ConfigSchema::check_as(const toml::table& table, std::string_view subject, int line,
                            int column, Diagnostics& diags) const {
  Checker checker(std::string(subject) + ": ");
  checker.table(*root_, table, "", Pos{line, column});
  checker.report(diags);
}

std::vector<std::string> ConfigSchema::property_names() const {
  std::vector<std::string> names;
  for (auto& [name, unused] : root_->properties) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

bool ConfigSchema::closed() const { return root_->closed; }

const std::string& ConfigSchema::json() const { return json_; }

std::string ConfigSchema::describe() const {
  std::vector<Row> rows;
  std::vector<std::string> notes;
  describe_object(*root_, "", rows, notes);
  std::string out;
  if (rows.empty()) {
    out = root_->closed ? "no keys\n" : "any keys (not checked)\n";
  } else {
    rows.insert(rows.begin(), Row{"KEY", "TYPE", "REQUIRED", "DEFAULT", "DESCRIPTION"});
    size_t w[4] = {};
    for (auto& r : rows) {
      const std::string* cells[4] = {&r.key, &r.type, &r.required, &r.default_text};
      for (int i = 0; i < 4; ++i) w[i] = std::max(w[i], code_points(*cells[i]));
    }
    for (auto& r : rows) {
      std::string line;
      const std::string* cells[4] = {&r.key, &r.type, &r.required, &r.default_text};
      for (int i = 0; i < 4; ++i)
        line += *cells[i] + std::string(w[i] - code_points(*cells[i]) + 2, ' ');
      line += r.doc;
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
  }
  if (!notes.empty()) out += "\n";
  for (auto& n : notes) out += n + "\n";
  return out;
}

}  // namespace jobhost
