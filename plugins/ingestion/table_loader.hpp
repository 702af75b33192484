// Writes loaded rows into the target table with the write mode's guarantees, all inside ONE
// transaction that commits only in finish():
//  - replace: rows go to a staging table that replaces the target at the end;
//  - append: rows are added to the target (created when absent);
//  - replace_partition: rows whose partition_column = partition_value are deleted, then the
//    new rows are inserted with that value.
// Rejected rows go to the quarantine table (keyed by target and partition, so a rerun
// replaces the earlier rejects instead of adding to them). Exceeding max_bad_rows throws,
// and nothing at all is written.
#pragma once

#include <jobhost/sdk.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "column_spec.hpp"
#include "jobhost_common/sqlite.hpp"

namespace jobhost::ingestion {

enum class LoadMode { replace, append, replace_partition };

struct LoadOptions {
  std::string database;
  std::string table;
  LoadMode mode = LoadMode::replace;
  std::string partition_column;
  std::string partition_value;
  std::string quarantine_table;  // empty: none
  int64_t max_bad_rows = 0;      // rejected rows tolerated; -1 = unlimited
};

// The keys read_load_options() understands, for reject_unknown_keys().
extern const std::vector<std::string> kLoadOptionKeys;

// Reads database, table, mode, partition_column, partition_value, quarantine_table and
// max_bad_rows (default: unlimited with a quarantine table, else 0).
LoadOptions read_load_options(const Context& ctx);

class TableLoader {
 public:
  // Starts the transaction and prepares the target; FatalError when an existing target lacks
  // one of `columns` or the partition column.
  TableLoader(const Context& ctx, sql::Database& db, LoadOptions options, std::vector<ColumnSpec> columns);

  // The insert for one row: parameter i+1 is columns[i]. Bind, then call row_done().
  sql::Statement& insert() { return insert_; }
  void row_done();
  // Records a rejected row; throws FatalError once more than max_bad_rows were rejected.
  void reject(const std::string& file, uint64_t line, const std::string& reason, std::string_view raw);

  // Swaps in / commits and reports rows_loaded and rows_rejected (the caller reports
  // rows_read). Returns rows loaded.
  int64_t finish();

  int64_t rows_loaded() const { return loaded_; }
  int64_t rows_rejected() const { return rejected_; }

 private:
  void prepare_quarantine();

  const Context& ctx_;
  sql::Database& db_;
  LoadOptions opt_;
  std::vector<ColumnSpec> columns_;
  sql::Transaction tx_;
  std::string dest_;  // where rows are inserted: the target or its staging table
  sql::Statement insert_;
  sql::Statement quarantine_;
  int64_t loaded_ = 0, rejected_ = 0;
  int64_t replaced_ = 0;
};

}  // namespace jobhost::ingestion
