#include "jobs.hpp"
#include "schemas.hpp"

using namespace jobhost::ml;

JOBHOST_PLUGIN("ml", "0.1.0", "Machine-learning jobs on SQLite tables: linear regression, scoring",
               JOBHOST_JOB(linear_regression,
                           "Fits ordinary least squares on table columns and writes a JSON model",
                           "1.0.0",
                           "database = \"{{ params.warehouse }}\"\ntable = \"silver_weather\"\n"
                           "features = [\"temp_min\", \"precipitation\", \"wind\"]\ntarget = \"temp_max\"\n"
                           "model_path = \".jobhost/models/temp_max.json\"\n"
                           "# test_fraction = 0.2\n# seed = 42\n# where = \"date >= '2013-01-01'\"\n")
                   .schema(kLinearRegressionSchema)
                   .outputs(kLinearRegressionOutputs)
                   .doc(kLinearRegressionDoc),
               JOBHOST_JOB(predict, "Scores a table with a model file into a predictions table",
                           "1.0.0",
                           "database = \"{{ params.warehouse }}\"\ntable = \"silver_weather\"\n"
                           "model_path = \".jobhost/models/temp_max.json\"\n"
                           "target_table = \"gold_weather_predictions\"\nid_columns = [\"date\"]\n"
                           "# prediction_column = \"prediction\"\n# where = \"...\"\n")
                   .schema(kPredictSchema)
                   .outputs(kPredictOutputs)
                   .doc(kPredictDoc))
