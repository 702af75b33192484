#include "state/run_queries.hpp"

#include <algorithm>
#include <cmath>

namespace jobhost::state {
namespace {

const char* kSummarySelect =
    "SELECT id, pipeline, logical_date, status, started_at, COALESCE(ended_at, ''), try_number, "
    "CAST(ROUND((julianday(COALESCE(ended_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))) - "
    "julianday(started_at)) * 86400000.0) AS INTEGER), params_json, file_hash FROM runs ";

RunSummary read_summary(const sql::Stmt& st) {
  RunSummary s;
  s.run_id = st.text(0);
  s.pipeline = st.text(1);
  s.logical_date = st.text(2);
  s.status = st.text(3);
  s.started_at = st.text(4);
  s.ended_at = st.text(5);
  s.try_number = static_cast<int>(st.int64(6));
  s.duration_ms = std::max<int64_t>(0, st.int64(7));
  return s;
}

// Counts of each job's latest state within the run's latest try.
void fill_counts(sql::Db& db, RunSummary& s) {
  sql::Stmt st(db,
               "SELECT a.state, COUNT(*) FROM (SELECT MAX(id) AS id FROM attempts "
               "WHERE run_id = ?1 AND try_number = ?2 GROUP BY job) l "
               "JOIN attempts a ON a.id = l.id GROUP BY a.state");
  st.bind(1, s.run_id).bind(2, s.try_number);
  while (st.step()) s.counts_by_state[st.text(0)] = static_cast<int>(st.int64(1));
}

}  // namespace

int64_t percentile(std::vector<int64_t> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

std::vector<JobRecord> query_jobs(sql::Db& db, const std::string& run_id,
                                  std::map<std::string, std::string>* config_hashes) {
  // latest: the job's newest row (its state); real: its newest attempt that actually ran
  // (duration and metrics, also for a success carried over from an earlier try).
  sql::Stmt st(db,
               "WITH l AS (SELECT job, MAX(id) AS id, MIN(id) AS first, "
               "SUM(attempt > 0) AS n, MAX(CASE WHEN attempt > 0 THEN id END) AS real_id "
               "FROM attempts WHERE run_id = ?1 GROUP BY job) "
               "SELECT l.job, a.state, a.error, a.config_hash, l.n, COALESCE(r.duration_ms, 0), "
               "COALESCE(r.try_number, 0), COALESCE(r.attempt, 0) "
               "FROM l JOIN attempts a ON a.id = l.id LEFT JOIN attempts r ON r.id = l.real_id "
               "ORDER BY l.first");
  st.bind(1, run_id);
  std::vector<JobRecord> jobs;
  std::map<std::string, std::pair<int64_t, int64_t>> last_real;  // job -> (try, attempt)
  std::map<std::string, size_t> index;
  while (st.step()) {
    JobRecord j;
    j.job = st.text(0);
    j.state = st.text(1);
    // A carried-over success's "reason" is not an error.
    if (j.state != "success") j.error = st.text(2);
    if (config_hashes) (*config_hashes)[j.job] = st.text(3);
    j.attempts = static_cast<int>(st.int64(4));
    j.duration_ms = st.int64(5);
    last_real[j.job] = {st.int64(6), st.int64(7)};
    index[j.job] = jobs.size();
    jobs.push_back(std::move(j));
  }

  sql::Stmt m(db,
              "SELECT job, try_number, attempt, name, value FROM job_metrics WHERE run_id = ?1");
  m.bind(1, run_id);
  while (m.step()) {
    auto it = index.find(m.text(0));
    if (it == index.end()) continue;
    if (last_real[it->first] != std::pair{m.int64(1), m.int64(2)}) continue;
    jobs[it->second].metrics[m.text(3)] = m.real(4);
  }

  sql::Stmt o(db, "SELECT job, key, value FROM job_outputs WHERE run_id = ?1");
  o.bind(1, run_id);
  while (o.step()) {
    auto it = index.find(o.text(0));
    if (it != index.end()) jobs[it->second].outputs[o.text(1)] = o.text(2);
  }
  return jobs;
}

std::map<std::string, PriorJob> query_prior(sql::Db& db, const std::string& run_id) {
  std::map<std::string, std::string> hashes;
  std::map<std::string, PriorJob> prior;
  for (auto& j : query_jobs(db, run_id, &hashes)) {
    PriorJob p;
    p.state = job_state_from_string(j.state).value_or(JobState::pending);
    p.config_hash = hashes[j.job];
    p.attempts = j.attempts;
    p.outputs = std::move(j.outputs);
    prior.emplace(j.job, std::move(p));
  }
  return prior;
}

std::vector<RunSummary> query_runs(sql::Db& db, const std::optional<std::string>& pipeline,
                                   int limit) {
  std::string sql = kSummarySelect;
  if (pipeline) sql += "WHERE pipeline = ?1 ";
  // Ties within a millisecond go to the run begun last (its newest definition row).
  sql +=
      "ORDER BY started_at DESC, (SELECT MAX(d.rowid) FROM run_definitions d "
      "WHERE d.run_id = runs.id) DESC, rowid DESC LIMIT ?2";
  sql::Stmt st(db, sql.c_str());
  if (pipeline) st.bind(1, *pipeline);
  st.bind(2, static_cast<int64_t>(limit > 0 ? limit : -1));
  std::vector<RunSummary> runs;
  while (st.step()) runs.push_back(read_summary(st));
  for (auto& r : runs) fill_counts(db, r);
  return runs;
}

std::optional<RunDetail> query_run(sql::Db& db, const std::string& run_id) {
  RunDetail d;
  {
    sql::Stmt st(db, (std::string(kSummarySelect) + "WHERE id = ?1").c_str());
    st.bind(1, run_id);
    if (!st.step()) return std::nullopt;
    d.summary = read_summary(st);
    d.params_json = st.text(8);
    d.file_hash = st.text(9);
  }
  fill_counts(db, d.summary);
  d.jobs = query_jobs(db, run_id);
  return d;
}

std::optional<std::string> query_run_id(sql::Db& db, const std::string& pipeline,
                                        const std::string& logical_date) {
  sql::Stmt st(db, "SELECT id FROM runs WHERE pipeline = ?1 AND logical_date = ?2");
  st.bind(1, pipeline).bind(2, logical_date);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

JobHistory query_job_history(sql::Db& db, const std::string& pipeline, const std::string& job,
                             int limit) {
  // The pipeline's runs (runs_by_pipeline_start), then each run's attempts of the job
  // (attempts_by_run_job). CROSS JOIN pins that order: attempts has no index on job alone,
  // and walking attempts by id for the ORDER BY would read every attempt ever recorded.
  sql::Stmt st(db,
               "SELECT r.id, r.logical_date, a.job, a.try_number, a.attempt, a.state, "
               "COALESCE(a.started_at, ''), COALESCE(a.ended_at, ''), a.duration_ms, a.error "
               "FROM runs r CROSS JOIN attempts a ON a.run_id = r.id "
               "WHERE r.pipeline = ?1 AND a.job = ?2 AND a.attempt > 0 "
               "ORDER BY a.id DESC LIMIT ?3");
  st.bind(1, pipeline).bind(2, job).bind(3, static_cast<int64_t>(limit > 0 ? limit : -1));
  JobHistory h;
  std::vector<int64_t> ok_durations;
  int finished = 0, failed = 0;
  while (st.step()) {
    AttemptRecord a;
    a.run_id = st.text(0);
    a.logical_date = st.text(1);
    a.job = st.text(2);
    a.try_number = static_cast<int>(st.int64(3));
    a.attempt = static_cast<int>(st.int64(4));
    a.state = st.text(5);
    a.started_at = st.text(6);
    a.ended_at = st.text(7);
    a.duration_ms = st.int64(8);
    a.error = st.text(9);
    if (a.state != "running") ++finished;
    // An attempt that was retried failed too.
    if (a.state == "failed" || a.state == "up_for_retry") ++failed;
    if (a.state == "success") ok_durations.push_back(a.duration_ms);
    h.attempts.push_back(std::move(a));
  }
  h.p50_ms = percentile(ok_durations, 50);
  h.p95_ms = percentile(ok_durations, 95);
  h.failure_rate = finished ? static_cast<double>(failed) / finished : 0.0;
  return h;
}

}  // namespace jobhost::state
