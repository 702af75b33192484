// Crash files as the next start reads them (state/crash_records.hpp): only complete, well-formed
// lines of the dead process count, and the verdict words each attempt's error from the last one.
#include <catch2/catch.hpp>

#include "state/crash_records.hpp"
#include "support.hpp"

using namespace jobhost::state;
using jobhost::test::TempDir;
using jobhost::test::write_file;

namespace {

const std::string kJobLine = "jobhost-crash 1\t4242\t11\tSIGSEGV\tchain-20261128-abc123\t2\tboom\t3\n";
const std::string kOutsideLine = "jobhost-crash 1\t4242\t6\tSIGABRT\t\t\t\t\n";

}  // namespace

TEST_CASE("crash records: complete lines of the dead process count, others are ignored",
          "[isolation][crash_records]") {
  TempDir dir;
  write_file(crash_file_path(dir.str(), 4242),
             "garbage\n" +                                                   // not a record
                 std::string("jobhost-crash 1\t999\t11\tSIGSEGV\t\t\t\t\n") +  // another pid
                 "jobhost-crash 1\t4242\t11\tSIGSEGV\trun\tx\tboom\t1\n" +      // try not a number
                 kJobLine + kJobLine.substr(0, 20));                          // the last cut short
  auto records = read_crash_records(dir.str(), 4242);
  REQUIRE(records.size() == 1);
  CHECK(records[0].pid == 4242);
  CHECK(records[0].signal == 11);
  CHECK(records[0].signal_name == "SIGSEGV");
  CHECK(records[0].run_id == "chain-20261128-abc123");
  CHECK(records[0].try_number == 2);
  CHECK(records[0].job == "boom");
  CHECK(records[0].attempt == 3);
  CHECK(read_crash_records(dir.str(), 7).empty());  // no file
  CHECK(crash_dir_for_store("/var/lib/jobhost/state.db") == "/var/lib/jobhost/crashes");
}

TEST_CASE("crash records: the verdict names the crashed attempt and the job for the others",
          "[isolation][crash_records]") {
  TempDir dir;
  write_file(crash_file_path(dir.str(), 4242), kJobLine);
  const auto records = read_crash_records(dir.str(), 4242);

  const CrashVerdict same(records, "chain-20261128-abc123", 2);
  CHECK(same.error_for("boom", 3) == "host crashed during job boom: signal 11 (SIGSEGV)");
  CHECK(same.error_for("boom", 2) == "host lost (it crashed during job boom: signal 11 (SIGSEGV))");
  CHECK(same.error_for("other", 1) == "host lost (it crashed during job boom: signal 11 (SIGSEGV))");
  CHECK(same.summary() == "host crashed during job boom: signal 11 (SIGSEGV)");
  REQUIRE(same.crashed_attempt());

  // A daemon that ran two runs: the other run's attempts learn where it crashed.
  const CrashVerdict other(records, "other-20261128-def456", 1);
  CHECK(other.error_for("boom", 3) ==
        "host lost (it crashed during job boom of run chain-20261128-abc123: signal 11 (SIGSEGV))");
  CHECK(!other.crashed_attempt());

  write_file(crash_file_path(dir.str(), 4242), kOutsideLine);
  const CrashVerdict outside(read_crash_records(dir.str(), 4242), "chain-20261128-abc123", 2);
  CHECK(outside.error_for("boom", 3) == "host lost (it crashed outside any job: signal 6 (SIGABRT))");
  CHECK(outside.summary() == "host crashed outside any job: signal 6 (SIGABRT)");

  const CrashVerdict none({}, "chain-20261128-abc123", 2);
  CHECK(!none.crashed());
  CHECK(none.error_for("boom", 3) == "host lost");
  CHECK(none.summary().empty());
}
