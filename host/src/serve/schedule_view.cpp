#include "serve/schedule_view.hpp"

namespace jobhost::serve {

ScheduleView schedule_view(const PipelineSpec& spec) {
  ScheduleView v;
  if (!spec.schedule) return v;
  const schedule::ScheduleSpec& s = *spec.schedule;
  v.expression = s.expression;
  v.timezone = s.timezone;
  v.schedule = s.parsed;
  v.start_date = s.start_date;
  v.end_date = s.end_date;
  v.catchup = s.catchup;
  v.max_active_runs = s.max_active_runs;
  if (s.trigger) {
    v.after = s.trigger->after;
    v.files = s.trigger->files;
    v.settle = s.trigger->settle;
  }
  return v;
}

}  // namespace jobhost::serve
