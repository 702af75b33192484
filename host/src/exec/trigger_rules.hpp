// Trigger rules (Airflow's semantics): when a job may run, given its upstream outcomes.
#pragma once

#include "config/pipeline_spec.hpp"

namespace jobhost {

enum class Decision { wait, run, skip, upstream_failed };

// total upstream jobs; how many succeeded, failed (failed, upstream_failed or cancelled) and
// were skipped so far. Decisions that can be made early are (one_success, one_failed, and
// any rule that can no longer be met); the result never changes as more upstreams finish.
Decision decide(TriggerRule rule, int total, int succeeded, int failed, int skipped);

}  // namespace jobhost
