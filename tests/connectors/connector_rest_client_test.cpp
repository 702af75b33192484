// connectors/common: the retrying REST client and authentication, against loopback servers
// on 127.0.0.1 (free ports).
#include <catch2/catch.hpp>

#include <atomic>

#include "connectors/connector_common_support.hpp"

using namespace jobhost::test::connector_common;
using jobhost::test::FakeHost;
using jobhost::test::LoopbackServer;
using Kind = ApiError::Kind;
using jobhost::test::ServerRequest;

// ---------------------------------------------------------------------------------------
// REST client: success paths
// ---------------------------------------------------------------------------------------

TEST_CASE("connector_common: rest client: JSON body with headers, reply parsed, empty body is null", "[connectors][rest]") {
  FakeHost host;
  int n = 0;
  LoopbackServer server([&](const ServerRequest&) {
    return ++n == 1 ? reply(200, R"({"dag_run_id":"r1","n":[1,2]})", {{"Location", "/runs/r1"}}) : reply(204, "");
  }, 2);
  Connection c = make_connection(host, server.url("/"));
  RestClient client(c, basic_auth("svc", "pass"));
  Call call;
  call.method = "POST";
  call.path = "/api/v1/dags/" + url_encode("my dag") + "/dagRuns";
  call.json = json::object{{"conf", json::object{{"a", 1}}}};
  Reply r = client.send(call);
  CHECK(r.status == 200);
  CHECK(r.json.at("dag_run_id") == "r1");
  CHECK(r.location == "/runs/r1");
  Reply empty = client.send(call_of("DELETE", "/api/v1/x", "delete x"));
  CHECK(empty.status == 204);
  CHECK(empty.json.is_null());

  auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].target == "/api/v1/dags/my%20dag/dagRuns");
  CHECK(reqs[0].headers["content-type"] == "application/json");
  CHECK(reqs[0].headers["accept"] == "application/json");
  CHECK(reqs[0].headers["authorization"] == "Basic " + base64("svc:pass"));
  CHECK(json::parse(reqs[0].body) == json::parse(R"({"conf":{"a":1}})"));
}

TEST_CASE("connector_common: rest client: 429 with Retry-After is honoured, then 200", "[connectors][rest][retry]") {
  FakeHost host;
  int n = 0;
  LoopbackServer server([&](const ServerRequest&) {
    return ++n == 1 ? reply(429, R"({"detail":"slow down"})", {{"Retry-After", "1"}}) : reply(200, R"({"ok":true})");
  }, 2);
  Connection c = make_connection(host, server.url(""));
  std::vector<std::string> warnings;
  RestClient client(c, no_auth(), {}, [&](const std::string& w) { warnings.push_back(w); });
  const auto start = Clock::now();
  Reply r = client.send(call_of("GET", "/api/v1/health", "check health"));
  CHECK(r.json.at("ok") == true);
  CHECK(seconds_since(start) >= 0.95);  // the 1 s the server asked for, not the 1 ms backoff
  CHECK(seconds_since(start) < 10);
  CHECK(server.requests().size() == 2);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("Fake API: check health: HTTP 429: slow down") &&
                              Catch::Contains("retrying in 1000 ms"));
}

TEST_CASE("connector_common: rest client: Retry-After as an HTTP-date", "[connectors][rest][retry]") {
  FakeHost host;
  SECTION("in the past: retried at once") {
    int n = 0;
    LoopbackServer server([&](const ServerRequest&) {
      return ++n == 1 ? reply(503, "", {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}) : reply(200, "{}");
    }, 2);
    Connection c = make_connection(host, server.url(""), {{"retry_backoff", "30s"}, {"retry_backoff_max", "30s"}});
    const auto start = Clock::now();
    RestClient(c, no_auth()).send(call_of("GET", "/x"));
    CHECK(seconds_since(start) < 5);  // not the 0..30 s backoff
    CHECK(server.requests().size() == 2);
  }
  SECTION("far in the future: past the budget, so no second try") {
    LoopbackServer server([&](const ServerRequest&) {
      return reply(503, "", {{"Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT"}});
    }, 3);
    Connection c = make_connection(host, server.url(""));
    ApiError e = api_error([&] { RestClient(c, no_auth()).send(call_of("GET", "/x")); });
    CHECK(e.kind() == Kind::kRetryable);
    CHECK(server.requests().size() == 1);
  }
}

