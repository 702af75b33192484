#include "isolation/protocol.hpp"

#include <boost/json.hpp>

#include <stdexcept>

namespace jobhost::isolation {

namespace json = boost::json;

namespace {

template <class Map>
json::object to_object(const Map& m) {
  json::object o;
  for (auto& [k, v] : m) o[k] = v;
  return o;
}

std::string text(const json::object& o, const char* key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

template <class T>
T number(const json::object& o, const char* key) {
  auto* v = o.if_contains(key);
  return v ? json::value_to<T>(*v) : T{};
}

json::object parse_object(const std::string& payload) {
  boost::system::error_code ec;
  json::value v = json::parse(payload, ec);
  if (ec || !v.is_object()) throw std::runtime_error("malformed frame from the other side: " + ec.message());
  return std::move(v.as_object());
}

}  // namespace

std::string encode(const AttemptRequest& r) {
  json::object o{{"entry", static_cast<int>(r.entry)},
                 {"job_type", r.job_type},
                 {"run_id", r.run_id},
                 {"pipeline", r.pipeline},
                 {"job_name", r.job_name},
                 {"logical_date", r.logical_date},
                 {"scratch_dir", r.scratch_dir},
                 {"attempt", r.attempt},
                 {"max_attempts", r.max_attempts},
                 {"deadline", r.deadline_unix_ms},
                 {"config", r.config_toml},
                 {"key", r.idempotency_key},
                 {"polls", r.poll_count},
                 {"reattached", r.reattached},
                 {"started", r.started_unix_ms},
                 {"handle", r.handle}};
  if (r.limits.memory_bytes) o["memory"] = *r.limits.memory_bytes;
  if (r.limits.cpu_seconds) o["cpu"] = *r.limits.cpu_seconds;
  if (r.limits.open_files) o["files"] = *r.limits.open_files;
  return json::serialize(o);
}

AttemptRequest decode_request(const std::string& payload) {
  const json::object o = parse_object(payload);
  AttemptRequest r;
  r.entry = static_cast<EntryPoint>(number<int>(o, "entry"));
  r.job_type = text(o, "job_type");
  r.run_id = text(o, "run_id");
  r.pipeline = text(o, "pipeline");
  r.job_name = text(o, "job_name");
  r.logical_date = text(o, "logical_date");
  r.scratch_dir = text(o, "scratch_dir");
  r.attempt = number<uint32_t>(o, "attempt");
  r.max_attempts = number<uint32_t>(o, "max_attempts");
  r.deadline_unix_ms = number<int64_t>(o, "deadline");
  r.config_toml = text(o, "config");
  r.idempotency_key = text(o, "key");
  r.poll_count = number<uint32_t>(o, "polls");
  r.reattached = o.if_contains("reattached") && o.at("reattached").as_bool();
  r.started_unix_ms = number<int64_t>(o, "started");
  r.handle = text(o, "handle");
  if (o.if_contains("memory")) r.limits.memory_bytes = number<uint64_t>(o, "memory");
  if (o.if_contains("cpu")) r.limits.cpu_seconds = number<double>(o, "cpu");
  if (o.if_contains("files")) r.limits.open_files = number<int64_t>(o, "files");
  return r;
}

std::string encode(const AttemptReply& r) {
  const AttemptResult& a = r.result;
  json::object o{{"status", a.status},
                 {"error", a.error},
                 {"metrics", to_object(a.metrics)},
                 {"outputs", to_object(a.outputs)},
                 {"handle", a.handle},
                 {"keep_handle", a.keep_handle},
                 {"delay_ms", a.delay.count()},
                 {"peak_rss", a.usage.peak_rss_bytes},
                 {"cpu_user", a.usage.cpu_user_seconds},
                 {"cpu_system", a.usage.cpu_system_seconds},
                 {"open_files", r.open_files},
                 {"rss", r.rss_bytes}};
  return json::serialize(o);
}

AttemptReply decode_reply(const std::string& payload) {
  const json::object o = parse_object(payload);
  AttemptReply r;
  AttemptResult& a = r.result;
  a.status = number<int32_t>(o, "status");
  a.error = text(o, "error");
  if (auto* m = o.if_contains("metrics"); m && m->is_object())
    for (auto& [k, v] : m->as_object()) a.metrics.emplace(std::string(k), json::value_to<double>(v));
  if (auto* m = o.if_contains("outputs"); m && m->is_object())
    for (auto& [k, v] : m->as_object())
      if (v.is_string()) a.outputs.emplace(std::string(k), std::string(v.as_string()));
  a.handle = text(o, "handle");
  a.keep_handle = o.if_contains("keep_handle") && o.at("keep_handle").as_bool();
  a.delay = std::chrono::milliseconds(number<int64_t>(o, "delay_ms"));
  // Absent from an older worker: not known.
  if (o.if_contains("peak_rss")) a.usage.peak_rss_bytes = number<int64_t>(o, "peak_rss");
  if (o.if_contains("cpu_user")) a.usage.cpu_user_seconds = number<double>(o, "cpu_user");
  if (o.if_contains("cpu_system")) a.usage.cpu_system_seconds = number<double>(o, "cpu_system");
  r.open_files = number<int64_t>(o, "open_files");
  r.rss_bytes = number<int64_t>(o, "rss");
  return r;
}

}  // namespace jobhost::isolation
