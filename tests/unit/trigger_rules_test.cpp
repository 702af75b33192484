#include <catch2/catch.hpp>

#include "exec/trigger_rules.hpp"

using namespace jobhost;

namespace {
// Reference semantics, written as the documented table (docs/pipelines.md), evaluated only
// once every upstream is done: the executor may decide earlier, never differently.
Decision final_decision(TriggerRule rule, int s, int f, int k) {
  int total = s + f + k;
  switch (rule) {
    case TriggerRule::always:
    case TriggerRule::all_done: return Decision::run;
    case TriggerRule::all_success: return f ? Decision::upstream_failed : k ? Decision::skip : Decision::run;
    case TriggerRule::all_failed: return (s || k) ? Decision::skip : Decision::run;
    case TriggerRule::one_success: return s ? Decision::run : k == total ? Decision::skip : Decision::upstream_failed;
    case TriggerRule::one_failed: return f ? Decision::run : Decision::skip;
    case TriggerRule::none_failed: return f ? Decision::upstream_failed : Decision::run;
    case TriggerRule::none_failed_min_one_success:
      return f ? Decision::upstream_failed : s ? Decision::run : Decision::skip;
  }
  return Decision::wait;
}
}  // namespace

TEST_CASE("trigger rules: every rule against every combination of 3 upstream outcomes", "[trigger]") {
  for (auto& name : trigger_rule_names()) {
    auto rule = *trigger_rule_from_string(name);
    for (int s = 0; s <= 3; ++s)
      for (int f = 0; s + f <= 3; ++f) {
        int k = 3 - s - f;
        INFO(name << " s=" << s << " f=" << f << " k=" << k);
        Decision expected = final_decision(rule, s, f, k);
        CHECK(decide(rule, 3, s, f, k) == expected);
        // Any early decision on a prefix of the outcomes must agree with the final one.
        for (int s2 = 0; s2 <= s; ++s2)
          for (int f2 = 0; f2 <= f; ++f2)
            for (int k2 = 0; k2 <= k; ++k2) {
              Decision early = decide(rule, 3, s2, f2, k2);
              if (early != Decision::wait) CHECK(early == expected);
            }
      }
  }
}

TEST_CASE("trigger rules: early decisions", "[trigger]") {
  CHECK(decide(TriggerRule::one_success, 3, 1, 0, 0) == Decision::run);
  CHECK(decide(TriggerRule::one_failed, 3, 0, 1, 0) == Decision::run);
  CHECK(decide(TriggerRule::all_success, 3, 0, 1, 0) == Decision::upstream_failed);
  CHECK(decide(TriggerRule::all_success, 3, 2, 0, 0) == Decision::wait);
  CHECK(decide(TriggerRule::all_done, 3, 2, 0, 0) == Decision::wait);
  CHECK(decide(TriggerRule::always, 3, 0, 0, 0) == Decision::run);
}
