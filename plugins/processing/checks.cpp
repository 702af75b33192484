#include "checks.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "jobhost_common/config_keys.hpp"
#include "jobhost_common/identifiers.hpp"

namespace jobhost::processing {

using sql::quote_ident;
using sql::quote_literal;

namespace {

const std::map<std::string, std::vector<std::string>>& keys_by_type() {
  static const std::map<std::string, std::vector<std::string>> k = {
      {"not_null", {"type", "severity", "column"}},
      {"unique", {"type", "severity", "column", "columns"}},
      {"accepted_values", {"type", "severity", "column", "values"}},
      {"range", {"type", "severity", "column", "min", "max"}},
      {"expression", {"type", "severity", "expr"}},
      {"row_count", {"type", "severity", "min", "max"}},
      {"freshness", {"type", "severity", "column", "max_age"}},
  };
  return k;
}

std::string number_sql(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// "2d", "36h", "90m", "45s", "1w" -> days.
double parse_age(const std::string& s, const std::string& path) {
  size_t used = 0;
  double n = -1;
  try {
    n = std::stod(s, &used);
  } catch (const std::exception&) {
  }
  std::string unit = used < s.size() ? s.substr(used) : "";
  double per_day = unit == "s" ? 86400 : unit == "m" ? 1440 : unit == "h" ? 24 : unit == "d" ? 1 : unit == "w" ? 1.0 / 7 : 0;
  if (n < 0 || per_day == 0)
    throw FatalError("config: '" + path + "' = '" + s + "' is not a duration like \"45s\", \"90m\", \"36h\", \"2d\", \"1w\"");
  return n / per_day;
}

}  // namespace

std::vector<Check> read_checks(const Context& ctx, const std::string& table, const std::vector<std::string>& columns) {
  std::vector<Check> out;
  if (ctx.type_of("checks") != JH_TYPE_ARRAY) throw FatalError("config: 'checks' must be an array of tables");
  uint64_t n = ctx.size_of("checks");
  for (uint64_t i = 0; i < n; ++i) {
    std::string path = "checks[" + std::to_string(i) + "]";
    if (ctx.type_of(path) != JH_TYPE_TABLE) throw FatalError("config: '" + path + "' must be a table");
    Check c;
    c.index = i;
    c.type = common::require_string(ctx, path + ".type");
    auto known = keys_by_type().find(c.type);
    if (known == keys_by_type().end())
      throw FatalError("config: '" + path + ".type' = '" + c.type +
                       "' is not one of not_null, unique, accepted_values, range, expression, row_count, freshness");
    common::reject_unknown_keys(ctx, path, known->second);
    std::string severity = ctx.get_or(path + ".severity", "error");
    if (severity != "error" && severity != "warn")
      throw FatalError("config: '" + path + ".severity' = '" + severity + "' is not \"error\" or \"warn\"");
    c.warn_only = severity == "warn";
    c.label = "check " + std::to_string(i) + " (" + c.type;

    // A column the check names must exist: a typo must not make a check pass vacuously.
    auto column = [&](const std::string& key) {
      std::string name = common::require_string(ctx, path + "." + key);
      auto it = std::find_if(columns.begin(), columns.end(), [&](auto& col) { return sql::same_identifier(col, name); });
      if (it == columns.end()) {
        std::string list;
        for (auto& col : columns) list += (list.empty() ? "" : ", ") + col;
        throw FatalError(c.label + "): unknown column '" + name + "' in table '" + table + "' (columns: " + list + ")");
      }
      return name;
    };
    auto bound = [&](const std::string& key) -> std::optional<double> { return ctx.get<double>(path + "." + key); };

    if (c.type == "not_null") {
      std::string col = column("column");
      c.label += " " + col;
      c.failing_where = quote_ident(col) + " IS NULL";
    } else if (c.type == "unique") {
      if (ctx.has(path + ".column") == ctx.has(path + ".columns"))
        throw FatalError("config: '" + path + "' needs exactly one of 'column' or 'columns'");
      if (ctx.has(path + ".column")) {
        c.columns.push_back(column("column"));
      } else {
        auto names = ctx.strings(path + ".columns");
        if (names.empty()) throw FatalError("config: '" + path + ".columns' must not be empty");
        for (size_t k = 0; k < names.size(); ++k) c.columns.push_back(column("columns[" + std::to_string(k) + "]"));
      }
      for (auto& col : c.columns) c.label += " " + col;
    } else if (c.type == "accepted_values") {
      std::string col = column("column");
      c.label += " " + col;
      std::string vpath = path + ".values";
      if (ctx.type_of(vpath) != JH_TYPE_ARRAY || ctx.size_of(vpath) == 0)
        throw FatalError("config: '" + vpath + "' must be a non-empty array");
      std::string list;
      for (uint64_t k = 0; k < ctx.size_of(vpath); ++k) {
        std::string e = vpath + "[" + std::to_string(k) + "]";
        auto t = ctx.type_of(e);
        std::string lit = t == JH_TYPE_STRING ? quote_literal(ctx.require<std::string>(e))
                          : t == JH_TYPE_INT  ? std::to_string(ctx.require<int64_t>(e))
                          : t == JH_TYPE_DOUBLE ? number_sql(ctx.require<double>(e))
                                                : throw FatalError("config: '" + e + "' must be a string or a number");
        list += (list.empty() ? "" : ", ") + lit;
      }
      c.failing_where = quote_ident(col) + " IS NOT NULL AND " + quote_ident(col) + " NOT IN (" + list + ")";
    } else if (c.type == "range") {
      std::string col = column("column");
      c.label += " " + col;
      c.min = bound("min");
      c.max = bound("max");
      if (!c.min && !c.max) throw FatalError("config: '" + path + "' needs 'min', 'max' or both");
      std::string cond;
      if (c.min) cond = quote_ident(col) + " < " + number_sql(*c.min);
      if (c.max) cond += (cond.empty() ? "" : " OR ") + quote_ident(col) + " > " + number_sql(*c.max);
      c.failing_where = quote_ident(col) + " IS NOT NULL AND (" + cond + ")";
    } else if (c.type == "expression") {
      std::string expr = common::require_string(ctx, path + ".expr");
      c.label += " " + expr;
      // Rows where the expression is NULL pass: not_null is the check for missing values.
      c.failing_where = "NOT (" + expr + ")";
    } else if (c.type == "row_count") {
      c.min = bound("min");
      c.max = bound("max");
      if (!c.min && !c.max) throw FatalError("config: '" + path + "' needs 'min', 'max' or both");
    } else if (c.type == "freshness") {
      c.columns.push_back(column("column"));
      c.label += " " + c.columns[0];
      c.max_age_days = parse_age(common::require_string(ctx, path + ".max_age"), path + ".max_age");
    }
    c.label += ")";
    out.push_back(std::move(c));
  }
  return out;
}

namespace {
std::vector<std::string> render_rows(sql::Statement& st, size_t limit) {
  std::vector<std::string> rows;
  while (rows.size() < limit && st.step()) {
    std::string r;
    for (int i = 0; i < st.column_count(); ++i) r += (i ? ", " : "") + st.column_name(i) + "=" + st.render(i);
    rows.push_back(std::move(r));
  }
  return rows;
}
}  // namespace

CheckResult run_check(sql::Database& db, const std::string& table, const Check& c, std::string_view logical_date) {
  constexpr size_t kExamples = 5;
  const std::string t = quote_ident(table);
  CheckResult r;
  if (!c.failing_where.empty()) {
    auto count = db.prepare("SELECT count(*) FROM " + t + " WHERE " + c.failing_where, c.label);
    count.step();
    r.failed = count.get_int(0);
    if (r.failed > 0) {
      auto ex = db.prepare("SELECT * FROM " + t + " WHERE " + c.failing_where + " LIMIT " + std::to_string(kExamples),
                           c.label);
      r.examples = render_rows(ex, kExamples);
    }
  } else if (c.type == "unique") {
    std::string keys, not_null;
    for (auto& col : c.columns) {
      keys += (keys.empty() ? "" : ", ") + quote_ident(col);
      not_null += (not_null.empty() ? "" : " AND ") + quote_ident(col) + " IS NOT NULL";
    }
    std::string dups = "SELECT " + keys + ", count(*) AS occurrences FROM " + t + " WHERE " + not_null +
                       " GROUP BY " + keys + " HAVING count(*) > 1";
    auto count = db.prepare("SELECT coalesce(sum(occurrences), 0) FROM (" + dups + ")", c.label);
    count.step();
    r.failed = count.get_int(0);
    if (r.failed > 0) {
      auto ex = db.prepare(dups + " LIMIT " + std::to_string(kExamples), c.label);
      r.examples = render_rows(ex, kExamples);
    }
  } else if (c.type == "row_count") {
    auto count = db.prepare("SELECT count(*) FROM " + t, c.label);
    count.step();
    double n = static_cast<double>(count.get_int(0));
    if (c.min && n < *c.min) r.failed = static_cast<int64_t>(*c.min - n);
    if (c.max && n > *c.max) r.failed = static_cast<int64_t>(n - *c.max);
    if (r.failed) r.examples.push_back("rows=" + std::to_string(static_cast<int64_t>(n)));
  } else if (c.type == "freshness") {
    auto st = db.prepare("SELECT max(" + quote_ident(c.columns[0]) + "), julianday(max(" + quote_ident(c.columns[0]) +
                             ")) >= julianday(?1, '+1 day') - ?2, datetime(julianday(?1, '+1 day') - ?2) FROM " + t,
                         c.label);
    st.bind_text(1, logical_date);
    st.bind_double(2, c.max_age_days);
    st.step();
    bool fresh = !st.is_null(1) && st.get_int(1) == 1;
    if (!fresh) {
      r.failed = 1;
      r.examples.push_back("newest " + c.columns[0] + "=" + st.render(0) + ", required at least " + st.get_text(2));
    }
  }
  return r;
}

}  // namespace jobhost::processing
