// connectors/common: redaction, small helpers and connections (with their secrets). The REST
// client and authentication are in connector_rest_client_test.cpp, the remote job in
// connector_remote_job_test.cpp.
#include <catch2/catch.hpp>

#include "connectors/connector_common_support.hpp"

using namespace jobhost::test::connector_common;
using jobhost::test::FakeHost;
using Kind = ApiError::Kind;

// ---------------------------------------------------------------------------------------
// Redaction and small helpers
// ---------------------------------------------------------------------------------------

TEST_CASE("connector_common: redactor: hides remembered values, longest first, ignores short ones", "[connectors][redaction]") {
  Redactor r;
  r.add("abc");  // too short: would blank ordinary words
  r.add("hunter2-S3cr3t");
  r.add("hunter2");
  CHECK(r.scrub("abc hunter2-S3cr3t and hunter2") == "abc *** and ***");
  Redactor copy = r;
  CHECK(copy.scrub("x hunter2 y") == "x *** y");
}

TEST_CASE("connector_common: snippet: one line, at most max bytes, marked when cut", "[connectors][redaction]") {
  CHECK(snippet("a\nb\t\tc  ") == "a b c");
  const std::string cut = snippet(std::string(500, 'x'), 120);
  CHECK(cut.size() == 120);
  CHECK(cut.substr(117) == "...");
  CHECK(snippet("short", 120) == "short");
  // Never half a UTF-8 character: "é" is two bytes.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "\xC3\xA9";
  const std::string s = snippet(accents, 10);
  CHECK(s.size() <= 10);
  CHECK(s.substr(s.size() - 3) == "...");
  CHECK(s.size() % 2 == 1);  // whole two-byte characters + "..."
}

