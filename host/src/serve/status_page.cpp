#include "serve/status_page.hpp"

#include <algorithm>
#include <cstdio>

#include "serve/html_text.hpp"
#include "serve/url_codec.hpp"
#include "state/clock.hpp"

namespace jobhost::serve {
namespace {

constexpr int kRecentRuns = 20;  // cells per pipeline
constexpr int kIndexRefreshSeconds = 10;
constexpr int kRunRefreshSeconds = 5;  // while the run is in progress

// A state as a CSS class; anything unexpected gets a neutral colour, never markup.
std::string state_class(std::string_view state) {
  for (std::string_view s : {"success", "failed", "running", "up_for_retry", "deferred",
                             "upstream_failed", "skipped", "cancelled", "pending"})
    if (state == s) return "s-" + std::string(s);
  return "s-unknown";
}

std::string badge(std::string_view state) {
  return "<span class=\"badge " + state_class(state) + "\">" + html_escape(state) + "</span>";
}

std::string time_html(std::string_view iso) {
  if (iso.empty()) return "<span class=\"muted\">&mdash;</span>";
  const std::string v = html_escape(iso);
  return "<time datetime=\"" + v + "\">" + v + "</time>";
}

std::string page(std::string_view title, std::string_view body, int refresh_seconds) {
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  if (refresh_seconds > 0)
    out += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(refresh_seconds) + "\">";
  out += "<title>" + html_escape(title) + "</title><style>";
  out += status_page_css();
  out += "</style></head><body>";
  out += body;
  out += "</body></html>\n";
  return out;
}

HttpResponse html_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  // No scripts at all, styles only inline: an injected tag could do nothing.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                         "form-action 'none'; frame-ancestors 'none'");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

std::string run_href(const std::string& run_id) { return "/runs/" + percent_encode(run_id); }

std::string run_cells(const std::vector<state::RunSummary>& runs) {
  if (runs.empty()) return "<span class=\"muted\">no runs yet</span>";
  std::string out = "<div class=\"cells\">";
  // Oldest on the left, like a timeline; the store gives newest first.
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    const std::string label = html_escape(it->logical_date + ": " + it->status);
    out += "<a class=\"cell " + state_class(it->status) + "\" href=\"" + run_href(it->run_id) +
           "\" title=\"" + label + "\" aria-label=\"run " + label + "\" data-status=\"" +
           html_escape(it->status) + "\"></a>";
  }
  return out + "</div>";
}

std::string pipeline_row(const PipelineStatus& p, const std::vector<state::RunSummary>& runs) {
  std::string row = "<tr class=\"pipeline\" id=\"p-" + html_escape(p.name) + "\" data-pipeline=\"" +
                    html_escape(p.name) + "\" data-valid=\"" + (p.valid ? "true" : "false") + "\">";
  row += "<td data-label=\"Pipeline\"><strong>" + html_escape(p.name) +
         "</strong><div class=\"muted\">" + html_escape(p.file) + "</div></td>";
  row += "<td class=\"schedule\" data-label=\"Schedule\"><code>" + html_escape(p.schedule) +
         "</code> <span class=\"muted\">" + html_escape(p.timezone) + "</span></td>";
  row += "<td class=\"next\" data-label=\"Next run\">";
  row += p.next_fire ? time_html(*p.next_fire) : "<span class=\"muted\">not scheduled</span>";
  if (p.active_runs > 0)
    row += "<div class=\"muted\">" + std::to_string(p.active_runs) + " running</div>";
  row += "</td><td class=\"validity\" data-label=\"Validity\">";
  if (p.valid) {
    row += "<span class=\"badge valid\">valid</span>";
  } else {
    row += "<span class=\"badge invalid\">invalid</span><pre class=\"error\">" +
           html_escape(p.error) + "</pre>";
  }
  row += "</td><td class=\"runs\" data-label=\"Recent runs\">" + run_cells(runs) + "</td></tr>";
  return row;
}

// Where each job's bar sits: the latest try's span, from its first start to its last end
// (now, for what still runs).
struct Gantt {
  int64_t t0 = 0, t1 = 1;
  bool any = false;  // some job has a span
  explicit Gantt(const std::map<std::string, JobSpan>& spans, int64_t now) {
    for (auto& [job, s] : spans) {
      const int64_t end = s.end_ms < 0 ? now : s.end_ms;
      t0 = any ? std::min(t0, s.start_ms) : s.start_ms;
      t1 = any ? std::max(t1, end) : end;
      any = true;
    }
    if (t1 <= t0) t1 = t0 + 1;
  }
  std::string bar(const JobSpan& s, int64_t now, std::string_view state) const {
    const double total = static_cast<double>(t1 - t0);
    const int64_t end = s.end_ms < 0 ? now : s.end_ms;
    double left = static_cast<double>(s.start_ms - t0) / total * 100.0;
    double width = static_cast<double>(end - s.start_ms) / total * 100.0;
    left = std::clamp(left, 0.0, 99.5);
    width = std::clamp(width, 0.5, 100.0 - left);  // a blip stays visible
    char style[96];
    std::snprintf(style, sizeof style, "margin-left:%.2f%%;width:%.2f%%", left, width);
    const std::string title = state::iso_utc(s.start_ms) + " to " +
                              (s.end_ms < 0 ? std::string("now") : state::iso_utc(s.end_ms));
    return "<div class=\"bar " + state_class(state) + "\" style=\"" + style + "\" title=\"" +
           html_escape(title) + "\"></div>";
  }
};

std::string job_row(const state::JobRecord& j, const RunTimeline& t, const Gantt& g, int64_t now) {
  std::string row = "<tr class=\"job\" data-job=\"" + html_escape(j.job) + "\" data-state=\"" +
                    html_escape(j.state) + "\">";
  row += "<td data-label=\"Job\"><strong>" + html_escape(j.job) + "</strong>";
  if (j.carried_over) row += "<div class=\"muted\">carried over from an earlier try</div>";
  if (!j.in_latest_try) row += "<div class=\"muted\">not in the latest try</div>";
  row += "</td><td class=\"state\" data-label=\"State\">" + badge(j.state) + "</td>";
  row += "<td class=\"attempts\" data-label=\"Attempts\">" + std::to_string(j.attempts);
  if (j.try_attempts != j.attempts)
    row += " <span class=\"muted\">(" + std::to_string(j.try_attempts) + " in this try)</span>";
  row += "</td><td class=\"duration\" data-label=\"Duration\">" +
         format_duration_ms(j.duration_ms) +
         "</td><td class=\"gantt\" data-label=\"Timeline\"><div class=\"track\">";
  if (auto it = t.spans.find(j.job); it != t.spans.end()) row += g.bar(it->second, now, j.state);
  row += "</div></td><td class=\"error\" data-label=\"Error\">";
  if (!j.error.empty()) row += "<pre>" + html_escape(j.error) + "</pre>";
  row += "</td><td class=\"outputs\" data-label=\"Outputs\">";
  if (!j.outputs.empty()) {
    row += "<dl class=\"outputs\">";
    for (auto& [key, value] : j.outputs)
      row += "<dt>" + html_escape(key) + "</dt><dd>" + output_html(value) + "</dd>";
    row += "</dl>";
  }
  return row + "</td></tr>";
}

std::string run_facts(const state::RunDetail& d) {
  const auto& s = d.summary;
  std::string counts;
  for (auto& [state, n] : s.counts_by_state)
    counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + html_escape(state);
  std::string out = "<dl class=\"facts\">";
  auto fact = [&](std::string_view name, const std::string& html) {
    out += "<dt>" + std::string(name) + "</dt><dd>" + html + "</dd>";
  };
  fact("Run", "<code>" + html_escape(s.run_id) + "</code>");
  fact("Status", badge(s.status));
  fact("Logical date", html_escape(s.logical_date));
  fact("Try", std::to_string(s.try_number));
  fact("Started", time_html(s.started_at));
  fact("Ended", time_html(s.ended_at));
  fact("Duration", format_duration_ms(s.duration_ms));
  fact("Jobs", counts.empty() ? "<span class=\"muted\">none yet</span>" : counts);
  if (!d.params_json.empty() && d.params_json != "{}")
    fact("Params", "<code>" + html_escape(d.params_json) + "</code>");
  return out + "</dl>";
}

}  // namespace

