// A validated pipeline: what a TOML pipeline file (or the fluent API) describes.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>
#include <toml++/toml.h>

#include "config/job_resources.hpp"
#include "config/duration.hpp"
#include "schedule/schedule_spec.hpp"

namespace jobhost {

enum class TriggerRule {
  all_success, all_failed, all_done, one_success, one_failed, none_failed,
  none_failed_min_one_success, always
};
const char* to_string(TriggerRule r);
std::optional<TriggerRule> trigger_rule_from_string(std::string_view s);
const std::vector<std::string>& trigger_rule_names();

struct RetryPolicy {
  int retries = 0;          // extra attempts after the first
  Millis delay{1000};
  double backoff = 2.0;
  Millis max_delay{300000};
  bool jitter = true;
};

struct JobSpec {
  std::string name;
  std::string uses;                     // "plugin.type"
  std::vector<std::string> depends_on;
  TriggerRule trigger = TriggerRule::all_success;
  RetryPolicy retry;
  std::optional<Millis> timeout;        // per attempt
  int priority = 0;                     // higher runs first among ready jobs
  // A host-wide pool ([pools] in the host config) whose slots each attempt holds; "" for none.
  std::string pool;
  int pool_slots = 0;                   // 1 when `pool` is set and pool_slots is not
  int pool_line = 0, pool_column = 0;   // where `pool` is written
  JobResources resources;               // isolation and limits (config/job_resources.hpp)
  toml::table config;                   // unexpanded: templates resolve per run
  int line = 0, column = 0;             // where [[jobs]] for it starts
};

struct PipelineSpec {
  std::string file;                     // "" for pipelines built in code
  std::string name;
  std::string description;
  std::optional<int> max_parallel;      // default: host config, else number of cores
  std::optional<int> max_deferred;      // default: host config, else 10,000
  bool fail_fast = false;
  std::optional<Isolation> isolation;   // [pipeline] isolation: for jobs that set none
  std::vector<std::pair<std::string, std::string>> params;  // defaults, in file order
  std::vector<JobSpec> jobs;
  // The schedule keys of [pipeline] and [pipeline.trigger]; nullopt when the file sets none
  // of them (the pipeline then runs only when asked, as with schedule = "none").
  std::optional<::jobhost::schedule::ScheduleSpec> schedule;
  std::string source_text;              // the file's bytes (for hashing and the run store)

  const JobSpec* find(std::string_view job) const;
};

}  // namespace jobhost
