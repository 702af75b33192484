// A complete jobhost plugin: one job type, "hello.greet".
//
//   [[jobs]]
//   name = "say_hello"
//   uses = "hello.greet"
//   config = { name = "data team", times = 2 }
#include <jobhost/sdk.hpp>

#include <string>

namespace {

jobhost::Status greet(jobhost::Context& ctx) {
  const auto name = ctx.get_or<std::string>("name", "world");
  const auto times = ctx.get_or<int64_t>("times", 1);
  if (times < 1 || times > 100) {
    // A config mistake: retrying would not help, so fail without retries.
    return jobhost::Status::fatal("config: 'times' must be between 1 and 100");
  }
  for (int64_t i = 0; i < times; ++i) {
    if (ctx.cancelled()) return jobhost::Status::cancelled();
    ctx.log_info("hello, " + name + " (" + std::string(ctx.logical_date()) + ")");
  }
  ctx.metric("greetings", static_cast<double>(times));
  ctx.set_output("greeted", name);  // downstream jobs read it with ctx.input("<job>", "greeted")
  return jobhost::Status::ok();
}

}  // namespace

JOBHOST_PLUGIN("hello", "1.0.0", "An example plugin: says hello",
               JOBHOST_JOB(greet, "Logs a greeting", "1.0.0",
                           "name = \"world\"  # who to greet\ntimes = 1     # 1..100\n"))
