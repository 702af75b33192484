// What airflow_trigger.cpp and airflow_engine.cpp share; internal to the airflow plugin.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <optional>
#include <string>

#include "airflow_api.hpp"

namespace jobhost::connectors::airflow {

// Our own trigger notes start with this; they are not repeated in failure messages.
inline constexpr const char* kNotePrefix = "Triggered by jobhost";
// v2's DAGRunPatchBody.note and TriggerDAGRunPostBody.note: maxLength 1000.
inline constexpr size_t kMaxNote = 1000;

// At most `max` bytes, never cutting a UTF-8 sequence in two.
std::string truncated(std::string text, size_t max);

// The DAG run, or nullopt when Airflow has none with that id.
std::optional<boost::json::object> find_run(Session& session, const Api& api,
                                            const std::string& dag_id, const std::string& run_id);

}  // namespace jobhost::connectors::airflow
