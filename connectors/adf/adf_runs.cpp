#include "adf_runs.hpp"

#include <boost/json/parse.hpp>
#include <cctype>
#include <cstdio>

#include "jobhost_connectors/redaction.hpp"
#include "jobhost_connectors/json_fields.hpp"
#include "jobhost_connectors/rest_client.hpp"

namespace jobhost::connectors::adf {
namespace {

namespace json = boost::json;
using Phase = RemoteStatus::Phase;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// A configured parameter value against the string ADF reports for it.
bool same_value(const json::value& configured, std::string_view reported) {
  if (configured.is_string()) return configured.get_string() == reported;
  boost::system::error_code ec;
  const json::value parsed = json::parse(reported, ec);
  return !ec && parsed == configured;
}

// Digits at text[pos, pos + n) as a number; -1 when they are not all digits.
int digits(std::string_view text, size_t pos, size_t n) {
  if (pos + n > text.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

}  // namespace

RemoteStatus map_pipeline_run(const json::object& run) {
  RemoteStatus out;
  const std::string status = string_field(&run, "status");
  out.state = status.empty() ? "Unknown" : status;
  out.outputs["status"] = out.state;
  if (status == "Succeeded") {
    out.phase = Phase::kSucceeded;
  } else if (status == "Failed") {
    out.phase = Phase::kFailed;
  } else if (status == "Cancelled") {
    out.phase = Phase::kCancelled;
  } else {
    out.phase = Phase::kRunning;  // Queued, InProgress, Canceling
  }
  if (out.phase == Phase::kFailed || out.phase == Phase::kCancelled) out.message = string_field(&run, "message");
  if (const json::value* ms = run.if_contains("durationInMs"); ms && ms->is_int64())
    out.outputs["duration_ms"] = std::to_string(ms->get_int64());
  return out;
}

std::vector<std::string> failed_activity_lines(const json::object& reply) {
  std::vector<std::string> lines;
  const json::value* value = reply.if_contains("value");
  if (!value || !value->is_array()) return lines;
  for (const json::value& item : value->get_array()) {
    const json::object* a = item.if_object();
    if (!a || string_field(a, "status") != "Failed") continue;
    const json::value* e = a->if_contains("error");
    const json::object* error = e ? e->if_object() : nullptr;
    std::string message = string_field(error, "message");
    if (message.empty()) message = "failed (no error message)";
    std::string line = "activity " + string_field(a, "activityName") + " (" + string_field(a, "activityType") +
                       "): " + snippet(message, 300);
    if (const std::string code = string_field(error, "errorCode"); !code.empty()) line += " (code " + code + ")";
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string rfc3339(SysTime t) {
  using namespace std::chrono;
  const auto ms = time_point_cast<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day ymd(day);
  const hh_mm_ss<milliseconds> hms(ms - day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
  return buf;
}

std::optional<SysTime> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  // YYYY-MM-DDTHH:MM:SS
  const int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  const int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  microseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    int64_t scale = 100000;
    for (++pos; pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos])); ++pos, scale /= 10)
      frac += microseconds((s[pos] - '0') * scale);
  }
  minutes offset{0};
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (oh < 0 || om < 0 || s.size() != pos + 6) return std::nullopt;
    offset = minutes(oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
  } else if (pos + 1 != s.size() || (s[pos] != 'Z' && s[pos] != 'z')) {
    return std::nullopt;
  }
  return sys_days(ymd) + hours(h) + minutes(mi) + seconds(sec) + frac - offset;
}

bool matches(const json::object& run, const RunMatch& match) {
  if (!iequals(string_field(&run, "pipelineName"), match.pipeline)) return false;
  const json::value* p = run.if_contains("parameters");
  const json::object* params = p ? p->if_object() : nullptr;
  if (!match.key_parameter.empty()) return params && string_field(params, match.key_parameter) == match.key;
  const auto started = parse_rfc3339(string_field(&run, "runStart"));
  if (!started || *started < match.since) return false;
  for (const auto& [name, value] : match.parameters) {
    const json::value* got = params ? params->if_contains(name) : nullptr;
    if (!got || !got->is_string() || !same_value(value, got->get_string())) return false;
  }
  return true;
}

std::string monitor_url(const std::string& studio, const std::string& factory_id,
                        const std::string& run_id) {
  return studio + "/en/monitoring/pipelineruns/" + url_encode(run_id) + "?factory=" +
         url_encode(factory_id);
}

}  // namespace jobhost::connectors::adf
