// ingestion.csv: streams CSV files into a SQLite table with typed columns, in one
// transaction, with the write modes and quarantine of TableLoader.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "column_spec.hpp"
#include "csv_reader.hpp"
#include "file_glob.hpp"
#include "jobhost_common/config_keys.hpp"
#include "jobhost_common/identifiers.hpp"
#include "jobhost_common/job_errors.hpp"
#include "jobs.hpp"
#include "table_loader.hpp"
#include "value_parser.hpp"

namespace jobhost::ingestion {
namespace {

char read_delimiter(const Context& ctx) {
  std::string d = ctx.get_or("delimiter", ",");
  if (d == "\\t" || d == "tab") d = "\t";
  if (d.size() != 1 || d == "\"" || d == "\n" || d == "\r")
    throw FatalError("config: 'delimiter' must be one character other than a quote or line break, not '" + d + "'");
  return d[0];
}

// The target columns: the header's names (typed from `columns`, TEXT otherwise), or the
// `columns` table itself when the file has no header.
std::vector<ColumnSpec> target_columns(const std::vector<std::string>& header, const std::vector<ColumnSpec>& typed,
                                       const std::string& file) {
  std::vector<ColumnSpec> out;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string& name = header[i];
    if (name.empty()) throw FatalError(file + ":1: header field " + std::to_string(i + 1) + " is empty");
    for (size_t j = 0; j < i; ++j)
      if (sql::same_identifier(header[j], name))
        throw FatalError(file + ":1: header names column '" + name + "' twice");
    ColumnSpec spec;
    spec.name = name;
    for (auto& t : typed)
      if (sql::same_identifier(t.name, name)) spec = t, spec.name = name;
    out.push_back(std::move(spec));
  }
  for (auto& t : typed) {
    if (std::none_of(header.begin(), header.end(), [&](auto& h) { return sql::same_identifier(h, t.name); })) {
      std::string list;
      for (auto& h : header) list += (list.empty() ? "" : ", ") + h;
      throw FatalError("config: 'columns." + t.name + "' is not a column of " + file + " (header: " + list + ")");
    }
  }
  return out;
}

Status run_csv(Context& ctx) {
  std::vector<std::string> keys = kLoadOptionKeys;
  keys.insert(keys.end(), {"path", "header", "delimiter", "columns"});
  common::reject_unknown_keys(ctx, "", keys);
  std::string pattern = common::require_string(ctx, "path");
  bool header = ctx.get_or<bool>("header", true);
  char delimiter = read_delimiter(ctx);
  auto typed = read_column_specs(ctx, false);
  LoadOptions options = read_load_options(ctx);
  if (!header && typed.empty()) throw FatalError("config: 'columns' is required when header = false");
  auto files = expand_path(pattern);

  // The first file's header fixes the target columns; every other file must agree.
  std::vector<std::string> first_header;
  std::vector<ColumnSpec> columns = typed;
  CsvRecord rec;
  if (header) {
    CsvReader reader(files[0], delimiter);
    if (!reader.next(rec)) throw FatalError(files[0] + ": the file is empty (a header row was expected)");
    if (!rec.error.empty()) throw FatalError(files[0] + ":" + std::to_string(rec.line) + ": header: " + rec.error);
    first_header.assign(rec.fields.begin(), rec.fields.end());
    columns = target_columns(first_header, typed, files[0]);
  }

  sql::Database db(options.database);
  TableLoader loader(ctx, db, options, columns);
  ValueParser parser;
  std::vector<std::string> scratch(columns.size());
  std::string reason;
  const size_t width = columns.size();
  int64_t rows_read = 0;
  uint64_t total_bytes = 0, done_bytes = 0;
  for (auto& f : files) total_bytes += std::filesystem::file_size(f);

  for (auto& file : files) {
    CsvReader reader(file, delimiter);
    if (header) {
      if (!reader.next(rec)) throw FatalError(file + ": the file is empty (a header row was expected)");
      std::vector<std::string> h(rec.fields.begin(), rec.fields.end());
      if (!rec.error.empty() || h != first_header)
        throw FatalError(file + ":" + std::to_string(rec.line) + ": the header differs from the one in " + files[0]);
    }
    while (reader.next(rec)) {
      ++rows_read;
      if ((rows_read & 0x3fff) == 0) {
        if (ctx.cancelled()) return Status::cancelled();
        if (total_bytes) ctx.progress(static_cast<double>(done_bytes + reader.bytes_consumed()) / total_bytes);
      }
      if (!rec.error.empty()) {
        loader.reject(file, rec.line, rec.error, rec.raw);
        continue;
      }
      if (rec.fields.size() != width) {
        loader.reject(file, rec.line,
                      "expected " + std::to_string(width) + " fields, found " + std::to_string(rec.fields.size()),
                      rec.raw);
        continue;
      }
      bool ok = true;
      auto& insert = loader.insert();
      for (size_t i = 0; i < width && ok; ++i)
        ok = parser.bind(insert, static_cast<int>(i + 1), columns[i], rec.fields[i], scratch[i], reason);
      if (ok) loader.row_done();
      else loader.reject(file, rec.line, reason, rec.raw);
    }
    done_bytes += reader.file_size();
  }
  int64_t loaded = loader.finish();
  ctx.metric("rows_read", static_cast<double>(rows_read));
  ctx.set_output("rows_read", std::to_string(rows_read));
  ctx.log_info("loaded " + std::to_string(loaded) + " of " + std::to_string(rows_read) + " rows from " +
               std::to_string(files.size()) + " file(s) into '" + options.table + "' (" +
               std::to_string(loader.rows_rejected()) + " rejected)");
  return Status::ok();
}

}  // namespace

Status csv(Context& ctx) { return common::run_named(ctx, run_csv); }

}  // namespace jobhost::ingestion
