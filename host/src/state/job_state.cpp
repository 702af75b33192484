#include <array>
#include <utility>

#include "state/run_store.hpp"

namespace jobhost::state {
namespace {

constexpr std::array<std::pair<JobState, const char*>, 9> kNames = {{
    {JobState::pending, "pending"},
    {JobState::running, "running"},
    {JobState::up_for_retry, "up_for_retry"},
    {JobState::success, "success"},
    {JobState::failed, "failed"},
    {JobState::upstream_failed, "upstream_failed"},
    {JobState::skipped, "skipped"},
    {JobState::cancelled, "cancelled"},
    {JobState::deferred, "deferred"},
}};

}  // namespace

const char* to_string(JobState s) {
  for (auto& [state, name] : kNames)
    if (state == s) return name;
  return "unknown";
}

std::optional<JobState> job_state_from_string(std::string_view s) {
  for (auto& [state, name] : kNames)
    if (s == name) return state;
  return std::nullopt;
}

}  // namespace jobhost::state
