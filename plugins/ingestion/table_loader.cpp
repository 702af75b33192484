#include "table_loader.hpp"

#include <algorithm>

#include "jobhost_common/config_keys.hpp"
#include "jobhost_common/identifiers.hpp"
#include "jobhost_common/materialize.hpp"

namespace jobhost::ingestion {

using sql::quote_ident;
using sql::same_identifier;

const std::vector<std::string> kLoadOptionKeys = {"database",       "table",           "mode",
                                                  "partition_column", "partition_value", "quarantine_table",
                                                  "max_bad_rows"};

LoadOptions read_load_options(const Context& ctx) {
  LoadOptions o;
  o.database = common::require_string(ctx, "database");
  o.table = common::require_string(ctx, "table");
  std::string mode = ctx.get_or("mode", "replace");
  if (mode == "replace") o.mode = LoadMode::replace;
  else if (mode == "append") o.mode = LoadMode::append;
  else if (mode == "replace_partition") o.mode = LoadMode::replace_partition;
  else throw FatalError("config: 'mode' = '" + mode + "' is not one of replace, append, replace_partition");
  if (o.mode == LoadMode::replace_partition) {
    o.partition_column = common::require_string(ctx, "partition_column");
    o.partition_value = ctx.require<std::string>("partition_value");
  } else if (ctx.has("partition_column") || ctx.has("partition_value")) {
    throw FatalError("config: 'partition_column' and 'partition_value' need mode = \"replace_partition\"");
  }
  o.quarantine_table = ctx.get_or("quarantine_table", "");
  o.max_bad_rows = o.quarantine_table.empty() ? 0 : -1;
  if (auto m = ctx.get<int64_t>("max_bad_rows")) {
    if (*m < 0) throw FatalError("config: 'max_bad_rows' must be >= 0");
    o.max_bad_rows = *m;
  }
  if (!o.quarantine_table.empty() && same_identifier(o.quarantine_table, o.table))
    throw FatalError("config: 'quarantine_table' must differ from 'table'");
  return o;
}

TableLoader::TableLoader(const Context& ctx, sql::Database& db, LoadOptions options, std::vector<ColumnSpec> columns)
    : ctx_(ctx), db_(db), opt_(std::move(options)), columns_(std::move(columns)), tx_(db) {
  const std::string& table = opt_.table;
  bool partitioned = opt_.mode == LoadMode::replace_partition;
  if (partitioned) {
    for (auto& c : columns_)
      if (same_identifier(c.name, opt_.partition_column))
        throw FatalError("config: partition_column '" + opt_.partition_column +
                         "' is also a column of the input; the partition value comes from partition_value");
  }
  std::string defs;
  for (auto& c : columns_) defs += (defs.empty() ? "" : ", ") + quote_ident(c.name) + " " + sql_type(c.type);
  if (partitioned) defs += ", " + quote_ident(opt_.partition_column) + " TEXT";

  if (opt_.mode == LoadMode::replace) {
    dest_ = common::staging_name(table);
    db_.exec("DROP TABLE IF EXISTS " + quote_ident(dest_), "dropping a leftover staging table");
    db_.exec("CREATE TABLE " + quote_ident(dest_) + " (" + defs + ")", "creating the staging table for " + table);
  } else {
    dest_ = table;
    auto existing = db_.columns(table);
    if (existing.empty()) {
      db_.exec("CREATE TABLE " + quote_ident(table) + " (" + defs + ")", "creating table " + table);
    } else {
      auto check = [&](const std::string& name) {
        if (std::none_of(existing.begin(), existing.end(), [&](auto& e) { return same_identifier(e, name); }))
          throw FatalError("table '" + table + "' in " + opt_.database + " has no column '" + name +
                           "' (drop it or use mode = \"replace\" to recreate it)");
      };
      for (auto& c : columns_) check(c.name);
      if (partitioned) check(opt_.partition_column);
    }
    if (partitioned) {
      auto del = db_.prepare("DELETE FROM " + quote_ident(table) + " WHERE " + quote_ident(opt_.partition_column) +
                                 " = ?1",
                             "deleting partition '" + opt_.partition_value + "' of " + table);
      del.bind_text(1, opt_.partition_value);
      del.run();
      replaced_ = sqlite3_changes64(db_.raw());
    }
  }

  std::string names, params;
  int n = 0;
  for (auto& c : columns_) {
    names += (n ? ", " : "") + quote_ident(c.name);
    params += (n ? ", ?" : "?") + std::to_string(n + 1);
    ++n;
  }
  if (partitioned) {
    names += ", " + quote_ident(opt_.partition_column);
    params += ", ?" + std::to_string(n + 1);
  }
  insert_ = db_.prepare("INSERT INTO " + quote_ident(dest_) + " (" + names + ") VALUES (" + params + ")",
                        "inserting into " + table);
  if (partitioned) insert_.bind_text_copy(n + 1, opt_.partition_value);
  if (!opt_.quarantine_table.empty()) prepare_quarantine();
}

void TableLoader::prepare_quarantine() {
  const std::string& q = opt_.quarantine_table;
  db_.exec("CREATE TABLE IF NOT EXISTS " + quote_ident(q) +
               " (target_table TEXT, partition_value TEXT, source_file TEXT, line_number INTEGER, reason TEXT,"
               " raw_line TEXT, run_id TEXT, job_name TEXT)",
           "creating quarantine table " + q);
  // Rejects belong to what this load replaces: a rerun must not accumulate them.
  if (opt_.mode != LoadMode::append) {
    auto del = db_.prepare("DELETE FROM " + quote_ident(q) + " WHERE target_table = ?1" +
                               (opt_.mode == LoadMode::replace_partition ? " AND partition_value = ?2" : ""),
                           "clearing earlier rejects in " + q);
    del.bind_text(1, opt_.table);
    if (opt_.mode == LoadMode::replace_partition) del.bind_text(2, opt_.partition_value);
    del.run();
  }
  quarantine_ = db_.prepare("INSERT INTO " + quote_ident(q) +
                                " (target_table, partition_value, source_file, line_number, reason, raw_line, run_id,"
                                " job_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            "writing to quarantine table " + q);
}

void TableLoader::row_done() {
  insert_.step();
  insert_.reset();
  ++loaded_;
}

void TableLoader::reject(const std::string& file, uint64_t line, const std::string& reason, std::string_view raw) {
  ++rejected_;
  std::string where = file + ":" + std::to_string(line);
  if (opt_.max_bad_rows >= 0 && rejected_ > opt_.max_bad_rows) {
    std::string msg = where + ": " + reason;
    if (opt_.max_bad_rows > 0 || !opt_.quarantine_table.empty())
      msg += " (" + std::to_string(rejected_) + " bad rows, more than max_bad_rows = " +
             std::to_string(opt_.max_bad_rows) + ")";
    throw FatalError(msg + "; nothing was written to '" + opt_.table + "'");
  }
  if (rejected_ <= 10) ctx_.log_warn("rejected " + where + ": " + reason);
  if (!quarantine_.raw()) return;
  if (opt_.mode == LoadMode::replace_partition) quarantine_.bind_text(2, opt_.partition_value);
  else quarantine_.bind_null(2);
  quarantine_.bind_text(1, opt_.table);
  quarantine_.bind_text(3, file);
  quarantine_.bind_int(4, static_cast<int64_t>(line));
  quarantine_.bind_text(5, reason);
  quarantine_.bind_text(6, raw);
  quarantine_.bind_text(7, ctx_.run_id());
  quarantine_.bind_text(8, ctx_.job_name());
  quarantine_.step();
  quarantine_.reset();
}

int64_t TableLoader::finish() {
  if (opt_.mode == LoadMode::replace) common::swap_in(db_, dest_, opt_.table);
  // Finalise our statements before COMMIT so no statement holds the table.
  insert_ = sql::Statement();
  quarantine_ = sql::Statement();
  tx_.commit();
  ctx_.metric("rows_loaded", static_cast<double>(loaded_));
  ctx_.metric("rows_rejected", static_cast<double>(rejected_));
  ctx_.set_output("rows_loaded", std::to_string(loaded_));
  ctx_.set_output("rows_rejected", std::to_string(rejected_));
  ctx_.set_output("table", opt_.table);
  if (opt_.mode == LoadMode::replace_partition) ctx_.metric("rows_replaced", static_cast<double>(replaced_));
  return loaded_;
}

}  // namespace jobhost::ingestion
