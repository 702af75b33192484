// The run lock: one row per (pipeline, logical date) in run_locks, taken in a BEGIN IMMEDIATE
// transaction so two hosts cannot both see the slot free.
#pragma once

#include <optional>
#include <string>

#include "state/run_store.hpp"
#include "state/sqlite_handle.hpp"

namespace jobhost::state {

// This machine's host name, as recorded in run_locks.
std::string this_hostname();

// True when process `pid` exists on this machine (kill(pid, 0) succeeds or fails with EPERM).
bool pid_alive(int64_t pid);

// Takes the lock for this process. Returns the holder when a live process holds it (this
// process included: a second run of the same pair in one host is refused too). A holder on
// another host name cannot be checked and counts as live. A dead holder on this host is
// replaced, and told in `replaced` when given (its crash file says how it died).
std::optional<LockHolder> try_lock_run(sql::Db& db, const std::string& pipeline,
                                       const std::string& logical_date,
                                       LockHolder* replaced = nullptr);

// Removes the lock when this process holds it; someone else's lock is left alone.
void unlock_run(sql::Db& db, const std::string& pipeline, const std::string& logical_date);

}  // namespace jobhost::state
