// A pipeline's scheduling settings as the daemon uses them ([pipeline] schedule, timezone,
// start_date, end_date, catchup, max_active_runs, [pipeline.trigger]), with the schedule
// parsed once.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/pipeline_spec.hpp"
#include "schedule/cron.hpp"

namespace jobhost::serve {

struct ScheduleView {
  std::string expression = "none";  // as written; "none" when unscheduled
  std::string timezone = "UTC";
  std::shared_ptr<const schedule::Schedule> schedule;  // null: no time schedule
  std::optional<schedule::Instant> start_date, end_date;
  bool catchup = false;
  int max_active_runs = 1;
  std::vector<std::string> after;  // [pipeline.trigger] after
  std::vector<std::string> files;  // [pipeline.trigger] files (globs)
  std::chrono::milliseconds settle{10000};
};

ScheduleView schedule_view(const PipelineSpec& spec);

}  // namespace jobhost::serve