// ---------------------------------------------------------------------------------------
// REST client: giving up
// ---------------------------------------------------------------------------------------

TEST_CASE("connector_common: rest client: 503 until the tries run out is retryable and names the status", "[connectors][rest][retry]") {
  FakeHost host;
  LoopbackServer server([](const ServerRequest&) { return reply(503, R"({"detail":"scheduler down"})"); }, 3);
  Connection c = make_connection(host, server.url(""), {{"max_retries", 2}});
  std::vector<std::string> warnings;
  RestClient client(c, no_auth(), {}, [&](const std::string& w) { warnings.push_back(w); });
  ApiError e = api_error([&] { client.send(call_of("POST", "/api/v1/dags/x/dagRuns", "trigger DAG 'x'")); });
  CHECK(e.kind() == Kind::kRetryable);
  CHECK(e.status() == 503);
  CHECK(std::string(e.what()) == "Fake API: trigger DAG 'x': HTTP 503 after 3 tries: scheduler down");
  CHECK(server.requests().size() == 3);
  CHECK(warnings.size() == 2);
}

TEST_CASE("connector_common: rest client: retry off sends once", "[connectors][rest][retry]") {
  FakeHost host;
  LoopbackServer server([](const ServerRequest&) { return reply(502, "bad gateway"); }, 2);
  Connection c = make_connection(host, server.url(""));
  Call call = call_of("POST", "/runs", "create run");
  call.retry = false;
  ApiError e = api_error([&] { RestClient(c, no_auth()).send(call); });
  CHECK(e.kind() == Kind::kRetryable);
  CHECK(std::string(e.what()) == "Fake API: create run: HTTP 502: bad gateway");
  CHECK(server.requests().size() == 1);
}

TEST_CASE("connector_common: rest client: a server that never answers times out per request, then gives up", "[connectors][rest][retry]") {
  FakeHost host;
  SilentServer silent;
  Connection c = make_connection(host, silent.url(), {{"timeout", "200ms"}, {"max_retries", 1}});
  std::vector<std::string> warnings;
  RestClient client(c, no_auth(), {}, [&](const std::string& w) { warnings.push_back(w); });
  const auto start = Clock::now();
  ApiError e = api_error([&] { client.send(call_of("GET", "/api/v1/dags", "list DAGs")); });
  CHECK(seconds_since(start) >= 0.35);  // two tries of 200 ms
  CHECK(seconds_since(start) < 5);
  CHECK(e.kind() == Kind::kRetryable);
  CHECK(e.status() == 0);
  CHECK_THAT(std::string(e.what()), Catch::StartsWith("Fake API: list DAGs: no complete response") &&
                                        Catch::EndsWith("(after 2 tries)"));
  CHECK(warnings.size() == 1);
}

TEST_CASE("connector_common: rest client: a call budget bounds the retries, whatever Retry-After says", "[connectors][rest][retry]") {
  FakeHost host;
  LoopbackServer server([](const ServerRequest&) { return reply(503, "{}", {{"Retry-After", "60"}}); }, 30);
  Connection c = make_connection(host, server.url(""), {{"max_retries", 20}});
  RestClient client(c, no_auth());
  RetryPolicy policy = client.policy();
  policy.budget = milliseconds(300);
  client.set_policy(policy);
  const auto start = Clock::now();
  ApiError e = api_error([&] { client.send(call_of("GET", "/x", "read x")); });
  CHECK(seconds_since(start) < 5);
  CHECK(e.kind() == Kind::kRetryable);
  CHECK_THAT(std::string(e.what()), Catch::Contains("HTTP 503 after 1 try"));
}

TEST_CASE("connector_common: rest client: backoff stops at the budget and at the deadline", "[connectors][rest][retry]") {
  FakeHost host;
  LoopbackServer server([](const ServerRequest&) { return reply(500, "{}"); }, 60);
  Connection c = make_connection(host, server.url(""),
                                 {{"max_retries", 20}, {"retry_backoff", "40ms"}, {"retry_backoff_max", "80ms"}});
  RestClient client(c, no_auth());
  SECTION("budget") {
    RetryPolicy policy = client.policy();
    policy.budget = milliseconds(300);
    client.set_policy(policy);
  }
  SECTION("deadline") { client.set_deadline(Clock::now() + milliseconds(300)); }
  const auto start = Clock::now();
  ApiError e = api_error([&] { client.send(call_of("GET", "/x", "read x")); });
  CHECK(seconds_since(start) < 3);
  CHECK(e.kind() == Kind::kRetryable);
  CHECK(server.requests().size() < 21);  // stopped by time, not by tries
}

