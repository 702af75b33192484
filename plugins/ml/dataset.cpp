#include "dataset.hpp"

#include <algorithm>
#include <cstdlib>
#include <random>

#include "jobhost_common/identifiers.hpp"

namespace jobhost::ml {
namespace {

// A uniform integer in [0, bound] without modulo bias and without
// std::uniform_int_distribution, whose algorithm differs between standard libraries.
uint64_t bounded(std::mt19937_64& rng, uint64_t bound) {
  if (bound == UINT64_MAX) return rng();
  const uint64_t range = bound + 1;
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % range + 1) % range;
  uint64_t v;
  do {
    v = rng();
  } while (v > limit);
  return v % range;
}

}  // namespace

void require_columns(const std::vector<sql::ColumnInfo>& have, const std::vector<std::string>& wanted,
                     const std::string& table, const std::string& context) {
  std::vector<std::string> missing;
  for (auto& w : wanted)
    if (std::none_of(have.begin(), have.end(), [&](auto& c) { return sql::same_identifier(c.name, w); }))
      missing.push_back(w);
  if (missing.empty()) return;
  std::string msg = (context.empty() ? "" : context + ": ") + "table '" + table + "' has no column" + (missing.size() > 1 ? "s " : " ");
  for (size_t i = 0; i < missing.size(); ++i) msg += (i ? ", '" : "'") + missing[i] + "'";
  msg += " (columns: ";
  for (size_t i = 0; i < have.size(); ++i) msg += (i ? ", " : "") + have[i].name;
  throw FatalError(msg + ")");
}

double numeric_value(const sql::Statement& st, int i, const std::string& column) {
  switch (sqlite3_column_type(st.raw(), i)) {
    case SQLITE_INTEGER: return static_cast<double>(st.get_int(i));
    case SQLITE_FLOAT: return st.get_double(i);
    case SQLITE_TEXT: {
      std::string text = st.get_text(i);
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (!text.empty() && end && *end == '\0') return v;
      throw FatalError("column '" + column + "' holds a non-numeric value '" + text.substr(0, 40) + "'");
    }
    default: throw FatalError("column '" + column + "' holds a non-numeric value");
  }
}

TrainingData load_training_data(sql::Database& db, const std::string& table,
                                const std::vector<std::string>& features,
                                const std::string& target, const std::string& where) {
  std::vector<std::string> used = features;
  used.push_back(target);
  std::string query = "SELECT ";
  for (size_t i = 0; i < used.size(); ++i) query += (i ? ", " : "") + sql::quote_ident(used[i]);
  query += " FROM " + sql::quote_ident(table);
  if (!where.empty()) query += " WHERE " + where;
  auto st = db.prepare(query, "reading training rows from '" + table + "'");

  TrainingData data;
  std::vector<std::vector<double>> rows;
  const int n_cols = static_cast<int>(used.size());
  while (st.step()) {
    bool has_null = false;
    for (int c = 0; c < n_cols && !has_null; ++c)
      has_null = st.is_null(c);
    if (has_null) {
      ++data.skipped_null;
      continue;
    }
    std::vector<double> row(used.size());
    for (int c = 0; c < n_cols; ++c) row[c] = numeric_value(st, c, used[c]);
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end());

  const auto n = static_cast<Eigen::Index>(rows.size());
  const auto p = static_cast<Eigen::Index>(features.size());
  data.features.resize(n, p);
  data.target.resize(n);
  for (Eigen::Index r = 0; r < n; ++r) {
    for (Eigen::Index c = 0; c < p; ++c) data.features(r, c) = rows[r][c];
    data.target(r) = rows[r][p];
  }
  return data;
}

std::vector<size_t> shuffled_indices(size_t n, uint64_t seed) {
  std::vector<size_t> idx(n);
  for (size_t i = 0; i < n; ++i) idx[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(idx[i - 1], idx[bounded(rng, i - 1)]);
  return idx;
}

}  // namespace jobhost::ml
