// Helpers for run store tests: opening a store in a temp dir, raw SQL on the file, file bytes.
#pragma once

#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>

#include "state/run_store.hpp"
#include "support.hpp"

namespace jobhost::test {

inline std::unique_ptr<state::RunStore> open_store(const std::string& path,
                                                   std::chrono::microseconds delay =
                                                       std::chrono::microseconds{2000}) {
  state::StoreOptions o;
  o.path = path;
  o.max_batch_delay = delay;
  return state::RunStore::open(o);
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A raw connection to a store file, independent of the RunStore under test.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("open " + path);
    sqlite3_busy_timeout(db_, 30000);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error(msg + " in: " + sql);
    }
  }
  // The first column of the first row, as text ("" when no row).
  std::string scalar(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " in: " + sql);
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
  }
  long long count(const std::string& sql) { return std::stoll(scalar(sql)); }

 private:
  sqlite3* db_ = nullptr;
};

inline state::RunBegin make_begin(const std::string& pipeline, const std::string& date,
                                  const std::string& file_hash = "h1") {
  state::RunBegin b;
  b.pipeline = pipeline;
  b.logical_date = date;
  b.params_json = R"({"region":"eu"})";
  b.file_hash = file_hash;
  b.definition = "[pipeline]\nname = \"" + pipeline + "\"\n";
  return b;
}

}  // namespace jobhost::test