TEST_CASE("connector_common: rest client: cancellation stops a retry wait promptly", "[connectors][rest][retry]") {
  FakeHost host;
  LoopbackServer server([](const ServerRequest&) { return reply(503, "{}", {{"Retry-After", "30"}}); }, 2);
  Connection c = make_connection(host, server.url(""));
  std::atomic<bool> waiting{false};  // set by the retry warning, logged just before the wait
  RestClient client(c, no_auth(), [&] { return waiting.load(); }, [&](const std::string&) { waiting = true; });
  const auto start = Clock::now();
  ApiError e = api_error([&] { client.send(call_of("GET", "/x", "read x")); });
  CHECK(seconds_since(start) < 5);
  CHECK(e.kind() == Kind::kCancelled);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("connector_common: rest client: 4xx answers are classified", "[connectors][rest]") {
  FakeHost host;
  struct Case {
    int status;
    Kind kind;
    std::string message;
  };
  const Case cases[] = {
      {404, Kind::kNotFound, "Fake API: get DAG 'x': not found (HTTP 404): DAG x not found"},
      {409, Kind::kConflict, "Fake API: get DAG 'x': conflict (HTTP 409): DAG x not found"},
      {400, Kind::kFatal, "Fake API: get DAG 'x': HTTP 400: DAG x not found"},
      {422, Kind::kFatal, "Fake API: get DAG 'x': HTTP 422: DAG x not found"},
      {403, Kind::kAuth, "permission denied for connection fc: DAG x not found"},
  };
  for (const auto& k : cases) {
    DYNAMIC_SECTION("HTTP " << k.status) {
      LoopbackServer server([&](const ServerRequest&) { return reply(k.status, R"({"detail":"DAG x not found"})"); }, 2);
      Connection c = make_connection(host, server.url(""));
      ApiError e = api_error([&] { RestClient(c, basic_auth("svc", kPassword)).send(call_of("GET", "/d", "get DAG 'x'")); });
      CHECK(e.kind() == k.kind);
      CHECK(e.status() == k.status);
      CHECK(std::string(e.what()) == k.message);
      CHECK(server.requests().size() == 1);
    }
  }
}

TEST_CASE("connector_common: rest client: a URL the client cannot use is fatal", "[connectors][rest]") {
  FakeHost host;
  Connection c = make_connection(host, "ftp://example.test");
  ApiError e = api_error([&] { RestClient(c, no_auth()).send(call_of("GET", "/x", "read x")); });
  CHECK(e.kind() == Kind::kFatal);
  CHECK_THAT(std::string(e.what()), Catch::StartsWith("Fake API: read x: ") && Catch::Contains("scheme"));
}

TEST_CASE("connector_common: rest client: malformed JSON in a 2xx is retryable with a short redacted snippet", "[connectors][rest]") {
  FakeHost host;
  LoopbackServer server([](const ServerRequest&) {
    return reply(200, "{\"runs\": [\"" + std::string(kPassword) + "\", " + std::string(400, 'x'));
  }, 2);
  Connection c = make_connection(host, server.url(""));
  RestClient client(c, basic_auth("svc", kPassword));
  ApiError e = api_error([&] { client.send(call_of("GET", "/api/runs?token=abc", "list runs")); });
  const std::string what = e.what();
  CHECK(e.kind() == Kind::kRetryable);
  const std::string head = "Fake API: list runs: malformed JSON from " + server.url("/api/runs") + " (HTTP 200): ";
  REQUIRE_THAT(what, Catch::StartsWith(head));
  CHECK(what.size() - head.size() <= 120);
  CHECK_THAT(what, Catch::Contains("{\"runs\": [\"***\", xxx") && !Catch::Contains("S3cr3t") &&
                       !Catch::Contains("token=abc"));
  CHECK(server.requests().size() == 1);  // the request may have had its effect: not re-sent
}

// ---------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------

TEST_CASE("connector_common: rest client: 401 refreshes the token once, then succeeds", "[connectors][rest][auth]") {
  FakeHost host;
  LoopbackServer server([](const ServerRequest& r) {
    auto it = r.headers.find("authorization");
    const bool stale = it != r.headers.end() && it->second == "Bearer tok-S3cr3t-1";
    return stale ? reply(401, R"({"detail":"Token has expired"})") : reply(200, R"({"ok":1})");
  }, 3);
  Connection c = make_connection(host, server.url(""));
  std::atomic<int> fetches{0};
  auto auth = token_auth("refresh-once-test", [&](RestClient&) {
    return Token{"tok-S3cr3t-" + std::to_string(++fetches), std::chrono::system_clock::now() + std::chrono::hours(1)};
  });
  RestClient client(c, auth);
  Reply r = client.send(call_of("GET", "/x", "read x"));
  CHECK(r.json.at("ok") == 1);
  CHECK(fetches == 2);
  REQUIRE(server.requests().size() == 2);
  CHECK(server.requests()[1].headers.at("authorization") == "Bearer tok-S3cr3t-2");
  CHECK(c.redactor().scrub("tok-S3cr3t-2") == "***");
}

TEST_CASE("connector_common: rest client: 401 after the refresh is an authentication failure", "[connectors][rest][auth]") {
  FakeHost host;
  LoopbackServer server([](const ServerRequest&) { return reply(401, R"({"detail":"Invalid JWT token"})"); }, 3);
  Connection c = make_connection(host, server.url(""));
  std::atomic<int> fetches{0};
  auto auth = token_auth("refresh-twice-test", [&](RestClient&) {
    return Token{"tok-S3cr3t-" + std::to_string(++fetches), {}};
  });
  ApiError e = api_error([&] { RestClient(c, auth).send(call_of("GET", "/x", "read x")); });
  CHECK(e.kind() == Kind::kAuth);
  CHECK(std::string(e.what()) == "authentication failed for connection fc (HTTP 401)");
  CHECK(fetches == 2);
  CHECK(server.requests().size() == 2);
}

TEST_CASE("connector_common: rest client: 401 with fixed credentials is final at once", "[connectors][rest][auth]") {
  FakeHost host;
  LoopbackServer server([](const ServerRequest&) { return reply(401, "{}"); }, 2);
  Connection c = make_connection(host, server.url(""));
  ApiError e = api_error([&] { RestClient(c, basic_auth("svc", kPassword)).send(call_of("GET", "/x")); });
  CHECK(e.kind() == Kind::kAuth);
  CHECK(std::string(e.what()) == "authentication failed for connection fc (HTTP 401)");
  CHECK(server.requests().size() == 1);
}

TEST_CASE("connector_common: token auth: one fetch per cache key, shared by clients", "[connectors][auth]") {
  FakeHost host;
  LoopbackServer server([](const ServerRequest&) { return reply(200, "{}"); }, 4);
  Connection c = make_connection(host, server.url(""));
  std::atomic<int> fetches{0};
  auto fetch = [&](RestClient&) {
    ++fetches;
    return Token{"shared-S3cr3t", std::chrono::system_clock::now() + std::chrono::hours(1)};
  };
  RestClient a(c, token_auth("shared-key-test", fetch));
  RestClient b(c, token_auth("shared-key-test", fetch));
  a.send(call_of("GET", "/1"));
  b.send(call_of("GET", "/2"));
  CHECK(fetches == 1);
  // An expired token is fetched again.
  auto expired = [&](RestClient&) {
    ++fetches;
    return Token{"old-S3cr3t", std::chrono::system_clock::now() - std::chrono::seconds(1)};
  };
  RestClient d(c, token_auth("expired-key-test", expired));
  d.send(call_of("GET", "/3"));
  d.send(call_of("GET", "/4"));
  CHECK(fetches == 3);
}

TEST_CASE("connector_common: client credentials: posts the form to an absolute token URL", "[connectors][auth]") {
  FakeHost host;
  host.secrets["CLIENT_SECRET"] = "cs/S3cr3t+1";
  LoopbackServer server([](const ServerRequest&) {
    return reply(200, R"({"access_token":"at-S3cr3t-9","expires_in":"3599","token_type":"Bearer"})");
  }, 1);
  // The connection's url points elsewhere: the token endpoint is on another host.
  Connection c = make_connection(host, "http://127.0.0.1:9", {{"client_secret", "CLIENT_SECRET"}});
  const std::string secret = c.require_secret("client");
  RestClient client(c, no_auth());
  const auto before = std::chrono::system_clock::now();
  Token t = client_credentials(client, server.url("/tenant-1/oauth2/v2.0/token"), "adf-client", secret,
                               "https://management.azure.com/.default");
  CHECK(t.value == "at-S3cr3t-9");
  CHECK(t.expires_at >= before + std::chrono::seconds(3590));
  CHECK(t.expires_at <= std::chrono::system_clock::now() + std::chrono::seconds(3600));
  CHECK(c.redactor().scrub(t.value) == "***");
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].target == "/tenant-1/oauth2/v2.0/token");
  CHECK(reqs[0].headers["content-type"] == "application/x-www-form-urlencoded");
  CHECK(reqs[0].headers.count("authorization") == 0);
  CHECK(reqs[0].body ==
        "grant_type=client_credentials&client_id=adf-client&client_secret=cs%2FS3cr3t%2B1"
        "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
}

