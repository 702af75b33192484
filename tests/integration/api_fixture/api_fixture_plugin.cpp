// The api_fixture plugin: greet_job.hpp's function as a plugin job type "api_fixture.greet".
#include "greet_job.hpp"

using api_fixture::greet;

JOBHOST_PLUGIN("api_fixture", "1.0.0", "Fluent API test fixture",
               JOBHOST_JOB(greet, "Greets config.name", "1.0.0", "name = \"you\""));
