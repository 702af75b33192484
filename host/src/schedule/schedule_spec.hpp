// A pipeline's scheduling settings as written in its [pipeline] table (docs/pipelines.md
// "Schedules"): when it runs by itself, and what else starts it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "schedule/cron.hpp"

namespace jobhost::schedule {

// [pipeline.trigger]: runs started by other pipelines or by files rather than the clock.
struct TriggerSpec {
  // Pipelines that must have succeeded for the same logical date first.
  std::vector<std::string> after;
  // Globs; the run starts once matching files exist and have not changed for `settle`.
  std::vector<std::string> files;
  std::chrono::milliseconds settle{10000};
  int line = 0, column = 0;  // where [pipeline.trigger] starts
};

struct ScheduleSpec {
  std::string expression = "none";  // as written: a cron expression, an @macro, or "none"
  std::string timezone = "UTC";     // an IANA name, checked against the tz database
  // The expression in the zone; null when the expression is "none" (manual or trigger runs).
  std::shared_ptr<const Schedule> parsed;
  // Ticks before start_date or after end_date are not scheduled (start_date <= end_date).
  std::optional<Instant> start_date, end_date;
  bool catchup = false;     // run the ticks missed since the last scheduled one, in order
  int max_active_runs = 1;  // >= 1: scheduled runs of this pipeline at once
  std::optional<TriggerSpec> trigger;
};

}  // namespace jobhost::schedule