TEST_CASE("connector_common: url_encode keeps only the RFC 3986 unreserved set", "[connectors]") {
  CHECK(url_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(url_encode("a b/c?d=e&f+g%") == "a%20b%2Fc%3Fd%3De%26f%2Bg%25");
  CHECK(url_encode("\xC3\xA9") == "%C3%A9");
}

TEST_CASE("connector_common: base64 pads like RFC 4648", "[connectors][auth]") {
  CHECK(base64("") == "");
  CHECK(base64("f") == "Zg==");
  CHECK(base64("fo") == "Zm8=");
  CHECK(base64("foo") == "Zm9v");
  CHECK(base64("svc:pass") == "c3ZjOnBhc3M=");
}

TEST_CASE("connector_common: engine_message reads each engine's error shape", "[connectors]") {
  Redactor r;
  CHECK(engine_message(R"({"detail":"DAG with dag_id 'x' not found","title":"DAG not found"})", r) ==
        "DAG with dag_id 'x' not found");
  CHECK(engine_message(R"({"detail":[{"loc":["body","conf"],"msg":"field required"}]})", r) ==
        "body.conf: field required");
  CHECK(engine_message(R"({"error_code":"INVALID_PARAMETER_VALUE","message":"Job 999 does not exist."})", r) ==
        "INVALID_PARAMETER_VALUE: Job 999 does not exist.");
  CHECK(engine_message(R"({"message":"plain"})", r) == "plain");
  CHECK(engine_message(R"({"error":{"code":"NotFound","message":"Entity x not found"}})", r) ==
        "NotFound: Entity x not found");
  CHECK(engine_message(R"({"error":"invalid_client","error_description":"bad secret"})", r) ==
        "invalid_client: bad secret");
  CHECK(engine_message(R"({"exception_message":"Unauthorized"})", r) == "Unauthorized");
  CHECK(engine_message(R"({"title":"Forbidden","status":403})", r) == "Forbidden");
  CHECK(engine_message("<html>\n<h1>Bad Gateway</h1></html>", r) == "<html> <h1>Bad Gateway</h1></html>");
  CHECK(engine_message(std::string(1000, 'z'), r).size() <= 160);
  r.add(kPassword);
  CHECK(engine_message(std::string(R"({"detail":"wrong password )") + kPassword + "\"}", r) ==
        "wrong password ***");
}

// ---------------------------------------------------------------------------------------
// Connection
// ---------------------------------------------------------------------------------------

TEST_CASE("connector_common: connection: url without trailing slash, typed keys, durations", "[connectors][connection]") {
  FakeHost host;
  Connection c = make_connection(host, "http://example.test/api//",
                                 {{"n", 7}, {"t1", "250ms"}, {"t2", "5s"}, {"t3", "1.5m"}, {"t4", "1h"},
                                  {"t5", "1d"}, {"t6", 2}, {"t7", 0.5}, {"t8", "10"}, {"bad", "5 weeks"}});
  CHECK(c.url() == "http://example.test/api");
  CHECK(c.name() == "fc");
  CHECK(c.type() == "fake");
  CHECK(c.integer("n") == 7);
  CHECK_FALSE(c.integer("absent"));
  CHECK(c.string("url") == "http://example.test/api//");
  CHECK(c.duration("t1", milliseconds(1)) == milliseconds(250));
  CHECK(c.duration("t2", milliseconds(1)) == milliseconds(5000));
  CHECK(c.duration("t3", milliseconds(1)) == milliseconds(90000));
  CHECK(c.duration("t4", milliseconds(1)) == milliseconds(3600000));
  CHECK(c.duration("t5", milliseconds(1)) == milliseconds(86400000));
  CHECK(c.duration("t6", milliseconds(1)) == milliseconds(2000));
  CHECK(c.duration("t7", milliseconds(1)) == milliseconds(500));
  CHECK(c.duration("t8", milliseconds(1)) == milliseconds(10000));
  CHECK(c.duration("absent", milliseconds(42)) == milliseconds(42));
  CHECK(c.request_timeout() == milliseconds(5000));
  CHECK_THAT(fatal_message([&] { c.duration("bad", milliseconds(1)); }),
             Catch::Contains("connection 'fc': 'bad' must be a duration"));
  CHECK_THAT(fatal_message([&] { c.integer("t1"); }), Catch::Contains("'t1' must be an integer"));
  CHECK_THAT(fatal_message([&] { c.require("absent"); }),
             Catch::Equals("connection 'fc': missing required key 'absent'"));
}

TEST_CASE("connector_common: connection: a missing url is an error naming the connection", "[connectors][connection]") {
  FakeHost host;
  CHECK_THAT(fatal_message([&] { Connection(host.host(), host.ctx(), {{"name", "af"}, {"type", "x"}}); }),
             Catch::Contains("connection 'af'") && Catch::Contains("url"));
}

TEST_CASE("connector_common: connection: load checks existence and type", "[connectors][connection]") {
  FakeHost host;
  host.connections["af"] = {{"type", "airflow"}, {"url", "http://af.test/"}};
  Connection c = Connection::load(host.host(), host.ctx(), "af", "airflow");
  CHECK(c.name() == "af");
  CHECK(c.url() == "http://af.test");
  // ctx may be NULL (connection tests).
  CHECK(Connection::load(host.host(), nullptr, "af", "airflow").name() == "af");
  CHECK_THAT(fatal_message([&] { Connection::load(host.host(), host.ctx(), "nope", "airflow"); }),
             Catch::Contains("connection 'nope' is not defined"));
  CHECK_THAT(fatal_message([&] { Connection::load(host.host(), host.ctx(), "af", "databricks"); }),
             Catch::Contains("'airflow'") && Catch::Contains("'databricks'"));
  host.offer_connections = false;
  CHECK_THAT(fatal_message([&] { Connection::load(host.host(), host.ctx(), "af", "airflow"); }),
             Catch::Contains(JH_EXT_CONNECTIONS));
}

TEST_CASE("connector_common: connection: secrets resolve by name and are redacted", "[connectors][connection][secrets]") {
  FakeHost host;
  const std::string pass = "p@ss \"S3cr3t\"/1";
  host.secrets["AF_PASS"] = pass;
  Connection c = make_connection(host, "http://x.test", {{"password_secret", "AF_PASS"}, {"token_secret", "AF_TOKEN"}});
  CHECK_FALSE(c.secret("client"));
  CHECK(c.secret("password") == pass);
  CHECK(c.redactor().scrub("a " + pass + " b") == "a *** b");
  // The same value as it travels in a form body or a JSON string.
  CHECK(c.redactor().scrub("password=" + url_encode(pass)) == "password=***");
  CHECK(c.redactor().scrub(json::serialize(json::object{{"password", pass}})) == R"({"password":"***"})");

  const std::string missing = fatal_message([&] { c.require_secret("token"); });
  CHECK(missing ==
        "connection 'fc': secret 'AF_TOKEN' (token_secret) is not defined: set JOBHOST_SECRET_AF_TOKEN or "
        "put a file AF_TOKEN in secrets_dir");
  CHECK_THAT(fatal_message([&] { c.require_secret("client"); }), Catch::Contains("'client_secret'"));
  host.offer_secrets = false;
  CHECK_THAT(fatal_message([&] { c.secret("password"); }),
             Catch::Contains("AF_PASS") && !Catch::Contains("S3cr3t"));
}
