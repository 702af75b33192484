#include <catch2/catch.hpp>

#include "config/duration.hpp"
#include "exec/retry_policy.hpp"

using namespace jobhost;

TEST_CASE("retry delay: exponential backoff capped by max delay, jitter off", "[retry]") {
  RetryPolicy p;
  p.delay = Millis(100);
  p.backoff = 2.0;
  p.max_delay = Millis(1000);
  p.jitter = false;
  std::vector<int64_t> got;
  for (int a = 1; a <= 6; ++a) got.push_back(retry_delay(p, a, 0.5).count());
  CHECK(got == std::vector<int64_t>{100, 200, 400, 800, 1000, 1000});
  p.backoff = 1.0;
  CHECK(retry_delay(p, 5, 0.9).count() == 100);
}

TEST_CASE("retry delay: full jitter stays within [0, capped delay]", "[retry]") {
  RetryPolicy p;
  p.delay = Millis(100);
  p.backoff = 3.0;
  p.max_delay = Millis(500);
  p.jitter = true;
  CHECK(retry_delay(p, 1, 0.0).count() == 0);
  CHECK(retry_delay(p, 1, 0.5).count() == 50);
  CHECK(retry_delay(p, 2, 0.999).count() <= 300);
  CHECK(retry_delay(p, 9, 0.999).count() <= 500);
  CHECK(retry_delay(p, 9, 0.5).count() == 250);
}

TEST_CASE("durations parse every documented unit and reject garbage", "[duration]") {
  CHECK(parse_duration("250ms") == Millis(250));
  CHECK(parse_duration("10s") == Millis(10000));
  CHECK(parse_duration("5m") == Millis(300000));
  CHECK(parse_duration("2h") == Millis(7200000));
  CHECK(parse_duration("1d") == Millis(86400000));
  CHECK(parse_duration("1.5s") == Millis(1500));
  CHECK_FALSE(parse_duration("10x"));
  CHECK_FALSE(parse_duration("s"));
  CHECK_FALSE(parse_duration("-1s"));
  CHECK_FALSE(parse_duration(""));
}
