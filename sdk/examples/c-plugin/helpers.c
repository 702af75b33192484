/* Helpers over the host services, shared by the job types of the cbatch example. */
#include "cbatch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not a jh_result of the host: read_text() could not allocate its buffer. */
#define CB_NO_MEMORY ((jh_result)-1)

jh_str cb_str(const char *s) {
  jh_str r;
  r.data = s;
  r.size = (uint64_t)strlen(s);
  return r;
}

void cb_copy(jh_str s, char *buf, size_t cap) {
  size_t n = s.size < cap - 1 ? (size_t)s.size : cap - 1;
  if (n) memcpy(buf, s.data, n);
  buf[n] = '\0';
}

void cb_logf(const jh_host *host, jh_job_ctx *ctx, jh_log_level level, const char *fmt, ...) {
  char line[1024];
  va_list args;
  va_start(args, fmt);
  vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  host->log(ctx, level, cb_str(line)); /* the host copies it before returning */
}

jh_status cb_fail(const jh_host *host, jh_job_ctx *ctx, jh_status status, const char *fmt, ...) {
  char message[1024];
  va_list args;
  va_start(args, fmt);
  vsnprintf(message, sizeof message, fmt, args);
  va_end(args);
  host->set_error(ctx, cb_str(message));
  return status;
}

static jh_status config_failure(const jh_host *host, jh_job_ctx *ctx, const char *path,
                                jh_result r) {
  switch (r) {
    case JH_E_MISSING:
      return cb_fail(host, ctx, JH_STATUS_FATAL, "config: missing required key '%s'", path);
    case JH_E_TYPE:
      return cb_fail(host, ctx, JH_STATUS_FATAL, "config: '%s' has the wrong type", path);
    case CB_NO_MEMORY: /* may well work next time */
      return cb_fail(host, ctx, JH_STATUS_RETRY, "out of memory reading '%s'", path);
    default:
      return cb_fail(host, ctx, JH_STATUS_FATAL, "config: cannot read '%s' (result %d)", path,
                     (int)r);
  }
}

jh_status cb_config_int(const jh_host *host, jh_job_ctx *ctx, const char *path, int64_t fallback,
                        int64_t min, int64_t max, int64_t *out) {
  jh_result r = host->config_int(ctx, cb_str(path), out);
  if (r == JH_E_MISSING) {
    *out = fallback;
    return JH_STATUS_OK;
  }
  if (r != JH_OK) return config_failure(host, ctx, path, r);
  if (*out < min || *out > max) {
    return cb_fail(host, ctx, JH_STATUS_FATAL, "config: '%s' must be between %lld and %lld",
                   path, (long long)min, (long long)max);
  }
  return JH_STATUS_OK;
}

jh_status cb_config_bool(const jh_host *host, jh_job_ctx *ctx, const char *path, int fallback,
                         int *out) {
  int32_t value = 0;
  jh_result r = host->config_bool(ctx, cb_str(path), &value);
  if (r == JH_E_MISSING) {
    *out = fallback;
    return JH_STATUS_OK;
  }
  if (r != JH_OK) return config_failure(host, ctx, path, r);
  *out = value != 0;
  return JH_STATUS_OK;
}

/* Where a text comes from: a config path, or an upstream job's output. */
typedef struct text_source {
  const jh_host *host;
  jh_job_ctx *ctx;
  jh_str path_or_job;
  jh_str key; /* input only */
  int is_input;
} text_source;

static jh_result read_into(const text_source *s, char *buf, uint64_t cap, uint64_t *len) {
  if (s->is_input) return s->host->input_get(s->ctx, s->path_or_job, s->key, buf, cap, len);
  return s->host->config_string(s->ctx, s->path_or_job, buf, cap, len);
}

/* The (buf, cap, len) contract: the host writes at most cap bytes, NUL-terminates when there
 * is room, and always stores the full size in *len. */
static jh_result read_text(const text_source *s, char **out, uint64_t *out_len) {
  char first[256];
  uint64_t len = 0;
  jh_result r = read_into(s, first, sizeof first, &len);
  if (r != JH_OK) return r;
  *out = (char *)malloc((size_t)len + 1);
  if (!*out) return CB_NO_MEMORY;
  if (len < sizeof first) {
    memcpy(*out, first, (size_t)len + 1); /* it fit, NUL included */
  } else {
    uint64_t full = len; /* cut: ask again with room for all of it */
    r = read_into(s, *out, full + 1, &len);
    if (r != JH_OK || len != full) {
      free(*out);
      *out = NULL;
      return r != JH_OK ? r : JH_E_INVALID; /* the value changed between the two calls */
    }
  }
  *out_len = len;
  return JH_OK;
}

jh_status cb_config_text(const jh_host *host, jh_job_ctx *ctx, const char *path, int required,
                         char **out, uint64_t *out_len) {
  const text_source source = {.host = host, .ctx = ctx, .path_or_job = cb_str(path)};
  jh_result r;
  *out = NULL;
  *out_len = 0;
  r = read_text(&source, out, out_len);
  if (r == JH_OK || (r == JH_E_MISSING && !required)) return JH_STATUS_OK;
  return config_failure(host, ctx, path, r);
}

jh_status cb_input_text(const jh_host *host, jh_job_ctx *ctx, jh_str job, jh_str key,
                        char **out, uint64_t *out_len) {
  const text_source source = {
      .host = host, .ctx = ctx, .path_or_job = job, .key = key, .is_input = 1};
  jh_result r;
  *out = NULL;
  *out_len = 0;
  r = read_text(&source, out, out_len);
  if (r == JH_OK) return JH_STATUS_OK;
  if (r == CB_NO_MEMORY) return cb_fail(host, ctx, JH_STATUS_RETRY, "out of memory");
  /* The upstream job did not publish it: a retry of this job cannot change that. */
  return cb_fail(host, ctx, JH_STATUS_FATAL, "input '%.*s.%.*s' is missing (result %d)",
                 (int)job.size, job.data, (int)key.size, key.data, (int)r);
}