HttpResponse error_page(int status, std::string_view title, std::string_view detail) {
  std::string body = "<header><h1>" + html_escape(title) +
                     "</h1></header><main><p class=\"banner\" role=\"alert\">" +
                     html_escape(detail) + "</p><p><a href=\"/\">All pipelines</a></p></main>";
  return html_response(status, page(title, body, 0));
}

HttpResponse page_index(ServeContext& c, const HttpRequest&, const PathParams&) {
  const auto pipelines = c.control.pipelines();
  std::vector<std::string> names;
  for (auto& p : pipelines) names.push_back(p.name);
  std::map<std::string, std::vector<state::RunSummary>> recent;
  std::string store_problem;
  try {
    recent = c.store.recent_runs(names, kRecentRuns);
  } catch (const state::StoreError& e) {
    store_problem = e.what();  // the pipelines are still worth showing
  }
  std::string body = "<header><h1>jobhost</h1><p class=\"muted\">" +
                     std::to_string(pipelines.size()) + " pipeline" +
                     (pipelines.size() == 1 ? "" : "s") + " &middot; " +
                     time_html(state::now_iso_utc()) + " &middot; refreshes every " +
                     std::to_string(kIndexRefreshSeconds) + " s</p></header><main>";
  if (!store_problem.empty())
    body += "<p class=\"banner\" role=\"alert\">Run history unavailable: " +
            html_escape(store_problem) + "</p>";
  if (pipelines.empty()) {
    body += "<p>No pipelines loaded.</p>";
  } else {
    body +=
        "<table class=\"pipelines\"><thead><tr><th>Pipeline</th><th>Schedule</th>"
        "<th>Next run</th><th>Validity</th><th>Recent runs</th></tr></thead><tbody>";
    static const std::vector<state::RunSummary> kNone;
    for (auto& p : pipelines) {
      auto it = recent.find(p.name);
      body += pipeline_row(p, it == recent.end() ? kNone : it->second);
    }
    body += "</tbody></table>";
  }
  body += "</main>";
  return html_response(200, page("jobhost", body, kIndexRefreshSeconds));
}

