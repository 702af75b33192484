#include "state/run_lock.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "state/clock.hpp"

namespace jobhost::state {

std::string this_hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

bool pid_alive(int64_t pid) {
  if (pid <= 0 || pid > INT_MAX) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::optional<LockHolder> try_lock_run(sql::Db& db, const std::string& pipeline,
                                       const std::string& logical_date, LockHolder* replaced) {
  const std::string host = this_hostname();
  sql::Transaction tx(db);
  {
    sql::Stmt st(db,
                 "SELECT pid, hostname, started_at FROM run_locks "
                 "WHERE pipeline = ?1 AND logical_date = ?2");
    st.bind(1, pipeline).bind(2, logical_date);
    if (st.step()) {
      LockHolder holder{st.int64(0), st.text(1), st.text(2)};
      if (holder.hostname != host || pid_alive(holder.pid)) return holder;
      // Stale: its process is gone; fall through and take the slot over.
      if (replaced) *replaced = holder;
    }
  }
  sql::Stmt ins(db,
                "INSERT OR REPLACE INTO run_locks(pipeline, logical_date, pid, hostname, "
                "started_at) VALUES(?1, ?2, ?3, ?4, ?5)");
  ins.bind(1, pipeline)
      .bind(2, logical_date)
      .bind(3, static_cast<int64_t>(::getpid()))
      .bind(4, host)
      .bind(5, now_iso_utc());
  ins.run();
  tx.commit();
  return std::nullopt;
}

void unlock_run(sql::Db& db, const std::string& pipeline, const std::string& logical_date) {
  sql::Stmt st(db,
               "DELETE FROM run_locks WHERE pipeline = ?1 AND logical_date = ?2 "
               "AND pid = ?3 AND hostname = ?4");
  st.bind(1, pipeline)
      .bind(2, logical_date)
      .bind(3, static_cast<int64_t>(::getpid()))
      .bind(4, this_hostname());
  st.run();
}

}  // namespace jobhost::state
