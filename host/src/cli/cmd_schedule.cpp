// jobhost schedule next EXPR [--tz TZ] [--from ISO-INSTANT] [--count N]
#include <charconv>
#include <iostream>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "schedule/cron.hpp"

namespace jobhost::cli {

namespace {

constexpr const char* kUsage =
    "usage: jobhost schedule next EXPR [--tz TZ] [--from ISO-INSTANT] [--count N]\n\n"
    "Prints the next N (default 5) fire instants of a cron expression or @macro, strictly after\n"
    "--from (default now), one per line in UTC (YYYY-MM-DDTHH:MM:SSZ). EXPR is read in the time\n"
    "zone --tz (an IANA name, default UTC), with the daylight-saving rules of docs/pipelines.md.\n"
    "--from takes 2026-12-01T13:00:00Z, 2026-12-01T14:00:00+01:00 or 2026-12-01 (midnight UTC).\n"
    "Exit 2 for a bad expression, zone or option.\n";

size_t read_count(const Args& args) {
  const auto text = args.value("--count");
  if (!text) return 5;
  size_t n = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || end != text->data() + text->size() || n < 1 || n > 100000)
    throw UsageError("--count must be a whole number from 1 to 100000, got '" + *text + "'");
  return n;
}

schedule::Instant read_from(const Args& args) {
  const auto text = args.value("--from");
  if (!text) return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (auto t = schedule::parse_instant(*text)) return *t;
  throw UsageError("--from '" + *text +
                   "' is not an instant: write 2026-12-01T13:00:00Z, "
                   "2026-12-01T14:00:00+01:00 or 2026-12-01");
}

}  // namespace

int cmd_schedule(const std::vector<std::string>& argv) {
  Args args(argv, {{"--tz", true}, {"--from", true}, {"--count", true}, {"--help"}});
  if (args.flag("--help")) {
    std::cout << kUsage;
    return kOk;
  }
  const auto& pos = args.positional();
  if (pos.empty()) throw UsageError("schedule needs a subcommand: next");
  if (pos[0] != "next") throw UsageError("unknown subcommand '" + pos[0] + "' (known: next)");
  if (pos.size() < 2)
    throw UsageError("schedule next needs a cron expression, e.g. \"*/15 * * * *\" or @daily");
  // The expression is one quoted word; unquoted fields arrive as several and are joined.
  std::string expression = pos[1];
  for (size_t i = 2; i < pos.size(); ++i) expression += " " + pos[i];
  const size_t count = read_count(args);
  const schedule::Instant from = read_from(args);
  try {
    const auto s = schedule::Schedule::parse(expression, args.value("--tz").value_or("UTC"));
    if (!s.cron().ever_matches()) {
      std::cerr << "jobhost schedule: \"" << expression << "\" never fires (no date matches it)\n";
      return kBadInput;
    }
    const auto fires = s.next_n(from, count);
    for (auto t : fires) std::cout << schedule::format_instant(t) << "\n";
    if (fires.size() < count)
      std::cerr << "jobhost schedule: only " << fires.size() << " fire time(s) within 8 years of "
                << schedule::format_instant(from) << "\n";
  } catch (const schedule::ScheduleError& e) {
    std::cerr << "jobhost schedule: " << e.what() << "\n";
    return kBadInput;
  }
  return kOk;
}

}  // namespace jobhost::cli
