/* What the job types of the cbatch example plugin share: their descriptors (listed by
 * plugin.c) and small helpers over the host services (helpers.c).
 *
 * Everything here has hidden visibility (jobhost_add_plugin compiles with
 * -fvisibility=hidden and a version script): only jobhost_plugin_entry leaves the library. */
#ifndef CBATCH_H
#define CBATCH_H

#include <jobhost/abi.h>

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define CB_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CB_PRINTF(fmt, args)
#endif

/* The job types: cbatch.fingerprint (fingerprint.c) and cbatch.remote (remote.c). */
extern const jh_job_type cbatch_fingerprint;
extern const jh_job_type cbatch_remote;

/* A jh_str over a NUL-terminated string built at run time (JH_STR is for literals). */
jh_str cb_str(const char *s);

/* Copies borrowed text (jh_run_info strings are not NUL-terminated) into buf as a C string,
 * cut to cap - 1 bytes. */
void cb_copy(jh_str s, char *buf, size_t cap);

/* A line in the job's log, printf-style (cut at 1 KiB). */
void cb_logf(const jh_host *host, jh_job_ctx *ctx, jh_log_level level, const char *fmt, ...)
    CB_PRINTF(4, 5);

/* Records the attempt's error message (printf-style) and returns `status`, for
 * `return cb_fail(host, ctx, JH_STATUS_FATAL, "...")`. */
jh_status cb_fail(const jh_host *host, jh_job_ctx *ctx, jh_status status, const char *fmt, ...)
    CB_PRINTF(4, 5);

/* Config lookups that answer a jh_status: JH_STATUS_OK with the value in *out, or
 * JH_STATUS_FATAL after set_error() with the message the C++ SDK would give ("config: missing
 * required key 'x'", "config: 'x' has the wrong type", "config: 'x' must be between a and b").
 * A bad config is fatal: retrying cannot fix it. An absent optional key gives `fallback`.
 * (With a config_schema a 1.1 host rejects most mistakes before the run; a 1.0 host does not,
 * so a plugin checks anyway.) */
jh_status cb_config_int(const jh_host *host, jh_job_ctx *ctx, const char *path, int64_t fallback,
                        int64_t min, int64_t max, int64_t *out);
jh_status cb_config_bool(const jh_host *host, jh_job_ctx *ctx, const char *path, int fallback,
                         int *out);

/* Text of any length, following the (buf, cap, len) contract: one call with a stack buffer,
 * and when the text did not fit (*len >= cap) a second one with a buffer of *len + 1 bytes.
 * On success *out is a malloc'ed, NUL-terminated copy of *out_len bytes (free it), or NULL
 * when the key is absent and not `required`. */
jh_status cb_config_text(const jh_host *host, jh_job_ctx *ctx, const char *path, int required,
                         char **out, uint64_t *out_len);
/* The same for an output of an upstream job (input_get); a missing one is fatal. */
jh_status cb_input_text(const jh_host *host, jh_job_ctx *ctx, jh_str job, jh_str key,
                        char **out, uint64_t *out_len);

#endif /* CBATCH_H */
