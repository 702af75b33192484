#include "airflow_api.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>

namespace jobhost::connectors::airflow {
namespace {

std::optional<ApiVersion> parse_version(const std::string& text) {
  if (text == "v1" || text == "1") return ApiVersion::kV1;
  if (text == "v2" || text == "2") return ApiVersion::kV2;
  return std::nullopt;
}

bool digits(std::string_view text, size_t from, size_t count) {
  if (text.size() < from + count) return false;
  return std::all_of(text.begin() + from, text.begin() + from + count,
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

// "YYYY-MM-DD".
bool is_date(std::string_view text) {
  return text.size() == 10 && digits(text, 0, 4) && text[4] == '-' && digits(text, 5, 2) &&
         text[7] == '-' && digits(text, 8, 2);
}

// RFC 3339 date-time with a zone: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)".
bool is_zoned_date_time(std::string_view text) {
  if (text.size() < 20 || !is_date(text.substr(0, 10))) return false;
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return false;
  if (!digits(text, 11, 2) || text[13] != ':' || !digits(text, 14, 2) || text[16] != ':' ||
      !digits(text, 17, 2))
    return false;
  size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    ++i;
    const size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) return false;
  }
  const std::string_view zone = text.substr(i);
  if (zone == "Z" || zone == "z") return true;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && digits(zone, 1, 2) &&
         zone[3] == ':' && digits(zone, 4, 2);
}

}  // namespace

std::string Api::dag_path(std::string_view dag_id) const {
  return prefix() + "/dags/" + url_encode(dag_id);
}

std::string Api::dag_run_path(std::string_view dag_id, std::string_view dag_run_id) const {
  return dag_path(dag_id) + "/dagRuns/" + url_encode(dag_run_id);
}

std::string Api::run_url(std::string_view dag_id, std::string_view dag_run_id) const {
  if (version == ApiVersion::kV1)
    return base_url + "/dags/" + url_encode(dag_id) + "/grid?dag_run_id=" + url_encode(dag_run_id);
  return base_url + "/dags/" + url_encode(dag_id) + "/runs/" + url_encode(dag_run_id);
}

std::string Api::task_log_url(std::string_view dag_id, std::string_view dag_run_id,
                              std::string_view task_id, int64_t try_number) const {
  if (version == ApiVersion::kV1)
    return run_url(dag_id, dag_run_id) + "&task_id=" + url_encode(task_id) + "&tab=logs";
  std::string url = run_url(dag_id, dag_run_id) + "/tasks/" + url_encode(task_id);
  if (try_number > 0) url += "?try_number=" + std::to_string(try_number);
  return url;
}

Api api_of(const Connection& connection) {
  const auto long_key = connection.string("api_version");
  const auto short_key = connection.string("api");
  if (long_key && short_key && *long_key != *short_key)
    connection.fail("'api_version' (" + *long_key + ") and 'api' (" + *short_key +
                    ") disagree; set one of them");
  Api api;
  api.base_url = connection.url();
  const std::string text = long_key ? *long_key : short_key.value_or("v1");
  const auto version = parse_version(text);
  if (!version)
    connection.fail("'api_version' must be \"v1\" (Airflow 2, /api/v1) or \"v2\" (Airflow 3, "
                    "/api/v2); got \"" + text + "\"");
  api.version = *version;
  return api;
}

std::string default_dag_run_id(std::string_view logical_date, std::string_view key) {
  std::string id = "jobhost__";
  id += logical_date;
  id += "__";
  id += key;
  // The key is [A-Za-z0-9-] by contract; anything else would make Airflow refuse the id.
  for (char& c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
  return id;
}

bool valid_dag_run_id(std::string_view id) {
  if (id.empty() || id.size() > 250) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '~' ||
           c == ':' || c == '+' || c == '-';
  });
}

std::string normalize_logical_date(std::string_view text) {
  if (is_date(text)) return std::string(text) + "T00:00:00+00:00";
  if (is_zoned_date_time(text)) {
    std::string out(text);
    out[10] = 'T';  // RFC 3339 allows a space or 't'; the fakes and Airflow want 'T'
    return out;
  }
  return {};
}

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(micros));
  return buf;
}

RemoteStatus dag_run_status(const boost::json::object& run) {
  RemoteStatus status;
  status.state = string_field(run, "state");
  if (status.state == "success")
    status.phase = RemoteStatus::Phase::kSucceeded;
  else if (status.state == "failed")
    status.phase = RemoteStatus::Phase::kFailed;
  else
    status.phase = RemoteStatus::Phase::kRunning;  // queued, running, or a newer state
  return status;
}

std::vector<FailedTask> failed_tasks(const boost::json::value& collection) {
  std::vector<FailedTask> out;
  const auto* object = collection.if_object();
  const auto* list = object ? object->if_contains("task_instances") : nullptr;
  if (!list || !list->is_array()) return out;
  for (const auto& item : list->get_array()) {
    const auto* ti = item.if_object();
    if (!ti) continue;
    FailedTask task{string_field(*ti, "task_id"), string_field(*ti, "state")};
    if (task.state != "failed" && task.state != "upstream_failed") continue;
    if (const auto* n = ti->if_contains("try_number"); n && n->is_int64()) task.try_number = n->get_int64();
    if (const auto* m = ti->if_contains("map_index"); m && m->is_int64()) task.map_index = m->get_int64();
    out.push_back(std::move(task));
  }
  return out;
}

std::vector<std::string> failed_task_lines(const Api& api, std::string_view dag_id,
                                           std::string_view dag_run_id,
                                           const std::vector<FailedTask>& tasks) {
  std::vector<std::string> lines;
  for (const auto& t : tasks) {
    std::string line = "task " + t.task_id;
    if (t.map_index >= 0) line += "[" + std::to_string(t.map_index) + "]";
    line += ": " + t.state;
    if (t.state == "failed") {
      if (t.try_number > 0) line += " (try " + std::to_string(t.try_number) + ")";
      line += ", log: " + api.task_log_url(dag_id, dag_run_id, t.task_id, t.try_number);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace jobhost::connectors::airflow
