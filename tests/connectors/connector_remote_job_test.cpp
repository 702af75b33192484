// connectors/common: the remote job (remote_run / remote_poll / remote_cancel / remote_test)
// driven by a scripted engine, with a fake host.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <deque>
#include <functional>
#include <string>

#include "connectors/fake_host.hpp"
#include "connectors/loopback_server.hpp"
#include "jobhost_connectors/remote_job.hpp"

namespace {

namespace json = boost::json;
using namespace jobhost::connectors;
using jobhost::Context;
using jobhost::FatalError;
using jobhost::Outcome;
using jobhost::RetryableError;
using jobhost::test::FakeHost;
using Kind = ApiError::Kind;
using Phase = RemoteStatus::Phase;
using std::chrono::milliseconds;

constexpr const char* kToken = "tok-S3cr3t-808";

// What the engine does, step by step; each status() call takes the next step.
struct Script {
  bool pending = false;
  json::object started{{"run_id", "r-1"}, {"url", "http://engine.test/runs/r-1"}};
  std::function<void()> on_start;
  std::deque<std::function<RemoteStatus()>> statuses;
  std::function<void()> on_cancel;
  std::string cancel_path;  // when set, cancel() POSTs there through the session's client
  std::string probe = "reachable: 3 DAGs";
  std::vector<json::object> handles_seen;
  std::string token_seen;
  int cancels = 0;
};

class ScriptedEngine : public Engine {
 public:
  explicit ScriptedEngine(Script& s) : s_(s) {}
  const char* title() const override { return "Fake"; }
  const char* connection_type() const override { return "fake"; }
  std::shared_ptr<Authenticator> authenticator(const Connection& c) const override {
    auto token = c.secret("token");
    return token ? bearer_auth(*token) : no_auth();
  }
  Started start(Session& session) const override {
    CHECK(session.ctx().idempotency_key() == "key-1");
    if (s_.on_start) s_.on_start();
    Started st;
    st.pending = s_.pending;
    st.handle = s_.pending ? json::object{{"target", "etl"}} : s_.started;
    return st;
  }
  RemoteStatus status(Session&, const json::object& handle) const override {
    s_.handles_seen.push_back(handle);
    REQUIRE(!s_.statuses.empty());
    auto step = std::move(s_.statuses.front());
    s_.statuses.pop_front();
    return step();
  }
  void cancel(Session& session, const json::object& handle) const override {
    s_.handles_seen.push_back(handle);
    ++s_.cancels;
    if (s_.on_cancel) s_.on_cancel();
    if (!s_.cancel_path.empty()) {
      Call call;
      call.method = "POST";
      call.path = s_.cancel_path;
      call.what = "cancel run";
      session.client().send(call);
    }
  }
  std::string probe(Session& session) const override {
    CHECK_FALSE(session.has_ctx());
    return s_.probe + " " + session.connection().url();
  }

 private:
  Script& s_;
};

std::function<RemoteStatus()> phase(Phase p, std::string state, std::string message = {}) {
  return [=] {
    RemoteStatus st;
    st.phase = p;
    st.state = state;
    st.message = message;
    return st;
  };
}

std::function<RemoteStatus()> throws(Kind kind, std::string message) {
  return [=]() -> RemoteStatus { throw ApiError(kind, 503, message); };
}

void setup(FakeHost& host) {
  host.config = {{"connection", "fc"}, {"poll_interval", "1ms"}};
  host.connections["fc"] = {{"type", "fake"}, {"url", "http://engine.test/"}, {"token_secret", "FAKE_TOKEN"}};
  host.secrets["FAKE_TOKEN"] = kToken;
}

int64_t unix_ms_now() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json::object parse(const std::string& handle) { return json::parse(handle).as_object(); }

const std::string& handle_of(const Outcome& o) {
  REQUIRE(o.deferred());
  REQUIRE(o.deferral().handle());
  return *o.deferral().handle();
}

// Starts a run (not pending) and returns its handle.
std::string started(const ScriptedEngine& engine, FakeHost& host) {
  Context ctx = host.context();
  return handle_of(remote_run(engine, ctx));
}

}  // namespace

