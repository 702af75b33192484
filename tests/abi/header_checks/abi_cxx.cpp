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
jh_status JH_CALL poll(const jh_job_type*, const jh_host* host, jh_job_ctx* ctx, const jh_run_info*,
                       jh_str) {
  return JH_HAS(jh_host, host, defer) && host->defer(ctx, JH_STR("again"), 5) == JH_OK
             ? JH_STATUS_DEFERRED
             : JH_STATUS_FATAL;
}
// Every member listed: positional initialization stays warning-free in C++17.
const jh_job_type kType = {sizeof(jh_job_type), 0, "t", "s", "1", nullptr, nullptr, run, poll,
                           nullptr, 0, 0, nullptr, nullptr, nullptr};
const jh_job_type* const kTypes[] = {&kType};
const jh_plugin kPlugin = {JH_ABI_MAGIC, sizeof(jh_plugin), JH_ABI_MAJOR, JH_ABI_MINOR, "p", "1",
                           nullptr, 1, 0, kTypes, nullptr, nullptr, nullptr};
}  // namespace

extern "C" JH_EXPORT const jh_plugin* JH_CALL jobhost_plugin_entry(void) { return &kPlugin; }
