// The C++ SDK boundary (sdk.hpp, fixture tests/fixtures/sdk_plugin): every exception and
// status a job can produce, and the typed config getters.
#include <catch2/catch.hpp>

#include "fixture_plugins.hpp"

using namespace jobhost;
using namespace jobhost::test;

namespace {

struct SdkFixture {
  TempDir dir;
  PluginRegistry registry;
  SdkFixture() {
    add_fixtures(dir.path, {"sdk_plugin"});
    registry.load_path(dir.path);
  }
  AttemptResult run(const std::string& job, const std::string& config = "",
                    const std::atomic<bool>* cancel = nullptr) {
    auto* t = registry.find("sdkfix." + job);
    if (!t) throw std::runtime_error("not loaded: sdkfix." + job);
    return run_type(*t, config, nullptr, cancel);
  }
  // Runs `probe`: one getter (get, get_or, require) of one type on key "v".
  AttemptResult probe(const std::string& call, const std::string& type, const std::string& rest) {
    return run("probe", "call = '" + call + "'\ntype = '" + type + "'\nkey = 'v'\n" + rest);
  }
};

}  // namespace

TEST_CASE("abi sdk: exceptions become failures with their message", "[abi][sdk]") {
  SdkFixture f;
  REQUIRE(f.registry.refused().empty());

  auto r = f.run("boom");
  CHECK(r.status == JH_STATUS_RETRY);
  CHECK(r.error == "boom");

  r = f.run("fatal_error");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK(r.error == "input file is corrupt");

  r = f.run("retryable_error");
  CHECK(r.status == JH_STATUS_RETRY);
  CHECK(r.error == "try again later");

  r = f.run("throw_int");
  CHECK(r.status == JH_STATUS_RETRY);
  CHECK(r.error == "unknown exception");
}

TEST_CASE("abi sdk: returned statuses carry their message", "[abi][sdk]") {
  SdkFixture f;
  auto r = f.run("status_fatal");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK(r.error == "x");

  r = f.run("status_retry");
  CHECK(r.status == JH_STATUS_RETRY);
  CHECK(r.error == "server busy");

  r = f.run("skipped");
  CHECK(r.status == JH_STATUS_SKIPPED);
  CHECK(r.error == "no new files");

  std::atomic<bool> cancel{true};
  r = f.run("cancelled", "", &cancel);
  CHECK(r.status == JH_STATUS_CANCELLED);
  cancel = false;
  CHECK(f.run("cancelled", "", &cancel).status == JH_STATUS_OK);
}

TEST_CASE("abi sdk: get, get_or and require read typed values", "[abi][sdk][config]") {
  SdkFixture f;
  auto value = [](const AttemptResult& r) {
    INFO(r.error);
    REQUIRE(r.status == JH_STATUS_OK);
    return r.outputs.count("value") ? r.outputs.at("value") : "<absent>";
  };
  CHECK(value(f.probe("get", "int64", "v = 5")) == "5");
  CHECK(value(f.probe("get", "bool", "v = true")) == "true");
  CHECK(value(f.probe("get", "double", "v = 2.5")) == "2.5");
  CHECK(value(f.probe("get", "double", "v = 2")) == "2");  // integers are doubles too
  CHECK(value(f.probe("get", "string", "v = 'text'")) == "text");
  CHECK(value(f.probe("get", "string", "v = 2026-11-28")) == "2026-11-28");  // dates as ISO text
  CHECK(value(f.probe("require", "string", "v = 'needed'")) == "needed");

  // Absent: get says so, get_or gives the fallback; present: get_or gives the value.
  auto r = f.probe("get", "int64", "");
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.outputs.at("absent") == "yes");
  CHECK(value(f.probe("get_or", "int64", "fallback = 9")) == "9");
  CHECK(value(f.probe("get_or", "int64", "fallback = 9\nv = 4")) == "4");
  CHECK(value(f.probe("get_or", "string", "fallback = 'fb'")) == "fb");

  // Nested paths.
  r = f.run("probe", "call = 'require'\ntype = 'int64'\nkey = 'db.pool[1].size'\n"
                     "[db]\npool = [{ size = 1 }, { size = 8 }]");
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.outputs.at("value") == "8");
}

TEST_CASE("abi sdk: a wrong type or a missing required key is fatal and names the key",
          "[abi][sdk][config]") {
  SdkFixture f;
  auto r = f.probe("get", "int64", "v = 'five'");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK(r.error == "config: 'v' has the wrong type");

  r = f.probe("get", "bool", "v = 1");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK(r.error == "config: 'v' has the wrong type");

  r = f.probe("get", "string", "v = 3");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK(r.error == "config: 'v' has the wrong type");

  r = f.probe("get_or", "int64", "fallback = 1\nv = [1]");
  CHECK(r.status == JH_STATUS_FATAL);  // get_or does not hide a config mistake
  CHECK(r.error == "config: 'v' has the wrong type");

  r = f.probe("require", "double", "");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK(r.error == "config: missing required key 'v'");

  r = f.run("probe", "call = 'require'\ntype = 'int64'\nkey = 'a.b'\n[a]\nc = 1");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK(r.error == "config: missing required key 'a.b'");
}

TEST_CASE("abi sdk: integers out of the requested type's range are fatal", "[abi][sdk][config]") {
  SdkFixture f;
  CHECK(f.probe("get", "int8", "v = 127").outputs.at("value") == "127");
  CHECK(f.probe("get", "int8", "v = -128").outputs.at("value") == "-128");
  CHECK(f.probe("get", "uint16", "v = 65535").outputs.at("value") == "65535");
  CHECK(f.probe("get", "uint16", "v = 0").outputs.at("value") == "0");
  for (auto [type, v] : {std::pair{"int8", "128"}, {"int8", "-129"}, {"uint16", "65536"},
                         {"uint16", "-1"}}) {
    auto r = f.probe("get", type, std::string("v = ") + v);
    INFO(type << " " << v);
    CHECK(r.status == JH_STATUS_FATAL);
    CHECK(r.error == "config: 'v' is out of range");
  }
}

TEST_CASE("abi sdk: keys, string lists, numeric outputs and logging", "[abi][sdk][config]") {
  SdkFixture f;
  auto r = f.run("lists", "names = ['x', 'y']\ntable = { b = 1, a = 2, c = 3 }");
  INFO(r.error);
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.outputs.at("keys") == "b,a,c");  // file order, not sorted
  CHECK(r.outputs.at("strings") == "x,y");
  // Numbers are published in their shortest exact decimal form: nothing lost, nothing padded.
  CHECK(r.outputs.at("pi") == "3.5");
  CHECK(r.outputs.at("tiny") == "1e-09");
  CHECK(std::stod(r.outputs.at("third")) == 1.0 / 3.0);
  CHECK(r.metrics.at("size_of_table") == 3);

  r = f.run("lists", "names = 'solo'");
  REQUIRE(r.status == JH_STATUS_OK);
  CHECK(r.outputs.at("strings") == "solo");
  CHECK(r.outputs.at("keys").empty());

  r = f.run("lists", "names = 5");
  CHECK(r.status == JH_STATUS_FATAL);
  CHECK(r.error == "config: 'names' must be a string or an array of strings");
}