TEST_CASE("connector_common: remote run: starts, publishes run_id and url, defers with the poll interval", "[connectors][remote]") {
  FakeHost host;
  setup(host);
  Script script;
  ScriptedEngine engine(script);
  Context ctx = host.context();
  Outcome o = remote_run(engine, ctx);
  const json::object h = parse(handle_of(o));
  CHECK(o.deferral().delay() == milliseconds(1));
  CHECK(h.at("run_id") == "r-1");
  CHECK(h.at("_poll_ms") == 1);
  CHECK(h.at("_connection") == "fc");
  CHECK(host.outputs() == std::map<std::string, std::string>{{"run_id", "r-1"}, {"url", "http://engine.test/runs/r-1"}});
  CHECK_THAT(host.log_text(), Catch::Contains("I started Fake run r-1: http://engine.test/runs/r-1"));
  CHECK_THAT(handle_of(o), !Catch::Contains("S3cr3t"));
}

TEST_CASE("connector_common: remote run: a numeric run id, and wait = false ends at the start", "[connectors][remote]") {
  FakeHost host;
  setup(host);
  host.config["wait"] = false;
  Script script;
  script.started = {{"run_id", 455644840}};
  ScriptedEngine engine(script);
  Context ctx = host.context();
  Outcome o = remote_run(engine, ctx);
  REQUIRE_FALSE(o.deferred());
  CHECK(o.status().is_ok());
  CHECK(host.outputs().at("run_id") == "455644840");
  CHECK(host.outputs().count("url") == 0);
}

TEST_CASE("connector_common: remote run: config and start errors map onto the attempt's failure", "[connectors][remote]") {
  FakeHost host;
  setup(host);
  Script script;
  ScriptedEngine engine(script);
  Context ctx = host.context();
  SECTION("no connection key") {
    host.config.erase("connection");
    CHECK_THROWS_WITH(remote_run(engine, ctx), Catch::Contains("'connection'"));
  }
  SECTION("a malformed poll_interval") {
    host.config["poll_interval"] = "often";
    CHECK_THROWS_AS(remote_run(engine, ctx), FatalError);
  }
  SECTION("transient") {
    script.on_start = [] { throw ApiError(Kind::kRetryable, 503, "Fake API: start: HTTP 503 after 6 tries"); };
    CHECK_THROWS_AS(remote_run(engine, ctx), RetryableError);
  }
  SECTION("not found") {
    script.on_start = [] { throw ApiError(Kind::kNotFound, 404, "no such DAG"); };
    CHECK_THROWS_AS(remote_run(engine, ctx), FatalError);
  }
  SECTION("cancelled") {
    script.on_start = [] { throw ApiError(Kind::kCancelled, 0, "cancelled"); };
    Outcome o = remote_run(engine, ctx);
    REQUIRE_FALSE(o.deferred());
    CHECK(o.status().code() == JH_STATUS_CANCELLED);
  }
  SECTION("an error quoting the secret is redacted") {
    script.on_start = [] { throw ApiError(Kind::kFatal, 400, std::string("bad token ") + kToken); };
    CHECK_THROWS_WITH(remote_run(engine, ctx), Catch::Contains("bad token ***") && !Catch::Contains("S3cr3t"));
  }
}

TEST_CASE("connector_common: remote poll: running then succeeded publishes state and outputs", "[connectors][remote]") {
  FakeHost host;
  setup(host);
  Script script;
  ScriptedEngine engine(script);
  const std::string handle = started(engine, host);
  script.statuses.push_back(phase(Phase::kRunning, "running"));
  script.statuses.push_back([] {
    RemoteStatus st;
    st.phase = Phase::kSucceeded;
    st.state = "success";
    st.outputs = {{"rows", "42"}};
    return st;
  });
  Context ctx = host.context();
  Outcome first = remote_poll(engine, ctx, handle);
  REQUIRE(first.deferred());
  CHECK_FALSE(first.deferral().handle());  // nothing changed: keep the handle
  CHECK(first.deferral().delay() == milliseconds(1));
  Outcome second = remote_poll(engine, ctx, handle);
  REQUIRE_FALSE(second.deferred());
  CHECK(second.status().is_ok());
  CHECK(host.outputs().at("state") == "success");
  CHECK(host.outputs().at("rows") == "42");
  // The engine sees its own keys only.
  REQUIRE(script.handles_seen.size() == 2);
  CHECK(script.handles_seen[0] == script.started);
}

