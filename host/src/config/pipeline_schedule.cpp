#include "config/pipeline_schedule.hpp"

#include <date/date.h>

#include <algorithm>
#include <set>

#include "config/pipeline_loader.hpp"  // valid_name
#include "config/strict_table.hpp"

namespace jobhost {

namespace {

using schedule::Instant;
using schedule::ScheduleError;

constexpr const char* kScheduleKeys[] = {"schedule", "timezone",        "start_date", "end_date",
                                         "catchup",  "max_active_runs", "trigger"};

// The expression in its zone; an error names the key whose value is wrong.
void read_cron(StrictTable& t, schedule::ScheduleSpec& s) {
  std::optional<schedule::Cron> cron;
  if (s.expression != "none") {
    try {
      cron = schedule::Cron::parse(s.expression);
      if (!cron->ever_matches()) {
        t.error("schedule", "schedule \"" + s.expression + "\" never fires (no date matches it)");
        cron.reset();
      }
    } catch (const ScheduleError& e) {
      t.error("schedule", "schedule \"" + s.expression + "\": " + e.what());
    }
  }
  try {
    schedule::check_zone(s.timezone);
  } catch (const ScheduleError& e) {
    t.error("timezone", std::string("'timezone': ") + e.what());
    return;
  }
  if (cron)
    s.parsed = std::make_shared<const schedule::Schedule>(
        schedule::Schedule::parse(s.expression, s.timezone));
}

// A TOML date (midnight UTC), an offset date-time, or a string in one of those forms.
std::optional<Instant> read_instant(StrictTable& t, const toml::table& table, const char* key) {
  const toml::node* n = table.get(key);
  if (!n) return std::nullopt;
  const std::string k(key);
  if (auto d = n->value_exact<toml::date>())
    return Instant{date::sys_days{date::year{d->year} / d->month / d->day}};
  if (auto dt = n->value_exact<toml::date_time>()) {
    // Without an offset the instant would depend on a zone the reader has to guess.
    if (!dt->offset) {
      t.error(key, "'" + k + "' needs a UTC offset: add 'Z' or one like '+01:00'");
      return std::nullopt;
    }
    return Instant{date::sys_days{date::year{dt->date.year} / dt->date.month / dt->date.day}} +
           std::chrono::hours{dt->time.hour} +
           std::chrono::minutes{dt->time.minute - dt->offset->minutes} +
           std::chrono::seconds{dt->time.second};
  }
  if (auto s = n->value_exact<std::string>())
    if (auto i = schedule::parse_instant(*s)) return i;
  t.error(key, "'" + k +
                   "' must be a date (2026-01-01, midnight UTC), a date-time with an offset "
                   "(2026-01-01T06:00:00Z, 2026-01-01T07:00:00+01:00) or such a string");
  return std::nullopt;
}

std::optional<schedule::TriggerSpec> read_trigger(StrictTable& pipeline,
                                                  const std::string& pipeline_name,
                                                  Diagnostics& diags) {
  const toml::table* table = pipeline.table("trigger");
  if (!table) return std::nullopt;
  StrictTable t(*table, "pipeline.trigger", diags);
  schedule::TriggerSpec trigger;
  trigger.line = static_cast<int>(table->source().begin.line);
  trigger.column = static_cast<int>(table->source().begin.column);
  trigger.after = t.string_list("after");
  std::set<std::string> seen;
  for (auto& name : trigger.after) {
    if (!valid_name(name))
      t.error("after", "'after' names pipelines: '" + name + "' must match [A-Za-z0-9_-]+");
    else if (name == pipeline_name)
      t.error("after", "'after' lists the pipeline itself ('" + name + "')");
    else if (!seen.insert(name).second)
      t.error("after", "'after' lists pipeline '" + name + "' twice");
  }
  trigger.files = t.string_list("files");
  if (std::any_of(trigger.files.begin(), trigger.files.end(), [](auto& f) { return f.empty(); }))
    t.error("files", "'files' must not contain an empty glob");
  if (auto v = t.duration("settle")) trigger.settle = *v;
  if (trigger.after.empty() && trigger.files.empty() && !table->contains("after") &&
      !table->contains("files"))
    diags.add(*table, "[pipeline.trigger] needs 'after' (pipelines) or 'files' (globs)");
  t.allow({"after", "files", "settle"});  // last: unknown keys usually come after known ones
  return trigger;
}

}  // namespace

std::optional<schedule::ScheduleSpec> read_pipeline_schedule(const toml::table& pipeline,
                                                             const std::string& pipeline_name,
                                                             Diagnostics& diags) {
  if (std::none_of(std::begin(kScheduleKeys), std::end(kScheduleKeys),
                   [&](const char* k) { return pipeline.contains(k); }))
    return std::nullopt;
  StrictTable t(pipeline, "pipeline", diags);
  schedule::ScheduleSpec s;
  if (auto v = t.string("schedule")) s.expression = *v;
  if (auto v = t.string("timezone")) s.timezone = *v;
  read_cron(t, s);
  s.start_date = read_instant(t, pipeline, "start_date");
  s.end_date = read_instant(t, pipeline, "end_date");
  if (s.start_date && s.end_date && *s.start_date > *s.end_date)
    t.error("end_date", "'start_date' (" + schedule::format_instant(*s.start_date) +
                            ") is after 'end_date' (" + schedule::format_instant(*s.end_date) +
                            ")");
  s.catchup = t.boolean("catchup").value_or(false);
  if (auto v = t.integer("max_active_runs", 1, 100000)) s.max_active_runs = static_cast<int>(*v);
  s.trigger = read_trigger(t, pipeline_name, diags);
  return s;
}

}  // namespace jobhost
