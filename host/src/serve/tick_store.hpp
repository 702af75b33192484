// The last scheduled tick of each pipeline, in the run store's database (table serve_ticks,
// owned by the daemon): written before the tick's run starts, so after a crash the daemon
// neither schedules a tick twice nor loses one (scheduler.cpp checks the tick's run).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "schedule/cron.hpp"
#include "state/sqlite_handle.hpp"

namespace jobhost::serve {

class TickStore {
 public:
  // Opens its own connection to the store's database file.
  explicit TickStore(const std::string& store_path);
  std::optional<schedule::Instant> last_tick(const std::string& pipeline);
  void set_last_tick(const std::string& pipeline, schedule::Instant tick);
  // Several pipelines' ticks in one transaction (one commit for a minute's 1,000 ticks).
  void set_last_ticks(const std::vector<std::pair<std::string, schedule::Instant>>& ticks);
  std::map<std::string, schedule::Instant> all();
  // The matching files ([pipeline.trigger] files) that last started a run (FileTrigger).
  std::string fired_files(const std::string& pipeline);
  void set_fired_files(const std::string& pipeline, const std::string& snapshot);

 private:
  state::sql::Db db_;
};

}  // namespace jobhost::serve
