#include "jobhost_common/materialize.hpp"

#include <algorithm>
#include <cctype>

#include "jobhost_common/identifiers.hpp"

namespace jobhost::common {

using sql::quote_ident;
using sql::same_identifier;

std::vector<ColumnType> read_column_types(const Context& ctx, std::string_view key) {
  std::vector<ColumnType> out;
  if (!ctx.has(key)) return out;
  if (ctx.type_of(key) != JH_TYPE_TABLE)
    throw FatalError("config: '" + std::string(key) + "' must be a table of column = \"TYPE\"");
  for (auto& column : ctx.keys(key)) {
    std::string path = std::string(key) + "." + column;
    std::string type = ctx.require<std::string>(path);
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::toupper(c); });
    if (type != "TEXT" && type != "INTEGER" && type != "REAL" && type != "NUMERIC" && type != "BLOB")
      throw FatalError("config: '" + path + "' = '" + type + "' is not one of TEXT, INTEGER, REAL, NUMERIC, BLOB");
    out.push_back({column, type});
  }
  return out;
}

std::string staging_name(std::string_view target) { return "_jobhost_staging_" + std::string(target); }

void swap_in(sql::Database& db, std::string_view staging, std::string_view target) {
  db.exec("DROP TABLE IF EXISTS " + quote_ident(target), "dropping the old " + quote_ident(target));
  // Legacy rename does not re-parse views and triggers that mention the old table: a user's
  // view over the target must not block replacing it.
  db.exec("PRAGMA legacy_alter_table = ON", "materialising");
  db.exec("ALTER TABLE " + quote_ident(staging) + " RENAME TO " + quote_ident(target),
          "renaming the staging table to " + quote_ident(target));
  db.exec("PRAGMA legacy_alter_table = OFF", "materialising");
}

int64_t materialize(sql::Database& db, std::string_view target, sql::Statement& query,
                    const std::vector<ColumnType>& types) {
  int n = query.column_count();
  if (n == 0) throw FatalError(query.what() + ": materialising into '" + std::string(target) +
                               "' needs a query that returns rows (SELECT, WITH or VALUES)");
  std::vector<std::string> names;
  std::string defs;
  for (int i = 0; i < n; ++i) {
    std::string name = query.column_name(i);
    if (name.empty()) throw FatalError(query.what() + ": result column " + std::to_string(i + 1) + " has no name");
    for (auto& prev : names)
      if (same_identifier(prev, name))
        throw FatalError(query.what() + ": the query returns column '" + name +
                         "' twice; give each result column a distinct name (AS ...)");
    names.push_back(name);
    std::string type = query.column_decltype(i);
    for (auto& t : types)
      if (same_identifier(t.column, name)) type = t.type;
    defs += (i ? ", " : "") + quote_ident(name) + (type.empty() ? "" : " " + type);
  }
  for (auto& t : types) {
    if (std::none_of(names.begin(), names.end(), [&](auto& c) { return same_identifier(c, t.column); })) {
      std::string list;
      for (auto& c : names) list += (list.empty() ? "" : ", ") + c;
      throw FatalError("config: column_types names '" + t.column + "', which the query for '" +
                       std::string(target) + "' does not return (columns: " + list + ")");
    }
  }
  std::string staging = staging_name(target);
  db.exec("DROP TABLE IF EXISTS " + quote_ident(staging), "dropping a leftover staging table");
  db.exec("CREATE TABLE " + quote_ident(staging) + " (" + defs + ")", "creating the staging table for " +
                                                                          quote_ident(target));
  auto insert = db.prepare("INSERT INTO " + quote_ident(staging) + " " + query.sql(), query.what());
  insert.run();
  int64_t rows = sqlite3_changes64(db.raw());
  swap_in(db, staging, target);
  return rows;
}

}  // namespace jobhost::common
