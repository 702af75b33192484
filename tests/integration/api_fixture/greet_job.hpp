// One job function shared by a plugin (api_fixture.so) and the fluent API tests: the same
// `Status f(Context&)` must behave the same in both places.
#pragma once

#include <jobhost/sdk.hpp>

#include <string>

namespace api_fixture {

// Greets config `name`, prefixed by what the upstream job "seed" published as "prefix".
inline jobhost::Status greet(jobhost::Context& ctx) {
  std::string name = ctx.require<std::string>("name");
  std::string prefix = ctx.input("seed", "prefix").value_or("");
  ctx.set_output("greeting", prefix + "hello " + name);
  ctx.set_output("attempt", std::to_string(ctx.attempt()));
  return jobhost::Status::ok();
}

}  // namespace api_fixture
