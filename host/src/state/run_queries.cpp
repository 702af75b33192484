#include "state/run_queries.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>

#include "state/clock.hpp"
#include "util/logical_time.hpp"

namespace jobhost::state {
namespace {

const char* kSummarySelect =
    "SELECT id, pipeline, logical_date, status, started_at, COALESCE(ended_at, ''), try_number, "
    "CAST(ROUND((julianday(COALESCE(ended_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))) - "
    "julianday(started_at)) * 86400000.0) AS INTEGER), params_json, file_hash, logical_time, "
    "data_interval_start, data_interval_end FROM runs ";

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
  // Empty only in a row the version 7 step could not fill (a date edited by hand).
  s.logical_time = st.text(10);
  if (s.logical_time.empty()) s.logical_time = logical_time_of(s.logical_date);
  s.data_interval_start = st.text(11);
  s.data_interval_end = st.text(12);
  if (s.data_interval_start.empty() || s.data_interval_end.empty()) {
    DataInterval d = default_data_interval(s.logical_date);
    s.data_interval_start = d.start;
    s.data_interval_end = d.end;
  }
  return s;
}

// Counts of each job's latest state within the run's latest try.
void fill_counts(const std::vector<AttemptRow>& attempts, RunSummary& s) {
  std::unordered_map<std::string_view, const AttemptRow*> latest;
  for (auto& a : attempts)  // in seq order: the last one seen is the newest
    if (a.try_number == s.try_number) latest[a.job] = &a;
  for (auto& [job, a] : latest) ++s.counts_by_state[a->state];
}

std::string iso_or_empty(int64_t unix_ms) {
  return unix_ms < 0 ? std::string() : iso_utc(unix_ms);
}

}  // namespace

