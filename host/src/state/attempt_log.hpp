// Job attempts as the store keeps them (schema v4). The writer appends one `attempt_log` row
// per run per commit, holding that batch's attempt entries as one JSON array, instead of one
// table row per attempt: a durable run then costs SQLite one row per ~1000 attempts, not one
// B-tree insert (and an index entry) per attempt. The `attempts` view unpacks the log for
// sqlite3 users; jobhost's own reads fold the log here.
//
// An entry is [try, job, attempt, state, started_ms, ended_ms, duration_ms, error, config_hash]
// (times in Unix milliseconds, or null when not known), optionally followed (schema v6) by an
// object of further facts, each present only when it applies:
//   {"key": idempotency key, "handle": a deferred attempt's handle, "next_poll": Unix ms,
//    "polls": n, "lost": true (its host was lost), "moved_to": try (re-attached there),
//    "rss": peak resident bytes, "cpu_user" / "cpu_sys": CPU seconds (up to 6 decimals)}
// (the resource keys came later within v7: readers skip keys they do not know)
// Every entry is complete: the newest entry of an attempt (try, job, attempt) is the attempt.
// Settled jobs (never ran in that try) have attempt 0.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "state/sqlite_handle.hpp"
#include "util/attempt_usage.hpp"

namespace jobhost::state {

// What the writer and begin_run append.
struct AttemptEntry {
  int try_number = 0;
  std::string_view job;
  int attempt = 0;
  std::string_view state;
  int64_t started_ms = -1, ended_ms = -1;  // Unix ms; -1: not known (null)
  int64_t duration_ms = 0;
  std::string_view error;
  std::string_view config_hash;
  // The optional object (omitted when all are unset).
  std::string_view key;
  const std::string* handle = nullptr;  // set for attempts that deferred (may be empty text)
  int64_t next_poll_ms = -1;
  uint32_t polls = 0;
  bool lost = false;
  int moved_to = 0;
  AttemptUsage usage{};  // an ended attempt's; its known parts are written
};

// State texts of entries that are not job states: an attempt taken over by a later try.
inline constexpr const char* kMovedState = "reattached";
// The error of an attempt recorded failed because its host was lost.
inline constexpr const char* kHostLost = "host lost";

// An entry's place in the log: (log row id << kSeqPositionBits) + position in the row. Orders
// entries across runs. The writer starts a new row before a row's positions run out.
inline constexpr int kSeqPositionBits = 24;
inline constexpr size_t kMaxEntriesPerRow = size_t{1} << 16;
// The lowest seq of log rows after `log_row_id`.
inline int64_t first_seq_after(int64_t log_row_id) { return (log_row_id + 1) << kSeqPositionBits; }

// One attempt as its newest entry left it.
struct AttemptRow {
  int64_t seq = 0;        // of the newest entry
  int64_t first_seq = 0;  // of the attempt's first entry (when it was first recorded)
  int try_number = 0;
  std::string job;
  int attempt = 0;
  std::string state;
  int64_t started_ms = -1, ended_ms = -1;  // Unix ms; -1 when not known
  int64_t duration_ms = 0;
  std::string error;
  std::string config_hash;
  std::string key;
  std::string handle;
  bool has_handle = false;   // deferred at some point: `handle` is its work
  int64_t next_poll_ms = -1;
  uint32_t polls = 0;
  bool lost = false;          // its host was lost (recorded by the next host)
  int moved_to = 0;           // re-attached by this later try (the attempt continues there)
  AttemptUsage usage{};       // what it used; unknown when its entry does not say
};

// Appends `e` to `entries`, a JSON array under construction: "[" first, "]" to close.
void append_entry(std::string& entries, const AttemptEntry& e);

// Writes `entries` (a closed JSON array) as one log row of `run_id`. Throws StoreError.
void insert_log_row(sql::Stmt& insert, const std::string& run_id, const std::string& entries);
// The statement insert_log_row expects.
inline constexpr const char* kInsertLogRow =
    "INSERT INTO attempt_log(run_id, entries) VALUES(?1, ?2)";

// Every attempt of the run, one row per (try, job, attempt), ordered by seq. With `job`, only
// that job's attempts: log rows that do not mention it are not parsed.
std::vector<AttemptRow> load_attempts(sql::Db& db, const std::string& run_id,
                                      const std::string* job = nullptr);

}  // namespace jobhost::state
