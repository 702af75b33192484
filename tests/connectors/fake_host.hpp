// A jh_host for connector tests, without the real host: the job's [config] from a JSON
// object, connections (JH_EXT_CONNECTIONS) and secrets (JH_EXT_SECRETS) from maps, and
// every log line, error, output and deferral captured.
//
//   FakeHost host;
//   host.config["connection"] = "af";
//   host.connections["af"] = {{"type", "airflow"}, {"url", server.url("")}, {"password_secret", "AF_PASS"}};
//   host.secrets["AF_PASS"] = "pw";
//   jobhost::Context ctx = host.context();
//
// One FakeHost at a time per process: get_extension() and a NULL ctx (connection tests) carry
// no pointer back to it, so the live one is found through a global.
#pragma once

#include <jobhost/sdk.hpp>

#include <atomic>
#include <boost/json.hpp>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace jobhost::test {

class FakeHost {
 public:
  struct LogLine {
    jh_log_level level;
    std::string text;
  };

  boost::json::object config;                           // the job's [config] table
  std::map<std::string, boost::json::object> connections;  // "name" is added by get_json
  std::map<std::string, std::string> secrets;
  std::atomic<bool> cancel{false};
  bool offer_connections = true;
  bool offer_secrets = true;
  int64_t deadline_unix_ms = 0;

  FakeHost() {
    if (current()) throw std::logic_error("FakeHost: only one at a time");
    current() = this;
    host_.struct_size = sizeof(jh_host);
    host_.abi_major = JH_ABI_MAJOR;
    host_.abi_minor = JH_ABI_MINOR;
    host_.host_version = "test";
    host_.log = &log_cb;
    host_.is_cancelled = [](jh_job_ctx* c) -> int32_t { return self(c).cancel.load() ? 1 : 0; };
    host_.set_error = [](jh_job_ctx* c, jh_str m) { self(c).with_lock([&](FakeHost& h) { h.error_ = str(m); }); };
    host_.progress = [](jh_job_ctx*, uint32_t, jh_str) {};
    host_.metric = [](jh_job_ctx*, jh_str, double) {};
    host_.config_type = &config_type_cb;
    host_.config_bool = [](jh_job_ctx* c, jh_str p, int32_t* out) -> jh_result {
      const auto* v = self(c).find(str(p));
      if (!v) return JH_E_MISSING;
      if (!v->is_bool()) return JH_E_TYPE;
      *out = v->get_bool() ? 1 : 0;
      return JH_OK;
    };
    host_.config_int = [](jh_job_ctx* c, jh_str p, int64_t* out) -> jh_result {
      const auto* v = self(c).find(str(p));
      if (!v) return JH_E_MISSING;
      if (!v->is_int64()) return JH_E_TYPE;
      *out = v->get_int64();
      return JH_OK;
    };
    host_.config_double = [](jh_job_ctx* c, jh_str p, double* out) -> jh_result {
      const auto* v = self(c).find(str(p));
      if (!v) return JH_E_MISSING;
      if (!v->is_number()) return JH_E_TYPE;
      *out = v->to_number<double>();
      return JH_OK;
    };
    host_.config_string = [](jh_job_ctx* c, jh_str p, char* buf, uint64_t cap, uint64_t* len) -> jh_result {
      const auto* v = self(c).find(str(p));
      if (!v) return JH_E_MISSING;
      if (!v->is_string()) return JH_E_TYPE;
      return copy_out(v->get_string(), buf, cap, len);
    };
    host_.config_size = [](jh_job_ctx*, jh_str, uint64_t*) -> jh_result { return JH_E_MISSING; };
    host_.config_key = [](jh_job_ctx*, jh_str, uint64_t, char*, uint64_t, uint64_t*) -> jh_result {
      return JH_E_MISSING;
    };
    host_.output_set = [](jh_job_ctx* c, jh_str k, jh_str v) -> jh_result {
      self(c).with_lock([&](FakeHost& h) { h.outputs_[str(k)] = str(v); });
      return JH_OK;
    };
    host_.input_get = [](jh_job_ctx*, jh_str, jh_str, char*, uint64_t, uint64_t*) -> jh_result {
      return JH_E_MISSING;
    };
    host_.get_extension = &get_extension_cb;
    host_.defer = [](jh_job_ctx* c, jh_str handle, uint64_t delay_ms) -> jh_result {
      self(c).with_lock([&](FakeHost& h) {
        if (handle.data) h.deferred_handle_ = str(handle);
        h.deferred_delay_ms_ = delay_ms;
      });
      return JH_OK;
    };
    host_.upstream_job = [](jh_job_ctx*, uint64_t, char*, uint64_t, uint64_t*) -> jh_result { return JH_E_RANGE; };
    host_.input_key = [](jh_job_ctx*, jh_str, uint64_t, char*, uint64_t, uint64_t*) -> jh_result {
      return JH_E_MISSING;
    };
  }
  ~FakeHost() { current() = nullptr; }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  const jh_host* host() const { return &host_; }
  jh_job_ctx* ctx() { return reinterpret_cast<jh_job_ctx*>(this); }

