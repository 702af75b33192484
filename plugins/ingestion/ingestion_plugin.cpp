#include "jobs.hpp"
#include "schemas.hpp"

using namespace jobhost::ingestion;

JOBHOST_PLUGIN("ingestion", "0.1.0", "Loads CSV and JSON Lines files into SQLite tables (bronze)",
               JOBHOST_JOB(csv, "Loads CSV files (RFC 4180) into a SQLite table with typed columns", "1.0.0",
                           "path = \"data/sample/seattle-weather.csv\"   # a file or a glob\n"
                           "database = \"{{ params.warehouse }}\"\n"
                           "table = \"bronze_weather\"\n"
                           "# header = true\n# delimiter = \",\"\n"
                           "columns = { date = { type = \"DATE\", date_format = \"%Y/%m/%d\" }, "
                           "precipitation = \"REAL\" }\n"
                           "# mode = \"replace\"   # append | replace_partition\n"
                           "# partition_column = \"ds\"\n# partition_value = \"{{ run.logical_date }}\"\n"
                           "# quarantine_table = \"bronze_weather_rejects\"\n# max_bad_rows = 10\n")
                   .schema(kCsvSchema)
                   .outputs(kCsvOutputs)
                   .doc(kCsvDoc),
               JOBHOST_JOB(jsonl, "Loads JSON Lines files into a SQLite table, columns by JSON pointer", "1.0.0",
                           "path = \"data/events/*.jsonl\"\n"
                           "database = \"{{ params.warehouse }}\"\n"
                           "table = \"bronze_events\"\n"
                           "columns = { id = \"INTEGER\", user = { pointer = \"/user/name\" }, "
                           "ts = { pointer = \"/ts\", type = \"TIMESTAMP\" } }\n"
                           "# mode, partition_column, partition_value, quarantine_table, max_bad_rows: "
                           "as ingestion.csv\n")
                   .schema(kJsonlSchema)
                   .outputs(kJsonlOutputs)
                   .doc(kJsonlDoc))
