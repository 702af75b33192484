// The JSON document of a run ("jobhost.run/3"), the same for `run --json` (the try that just
// ran) and `show --json` (the run as the store has it): one builder, so the two cannot drift.
// docs/run-json.md describes every field.
#pragma once

#include <string>

#include "exec/pipeline_run.hpp"
#include "state/run_store.hpp"

namespace jobhost::cli {

// 2: logical_time, data_interval_start and data_interval_end added (logical times).
// 3: each job's peak_rss_bytes, cpu_user_seconds and cpu_system_seconds (resource accounting).
inline constexpr int kRunDocumentVersion = 3;

// From the report of a run that just ended.
std::string run_document(const RunReport& report);
// From the store.
std::string run_document(const state::RunDetail& detail);

}  // namespace jobhost::cli
