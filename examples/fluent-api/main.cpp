// The seed's usage pattern: two in-process jobs and a plugin job, run in this process.
// Exit code 0 when every job succeeded, 1 otherwise, 2 when the pipeline cannot run.
#include <jobhost/pipeline.hpp>

#include <iostream>
#include <string>

// A job function: the same code could be a plugin job (JOBHOST_JOB(process_fn, ...)).
jobhost::Status process_fn(jobhost::Context& ctx) {
  auto rows = ctx.input("ingest", "rows").value_or("0");
  ctx.log_info("processing " + rows + " rows");
  ctx.set_output("rows", std::to_string(std::stoi(rows) * 2));
  return jobhost::Status::ok();
}

int main() {
  try {
    jobhost::Pipeline p("daily");
    p.add_job("ingest", [](jobhost::Context& ctx) {
       ctx.log_info("hi");
       ctx.set_output("rows", "21");
       return jobhost::Status::ok();
     })
        .add_job("process", process_fn, {.depends_on = {"ingest"}, .retries = 2})
        .add_job("aggregate", "utilities.shell",
                 {.depends_on = {"process"}, .config = "command = 'true'"});
    jobhost::RunResult r = p.run();
    for (const auto& job : r.jobs())
      std::cout << job.name << ": " << job.state << " (attempts " << job.attempts << ")"
                << (job.error.empty() ? "" : ": " + job.error) << "\n";
    std::cout << "process rows: " << r.output("process", "rows").value_or("?") << "\n";
    std::cout << "run " << r.run_id() << ": " << r.status() << "\n";
    return r.ok() ? 0 : 1;
  } catch (const jobhost::PipelineError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
}
