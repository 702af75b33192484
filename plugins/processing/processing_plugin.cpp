#include "jobs.hpp"
#include "schemas.hpp"

using namespace jobhost::processing;

JOBHOST_PLUGIN("processing", "0.1.0", "Transforms (SQL) and validates (data-quality checks) SQLite tables (silver)",
               JOBHOST_JOB(sql, "Runs SQL in one transaction; optionally materialises a query into a table atomically",
                           "1.0.0",
                           "database = \"{{ params.warehouse }}\"\n"
                           "sql = \"SELECT DISTINCT * FROM bronze_weather\"   # or sql_file = \"sql/clean.sql\"\n"
                           "target = \"silver_weather\"\n"
                           "# column_types = { date = \"TEXT\", precipitation = \"REAL\" }\n")
                   .schema(kSqlSchema)
                   .outputs(kSqlOutputs)
                   .doc(kSqlDoc),
               JOBHOST_JOB(validate, "Data-quality checks on a table; an error-severity failure fails the job",
                           "1.0.0",
                           "database = \"{{ params.warehouse }}\"\n"
                           "table = \"silver_weather\"\n"
                           "checks = [\n"
                           "  { type = \"not_null\", column = \"date\" },\n"
                           "  { type = \"unique\", columns = [\"date\"] },\n"
                           "  { type = \"accepted_values\", column = \"weather\", values = [\"rain\", \"sun\"] },\n"
                           "  { type = \"range\", column = \"precipitation\", min = 0 },\n"
                           "  { type = \"expression\", expr = \"temp_min <= temp_max\", severity = \"warn\" },\n"
                           "  { type = \"row_count\", min = 1 },\n"
                           "  { type = \"freshness\", column = \"ts\", max_age = \"2d\" },\n"
                           "]\n")
                   .schema(kValidateSchema)
                   .outputs(kValidateOutputs)
                   .doc(kValidateDoc))
