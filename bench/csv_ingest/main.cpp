// bench_csv_ingest [--rows N] [--dir DIR] [--sqlite3 PATH]
//
// Generates an N-row (default 1,000,000), 6-column CSV (integers, quoted text with commas and
// doubled quotes, reals, ISO dates, timestamps, plain text; 1 row in 10,000 has a bad
// amount), then loads it twice into the same pre-created schema, each in one transaction:
//   1. ingestion.csv through the built plugin (typed parsing, date checks, quarantine);
//   2. the sqlite3 shell: .import --csv --skip 1 (no type checks at all).
// Prints "BENCH name=... value=... unit=..." lines, including the ratio import/jobhost
// (> 1 means ingestion.csv is faster).
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <toml++/toml.h>

#include "exec/attempt.hpp"
#include "plugins/plugin_registry.hpp"

namespace {

constexpr const char* kSchema =
    "CREATE TABLE events (id INTEGER, name TEXT, amount REAL, day TEXT, ts TEXT, category TEXT);";

void generate(const std::string& path, long rows) {
  std::ofstream out(path, std::ios::binary);
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int> day(1, 28), month(1, 12), hour(0, 23), cents(0, 999999);
  const char* categories[] = {"alpha", "beta", "gamma", "delta"};
  out << "id,name,amount,day,ts,category\n";
  char buf[256];
  for (long i = 1; i <= rows; ++i) {
    int m = month(rng), d = day(rng);
    const char* name_fmt = i % 3 == 0 ? "\"Smith, %ld \"\"jr\"\"\"" : "name%ld";
    char name[64];
    std::snprintf(name, sizeof name, name_fmt, i);
    bool bad = i % 10000 == 0;
    int n = std::snprintf(buf, sizeof buf, "%ld,%s,%s%d.%02d,2024-%02d-%02d,2024-%02d-%02d %02d:%02d:%02d,%s\n", i, name,
                          bad ? "n/a" : "", cents(rng), static_cast<int>(i % 100), m, d, m, d, hour(rng),
                          static_cast<int>(i % 60), static_cast<int>((i * 7) % 60), categories[i % 4]);
    out.write(buf, n);
  }
}

void exec_sql(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::cerr << "sqlite: " << (err ? err : "?") << "\n";
    std::exit(1);
  }
  sqlite3_close(db);
}

long long count_rows(const std::string& db_path, const std::string& table) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, ("SELECT count(*) FROM " + table).c_str(), -1, &st, nullptr);
  long long n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void bench(const std::string& name, double value, const std::string& unit) {
  std::printf("BENCH name=%s value=%.4f unit=%s\n", name.c_str(), value, unit.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  long rows = 1000000;
  std::string dir, sqlite3_bin = "sqlite3";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--rows") rows = std::atol(argv[i + 1]);
    else if (a == "--dir") dir = argv[i + 1];
    else if (a == "--sqlite3") sqlite3_bin = argv[i + 1];
    else {
      std::cerr << "usage: bench_csv_ingest [--rows N] [--dir DIR] [--sqlite3 PATH]\n";
      return 2;
    }
  }
  bool own_dir = dir.empty();
  if (own_dir) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "jobhost-bench-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
  }
  std::string csv = dir + "/events.csv", db_jobhost = dir + "/jobhost.db", db_import = dir + "/import.db";
  std::filesystem::remove(db_jobhost);
  std::filesystem::remove(db_import);

  auto t0 = std::chrono::steady_clock::now();
  generate(csv, rows);
  bench("csv_ingest.generate", seconds_since(t0), "s");
  bench("csv_ingest.file_size", static_cast<double>(std::filesystem::file_size(csv)) / 1e6, "MB");
  exec_sql(db_jobhost, kSchema);
  exec_sql(db_import, kSchema);

  jobhost::PluginRegistry registry;
  registry.load_path(JOBHOST_BENCH_PLUGIN_DIR);
  auto* type = registry.find("ingestion.csv");
  if (!type) {
    std::cerr << "ingestion.csv not found in " << JOBHOST_BENCH_PLUGIN_DIR << "\n";
    return 1;
  }
  toml::table config = toml::parse(
      "path = '" + csv + "'\ndatabase = '" + db_jobhost +
      "'\ntable = 'events'\nmode = 'append'\nquarantine_table = 'rejects'\n"
      "columns = { id = 'INTEGER', name = 'TEXT', amount = 'REAL', day = 'DATE', ts = 'TIMESTAMP', category = 'TEXT' }");
  jobhost::AttemptInput in;
  in.run_id = "bench";
  in.pipeline = "bench";
  in.job_name = "csv_ingest";
  in.logical_date = "2024-01-01";
  in.config = &config;
  in.log = [](jh_log_level, std::string_view) {};
  t0 = std::chrono::steady_clock::now();
  auto result = jobhost::run_attempt(*type, in);
  double t_jobhost = seconds_since(t0);
  if (result.status != JH_STATUS_OK) {
    std::cerr << "ingestion.csv failed: " << result.error << "\n";
    return 1;
  }

  std::string cmd = sqlite3_bin + " '" + db_import + "' '.import --csv --skip 1 " + csv + " events' 2>/dev/null";
  t0 = std::chrono::steady_clock::now();
  int rc = std::system(cmd.c_str());
  double t_import = seconds_since(t0);
  if (rc != 0) {
    std::cerr << "sqlite3 .import failed (exit " << rc << "): " << cmd << "\n";
    return 1;
  }

  long long loaded = count_rows(db_jobhost, "events"), rejected = count_rows(db_jobhost, "rejects");
  long long imported = count_rows(db_import, "events");
  bench("csv_ingest.jobhost.seconds", t_jobhost, "s");
  bench("csv_ingest.jobhost.rows_per_second", static_cast<double>(rows) / t_jobhost, "rows/s");
  bench("csv_ingest.jobhost.rows_loaded", static_cast<double>(loaded), "rows");
  bench("csv_ingest.jobhost.rows_quarantined", static_cast<double>(rejected), "rows");
  bench("csv_ingest.sqlite3_import.seconds", t_import, "s");
  bench("csv_ingest.sqlite3_import.rows_per_second", static_cast<double>(rows) / t_import, "rows/s");
  bench("csv_ingest.sqlite3_import.rows_loaded", static_cast<double>(imported), "rows");
  bench("csv_ingest.speedup_vs_sqlite3_import", t_import / t_jobhost, "x");
  if (own_dir) std::filesystem::remove_all(dir);
  return loaded + rejected == rows && imported == rows ? 0 : 1;
}
