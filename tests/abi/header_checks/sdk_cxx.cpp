// Compiled as C++17 and C++20 (g++, clang++) with -Wall -Wextra -pedantic -Werror by
// tests/abi: sdk.hpp and every template a plugin author instantiates must be warning-free.
#include <jobhost/sdk.hpp>

namespace {
jobhost::Status all_getters(jobhost::Context& ctx) {
  auto b = ctx.get<bool>("b");
  auto i = ctx.get_or<int64_t>("i", 1);
  auto u = ctx.get<uint16_t>("u");
  auto c = ctx.get<int8_t>("c");
  auto d = ctx.get_or<double>("d", 0.5);
  auto f = ctx.get<float>("f");
  auto s = ctx.get_or("s", "fallback");
  auto r = ctx.require<std::string>("r");
  auto keys = ctx.keys("t");
  auto strings = ctx.strings("a");
  auto secret = ctx.secret("token");
  auto input = ctx.input("upstream", "key");
  ctx.set_output("n", 1.5);
  ctx.set_output("s", s + r);
  ctx.metric("m", static_cast<double>(keys.size() + strings.size()));
  ctx.progress(0.5, "half");
  ctx.log_info(ctx.run_id());
  if (ctx.cancelled()) return jobhost::Status::cancelled();
  if (!b || !u || !c || !f || !secret || !input || ctx.deadline()) return jobhost::Status::skipped();
  if (i > 1 || d > 1) return jobhost::Status::retry("r");
  if (ctx.attempt() > ctx.max_attempts()) throw jobhost::FatalError("f");
  if (ctx.has("x")) throw jobhost::RetryableError("x");
  return jobhost::Status::ok();
}
jobhost::Status second(jobhost::Context&) { return jobhost::Status::fatal("no"); }
}  // namespace

JOBHOST_PLUGIN("check", "1.0.0", "compile check",
               JOBHOST_JOB(all_getters, "Uses every SDK call", "1.0.0", nullptr),
               JOBHOST_JOB(second, "Another", "1.0.0", "x = 1"))
