#include "jobs.hpp"

namespace jobhost::utilities {
// A join point (Airflow's EmptyOperator); also what the benchmarks run.
Status noop(Context&) { return Status::ok(); }
}  // namespace jobhost::utilities