int64_t percentile(std::vector<int64_t> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

bool is_moved(const AttemptRow& a) { return a.moved_to != 0; }

std::vector<JobRecord> query_jobs(sql::Db& db, const std::string& run_id,
                                  const std::vector<AttemptRow>& attempts, int latest_try,
                                  std::vector<std::string>* config_hashes,
                                  std::vector<PriorJob>* prior) {
  // latest: the job's newest attempt (its state); real: its newest attempt that actually ran
  // (duration and metrics, also for a success carried over from an earlier try). An attempt
  // re-attached by a later try left a closing entry (moved) in its first try: not an attempt.
  struct Job {
    const AttemptRow* latest = nullptr;
    const AttemptRow* real = nullptr;
    int64_t first_seq = 0;
    int attempts = 0;
    int try_attempts = 0;
    int counted = 0;
    bool in_latest_try = false;
  };
  std::vector<Job> found;
  std::unordered_map<std::string_view, size_t> index;  // job name (in `attempts`) -> found
  for (auto& a : attempts) {  // in seq order
    if (is_moved(a)) continue;
    auto [it, added] = index.try_emplace(a.job, found.size());
    if (added) found.push_back({nullptr, nullptr, a.first_seq, 0});
    Job& j = found[it->second];
    j.latest = &a;
    j.first_seq = std::min(j.first_seq, a.first_seq);
    if (a.try_number == latest_try) j.in_latest_try = true;
    if (a.attempt > 0) {
      ++j.attempts;
      if (a.try_number == latest_try) ++j.try_attempts;
      if (!a.lost && a.state != to_string(JobState::deferred) &&
          a.state != to_string(JobState::running))
        ++j.counted;
      j.real = &a;
    }
  }
  // Jobs in the order they were first recorded.
  std::stable_sort(found.begin(), found.end(),
                   [](const Job& a, const Job& b) { return a.first_seq < b.first_seq; });

  std::vector<JobRecord> jobs;  // aligned with `found`, and so with `index`
  jobs.reserve(found.size());
  for (auto& f : found) {
    JobRecord j;
    j.job = f.latest->job;
    j.state = f.latest->state;
    // A carried-over success's "reason" is not an error.
    if (j.state != "success") j.error = f.latest->error;
    if (config_hashes) config_hashes->push_back(f.latest->config_hash);
    j.attempts = f.attempts;
    j.try_attempts = f.try_attempts;
    j.in_latest_try = f.in_latest_try;
    j.carried_over = f.latest->attempt == 0 && j.state == "success";
    j.duration_ms = f.real ? f.real->duration_ms : 0;
    if (f.real) j.usage = f.real->usage;
    if (f.real && f.real->has_handle) {
      j.has_handle = true;
      j.handle = f.real->handle;
      j.idempotency_key = f.real->key;
      j.polls = f.real->polls;
      if (f.real->state == to_string(JobState::deferred))
        j.next_poll_at = iso_or_empty(f.real->next_poll_ms);
    }
    if (prior) {
      PriorJob p;
      p.counted_attempts = f.counted;
      const AttemptRow& last = *f.latest;
      if (last.state == to_string(JobState::deferred))
        p.deferred = DeferredAttempt{last.try_number, last.attempt, last.key, last.handle,
                                     last.started_ms, last.next_poll_ms, last.polls,
                                     last.config_hash};
      prior->push_back(std::move(p));
    }
    index[f.latest->job] = jobs.size();
    jobs.push_back(std::move(j));
  }

  // Metrics of each job's newest attempt that ran; outputs as its latest attempt left them.
  sql::Stmt m(db,
              "SELECT job, try_number, attempt, name, value FROM job_metrics WHERE run_id = ?1");
  m.bind(1, run_id);
  while (m.step()) {
    auto it = index.find(m.text_view(0));
    if (it == index.end()) continue;
    const AttemptRow* real = found[it->second].real;
    if (!real || real->try_number != m.int64(1) || real->attempt != m.int64(2)) continue;
    jobs[it->second].metrics[m.text(3)] = m.real(4);
  }

  sql::Stmt o(db, "SELECT job, key, value FROM job_outputs WHERE run_id = ?1");
  o.bind(1, run_id);
  while (o.step()) {
    auto it = index.find(o.text_view(0));
    if (it != index.end()) jobs[it->second].outputs[o.text(1)] = o.text(2);
  }
  return jobs;
}

std::map<std::string, PriorJob> query_prior(sql::Db& db, const std::string& run_id,
                                            const std::vector<AttemptRow>& attempts) {
  std::vector<std::string> hashes;
  std::vector<PriorJob> facts;
  std::map<std::string, PriorJob> prior;
  auto jobs = query_jobs(db, run_id, attempts, 0, &hashes, &facts);
  for (size_t i = 0; i < jobs.size(); ++i) {
    auto& j = jobs[i];
    PriorJob p = std::move(facts[i]);
    p.state = job_state_from_string(j.state).value_or(JobState::pending);
    p.config_hash = std::move(hashes[i]);
    p.attempts = j.attempts;
    p.outputs = std::move(j.outputs);
    p.last_duration_ms = j.duration_ms;
    p.usage = j.usage;
    p.metrics = std::move(j.metrics);
    p.has_handle = j.has_handle;
    p.handle = std::move(j.handle);
    p.idempotency_key = std::move(j.idempotency_key);
    p.polls = j.polls;
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
  for (auto& r : runs) fill_counts(load_attempts(db, r.run_id), r);
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
  const auto attempts = load_attempts(db, run_id);
  fill_counts(attempts, d.summary);
  d.jobs = query_jobs(db, run_id, attempts, d.summary.try_number);
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
  // The pipeline's runs, most recently written first, each reading only the log rows that
  // mention the job; stops once `limit` attempts are newer than anything a remaining run can
  // hold. Newest first means by when an attempt was first recorded (its start), as before.
  struct RunRef {
    std::string id, logical_date;
    int64_t last_log_row;
  };
  std::vector<RunRef> runs;
  {
    sql::Stmt st(db,
                 "SELECT id, logical_date, last FROM (SELECT r.id, r.logical_date, "
                 "(SELECT max(l.id) FROM attempt_log l WHERE l.run_id = r.id) AS last "
                 "FROM runs r WHERE r.pipeline = ?1) WHERE last IS NOT NULL ORDER BY last DESC");
    st.bind(1, pipeline);
    while (st.step()) runs.push_back({st.text(0), st.text(1), st.int64(2)});
  }
  struct Found {
    AttemptRow row;
    const RunRef* run;
  };
  const auto newer = [](const Found& a, const Found& b) {
    return a.row.first_seq != b.row.first_seq ? a.row.first_seq > b.row.first_seq
                                              : a.row.seq > b.row.seq;
  };
  const auto wanted = static_cast<size_t>(limit > 0 ? limit : 0);
  std::vector<Found> found;
  for (auto& run : runs) {
    if (wanted > 0 && found.size() >= wanted) {
      std::nth_element(found.begin(), found.begin() + static_cast<ptrdiff_t>(wanted - 1),
                       found.end(), newer);
      found.resize(wanted);  // the newest `wanted` so far; older ones cannot make the cut
      if (found[wanted - 1].row.first_seq >= first_seq_after(run.last_log_row)) break;
    }
    for (auto& a : load_attempts(db, run.id, &job))
      if (a.attempt > 0 && !is_moved(a)) found.push_back({std::move(a), &run});
  }
  std::sort(found.begin(), found.end(), newer);
  if (wanted > 0 && found.size() > wanted) found.resize(wanted);

  JobHistory h;
  std::vector<int64_t> ok_durations;
  int finished = 0, failed = 0;
  for (auto& f : found) {
    AttemptRecord a;
    a.run_id = f.run->id;
    a.logical_date = f.run->logical_date;
    a.job = std::move(f.row.job);
    a.try_number = f.row.try_number;
    a.attempt = f.row.attempt;
    a.state = std::move(f.row.state);
    a.started_at = iso_or_empty(f.row.started_ms);
    a.ended_at = iso_or_empty(f.row.ended_ms);
    a.duration_ms = f.row.duration_ms;
    a.usage = f.row.usage;
    a.error = std::move(f.row.error);
    if (f.row.has_handle) {
      a.has_handle = true;
      a.handle = std::move(f.row.handle);
      a.idempotency_key = std::move(f.row.key);
      a.polls = f.row.polls;
      if (a.state == to_string(JobState::deferred)) a.next_poll_at = iso_or_empty(f.row.next_poll_ms);
    }
    if (a.state != "running" && a.state != to_string(JobState::deferred)) ++finished;
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
