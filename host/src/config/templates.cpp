#include "config/templates.hpp"

#include <stdexcept>

namespace jobhost {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls on_text / on_var for each piece; returns an error message or "".
template <class OnText, class OnVar>
std::string scan(std::string_view text, OnText on_text, OnVar on_var) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) return "unclosed '{{' in \"" + std::string(text) + "\"";
    on_text(text.substr(pos, open - pos));
    auto name = trim(text.substr(open + 2, close - open - 2));
    if (name.empty()) return "empty '{{ }}' in \"" + std::string(text) + "\"";
    on_var(name);
    pos = close + 2;
  }
  on_text(text.substr(pos));
  return "";
}

void expand_node(toml::node& node, const TemplateVars& vars) {
  if (auto* s = node.as_string()) {
    if (s->get().find("{{") != std::string::npos) *s = expand_template(s->get(), vars);
  } else if (auto* t = node.as_table()) {
    for (auto& [k, v] : *t) expand_node(v, vars);
  } else if (auto* a = node.as_array()) {
    for (auto& v : *a) expand_node(v, vars);
  }
}

}  // namespace

std::vector<std::string> template_variables(std::string_view text, std::string* error) {
  std::vector<std::string> out;
  std::string err = scan(text, [](std::string_view) {}, [&](std::string_view v) { out.emplace_back(v); });
  if (error) *error = err;
  return out;
}

std::optional<JobOutputRef> parse_job_output(std::string_view v) {
  constexpr std::string_view kPrefix = "jobs.", kOutputs = ".outputs.";
  if (v.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  v.remove_prefix(kPrefix.size());
  auto mid = v.find(kOutputs);
  if (mid == std::string_view::npos || mid == 0 || mid + kOutputs.size() >= v.size())
    return std::nullopt;
  return JobOutputRef{std::string(v.substr(0, mid)), std::string(v.substr(mid + kOutputs.size()))};
}

namespace {
void collect_job_output_uses(const toml::node& node, std::vector<JobOutputUse>& out) {
  if (auto* s = node.as_string()) {
    for (auto& v : template_variables(s->get(), nullptr))
      if (auto ref = parse_job_output(v)) out.push_back({std::move(*ref), &node});
  } else if (auto* t = node.as_table()) {
    for (auto& [k, v] : *t) collect_job_output_uses(v, out);
  } else if (auto* a = node.as_array()) {
    for (auto& v : *a) collect_job_output_uses(v, out);
  }
}
}  // namespace

std::vector<JobOutputUse> job_output_uses(const toml::table& table) {
  std::vector<JobOutputUse> out;
  collect_job_output_uses(table, out);
  return out;
}

std::string expand_template(std::string_view text, const TemplateVars& vars) {
  std::string out;
  std::string err = scan(
      text, [&](std::string_view t) { out += t; },
      [&](std::string_view v) {
        auto it = vars.values.find(v);
        if (it != vars.values.end()) {
          out += it->second;
          return;
        }
        if (auto ref = parse_job_output(v)) {
          if (vars.keep_job_outputs) {
            out += "{{ ";
            out += v;
            out += " }}";
            return;
          }
          if (vars.job_output) {
            auto value = vars.job_output(ref->job, ref->key);
            if (!value)
              throw std::runtime_error("'{{ " + std::string(v) + " }}': job '" + ref->job +
                                       "' published no output '" + ref->key + "'");
            out += *value;
            return;
          }
        }
        throw std::runtime_error("unknown template variable '" + std::string(v) + "'");
      });
  if (!err.empty()) throw std::runtime_error(err);
  return out;
}

toml::table expand_table(const toml::table& in, const TemplateVars& vars) {
  toml::table out = in;
  for (auto& [k, v] : out) expand_node(v, vars);
  return out;
}

}  // namespace jobhost
