// Delay before the next attempt: min(max_delay, delay * backoff^(attempt-1)), with full
// jitter (uniform in [0, that]) when enabled.
#pragma once

#include "config/pipeline_spec.hpp"

namespace jobhost {

// failed_attempt is 1-based (1 = the first attempt failed). unit_random is in [0, 1).
Millis retry_delay(const RetryPolicy& policy, int failed_attempt, double unit_random);

}  // namespace jobhost
