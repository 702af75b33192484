// The scheduling keys of a pipeline's [pipeline] table: schedule, timezone, start_date,
// end_date, catchup, max_active_runs and the [pipeline.trigger] table (docs/pipelines.md
// "Schedules").
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <string>

#include "schedule/schedule_spec.hpp"

namespace jobhost {

class Diagnostics;

// Reads those keys of `pipeline` (the loader's strict key check allows them). Problems go to
// `diags` with the position of the offending value: a bad cron expression (the parser's
// message), one that never fires, an unknown zone (with did-you-mean), a date that is not one,
// start_date after end_date, bad [pipeline.trigger] keys and values. nullopt when the table
// has none of the keys. `pipeline_name` is for refusing a trigger on the pipeline itself.
std::optional<schedule::ScheduleSpec> read_pipeline_schedule(const toml::table& pipeline,
                                                             const std::string& pipeline_name,
                                                             Diagnostics& diags);

}  // namespace jobhost