TEST_CASE("connector_common: remote poll: the run's end decides the attempt", "[connectors][remote]") {
  FakeHost host;
  setup(host);
  Script script;
  ScriptedEngine engine(script);
  const std::string handle = started(engine, host);
  Context ctx = host.context();
  SECTION("failed: retry with the engine's message, details logged as errors") {
    script.statuses.push_back([] {
      RemoteStatus st;
      st.phase = Phase::kFailed;
      st.state = "FAILED";
      st.message = std::string("task main failed with token ") + kToken;
      st.details = {"task main: Py4JJavaError: boom", "trace line"};
      return st;
    });
    Outcome o = remote_poll(engine, ctx, handle);
    REQUIRE_FALSE(o.deferred());
    CHECK(o.status().code() == JH_STATUS_RETRY);
    CHECK(o.status().message() == "Fake run r-1 failed (FAILED): task main failed with token ***");
    CHECK_THAT(host.log_text(), Catch::Contains("E task main: Py4JJavaError: boom") && Catch::Contains("E trace line"));
  }
  SECTION("cancelled remotely") {
    script.statuses.push_back(phase(Phase::kCancelled, "CANCELED"));
    Outcome o = remote_poll(engine, ctx, handle);
    REQUIRE_FALSE(o.deferred());
    CHECK(o.status().code() == JH_STATUS_CANCELLED);
    CHECK_THAT(host.log_text(), Catch::Contains("CANCELED"));
  }
  SECTION("skipped") {
    script.statuses.push_back(phase(Phase::kSkipped, "SKIPPED", "an earlier run is still active"));
    Outcome o = remote_poll(engine, ctx, handle);
    REQUIRE_FALSE(o.deferred());
    CHECK(o.status().code() == JH_STATUS_SKIPPED);
    CHECK(o.status().message() == "an earlier run is still active");
  }
  SECTION("the run vanished") {
    script.statuses.push_back(throws(Kind::kNotFound, "Fake API: get run: not found (HTTP 404)"));
    Outcome o = remote_poll(engine, ctx, handle);
    REQUIRE_FALSE(o.deferred());
    CHECK(o.status().code() == JH_STATUS_FATAL);
    CHECK_THAT(o.status().message(), Catch::StartsWith("Fake run r-1 no longer exists"));
  }
  SECTION("rejected credentials") {
    script.statuses.push_back(throws(Kind::kAuth, "authentication failed for connection fc (HTTP 401)"));
    Outcome o = remote_poll(engine, ctx, handle);
    REQUIRE_FALSE(o.deferred());
    CHECK(o.status().code() == JH_STATUS_FATAL);
  }
  SECTION("a malformed handle") {
    CHECK_THROWS_AS(remote_poll(engine, ctx, "not json"), FatalError);
  }
}

TEST_CASE("connector_common: remote poll: transient errors back off, and give up after 10 in a row", "[connectors][remote]") {
  FakeHost host;
  setup(host);
  Script script;
  ScriptedEngine engine(script);
  std::string handle = started(engine, host);
  Context ctx = host.context();
  for (int i = 0; i < 10; ++i) script.statuses.push_back(throws(Kind::kRetryable, "Fake API: get run: HTTP 503 after 6 tries"));
  for (int i = 1; i <= 9; ++i) {
    Outcome o = remote_poll(engine, ctx, handle);
    handle = handle_of(o);
    CHECK(parse(handle).at("_errors") == i);
    CHECK(o.deferral().delay() == milliseconds(1LL << (i - 1)));
  }
  Outcome last = remote_poll(engine, ctx, handle);
  REQUIRE_FALSE(last.deferred());
  CHECK(last.status().code() == JH_STATUS_RETRY);
  CHECK(last.status().message() == "Fake API: get run: HTTP 503 after 6 tries");
  CHECK_THAT(host.log_text(), Catch::Contains("W Fake run r-1: cannot read its status (9 of 10"));
}

