#include "exec/host_services.hpp"

#include "connections/connections.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "connections/connections.hpp"

namespace jobhost {
namespace {

std::string_view view(jh_str s) {
  return s.data ? std::string_view(s.data, static_cast<size_t>(s.size)) : std::string_view();
}

jh_result copy_out(std::string_view value, char* buf, uint64_t cap, uint64_t* len) {
  if (!len || (cap > 0 && !buf)) return JH_E_INVALID;
  *len = value.size();
  uint64_t n = std::min<uint64_t>(cap, value.size());
  if (n) std::memcpy(buf, value.data(), static_cast<size_t>(n));
  if (n < cap) buf[n] = '\0';
  return JH_OK;
}

// Resolves a TOML dotted path with [i] indices; the empty path is the whole table.
toml::node_view<const toml::node> lookup(jh_job_ctx* ctx, jh_str path) {
  if (!ctx || !ctx->config) return {};
  auto p = view(path);
  if (p.empty()) return toml::node_view<const toml::node>(*ctx->config);
  return ctx->config->at_path(p);
}

spdlog::level::level_enum to_spdlog(jh_log_level l) {
  switch (l) {
    case JH_LOG_TRACE: return spdlog::level::trace;
    case JH_LOG_DEBUG: return spdlog::level::debug;
    case JH_LOG_INFO: return spdlog::level::info;
    case JH_LOG_WARN: return spdlog::level::warn;
    default: return spdlog::level::err;
  }
}

void JH_CALL svc_log(jh_job_ctx* ctx, jh_log_level level, jh_str message) {
  auto msg = view(message);
  if (ctx && ctx->log && *ctx->log) {
    (*ctx->log)(level, msg);
  } else if (ctx) {
    spdlog::log(to_spdlog(level), "[{} {}] {}", ctx->run_id, ctx->job_name, msg);
  } else {
    spdlog::log(to_spdlog(level), "[plugin] {}", msg);
  }
}

int32_t JH_CALL svc_is_cancelled(jh_job_ctx* ctx) {
  if (!ctx) return 0;
  bool own = ctx->cancel && ctx->cancel->load(std::memory_order_relaxed);
  bool all = ctx->cancel_all && ctx->cancel_all->load(std::memory_order_relaxed);
  return own || all ? 1 : 0;
}

void JH_CALL svc_set_error(jh_job_ctx* ctx, jh_str message) {
  if (!ctx) return;
  std::lock_guard lock(ctx->mu);
  ctx->error.assign(view(message));
}

void JH_CALL svc_progress(jh_job_ctx* ctx, uint32_t permyriad, jh_str note) {
  if (!ctx) return;
  ctx->progress_permyriad.store(std::min<uint32_t>(permyriad, 10000), std::memory_order_relaxed);
  if (note.size) {
    std::lock_guard lock(ctx->mu);
    ctx->progress_note.assign(view(note));
  }
}

void JH_CALL svc_metric(jh_job_ctx* ctx, jh_str name, double value) {
  if (!ctx || !name.size) return;
  std::lock_guard lock(ctx->mu);
  ctx->metrics.insert_or_assign(std::string(view(name)), value);
}

jh_value_type JH_CALL svc_config_type(jh_job_ctx* ctx, jh_str path) {
  auto n = lookup(ctx, path);
  if (!n) return JH_TYPE_NONE;
  switch (n.type()) {
    case toml::node_type::boolean: return JH_TYPE_BOOL;
    case toml::node_type::integer: return JH_TYPE_INT;
    case toml::node_type::floating_point: return JH_TYPE_DOUBLE;
    case toml::node_type::array: return JH_TYPE_ARRAY;
    case toml::node_type::table: return JH_TYPE_TABLE;
    default: return JH_TYPE_STRING;  // strings, dates, times
  }
}

jh_result JH_CALL svc_config_bool(jh_job_ctx* ctx, jh_str path, int32_t* out) {
  auto n = lookup(ctx, path);
  if (!n) return JH_E_MISSING;
  if (!out) return JH_E_INVALID;
  auto v = n.value_exact<bool>();
  if (!v) return JH_E_TYPE;
  *out = *v ? 1 : 0;
  return JH_OK;
}

jh_result JH_CALL svc_config_int(jh_job_ctx* ctx, jh_str path, int64_t* out) {
  auto n = lookup(ctx, path);
  if (!n) return JH_E_MISSING;
  if (!out) return JH_E_INVALID;
  auto v = n.value_exact<int64_t>();
  if (!v) return JH_E_TYPE;
  *out = *v;
  return JH_OK;
}

jh_result JH_CALL svc_config_double(jh_job_ctx* ctx, jh_str path, double* out) {
  auto n = lookup(ctx, path);
  if (!n) return JH_E_MISSING;
  if (!out) return JH_E_INVALID;
  if (auto d = n.value_exact<double>()) {
    *out = *d;
  } else if (auto i = n.value_exact<int64_t>()) {
    *out = static_cast<double>(*i);
  } else {
    return JH_E_TYPE;
  }
  return JH_OK;
}

template <class T>
std::string stringify(const T& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

jh_result JH_CALL svc_config_string(jh_job_ctx* ctx, jh_str path, char* buf, uint64_t cap,
                                    uint64_t* len) {
  auto n = lookup(ctx, path);
  if (!n) return JH_E_MISSING;
  if (auto s = n.as_string()) return copy_out(s->get(), buf, cap, len);
  if (auto d = n.as_date()) return copy_out(stringify(d->get()), buf, cap, len);
  if (auto t = n.as_time()) return copy_out(stringify(t->get()), buf, cap, len);
  if (auto dt = n.as_date_time()) return copy_out(stringify(dt->get()), buf, cap, len);
  return JH_E_TYPE;
}

jh_result JH_CALL svc_config_size(jh_job_ctx* ctx, jh_str path, uint64_t* out) {
  auto n = lookup(ctx, path);
  if (!n) return JH_E_MISSING;
  if (!out) return JH_E_INVALID;
  if (auto a = n.as_array()) {
    *out = a->size();
  } else if (auto t = n.as_table()) {
    *out = t->size();
  } else {
    return JH_E_TYPE;
  }
  return JH_OK;
}

jh_result JH_CALL svc_config_key(jh_job_ctx* ctx, jh_str path, uint64_t index, char* buf,
                                 uint64_t cap, uint64_t* len) {
  auto n = lookup(ctx, path);
  if (!n) return JH_E_MISSING;
  auto t = n.as_table();
  if (!t) return JH_E_TYPE;
  if (index >= t->size()) return JH_E_RANGE;
  // toml::table keeps keys sorted; file order is recovered from source positions.
  std::vector<std::pair<toml::source_position, std::string_view>> keys;
  for (auto& [k, v] : *t) keys.emplace_back(k.source().begin, k.str());
  std::stable_sort(keys.begin(), keys.end(), [](auto& a, auto& b) {
    return a.first.line != b.first.line ? a.first.line < b.first.line
                                        : a.first.column < b.first.column;
  });
  return copy_out(keys[static_cast<size_t>(index)].second, buf, cap, len);
}

jh_result JH_CALL svc_output_set(jh_job_ctx* ctx, jh_str key, jh_str value) {
  if (!ctx || !key.size) return JH_E_INVALID;
  std::lock_guard lock(ctx->mu);
  ctx->outputs.insert_or_assign(std::string(view(key)), std::string(view(value)));
  return JH_OK;
}

jh_result JH_CALL svc_input_get(jh_job_ctx* ctx, jh_str job, jh_str key, char* buf, uint64_t cap,
                                uint64_t* len) {
  if (!ctx) return JH_E_INVALID;
  if (!ctx->inputs || !*ctx->inputs) return JH_E_MISSING;
  auto v = (*ctx->inputs)(view(job), view(key));
  if (!v) return JH_E_MISSING;
  return copy_out(*v, buf, cap, len);
}

// Delays beyond a year are clamped: the host's timers cannot represent "never".
constexpr uint64_t kMaxDeferDelayMs = 365ull * 24 * 3600 * 1000;

jh_result JH_CALL svc_defer(jh_job_ctx* ctx, jh_str handle, uint64_t delay_ms) {
  if (!ctx) return JH_E_INVALID;
  std::lock_guard lock(ctx->mu);
  if (ctx->in_cancel) {
    ctx->defer_error = "defer() called from cancel()";
    return JH_E_INVALID;
  }
  if (!ctx->can_defer) {
    ctx->defer_error = "defer() called by a job type that has no poll entry";
    return JH_E_INVALID;
  }
  if (handle.size > JH_MAX_HANDLE_BYTES) {
    ctx->defer_error = "defer() with a handle of " + std::to_string(handle.size) +
                       " bytes; the limit is " + std::to_string(JH_MAX_HANDLE_BYTES);
    return JH_E_RANGE;
  }
  if (handle.size > 0 && !handle.data) {
    ctx->defer_error = "defer() with a NULL handle of non-zero size";
    return JH_E_INVALID;
  }
  ctx->deferred = true;
  ctx->defer_error.clear();
  ctx->keep_handle = ctx->in_poll && handle.data == nullptr;
  ctx->defer_handle.assign(view(handle));
  ctx->defer_delay_ms = std::min(delay_ms, kMaxDeferDelayMs);
  return JH_OK;
}

jh_result JH_CALL svc_upstream_job(jh_job_ctx* ctx, uint64_t index, char* buf, uint64_t cap,
                                   uint64_t* len) {
  if (!ctx) return JH_E_INVALID;
  if (!ctx->upstreams || !*ctx->upstreams) return JH_E_RANGE;
  auto name = (*ctx->upstreams)(index);
  if (!name) return JH_E_RANGE;
  return copy_out(*name, buf, cap, len);
}

jh_result JH_CALL svc_input_key(jh_job_ctx* ctx, jh_str job, uint64_t index, char* buf,
                                uint64_t cap, uint64_t* len) {
  if (!ctx) return JH_E_INVALID;
  if (!ctx->input_keys || !*ctx->input_keys) return JH_E_MISSING;
  auto keys = (*ctx->input_keys)(view(job));
  if (!keys) return JH_E_MISSING;
  if (index >= keys->size()) return JH_E_RANGE;
  return copy_out((*keys)[static_cast<size_t>(index)], buf, cap, len);
}

std::string& secrets_dir() {
  static std::string dir;
  return dir;
}

// Set in a worker process: secrets and connections come from the host that started it.
RemoteLookups& remote() {
  static RemoteLookups r;
  return r;
}

jh_result JH_CALL svc_secret_get(jh_job_ctx*, jh_str name, char* buf, uint64_t cap,
                                 uint64_t* len) {
  auto n = view(name);
  if (n.empty() || n.find('/') != std::string_view::npos || n.find("..") != std::string_view::npos)
    return JH_E_INVALID;
  auto v = remote().secret ? remote().secret(n) : read_secret(n);
  if (!v) return JH_E_MISSING;
  return copy_out(*v, buf, cap, len);
}

const jh_secrets_v1 kSecrets = {sizeof(jh_secrets_v1), 0, &svc_secret_get};

// A [connections.NAME] of the host config as JSON; secrets stay names (see connections.hpp).
jh_result JH_CALL svc_connection_get(jh_job_ctx*, jh_str name, char* buf, uint64_t cap,
                                     uint64_t* len) {
  auto json = remote().connection ? remote().connection(view(name)) : connection_json(view(name));
  if (!json) return JH_E_MISSING;
  return copy_out(*json, buf, cap, len);
}

const jh_connections_v1 kConnections = {sizeof(jh_connections_v1), 0, &svc_connection_get};

}  // namespace

std::optional<std::string> read_secret(std::string_view n) {
  std::string env = "JOBHOST_SECRET_";
  for (char c : n) env += static_cast<char>(std::isalnum(static_cast<unsigned char>(c))
                                               ? std::toupper(static_cast<unsigned char>(c)) : '_');
  if (const char* v = std::getenv(env.c_str())) return std::string(v);
  if (!secrets_dir().empty()) {
    std::ifstream f(secrets_dir() + "/" + std::string(n), std::ios::binary);
    if (f) {
      std::string v((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
      return v;
    }
  }
  return std::nullopt;
}

std::optional<std::string> connection_json(std::string_view name) {
  auto connections = host_connections();
  const ConnectionConfig* c = connections->find(name);
  if (!c) return std::nullopt;
  return c->json;
}

void set_remote_lookups(RemoteLookups lookups) { remote() = std::move(lookups); }

namespace {

const void* JH_CALL svc_get_extension(const char* id) {
  if (id && std::strcmp(id, JH_EXT_SECRETS) == 0) return &kSecrets;
  if (id && std::strcmp(id, JH_EXT_CONNECTIONS) == 0) return &kConnections;
  return nullptr;
}

const jh_host kHost = {
    sizeof(jh_host), JH_ABI_MAJOR, JH_ABI_MINOR, 0, JOBHOST_VERSION_STRING,
    &svc_log, &svc_is_cancelled, &svc_set_error, &svc_progress, &svc_metric,
    &svc_config_type, &svc_config_bool, &svc_config_int, &svc_config_double,
    &svc_config_string, &svc_config_size, &svc_config_key,
    &svc_output_set, &svc_input_get, &svc_get_extension,
    &svc_defer, &svc_upstream_job, &svc_input_key,
};

}  // namespace

const jh_host* host_services_table() { return &kHost; }
void set_secrets_dir(std::string dir) { secrets_dir() = std::move(dir); }

}  // namespace jobhost
