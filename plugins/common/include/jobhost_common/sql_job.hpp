// The body shared by processing.sql and aggregation.sql: run SQL against a database in one
// transaction, optionally materialising the last statement's rows into a target table.
#pragma once

#include <jobhost/sdk.hpp>

namespace jobhost::common {

struct SqlJobOptions {
  bool target_required = false;
};

// Config: database, sql | sql_file, target, column_types. See docs/plugins/processing.md.
// Metrics/outputs: statements; with a target, rows (rows now in the target); without,
// changes (rows inserted/updated/deleted).
Status run_sql_job(Context& ctx, SqlJobOptions options);

}  // namespace jobhost::common
