#include "exec/trigger_rules.hpp"

namespace jobhost {

Decision decide(TriggerRule rule, int total, int s, int f, int k) {
  const bool all_done = s + f + k >= total;
  switch (rule) {
    case TriggerRule::always:
      return Decision::run;
    case TriggerRule::all_success:
      if (f > 0) return Decision::upstream_failed;
      if (!all_done) return Decision::wait;  // a skip must not pre-empt a later failure
      return k > 0 ? Decision::skip : Decision::run;
    case TriggerRule::all_failed:
      if (s > 0 || k > 0) return Decision::skip;
      return all_done ? Decision::run : Decision::wait;
    case TriggerRule::all_done:
      return all_done ? Decision::run : Decision::wait;
    case TriggerRule::one_success:
      if (s > 0) return Decision::run;
      if (!all_done) return Decision::wait;
      return k == total ? Decision::skip : Decision::upstream_failed;
    case TriggerRule::one_failed:
      if (f > 0) return Decision::run;
      return all_done ? Decision::skip : Decision::wait;
    case TriggerRule::none_failed:
      if (f > 0) return Decision::upstream_failed;
      return all_done ? Decision::run : Decision::wait;
    case TriggerRule::none_failed_min_one_success:
      if (f > 0) return Decision::upstream_failed;
      if (!all_done) return Decision::wait;
      return s > 0 ? Decision::run : Decision::skip;
  }
  return Decision::wait;
}

}  // namespace jobhost
