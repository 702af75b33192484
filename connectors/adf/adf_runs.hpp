// What Azure Data Factory's pipeline-run replies mean to jobhost: pure functions over the JSON
// of the ARM API (2018-06-01), unit-tested without a server.
//
// PipelineRun.status: Queued, InProgress, Canceling → running; Succeeded → succeeded;
// Failed → failed (with the run's message); Cancelled → cancelled. Another word is taken for
// "still running" (the attempt's timeout bounds it).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobhost_connectors/remote_job.hpp"

namespace jobhost::connectors::adf {

using SysTime = std::chrono::system_clock::time_point;

// Phase, state (= status), message and the outputs status and duration_ms.
RemoteStatus map_pipeline_run(const boost::json::object& run);

// "activity NAME (TYPE): MESSAGE" for each Failed activity run of a queryActivityruns reply
// (with " (code C)" when the error has a code), in reply order.
std::vector<std::string> failed_activity_lines(const boost::json::object& reply);

// RFC 3339 in UTC with milliseconds: "2026-05-01T12:00:00.000Z".
std::string rfc3339(SysTime t);
// An RFC 3339 date-time (any number of fractional digits, "Z" or an offset); nullopt when
// it is not one.
std::optional<SysTime> parse_rfc3339(std::string_view text);

// How a start that may have happened already recognises its run among queryPipelineRuns
// results (ADF has no request deduplication).
struct RunMatch {
  std::string pipeline;
  // With an idempotency parameter: the run whose parameter `key_parameter` is `key`.
  std::string key_parameter, key;
  // Otherwise: a run with these parameters (ADF returns values as strings; non-strings are
  // compared as JSON) that started at or after `since`.
  boost::json::object parameters;
  SysTime since{};
};
bool matches(const boost::json::object& run, const RunMatch& match);

// The run's page in ADF Studio's monitor (`studio` = "https://adf.azure.com").
std::string monitor_url(const std::string& studio, const std::string& factory_id,
                        const std::string& run_id);

}  // namespace jobhost::connectors::adf