TEST_CASE("connector_common: remote poll: a good read after errors resets the count", "[connectors][remote]") {
  FakeHost host;
  setup(host);
  Script script;
  ScriptedEngine engine(script);
  std::string handle = started(engine, host);
  Context ctx = host.context();
  script.statuses.push_back(throws(Kind::kRetryable, "HTTP 502"));
  script.statuses.push_back(phase(Phase::kRunning, "running"));
  handle = handle_of(remote_poll(engine, ctx, handle));
  CHECK(parse(handle).at("_errors") == 1);
  Outcome o = remote_poll(engine, ctx, handle);
  CHECK_FALSE(parse(handle_of(o)).contains("_errors"));
  CHECK(o.deferral().delay() == milliseconds(1));
}

TEST_CASE("connector_common: remote run: a pending start is polled at once and started by status", "[connectors][remote]") {
  FakeHost host;
  setup(host);
  const bool wait = GENERATE(true, false);
  host.config["wait"] = wait;
  Script script;
  script.pending = true;
  ScriptedEngine engine(script);
  Context ctx = host.context();
  Outcome o = remote_run(engine, ctx);
  const std::string pending = handle_of(o);
  CHECK(o.deferral().delay() == milliseconds(0));
  CHECK(parse(pending).at("_pending") == true);
  CHECK(host.outputs().empty());
  script.statuses.push_back([&] {
    RemoteStatus st;
    st.phase = Phase::kRunning;
    st.handle = json::object{{"run_id", "r-9"}, {"url", "http://engine.test/runs/r-9"}};
    return st;
  });
  Outcome next = remote_poll(engine, ctx, pending);
  CHECK(script.handles_seen.at(0) == json::object{{"target", "etl"}});
  CHECK(host.outputs().at("run_id") == "r-9");
  CHECK_THAT(host.log_text(), Catch::Contains("started Fake run r-9"));
  if (wait) {
    const json::object h = parse(handle_of(next));
    CHECK(h.at("run_id") == "r-9");
    CHECK_FALSE(h.contains("_pending"));
  } else {
    REQUIRE_FALSE(next.deferred());
    CHECK(next.status().is_ok());
  }
}

TEST_CASE("connector_common: remote cancel: asks the engine, tolerates a run that has ended", "[connectors][remote]") {
  FakeHost host;
  setup(host);
  Script script;
  ScriptedEngine engine(script);
  const std::string handle = started(engine, host);
  host.cancel = true;  // the attempt is being cancelled: the cancel request must still go out
  Context ctx = host.context();
  SECTION("stopped") {
    CHECK(remote_cancel(engine, ctx, handle).is_ok());
    CHECK(script.cancels == 1);
    CHECK(script.handles_seen.at(0) == script.started);
  }
  SECTION("over HTTP, though the attempt is cancelled and past its deadline") {
    jobhost::test::LoopbackServer server([](const jobhost::test::ServerRequest&) {
      return jobhost::test::ServerResponse{200, "{}", {}};
    }, 1);
    host.connections["fc"]["url"] = server.url("");
    host.deadline_unix_ms = unix_ms_now() - 1000;
    script.cancel_path = "/runs/r-1/cancel";
    Context late = host.context();
    CHECK(remote_cancel(engine, late, handle).is_ok());
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests()[0].target == "/runs/r-1/cancel");
    CHECK(server.requests()[0].headers.at("authorization") == std::string("Bearer ") + kToken);
  }
  SECTION("already over") {
    script.on_cancel = [] { throw ApiError(Kind::kNotFound, 404, "no such run"); };
    CHECK(remote_cancel(engine, ctx, handle).is_ok());
    CHECK_THAT(host.log_text(), Catch::Contains("W cancel Fake run r-1"));
  }
  SECTION("could not cancel") {
    script.on_cancel = [] { throw ApiError(Kind::kRetryable, 503, "HTTP 503 after 6 tries"); };
    jobhost::Status st = remote_cancel(engine, ctx, handle);
    CHECK_FALSE(st.is_ok());
    CHECK_THAT(st.message(), Catch::Contains("could not cancel Fake run r-1"));
  }
}

