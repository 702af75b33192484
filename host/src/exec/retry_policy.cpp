#include "exec/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace jobhost {

Millis retry_delay(const RetryPolicy& p, int failed_attempt, double unit_random) {
  double ms = static_cast<double>(p.delay.count()) *
              std::pow(p.backoff, std::max(0, failed_attempt - 1));
  ms = std::min(ms, static_cast<double>(p.max_delay.count()));
  if (p.jitter) ms *= std::clamp(unit_random, 0.0, 1.0);
  return Millis(static_cast<int64_t>(ms));
}

}  // namespace jobhost
