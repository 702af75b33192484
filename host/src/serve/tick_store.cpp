#include "serve/tick_store.hpp"

namespace jobhost::serve {

TickStore::TickStore(const std::string& store_path) : db_(store_path) {
  db_.exec("PRAGMA busy_timeout = 10000;"
           "CREATE TABLE IF NOT EXISTS serve_ticks ("
           " pipeline TEXT PRIMARY KEY,"
           " last_tick TEXT NOT NULL,"
           " updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
           "CREATE TABLE IF NOT EXISTS serve_file_triggers ("
           " pipeline TEXT PRIMARY KEY,"
           " snapshot TEXT NOT NULL)");
}

std::optional<schedule::Instant> TickStore::last_tick(const std::string& pipeline) {
  state::sql::Stmt q(db_, "SELECT last_tick FROM serve_ticks WHERE pipeline = ?1");
  q.bind(1, pipeline);
  if (!q.step()) return std::nullopt;
  return schedule::parse_instant(q.text(0));
}

void TickStore::set_last_tick(const std::string& pipeline, schedule::Instant tick) {
  set_last_ticks({{pipeline, tick}});
}

void TickStore::set_last_ticks(const std::vector<std::pair<std::string, schedule::Instant>>& ticks) {
  if (ticks.empty()) return;
  state::sql::Transaction tx(db_);
  state::sql::Stmt q(db_,
                     "INSERT INTO serve_ticks (pipeline, last_tick) VALUES (?1, ?2)"
                     " ON CONFLICT (pipeline) DO UPDATE SET last_tick = excluded.last_tick,"
                     " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')");
  for (auto& [pipeline, tick] : ticks) {
    q.bind(1, pipeline).bind(2, schedule::format_instant(tick));
    q.run();
  }
  tx.commit();
}

std::map<std::string, schedule::Instant> TickStore::all() {
  std::map<std::string, schedule::Instant> out;
  state::sql::Stmt q(db_, "SELECT pipeline, last_tick FROM serve_ticks");
  while (q.step())
    if (auto t = schedule::parse_instant(q.text(1))) out.emplace(q.text(0), *t);
  return out;
}

std::string TickStore::fired_files(const std::string& pipeline) {
  state::sql::Stmt q(db_, "SELECT snapshot FROM serve_file_triggers WHERE pipeline = ?1");
  q.bind(1, pipeline);
  return q.step() ? q.text(0) : std::string();
}

void TickStore::set_fired_files(const std::string& pipeline, const std::string& snapshot) {
  state::sql::Stmt q(db_,
                     "INSERT INTO serve_file_triggers (pipeline, snapshot) VALUES (?1, ?2)"
                     " ON CONFLICT (pipeline) DO UPDATE SET snapshot = excluded.snapshot");
  q.bind(1, pipeline).bind(2, snapshot);
  q.run();
}

}  // namespace jobhost::serve
