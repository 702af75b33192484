// Reads and validates pipeline TOML files.
#pragma once

#include <string>
#include <string_view>

#include "config/pipeline_spec.hpp"

namespace jobhost {

class PluginRegistry;

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

// Checks what needs more than the file: job types against the loaded plugins and the
// dependency graph (cycles). Throws InputError.
void validate_pipeline(const PipelineSpec& spec, const PluginRegistry& plugins);

}  // namespace jobhost
