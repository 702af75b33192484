// ingestion.jsonl: loads JSON Lines files (one object per line) into a SQLite table; each
// target column is read through a JSON pointer. Same modes and quarantine as ingestion.csv.
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "column_spec.hpp"
#include "file_glob.hpp"
#include "jobhost_common/config_keys.hpp"
#include "jobhost_common/job_errors.hpp"
#include "jobs.hpp"
#include "table_loader.hpp"
#include "value_parser.hpp"

namespace jobhost::ingestion {
namespace {

namespace json = boost::json;

// Binds one JSON value as the column's type; false with `reason` when it does not fit.
bool bind_json(ValueParser& parser, sql::Statement& st, int index, const ColumnSpec& spec, const json::value* v,
               std::string& scratch, std::string& reason) {
  if (!v || v->is_null()) {
    st.bind_null(index);
    return true;
  }
  if (v->is_string()) {
    const auto& s = v->get_string();
    return parser.bind(st, index, spec, std::string_view(s.data(), s.size()), scratch, reason);
  }
  switch (spec.type) {
    case ValueType::integer:
      if (v->is_int64()) return st.bind_int(index, v->get_int64()), true;
      if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(INT64_MAX))
        return st.bind_int(index, static_cast<int64_t>(v->get_uint64())), true;
      if (v->is_double() && v->get_double() == static_cast<double>(static_cast<int64_t>(v->get_double())))
        return st.bind_int(index, static_cast<int64_t>(v->get_double())), true;
      if (v->is_bool()) return st.bind_int(index, v->get_bool() ? 1 : 0), true;
      break;
    case ValueType::real:
      if (v->is_number()) return st.bind_double(index, v->to_number<double>()), true;
      break;
    case ValueType::text:
      scratch = json::serialize(*v);  // numbers, booleans, objects and arrays as JSON text
      st.bind_text(index, scratch);
      return true;
    default: break;
  }
  reason = "column '" + spec.name + "': JSON " + std::string(json::to_string(v->kind())) + " at '" + spec.pointer +
           "' is not a " + type_name(spec.type);
  return false;
}

Status run_jsonl(Context& ctx) {
  std::vector<std::string> keys = kLoadOptionKeys;
  keys.insert(keys.end(), {"path", "columns"});
  common::reject_unknown_keys(ctx, "", keys);
  std::string pattern = common::require_string(ctx, "path");
  auto columns = read_column_specs(ctx, true);
  if (columns.empty()) throw FatalError("config: missing required key 'columns'");
  LoadOptions options = read_load_options(ctx);
  auto files = expand_path(pattern);

  sql::Database db(options.database);
  TableLoader loader(ctx, db, options, columns);
  ValueParser parser;
  std::vector<std::string> scratch(columns.size());
  std::string reason, line;
  json::parser jp;
  int64_t rows_read = 0;
  for (auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw FatalError(file + ": cannot open");
    uint64_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      ++rows_read;
      if ((rows_read & 0x3fff) == 0 && ctx.cancelled()) return Status::cancelled();
      boost::system::error_code ec;
      jp.reset();
      jp.write(line, ec);
      if (ec) {
        loader.reject(file, line_no, "invalid JSON: " + ec.message(), line);
        continue;
      }
      json::value doc = jp.release();
      if (!doc.is_object()) {
        loader.reject(file, line_no, "not a JSON object", line);
        continue;
      }
      bool ok = true;
      for (size_t i = 0; i < columns.size() && ok; ++i) {
        boost::system::error_code pec;
        const json::value* v = doc.find_pointer(columns[i].pointer, pec);
        ok = bind_json(parser, loader.insert(), static_cast<int>(i + 1), columns[i], v, scratch[i], reason);
      }
      if (ok) loader.row_done();
      else loader.reject(file, line_no, reason, line);
    }
    if (in.bad()) throw FatalError(file + ": read error");
  }
  int64_t loaded = loader.finish();
  ctx.metric("rows_read", static_cast<double>(rows_read));
  ctx.set_output("rows_read", std::to_string(rows_read));
  ctx.log_info("loaded " + std::to_string(loaded) + " of " + std::to_string(rows_read) + " JSON lines into '" +
               options.table + "'");
  return Status::ok();
}

}  // namespace

Status jsonl(Context& ctx) { return common::run_named(ctx, run_jsonl); }

}  // namespace jobhost::ingestion