TEST_CASE("connector_common: client credentials: a rejected client is an authentication failure without the secret", "[connectors][auth][secrets]") {
  FakeHost host;
  LoopbackServer server([](const ServerRequest& r) {
    // Echoes the whole form back, secret included, as careless servers do.
    return reply(401, R"({"error":"invalid_client","error_description":"AADSTS7000215: bad secret in )" + r.body + "\"}");
  }, 1);
  Connection c = make_connection(host, "http://127.0.0.1:9");
  RestClient client(c, no_auth());
  ApiError e = api_error([&] {
    client_credentials(client, server.url("/oauth/token"), "cid", "client-S3cr3t-55", "all-apis");
  });
  CHECK(e.kind() == Kind::kAuth);
  CHECK_THAT(std::string(e.what()), Catch::StartsWith("authentication failed for connection fc: invalid_client: AADSTS7000215") &&
                                        !Catch::Contains("S3cr3t"));
}

TEST_CASE("connector_common: secrets never appear in errors or log lines, even when the server echoes them", "[connectors][rest][secrets]") {
  FakeHost host;
  host.secrets["AF_PASS"] = kPassword;
  // The server quotes our Authorization header and the password in its error bodies.
  auto echo = [](const ServerRequest& r) {
    const std::string auth = r.headers.count("authorization") ? r.headers.at("authorization") : "";
    const std::string bare = auth.substr(auth.find(' ') + 1);
    return std::string("you sent '") + auth + "' = " + bare + " and password " + kPassword;
  };
  int n = 0;
  LoopbackServer server([&](const ServerRequest& r) {
    ++n;
    if (n <= 2) return reply(503, json::serialize(json::object{{"detail", echo(r)}}));
    if (n == 3) return reply(500, "<html>" + echo(r) + "</html>");
    return reply(400, json::serialize(json::object{{"message", echo(r)}}));
  }, 6);
  Connection c = make_connection(host, server.url(""), {{"password_secret", "AF_PASS"}, {"max_retries", 2}});
  jobhost::Context ctx = host.context();
  RestClient client(c, basic_auth("svc", c.require_secret("password")), {},
                    [&](const std::string& w) { ctx.log_warn(w); });
  ApiError retried = api_error([&] { client.send(call_of("GET", "/a", "read a")); });
  ApiError fatal = api_error([&] { client.send(call_of("GET", "/b", "read b")); });
  CHECK(retried.kind() == Kind::kRetryable);
  CHECK(fatal.kind() == Kind::kFatal);
  const std::string basic = base64(std::string("svc:") + kPassword);
  const std::string everything = std::string(retried.what()) + "\n" + fatal.what() + "\n" + host.log_text();
  CHECK(host.log().size() == 2);
  CHECK_THAT(everything, Catch::Contains("***"));
  CHECK_THAT(everything, !Catch::Contains(kPassword) && !Catch::Contains(basic) && !Catch::Contains("S3cr3t"));
}
