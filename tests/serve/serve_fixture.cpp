#include "serve_fixture.hpp"

#include <chrono>
#include <jobhost/pipeline.hpp>
#include <stdexcept>
#include <thread>

#include "state/run_store.hpp"

namespace jobhost::test {
namespace {

using std::chrono::milliseconds;

Status sleep_then_ok(milliseconds d) {
  std::this_thread::sleep_for(d);
  return Status::ok();
}

// extract -> transform (fails its first attempt) -> load (fails when fail_load=yes);
// report runs beside them and publishes a URL, a path and a value that must not become a link.
Pipeline daily() {
  Pipeline p("daily");
  p.param("fail_load", "no");
  p.add_job("extract", [](Context& ctx) {
    ctx.set_output("rows", "42");
    return sleep_then_ok(milliseconds(120));
  });
  p.add_job("report", [](Context& ctx) {
    ctx.set_output("url", "https://example.com/reports/daily?date=2026-11-28&format=html");
    ctx.set_output("path", "/data/out/<daily>.csv");
    ctx.set_output("script", "javascript:alert(1)");
    return sleep_then_ok(milliseconds(40));
  });
  p.add_job("transform",
            [](Context& ctx) {
              std::this_thread::sleep_for(milliseconds(60));
              if (ctx.attempt() == 1) return Status::retry("warehouse busy, try again");
              return Status::ok();
            },
            {.depends_on = {"extract"},
             .retries = 2,
             .retry_delay = milliseconds(20),
             .retry_jitter = false});
  p.add_job(
      "load",
      [](Context& ctx) {
        std::this_thread::sleep_for(milliseconds(30));
        if (ctx.input("@params", "fail_load").value_or("no") == "yes")
          return Status::fatal("<b>load refused</b> & \"quoted\" <script>alert('x')</script>");
        return Status::ok();
      },
      {.depends_on = {"transform"}});
  return p;
}

Pipeline hourly() {
  Pipeline p("hourly");
  p.add_job("ping", [](Context&) { return sleep_then_ok(milliseconds(10)); });
  return p;
}

RunOptions options(const std::string& dir, const std::string& store, const std::string& date) {
  RunOptions o;
  o.logical_date = date;
  o.state_path = store;
  o.scratch_root = dir + "/scratch";
  o.log_state_changes = false;
  return o;
}

}  // namespace

FilledStore fill_store(const std::string& dir) {
  FilledStore f;
  f.path = dir + "/state.db";
  {
    Pipeline p = daily();
    f.success_run = p.run(options(dir, f.path, "2026-11-27")).run_id();
    RunOptions o = options(dir, f.path, "2026-11-28");
    o.params = {{"fail_load", "yes"}};
    RunResult r = p.run(o);
    if (r.status() != "failed") throw std::runtime_error("fixture: daily 2026-11-28 should fail");
    f.failed_run = r.run_id();
  }
  f.hourly_run = hourly().run(options(dir, f.path, "2026-11-28")).run_id();

  // A run in progress, as a live daemon leaves it between two commits.
  state::StoreOptions so;
  so.path = f.path;
  auto store = state::RunStore::open(so);
  state::RunBegin b;
  b.pipeline = "daily";
  b.logical_date = "2026-11-29";
  b.params_json = R"({"fail_load":"no"})";
  b.file_hash = "0123456789abcdef";
  b.definition = "[pipeline]\nname = \"daily\"\n";
  auto h = store->begin_run(b);
  store->job_started(h.run_id, h.try_number, "extract", 1, "c0");
  store->flush();
  f.running_run = h.run_id;
  return f;
}

std::vector<serve::PipelineStatus> fake_pipelines() {
  serve::PipelineStatus broken;
  broken.name = "broken";
  broken.file = "pipelines/broken.toml";
  broken.schedule = "none";
  broken.timezone = "UTC";
  broken.valid = false;
  broken.error =
      "pipelines/broken.toml:3:12: error: unknown job type 'nope.<script>alert(1)</script>'";

  serve::PipelineStatus daily;
  daily.name = "daily";
  daily.file = "pipelines/daily.toml";
  daily.schedule = "0 6 * * *";
  daily.timezone = "Europe/Paris";
  daily.next_fire = "2026-11-30T05:00:00Z";
  daily.last_tick = "2026-11-29T05:00:00Z";
  daily.active_runs = 1;

  serve::PipelineStatus hourly;
  hourly.name = "hourly";
  hourly.file = "pipelines/hourly.toml";
  hourly.schedule = "@hourly";
  hourly.timezone = "UTC";
  hourly.next_fire = "2026-11-29T06:00:00Z";
  return {broken, daily, hourly};
}

}  // namespace jobhost::test