TEST_CASE("connector_common: remote test: probes the connection with or without a job context", "[connectors][remote]") {
  FakeHost host;
  setup(host);
  Script script;
  ScriptedEngine engine(script);
  CHECK(remote_test(engine, host.host(), nullptr, "fc") == JH_STATUS_OK);
  CHECK(host.log().empty());
  CHECK(remote_test(engine, host.host(), host.ctx(), "fc") == JH_STATUS_OK);
  CHECK_THAT(host.log_text(), Catch::Contains("I reachable: 3 DAGs http://engine.test"));

  CHECK(remote_test(engine, host.host(), host.ctx(), "nope") == JH_STATUS_FATAL);
  CHECK_THAT(host.error(), Catch::Contains("connection 'nope' is not defined"));
  CHECK(remote_test(engine, host.host(), nullptr, "nope") == JH_STATUS_FATAL);

  host.secrets.clear();
  CHECK(remote_test(engine, host.host(), host.ctx(), "fc") == JH_STATUS_FATAL);
  CHECK_THAT(host.error(), Catch::Contains("secret 'FAKE_TOKEN' (token_secret) is not defined"));
}

namespace {
// RemoteJob<E> and connection_type<E> default-construct their engine once per process, so
// this one reads its script from a static.
Script& boundary_script() {
  static Script s;
  return s;
}
struct BoundaryEngine : ScriptedEngine {
  BoundaryEngine() : ScriptedEngine(boundary_script()) {}
};
}  // namespace

TEST_CASE("connector_common: the job and connection type templates work through the C ABI", "[connectors][remote]") {
  FakeHost host;
  setup(host);
  Script& script = boundary_script();
  script = Script{};
  const auto entry = jobhost::deferrable_job<RemoteJob<BoundaryEngine>>("run", "Runs on Fake", "1.0.0");
  REQUIRE(entry.c.poll);
  REQUIRE(entry.c.cancel);

  REQUIRE(entry.c.run(&entry.c, host.host(), host.ctx(), host.info()) == JH_STATUS_DEFERRED);
  const std::string handle = host.deferred_handle();
  CHECK(parse(handle).at("run_id") == "r-1");
  CHECK(host.deferred_delay_ms() == 1);
  const jh_str h{handle.data(), handle.size()};
  script.statuses.push_back(phase(Phase::kRunning, "running"));
  script.statuses.push_back(phase(Phase::kFailed, "failed", "boom"));
  CHECK(entry.c.poll(&entry.c, host.host(), host.ctx(), host.info(), h) == JH_STATUS_DEFERRED);
  CHECK(entry.c.poll(&entry.c, host.host(), host.ctx(), host.info(), h) == JH_STATUS_RETRY);
  CHECK(host.error() == "Fake run r-1 failed (failed): boom");
  CHECK(entry.c.cancel(&entry.c, host.host(), host.ctx(), host.info(), h) == JH_STATUS_OK);
  CHECK(script.cancels == 1);

  script.on_start = [] { throw ApiError(Kind::kRetryable, 503, "Fake API: start: HTTP 503 after 6 tries"); };
  CHECK(entry.c.run(&entry.c, host.host(), host.ctx(), host.info()) == JH_STATUS_RETRY);
  CHECK(host.error() == "Fake API: start: HTTP 503 after 6 tries");

  const jh_connection_type* type = connection_type<BoundaryEngine>("Fake engine", nullptr);
  CHECK(std::string(type->name) == "fake");
  CHECK(type->struct_size == sizeof(jh_connection_type));
  CHECK(type->test(type, host.host(), nullptr, JH_STR("fc")) == JH_STATUS_OK);
  CHECK(type->test(type, host.host(), host.ctx(), JH_STR("missing")) == JH_STATUS_FATAL);
}
