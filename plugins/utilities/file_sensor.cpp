// utilities.file_sensor: waits until a path or glob matches at least `min_count` files,
// poking every `poke_interval` until `timeout`, and notices cancellation within 100 ms.
#include <glob.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "jobhost_common/duration.hpp"
#include "jobhost_common/config_keys.hpp"
#include "jobhost_common/job_errors.hpp"
#include "jobs.hpp"

namespace jobhost::utilities {
namespace {
using common::config_duration;
using common::format_duration;

using Clock = std::chrono::steady_clock;

// Sorted matches; a literal path matches itself when it exists.
std::vector<std::string> matches(const std::string& pattern) {
  glob_t g{};
  std::vector<std::string> out;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

Status run_file_sensor(Context& ctx) {
  common::reject_unknown_keys(ctx, "", {"path", "poke_interval", "timeout", "min_count", "soft_fail"});
  const auto pattern = ctx.require<std::string>("path");
  const auto poke = config_duration(ctx, "poke_interval", std::chrono::seconds(5));
  const auto timeout = config_duration(ctx, "timeout", std::chrono::hours(1));
  const auto min_count = ctx.get_or<int64_t>("min_count", 1);
  const bool soft_fail = ctx.get_or<bool>("soft_fail", false);
  if (pattern.empty()) throw FatalError("config: 'path' must not be empty");
  if (min_count < 1) throw FatalError("config: 'min_count' must be at least 1");
  if (poke.count() <= 0) throw FatalError("config: 'poke_interval' must be greater than 0");

  const auto start = Clock::now();
  const auto give_up = start + timeout;
  const std::string wanted = std::to_string(min_count) + " match(es) of '" + pattern + "'";
  for (bool first = true;; first = false) {
    if (ctx.cancelled()) return Status::cancelled();
    auto found = matches(pattern);
    auto now = Clock::now();
    if (static_cast<int64_t>(found.size()) >= min_count) {
      auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - start);
      ctx.metric("matched_count", static_cast<double>(found.size()));
      ctx.metric("waited_seconds", static_cast<double>(waited.count()) / 1000.0);
      ctx.set_output("matched_count", std::to_string(found.size()));
      ctx.set_output("first_path", found.front());
      ctx.log_info("found " + std::to_string(found.size()) + " match(es) of '" + pattern + "' after " +
                   format_duration(waited) + "; first: " + found.front());
      return Status::ok();
    }
    if (now >= give_up) {
      std::string msg = "timed out after " + format_duration(timeout) + " waiting for " + wanted + " (found " +
                        std::to_string(found.size()) + ")";
      return soft_fail ? Status::skipped(msg) : Status::retry(msg);
    }
    if (first)
      ctx.log_info("waiting for " + wanted + ", checking every " + format_duration(poke) + " for up to " +
                   format_duration(timeout));
    // Sleep until the next poke in slices of at most 100 ms so cancellation is prompt.
    const auto next = std::min(now + poke, give_up);
    while ((now = Clock::now()) < next) {
      if (ctx.cancelled()) return Status::cancelled();
      std::this_thread::sleep_for(std::min<Clock::duration>(next - now, std::chrono::milliseconds(100)));
    }
  }
}

}  // namespace

Status file_sensor(Context& ctx) { return common::run_named(ctx, run_file_sensor); }

}  // namespace jobhost::utilities
