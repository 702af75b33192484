#include "config/pipeline_spec.hpp"

namespace jobhost {

namespace {
const std::pair<TriggerRule, const char*> kRules[] = {
    {TriggerRule::all_success, "all_success"},
    {TriggerRule::all_failed, "all_failed"},
    {TriggerRule::all_done, "all_done"},
    {TriggerRule::one_success, "one_success"},
    {TriggerRule::one_failed, "one_failed"},
    {TriggerRule::none_failed, "none_failed"},
    {TriggerRule::none_failed_min_one_success, "none_failed_min_one_success"},
    {TriggerRule::always, "always"},
};
}  // namespace

const char* to_string(TriggerRule r) {
  for (auto& [rule, name] : kRules)
    if (rule == r) return name;
  return "?";
}

std::optional<TriggerRule> trigger_rule_from_string(std::string_view s) {
  for (auto& [rule, name] : kRules)
    if (s == name) return rule;
  return std::nullopt;
}

const std::vector<std::string>& trigger_rule_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (auto& [rule, name] : kRules) v.emplace_back(name);
    return v;
  }();
  return names;
}

}  // namespace jobhost
