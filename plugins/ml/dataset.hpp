// Reading numeric training data from SQLite and splitting it reproducibly.
#pragma once

#include <Eigen/Dense>

#include <cstdint>
#include <string>
#include <vector>

#include "jobhost_common/sqlite.hpp"

namespace jobhost::ml {

// FatalError "<context>: table 'T' has no column(s) 'a', 'b' (columns: ...)" unless every
// wanted column exists (names compare case-insensitively, as in SQLite).
void require_columns(const std::vector<sql::ColumnInfo>& have, const std::vector<std::string>& wanted,
                     const std::string& table, const std::string& context = {});

// Column `i` of the current row as a number. Integers and reals as they are; text that is a
// complete number is accepted (SQLite stores numbers as text in untyped columns); anything
// else is a FatalError naming the column.
double numeric_value(const sql::Statement& st, int i, const std::string& column);

struct TrainingData {
  Eigen::MatrixXd features;  // one row per sample, one column per feature
  Eigen::VectorXd target;
  int64_t skipped_null = 0;  // rows left out because a used column was NULL
};

// Rows of `table` (filtered by `where` when not empty) with no NULL in `features` or `target`.
// Rows come back sorted by value, so the result does not depend on storage or index order.
TrainingData load_training_data(sql::Database& db, const std::string& table,
                                const std::vector<std::string>& features,
                                const std::string& target, const std::string& where);

// 0..n-1 shuffled by Fisher-Yates over std::mt19937_64(seed), drawing bounded integers by
// rejection: identical on every platform and standard library for the same (n, seed).
std::vector<size_t> shuffled_indices(size_t n, uint64_t seed);

}  // namespace jobhost::ml