HttpResponse page_run(ServeContext& c, const HttpRequest&, const PathParams& params) {
  auto timeline = c.store.run_timeline(params.at(0));
  if (!timeline)
    return error_page(404, "No such run", "no run '" + params.at(0) + "' in the run store");
  const auto& d = timeline->detail;
  const int64_t now = state::now_unix_ms();
  const Gantt gantt(timeline->spans, now);
  std::string body = "<header><p><a href=\"/\">&larr; All pipelines</a></p><h1>" +
                     html_escape(d.summary.pipeline) + " &middot; " +
                     html_escape(d.summary.logical_date) + "</h1></header><main>" + run_facts(d);
  body += "<h2>Jobs</h2>";
  if (d.jobs.empty()) {
    body += "<p class=\"muted\">No job has started yet.</p>";
  } else {
    body +=
        "<table class=\"jobs\"><thead><tr><th>Job</th><th>State</th><th>Attempts</th>"
        "<th>Duration</th><th>Timeline" +
        (gantt.any ? " (" + format_duration_ms(gantt.t1 - gantt.t0) + ")" : std::string()) +
        "</th><th>Error</th><th>Outputs</th></tr></thead><tbody>";
    for (auto& j : d.jobs) body += job_row(j, *timeline, gantt, now);
    body += "</tbody></table>";
  }
  body += "</main>";
  const bool running = d.summary.status == "running";
  return html_response(200, page(d.summary.pipeline + " " + d.summary.logical_date, body,
                                 running ? kRunRefreshSeconds : 0));
}

}  // namespace jobhost::serve
