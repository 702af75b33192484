#include "jobs.hpp"
#include "schemas.hpp"

using namespace jobhost::aggregation;

JOBHOST_PLUGIN("aggregation", "0.1.0", "Materialises aggregate (gold) tables in SQLite atomically",
               JOBHOST_JOB(sql, "Materialises a query into a table atomically", "1.0.0",
                           "database = \"{{ params.warehouse }}\"\n"
                           "sql_file = \"sql/gold_weather_monthly.sql\"   # or sql = \"SELECT ...\"\n"
                           "target = \"gold_weather_monthly\"\n"
                           "# column_types = { month = \"TEXT\", days = \"INTEGER\" }\n")
                   .schema(kSqlSchema)
                   .outputs(kSqlOutputs)
                   .doc(kSqlDoc),
               JOBHOST_JOB(rollup, "Declarative GROUP BY rollup of a table into another, atomically", "1.0.0",
                           "database = \"{{ params.warehouse }}\"\n"
                           "source = \"silver_weather\"\n"
                           "target = \"gold_weather_monthly\"\n"
                           "group_by = [{ name = \"month\", expr = \"substr(date, 1, 7)\" }]   # or [\"column\"]\n"
                           "measures = { days = \"count(*)\", avg_temp_max = \"avg(temp_max)\" }\n"
                           "# where = \"date >= '2013-01-01'\"\n"
                           "# column_types = { days = \"INTEGER\" }\n")
                   .schema(kRollupSchema)
                   .outputs(kRollupOutputs)
                   .doc(kRollupDoc))
