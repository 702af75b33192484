// The status page's HTML, as text: what it shows, and that nothing from a job or a pipeline
// file reaches it unescaped. The DOM in a real browser: status_page_browser_test.py.
#include <catch2/catch.hpp>
#include <regex>

#include "serve/html_text.hpp"
#include "serve_harness.hpp"

using namespace jobhost;
using namespace jobhost::test;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("serve html: escaping, links and durations", "[serve][page]") {
  CHECK(serve::html_escape("<a href=\"x\">'&'</a>") ==
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  CHECK(serve::is_web_url("https://example.com/a?b=c&d"));
  CHECK(serve::is_web_url("HTTP://EXAMPLE.COM"));
  CHECK_FALSE(serve::is_web_url("javascript:alert(1)"));
  CHECK_FALSE(serve::is_web_url("https://"));
  CHECK_FALSE(serve::is_web_url("https://example.com/a b"));
  CHECK_FALSE(serve::is_web_url("/relative/path"));
  CHECK_FALSE(serve::is_web_url(" https://example.com"));
  CHECK(serve::output_html("https://e.com/?a=1&b=\"2\"") ==
        "<a href=\"https://e.com/?a=1&amp;b=&quot;2&quot;\" rel=\"noopener noreferrer nofollow\">"
        "https://e.com/?a=1&amp;b=&quot;2&quot;</a>");
  CHECK(serve::output_html("javascript:alert(1)") == "javascript:alert(1)");
  CHECK(serve::format_duration_ms(850) == "850 ms");
  CHECK(serve::format_duration_ms(1500) == "1.5 s");
  CHECK(serve::format_duration_ms(185000) == "3 m 05 s");
  CHECK(serve::format_duration_ms(3720000) == "1 h 02 m");
}

TEST_CASE("serve page: the index lists every pipeline with its recent runs", "[serve][page]") {
  ServeHarness h;
  auto r = h.get("/");
  REQUIRE(r.status == 200);
  const std::string& html = r.body;
  CHECK_THAT(html, Catch::StartsWith("<!doctype html>"));
  CHECK_THAT(html, Catch::Contains(
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
  CHECK_THAT(html, Catch::Contains("<meta http-equiv=\"refresh\" content=\"10\">"));
  CHECK(count(html, "<tr class=\"pipeline\"") == 3);
  CHECK_THAT(html, Catch::Contains("data-pipeline=\"broken\" data-valid=\"false\""));
  // The invalid file's error, escaped.
  CHECK_THAT(html, Catch::Contains(
                       "unknown job type &#39;nope.&lt;script&gt;alert(1)&lt;/script&gt;&#39;"));
  CHECK_FALSE(html.find("<script") != std::string::npos);
  // daily: its schedule, zone, next run and four runs, oldest first, linked to their pages.
  CHECK_THAT(html,
             Catch::Contains("<code>0 6 * * *</code> <span class=\"muted\">Europe/Paris</span>"));
  CHECK_THAT(html, Catch::Contains("<time datetime=\"2026-11-30T05:00:00Z\">"));
  const std::regex cell("<a class=\"cell s-([a-z_]+)\" href=\"/runs/([^\"]+)\"");
  std::vector<std::pair<std::string, std::string>> cells;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), cell); it != std::sregex_iterator();
       ++it)
    cells.emplace_back((*it)[1], (*it)[2]);
  REQUIRE(cells.size() == 4);
  CHECK(cells[0] == std::pair<std::string, std::string>{"success", h.store.success_run});
  CHECK(cells[1] == std::pair<std::string, std::string>{"failed", h.store.failed_run});
  CHECK(cells[2] == std::pair<std::string, std::string>{"running", h.store.running_run});
  CHECK(cells[3] == std::pair<std::string, std::string>{"success", h.store.hourly_run});
  // No scripts, styles inline only: the policy says so too.
  CHECK_THAT(r.header("content-security-policy"), Catch::Contains("default-src 'none'"));
  h.check_openapi();
}

TEST_CASE("serve page: a run page shows each job with its Gantt bar, error and outputs",
          "[serve][page]") {
  ServeHarness h;
  auto r = h.get("/runs/" + h.store.failed_run);
  REQUIRE(r.status == 200);
  const std::string& html = r.body;
  CHECK(count(html, "<tr class=\"job\"") == 4);
  CHECK_THAT(html, Catch::Contains("data-job=\"transform\" data-state=\"success\""));
  CHECK_THAT(html, Catch::Contains("data-job=\"load\" data-state=\"failed\""));
  // A finished run does not refresh itself.
  CHECK_FALSE(html.find("http-equiv=\"refresh\"") != std::string::npos);
  // Bars: one per job that ran, their widths in percent of the run.
  const std::regex bar(
      "<div class=\"bar s-([a-z_]+)\" style=\"margin-left:([0-9.]+)%;width:([0-9.]+)%\"");
  std::map<std::string, std::pair<double, double>> bars;
  std::vector<std::string> order;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), bar); it != std::sregex_iterator();
       ++it) {
    order.push_back((*it)[1]);
    bars[std::to_string(order.size())] = {std::stod((*it)[2]), std::stod((*it)[3])};
  }
  REQUIRE(order.size() == 4);
  for (auto& [i, lw] : bars) {
    CHECK(lw.first >= 0.0);
    CHECK(lw.second > 0.0);
    CHECK(lw.first + lw.second <= 100.01);
  }
  // The error, escaped; outputs: the URL a link, the rest text.
  CHECK_THAT(html, Catch::Contains("&lt;b&gt;load refused&lt;/b&gt; &amp; &quot;quoted&quot; "
                                   "&lt;script&gt;alert(&#39;x&#39;)"));
  CHECK_THAT(html,
             Catch::Contains(
                 "<a href=\"https://example.com/reports/daily?date=2026-11-28&amp;format=html\""));
  CHECK_THAT(html, Catch::Contains("<dd>javascript:alert(1)</dd>"));
  CHECK_THAT(html, Catch::Contains("<dd>/data/out/&lt;daily&gt;.csv</dd>"));
  CHECK_FALSE(html.find("<script") != std::string::npos);
  std::string transform = html.substr(html.find("data-job=\"transform\""));
  transform = transform.substr(0, transform.find("</tr>"));
  CHECK_THAT(transform, Catch::Contains("<td class=\"attempts\" data-label=\"Attempts\">2</td>"));
  CHECK_THAT(transform, Catch::Contains("class=\"bar s-success\""));

  // A run in progress refreshes itself; its running job's bar reaches now.
  auto running = h.get("/runs/" + h.store.running_run);
  REQUIRE(running.status == 200);
  CHECK_THAT(running.body, Catch::Contains("<meta http-equiv=\"refresh\" content=\"5\">"));
  CHECK_THAT(running.body, Catch::Contains("data-job=\"extract\" data-state=\"running\""));
  CHECK_THAT(
      running.body,
      Catch::Contains("<div class=\"bar s-running\" style=\"margin-left:0.00%;width:100.00%\""));
  h.check_openapi();
}
