// Reads and validates pipeline TOML files.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "config/pipeline_spec.hpp"

namespace jobhost {

class PluginRegistry;
struct JobTypeRef;

// Parses and validates the file. Throws InputError listing every problem with file:line:col
// (syntax, unknown keys with "did you mean", bad values, duplicate/unknown/self dependencies,
// unknown template variables). Cycles and unknown job types are checked by validate_pipeline.
PipelineSpec load_pipeline_file(const std::string& path);
PipelineSpec load_pipeline_text(const std::string& text, const std::string& file_name);

class Diagnostics;

// [A-Za-z0-9_-]+: pipeline and job names.
bool valid_name(std::string_view s);

// The graph checks of the loader, also used for pipelines built in code (the fluent API).
// Reports duplicate job names and unknown, self or repeated dependencies into diags.
void check_job_names_and_dependencies(const PipelineSpec& spec, Diagnostics& diags);
// Throws InputError naming the jobs of a dependency cycle in order: "a -> b -> a".
void check_no_cycle(const PipelineSpec& spec);

// {{ jobs.NAME.outputs.KEY }} names an upstream job of the job that uses it (directly or
// transitively). Reports into diags.
void check_job_output_templates(const PipelineSpec& spec, Diagnostics& diags);

// Checks what needs the plugins: every job type is known (a job type whose plugin file was
// refused names the file and the reason), every config matches its job type's declared
// schema, and upstream outputs used in templates are ones their job types declare. Throws
// InputError listing every problem.
void validate_pipeline(const PipelineSpec& spec, const PluginRegistry& plugins);
// The same with another source of job types (the fluent API's in-process jobs first);
// `plugins`, when given, explains unknown types.
void validate_pipeline(const PipelineSpec& spec,
                       const std::function<const JobTypeRef*(std::string_view)>& find_type,
                       const PluginRegistry* plugins);

}  // namespace jobhost
