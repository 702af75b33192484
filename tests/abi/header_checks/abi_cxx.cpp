// Compiled as C++17 and C++20 (g++, clang++) with -Wall -Wextra -pedantic -Werror by
// tests/abi: abi.h must be warning-free C++ with C linkage for the entry point.
#include <jobhost/abi.h>

#include <type_traits>

static_assert(std::is_standard_layout_v<jh_plugin> && std::is_trivially_copyable_v<jh_plugin>);
static_assert(std::is_standard_layout_v<jh_job_type> && std::is_trivially_copyable_v<jh_job_type>);
static_assert(std::is_standard_layout_v<jh_host> && std::is_trivially_copyable_v<jh_host>);
static_assert(std::is_standard_layout_v<jh_run_info>);
static_assert(std::is_standard_layout_v<jh_secrets_v1>);
static_assert(std::is_standard_layout_v<jh_str>);

namespace {
jh_status JH_CALL run(const jh_job_type*, const jh_host*, jh_job_ctx*, const jh_run_info*) {
  return JH_STATUS_OK;
}
const jh_job_type kType = {sizeof(jh_job_type), 0, "t", "s", "1", nullptr, nullptr, run};
const jh_job_type* const kTypes[] = {&kType};
const jh_plugin kPlugin = {JH_ABI_MAGIC, sizeof(jh_plugin), JH_ABI_MAJOR, JH_ABI_MINOR, "p", "1",
                           nullptr, 1, 0, kTypes, nullptr, nullptr, nullptr};
}  // namespace

extern "C" JH_EXPORT const jh_plugin* JH_CALL jobhost_plugin_entry(void) { return &kPlugin; }