  // The attempt's facts, for calling a job type's entries directly.
  const jh_run_info* info() {
    info_ = jh_run_info{};
    info_.struct_size = sizeof(jh_run_info);
    info_.attempt = 1;
    info_.max_attempts = 1;
    info_.run_id = JH_STR("run-1");
    info_.pipeline = JH_STR("test");
    info_.job_name = JH_STR("job");
    info_.job_type = JH_STR("fake.run");
    info_.logical_date = JH_STR("2026-11-28");
    info_.scratch_dir = JH_STR("");
    info_.deadline_unix_ms = deadline_unix_ms;
    info_.idempotency_key = JH_STR("key-1");
    return &info_;
  }
  // A Context for run()/poll()/cancel(); valid while this FakeHost lives.
  Context context() { return Context(&host_, ctx(), info()); }

  std::vector<LogLine> log() const {
    std::lock_guard lock(mu_);
    return log_;
  }
  // Every log line, one per line, prefixed with its level ("W " for a warning).
  std::string log_text() const {
    std::string out;
    for (const auto& l : log()) out += std::string(1, "TDIWE"[l.level]) + " " + l.text + "\n";
    return out;
  }
  std::string error() const {
    std::lock_guard lock(mu_);
    return error_;
  }
  std::map<std::string, std::string> outputs() const {
    std::lock_guard lock(mu_);
    return outputs_;
  }
  // The last jh_host.defer(): its handle (kept when called with a NULL one) and delay.
  std::string deferred_handle() const {
    std::lock_guard lock(mu_);
    return deferred_handle_;
  }
  uint64_t deferred_delay_ms() const {
    std::lock_guard lock(mu_);
    return deferred_delay_ms_;
  }

 private:
  static FakeHost*& current() {
    static FakeHost* live = nullptr;
    return live;
  }
  static FakeHost& self(jh_job_ctx* c) {
    return c ? *reinterpret_cast<FakeHost*>(c) : *current();
  }
  static std::string str(jh_str s) { return s.data ? std::string(s.data, s.size) : std::string(); }
  static jh_result copy_out(std::string_view text, char* buf, uint64_t cap, uint64_t* len) {
    if (!len || (!buf && cap > 0)) return JH_E_INVALID;
    const uint64_t n = std::min<uint64_t>(cap, text.size());
    if (n) std::memcpy(buf, text.data(), n);
    if (n < cap) buf[n] = '\0';
    *len = text.size();
    return JH_OK;
  }
  template <class F>
  void with_lock(F&& f) {
    std::lock_guard lock(mu_);
    f(*this);
  }

  // A dotted config path through nested tables.
  const boost::json::value* find(const std::string& path) const {
    const boost::json::object* table = &config;
    size_t start = 0;
    for (;;) {
      const size_t dot = path.find('.', start);
      const auto* v = table->if_contains(path.substr(start, dot - start));
      if (!v || dot == std::string::npos) return v;
      table = v->if_object();
      if (!table) return nullptr;
      start = dot + 1;
    }
  }

  static void JH_CALL log_cb(jh_job_ctx* c, jh_log_level level, jh_str m) {
    self(c).with_lock([&](FakeHost& h) { h.log_.push_back({level, str(m)}); });
  }
  static jh_value_type JH_CALL config_type_cb(jh_job_ctx* c, jh_str p) {
    const auto* v = self(c).find(str(p));
    if (!v) return JH_TYPE_NONE;
    if (v->is_bool()) return JH_TYPE_BOOL;
    if (v->is_int64() || v->is_uint64()) return JH_TYPE_INT;
    if (v->is_double()) return JH_TYPE_DOUBLE;
    if (v->is_string()) return JH_TYPE_STRING;
    if (v->is_array()) return JH_TYPE_ARRAY;
    return JH_TYPE_TABLE;
  }
  static const void* JH_CALL get_extension_cb(const char* id) {
    static const jh_connections_v1 connections = {
        sizeof(jh_connections_v1), 0,
        [](jh_job_ctx* c, jh_str name, char* buf, uint64_t cap, uint64_t* len) -> jh_result {
          FakeHost& h = self(c);
          auto it = h.connections.find(str(name));
          if (it == h.connections.end()) return JH_E_MISSING;
          boost::json::object table = it->second;
          table["name"] = it->first;
          return copy_out(boost::json::serialize(table), buf, cap, len);
        }};
    static const jh_secrets_v1 secrets = {
        sizeof(jh_secrets_v1), 0,
        [](jh_job_ctx* c, jh_str name, char* buf, uint64_t cap, uint64_t* len) -> jh_result {
          FakeHost& h = self(c);
          auto it = h.secrets.find(str(name));
          if (it == h.secrets.end()) return JH_E_MISSING;
          return copy_out(it->second, buf, cap, len);
        }};
    FakeHost* h = current();
    if (!h) return nullptr;
    if (std::strcmp(id, JH_EXT_CONNECTIONS) == 0 && h->offer_connections) return &connections;
    if (std::strcmp(id, JH_EXT_SECRETS) == 0 && h->offer_secrets) return &secrets;
    return nullptr;
  }

  jh_host host_{};
  jh_run_info info_{};
  mutable std::mutex mu_;
  std::vector<LogLine> log_;
  std::string error_;
  std::map<std::string, std::string> outputs_;
  std::string deferred_handle_;
  uint64_t deferred_delay_ms_ = 0;
};

}  // namespace jobhost::test
