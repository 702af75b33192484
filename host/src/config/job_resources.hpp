// Where a job's attempts run and what they may use: `isolation`, `memory_limit`, `cpu_limit`
// and `max_open_files`, set per job, in [defaults] (and isolation in [pipeline]).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jobhost {

class StrictTable;

// thread: the attempt runs on a worker thread of the host process (cheapest; a crash takes the
// host down). process: in a worker process that loads the plugin (a crash is a failed attempt).
enum class Isolation { thread, process };

const char* to_string(Isolation i);
std::optional<Isolation> isolation_from_string(std::string_view s);

struct JobResources {
  std::optional<Isolation> isolation;    // unset: the pipeline's, the plugin's, the default
  std::optional<uint64_t> memory_limit;  // bytes
  std::optional<double> cpu_limit;       // cores, e.g. 1.5
  std::optional<int64_t> max_open_files;
  bool any_limit() const { return memory_limit || cpu_limit || max_open_files; }
};

// Reads the keys above from `t` into `r` (keys `t` does not set leave `r` as it is).
void read_job_resources(StrictTable& t, JobResources& r);

// "512MiB", "2GiB", "100MB", "64KiB", "1048576" (bytes). nullopt when malformed or zero.
std::optional<uint64_t> parse_byte_size(std::string_view text);
// The shortest exact form: 536870912 -> "512MiB", 1000000 -> "1MB", 1234 -> "1234B".
std::string format_byte_size(uint64_t bytes);

}  // namespace jobhost
