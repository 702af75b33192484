// Read-side queries over a store connection. A job's state is the state of its newest attempt
// in the attempt log (attempt_log.hpp), where settled entries (attempt 0) count like real
// attempts.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "state/attempt_log.hpp"
#include "state/run_store.hpp"
#include "state/sqlite_handle.hpp"

namespace jobhost::state {

// Every job of the run, in order of first appearance, with its latest state across all tries.
// `attempts`: load_attempts(db, run_id); `latest_try`: the run's try number (for the per-try
// facts of JobRecord; 0 when not needed). `config_hashes` and `prior` receive each job's
// definition hash and resume facts (counted attempts, a deferred attempt), in job order.
std::vector<JobRecord> query_jobs(sql::Db& db, const std::string& run_id,
                                  const std::vector<AttemptRow>& attempts, int latest_try,
                                  std::vector<std::string>* config_hashes = nullptr,
                                  std::vector<PriorJob>* prior = nullptr);

// What earlier tries left for each job (state, config hash, attempts, outputs).
std::map<std::string, PriorJob> query_prior(sql::Db& db, const std::string& run_id,
                                            const std::vector<AttemptRow>& attempts);

std::vector<RunSummary> query_runs(sql::Db& db, const std::optional<std::string>& pipeline,
                                   int limit);
std::optional<RunDetail> query_run(sql::Db& db, const std::string& run_id);
std::optional<std::string> query_run_id(sql::Db& db, const std::string& pipeline,
                                        const std::string& logical_date);
JobHistory query_job_history(sql::Db& db, const std::string& pipeline, const std::string& job,
                             int limit);

// Nearest-rank percentile (p in 0..100) of `values`; 0 when empty.
int64_t percentile(std::vector<int64_t> values, double p);

}  // namespace jobhost::state
