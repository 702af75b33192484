// util/logical_time: what --date accepts, its normal form, defaults and run id stamps.
#include <catch2/catch.hpp>

#include "util/logical_time.hpp"

using namespace jobhost;

namespace {
std::string why_not(const std::string& text) {
  std::string why;
  auto key = normalize_logical_time(text, &why);
  return key ? "accepted as " + *key : why;
}
}  // namespace

TEST_CASE("logical time: a date stays as it is and an instant is normalised to UTC",
          "[logical_time]") {
  CHECK(normalize_logical_time("2026-11-28", nullptr) == "2026-11-28");
  CHECK(normalize_logical_time("2024-02-29", nullptr) == "2024-02-29");
  CHECK(normalize_logical_time("2026-12-01T13:00:00Z", nullptr) == "2026-12-01T13:00:00Z");
  CHECK(normalize_logical_time("2026-12-01t13:00:00z", nullptr) == "2026-12-01T13:00:00Z");
  CHECK(normalize_logical_time("2026-12-01T13:00Z", nullptr) == "2026-12-01T13:00:00Z");
  CHECK(normalize_logical_time("2026-12-01T14:00:00+01:00", nullptr) == "2026-12-01T13:00:00Z");
  CHECK(normalize_logical_time("2026-12-01T14:00:00+0100", nullptr) == "2026-12-01T13:00:00Z");
  CHECK(normalize_logical_time("2026-12-01T08:30:15-04:30", nullptr) == "2026-12-01T13:00:15Z");
  // Offsets move the instant across days, months and years.
  CHECK(normalize_logical_time("2026-12-01T00:30:00+01:00", nullptr) == "2026-11-30T23:30:00Z");
  CHECK(normalize_logical_time("2026-12-31T23:00:00-02:00", nullptr) == "2027-01-01T01:00:00Z");
  CHECK(normalize_logical_time("2024-02-28T23:00:00-01:00", nullptr) == "2024-02-29T00:00:00Z");
  // Normalising twice changes nothing.
  CHECK(normalize_logical_time("2026-11-30T23:30:00Z", nullptr) == "2026-11-30T23:30:00Z");
}

TEST_CASE("logical time: what is not a date or an instant says why", "[logical_time]") {
  CHECK(why_not("") == "not a date or an ISO instant");
  CHECK(why_not("yesterday") == "not a date or an ISO instant");
  CHECK(why_not("2026-1-01") == "not a date or an ISO instant");
  CHECK(why_not("2026-12-01 13:00:00Z") == "not a date or an ISO instant");
  CHECK(why_not("2026-02-30") == "2026-02-30 is not a calendar date");
  CHECK(why_not("2025-02-29T00:00:00Z") == "2025-02-29 is not a calendar date");
  CHECK(why_not("2026-13-01T00:00:00Z") == "2026-13-01 is not a calendar date");
  CHECK(why_not("2026-12-01T13:00:00") == "no UTC offset (add Z, or one like +01:00)");
  CHECK(why_not("2026-12-01T25:00:00Z") == "time of day 25:00:00 is out of range");
  CHECK(why_not("2026-12-01T23:60Z") == "time of day 23:60 is out of range");
  CHECK(why_not("2026-12-01T23:59:60Z") == "time of day 23:59:60 is out of range");
  CHECK(why_not("2026-12-01T1:00:00Z") == "not a date or an ISO instant");
  CHECK(why_not("2026-12-01T13:0a:00Z") == "bad time of day (use HH:MM:SS)");
  CHECK(why_not("2026-12-01T13:00:00.500Z") == "fractions of a second are not supported");
  CHECK(why_not("2026-12-01T13:00:00+1") ==
        "bad UTC offset '+1' (use Z, or one like +01:00)");
  CHECK(why_not("2026-12-01T13:00:00 Z") ==
        "bad UTC offset ' Z' (use Z, or one like +01:00)");
  CHECK(why_not("2026-12-01T13:00:00+24:00") == "UTC offset '+24:00' is out of range");
  CHECK(why_not("0001-01-01T00:00:00+01:00") ==
        "the instant in UTC is outside the years 0001-9999");
  CHECK(why_not("9999-12-31T23:00:00-02:00") ==
        "the instant in UTC is outside the years 0001-9999");
  CHECK_FALSE(normalize_logical_time("2026-12-01T25:00:00Z", nullptr));  // no message wanted
}

TEST_CASE("logical time: the date, the instant and the default data interval of a key",
          "[logical_time]") {
  CHECK(is_date_key("2026-12-01"));
  CHECK_FALSE(is_date_key("2026-12-01T00:00:00Z"));
  CHECK(logical_date_of("2026-12-01") == "2026-12-01");
  CHECK(logical_date_of("2026-12-01T13:00:00Z") == "2026-12-01");
  CHECK(logical_time_of("2026-12-01") == "2026-12-01T00:00:00Z");
  CHECK(logical_time_of("2026-12-01T13:00:00Z") == "2026-12-01T13:00:00Z");

  auto day = default_data_interval("2026-12-31");
  CHECK(day.start == "2026-12-31T00:00:00Z");
  CHECK(day.end == "2027-01-01T00:00:00Z");
  auto leap = default_data_interval("2024-02-28");
  CHECK(leap.end == "2024-02-29T00:00:00Z");
  auto instant = default_data_interval("2026-12-01T13:00:00Z");
  CHECK(instant.start == "2026-12-01T13:00:00Z");
  CHECK(instant.end == "2026-12-01T13:00:00Z");

  // An interval bound is always an instant; a date stands for its midnight.
  CHECK(normalize_instant("2026-12-01", nullptr) == "2026-12-01T00:00:00Z");
  CHECK(normalize_instant("2026-12-01T14:00:00+01:00", nullptr) == "2026-12-01T13:00:00Z");
  CHECK_FALSE(normalize_instant("2026-12-01T14:00:00", nullptr));
}

TEST_CASE("logical time: run id stamps are unchanged for dates and file-name safe for instants",
          "[logical_time]") {
  CHECK(run_id_stamp("2026-11-28") == "20261128");
  CHECK(run_id_stamp("2026-12-01T13:00:00Z") == "20261201T130000Z");
  CHECK(run_id_stamp("2026-12-01T13:00:00Z").find_first_of(":/ ") == std::string::npos);
  // Keys of one form sort in time order as text, and so do their stamps.
  CHECK(std::string("2026-12-01T09:00:00Z") < std::string("2026-12-01T13:00:00Z"));
  CHECK(run_id_stamp("2026-12-01T09:00:00Z") < run_id_stamp("2026-12-01T13:00:00Z"));
}
