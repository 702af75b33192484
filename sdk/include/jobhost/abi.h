/*
 * jobhost plugin ABI, version 1.1.
 *
 * The only thing that crosses the boundary between the jobhost host and a plugin shared
 * library. Plain C99: fixed-width integers, double, pointer + length strings, opaque
 * handles and structs of function pointers. No C++ type, exception or allocation crosses.
 *
 * Compatibility promise
 *  - The frozen header at the start of jh_plugin (magic, struct_size, abi_major, abi_minor)
 *    never changes, in any major version.
 *  - The host refuses a plugin whose abi_major differs from its own.
 *  - Minor versions are compatible both ways: members are only ever appended, every
 *    struct carries struct_size, and a reader never touches a member beyond the
 *    struct_size the writer declared. Optional services are found by extension id
 *    (e.g. "jobhost.secrets/1"); a NULL answer means "not offered".
 *
 * Ownership
 *  - Whoever allocates frees. Strings handed to the host are copied by the host before
 *    the call returns. Strings the host hands to a plugin (jh_run_info, jh_str arguments)
 *    are borrowed for the duration of the call that received them.
 *  - Host services that return data copy it into a buffer the plugin supplies: they never
 *    return pointers into host memory. That keeps every service servable from another
 *    process (worker isolation).
 *
 * Threading annotations
 *  [thread-safe]  may be called from any thread, concurrently.
 *  [job-thread]   called by the host on the thread that runs the job, or by the plugin on
 *                 any thread while run() (or poll(), cancel()) for that job context has not
 *                 returned.
 *  [main-thread]  called by the host while no job of the plugin is running.
 */
#ifndef JOBHOST_ABI_H
#define JOBHOST_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) || defined(__CYGWIN__)
#define JH_EXPORT __declspec(dllexport)
#define JH_CALL __cdecl
#else
#define JH_EXPORT __attribute__((visibility("default")))
#define JH_CALL
#endif

#define JH_ABI_MAGIC 0x3148424Au /* "JBH1" read as little-endian bytes; never changes */
#define JH_ABI_MAJOR 1u
#define JH_ABI_MINOR 1u

/* The one symbol a plugin exports. */
#define JH_PLUGIN_ENTRY_SYMBOL "jobhost_plugin_entry"

/* ---------------------------------------------------------------------------------------
 * Basic types
 * ------------------------------------------------------------------------------------- */

/* UTF-8 text, not necessarily NUL-terminated; borrowed for the call. */
typedef struct jh_str {
  const char *data;
  uint64_t size;
} jh_str;

/* A jh_str for a string literal: JH_STR("rows"). (1.1; a macro, so it works on any host.) */
#ifdef __cplusplus
#define JH_STR(literal) (jh_str{(literal), sizeof(literal) - 1})
#else
#define JH_STR(literal) ((jh_str){(literal), sizeof(literal) - 1})
#endif

/* Non-zero when the struct of type `type` at `ptr`, whose writer declared `ptr->struct_size`,
 * has `member`: how to use a member added in a later minor, e.g. JH_HAS(jh_host, host, defer).
 * Checks only the size; a function pointer may still be NULL. (1.1; a macro, works anywhere.) */
#define JH_HAS(type, ptr, member) \
  ((ptr)->struct_size >= offsetof(type, member) + sizeof(((const type *)0)->member))

/* Outcome of a job attempt. */
typedef int32_t jh_status;
enum {
  JH_STATUS_OK = 0,        /* the job did its work */
  JH_STATUS_RETRY = 1,     /* failed; another attempt may succeed (retry policy applies) */
  JH_STATUS_FATAL = 2,     /* failed; retrying cannot help (bad config, bad data) */
  JH_STATUS_CANCELLED = 3, /* stopped because is_cancelled() said so */
  JH_STATUS_SKIPPED = 4,   /* nothing to do this time (e.g. a sensor's condition is absent) */
  /* 1.1: the attempt waits without a thread. Return it from run() or poll() right after a
   * successful jh_host.defer(); the host then calls poll() later. Only for job types with a
   * poll entry, and only when the host has defer (JH_HAS(jh_host, host, defer)). */
  JH_STATUS_DEFERRED = 5
};

/* Largest handle a deferred attempt may hand the host (jh_host.defer). */
#define JH_MAX_HANDLE_BYTES 65536u

/* Result of a host service call. */
typedef int32_t jh_result;
enum {
  JH_OK = 0,
  JH_E_MISSING = 1, /* no such config path, output, upstream job or secret */
  JH_E_TYPE = 2,    /* the value exists but has another type */
  JH_E_RANGE = 3,   /* index out of range, or an integer that does not fit */
  JH_E_INVALID = 4  /* malformed argument (bad path syntax, NULL pointer, ...) */
};

typedef int32_t jh_log_level;
enum { JH_LOG_TRACE = 0, JH_LOG_DEBUG = 1, JH_LOG_INFO = 2, JH_LOG_WARN = 3, JH_LOG_ERROR = 4 };

/* Types of config values; config_type() answers JH_TYPE_NONE for a missing path. */
typedef int32_t jh_value_type;
enum {
  JH_TYPE_NONE = 0,
  JH_TYPE_BOOL = 1,
  JH_TYPE_INT = 2,
  JH_TYPE_DOUBLE = 3,
  JH_TYPE_STRING = 4, /* dates and times are offered as ISO-8601 strings */
  JH_TYPE_ARRAY = 5,
  JH_TYPE_TABLE = 6
};

/* One job attempt as the host sees it. Opaque; owned by the host; valid until run() returns. */
typedef struct jh_job_ctx jh_job_ctx;

/* ---------------------------------------------------------------------------------------
 * Host services (host -> plugin). Owned by the host; valid while the plugin is loaded.
 *
 * Config paths use TOML dotted-key syntax with array indices: "columns.date.type",
 * "argv[2]", "checks[0].column". The empty path names the job's whole [config] table.
 *
 * Functions that copy text out take (buf, cap, len): the host writes min(cap, full size)
 * bytes, NUL-terminates when room is left, and stores the full size in *len. When
 * *len >= cap the caller retries with a larger buffer.
 * ------------------------------------------------------------------------------------- */
typedef struct jh_host {
  uint32_t struct_size; /* sizeof(jh_host) as compiled by the HOST */
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t reserved0;
  const char *host_version; /* e.g. "0.1.0"; static */

  /* Log a line into the job's log, tagged with run id and job name. ctx may be NULL for
   * plugin-level messages (from init). [thread-safe] */
  void(JH_CALL *log)(jh_job_ctx *ctx, jh_log_level level, jh_str message);

  /* Non-zero once the attempt should stop (timeout, fail_fast, signal). Poll it in loops
   * and return JH_STATUS_CANCELLED. [thread-safe] */
  int32_t(JH_CALL *is_cancelled)(jh_job_ctx *ctx);

  /* Record the failure message for this attempt; the host copies it. Last call wins.
   * [job-thread] */
  void(JH_CALL *set_error)(jh_job_ctx *ctx, jh_str message);

  /* Progress in 1/10000ths (0..10000) with an optional note. [thread-safe] */
  void(JH_CALL *progress)(jh_job_ctx *ctx, uint32_t permyriad, jh_str note);

  /* Record a numeric metric (rows_loaded, r2, ...). Last value per name wins. [thread-safe] */
  void(JH_CALL *metric)(jh_job_ctx *ctx, jh_str name, double value);

  /* Config lookup. [job-thread] */
  jh_value_type(JH_CALL *config_type)(jh_job_ctx *ctx, jh_str path);
  jh_result(JH_CALL *config_bool)(jh_job_ctx *ctx, jh_str path, int32_t *out);
  jh_result(JH_CALL *config_int)(jh_job_ctx *ctx, jh_str path, int64_t *out);
  /* Accepts integers too. */
  jh_result(JH_CALL *config_double)(jh_job_ctx *ctx, jh_str path, double *out);
  jh_result(JH_CALL *config_string)(jh_job_ctx *ctx, jh_str path, char *buf, uint64_t cap,
                                    uint64_t *len);
  /* Number of elements of an array, or of keys of a table. */
  jh_result(JH_CALL *config_size)(jh_job_ctx *ctx, jh_str path, uint64_t *out);
  /* Name of the index-th key of a table, in file order. */
  jh_result(JH_CALL *config_key)(jh_job_ctx *ctx, jh_str path, uint64_t index, char *buf,
                                 uint64_t cap, uint64_t *len);

  /* Publish a value for downstream jobs (text; numbers as their decimal form). The host
   * copies it and stores it with the run. [job-thread] */
  jh_result(JH_CALL *output_set)(jh_job_ctx *ctx, jh_str key, jh_str value);
  /* Read a value an upstream job published in this run (or an earlier run of the same
   * logical date). JH_E_MISSING when the job or key is unknown. [job-thread] */
  jh_result(JH_CALL *input_get)(jh_job_ctx *ctx, jh_str upstream_job, jh_str key, char *buf,
                                uint64_t cap, uint64_t *len);

  /* Optional services by id, e.g. JH_EXT_SECRETS. NULL when not offered. [thread-safe] */
  const void *(JH_CALL *get_extension)(const char *id);

  /* ---- 1.1 (check JH_HAS(jh_host, host, member) before use) ---- */

  /* Defers this attempt: the host copies `handle` (opaque text, e.g. a remote run id; at most
   * JH_MAX_HANDLE_BYTES; may be empty), records it durably, and calls the job type's poll()
   * with it after about `delay_ms`, on a worker thread. Call it from run() or poll(), then
   * return JH_STATUS_DEFERRED; between the two nothing holds a thread or a max_parallel slot.
   * From poll(), handle.data == NULL keeps the current handle. Last call wins.
   * JH_E_RANGE when the handle is too long, JH_E_INVALID when the job type has no poll entry.
   * [job-thread] */
  jh_result(JH_CALL *defer)(jh_job_ctx *ctx, jh_str handle, uint64_t delay_ms);
  /* The name of the job's index-th direct upstream job (0-based, in depends_on order).
   * JH_E_RANGE past the last one. [job-thread] */
  jh_result(JH_CALL *upstream_job)(jh_job_ctx *ctx, uint64_t index, char *buf, uint64_t cap,
                                   uint64_t *len);
  /* The index-th key (sorted) an upstream job published in this run. JH_E_MISSING when the
   * job is unknown or has not succeeded; JH_E_RANGE past the last key. [job-thread] */
  jh_result(JH_CALL *input_key)(jh_job_ctx *ctx, jh_str upstream_job, uint64_t index, char *buf,
                                uint64_t cap, uint64_t *len);

  /* ---- APPEND ONLY below this line ---- */
} jh_host;

/* Extension "jobhost.secrets/1": secrets by name, never from TOML. The host reads them from
 * the environment (JOBHOST_SECRET_<NAME>) or from files in the secrets directory. */
#define JH_EXT_SECRETS "jobhost.secrets/1"
typedef struct jh_secrets_v1 {
  uint32_t struct_size;
  uint32_t reserved0;
  /* Same buffer contract as config_string; JH_E_MISSING when unknown. [thread-safe] */
  jh_result(JH_CALL *get)(jh_job_ctx *ctx, jh_str name, char *buf, uint64_t cap, uint64_t *len);
} jh_secrets_v1;

/* Extension "jobhost.connections/1" (host): the connections of the host config
 * ([connections.NAME] in jobhost.toml), for connector job types. Secrets appear in them only
 * by name (keys ending in "_secret"); resolve those through JH_EXT_SECRETS. */
#define JH_EXT_CONNECTIONS "jobhost.connections/1"
typedef struct jh_connections_v1 {
  uint32_t struct_size;
  uint32_t reserved0;
  /* The connection's table as a JSON object, with "name" and "type" included. Same buffer
   * contract as config_string; JH_E_MISSING when there is no such connection. ctx may be
   * NULL (e.g. in a connection type's test()). [thread-safe] */
  jh_result(JH_CALL *get_json)(jh_job_ctx *ctx, jh_str name, char *buf, uint64_t cap,
                               uint64_t *len);
} jh_connections_v1;

/* Extension "jobhost.connection_types/1" (plugin, through jh_plugin.get_extension): the
 * connection types a connector plugin understands, e.g. "airflow". The host checks every
 * [connections.NAME] of that type against `schema` (the subset of config_schema) and runs
 * `test` for `jobhost connections test NAME`. */
#define JH_EXT_CONNECTION_TYPES "jobhost.connection_types/1"
typedef struct jh_connection_type {
  uint32_t struct_size; /* sizeof(jh_connection_type) as compiled by the PLUGIN */
  uint32_t reserved0;
  const char *name;     /* the value of `type` in [connections.NAME] */
  const char *summary;  /* one line */
  const char *schema;   /* JSON Schema of the table (name and type excluded); may be NULL */
  /* Checks that the engine is reachable and the credentials work, within a few request
   * timeouts. Return JH_STATUS_OK, or another status with set_error(ctx, reason). ctx is
   * valid for log, set_error, is_cancelled and the extensions only. [main-thread] */
  jh_status(JH_CALL *test)(const struct jh_connection_type *self, const jh_host *host,
                           jh_job_ctx *ctx, jh_str connection);
} jh_connection_type;
typedef struct jh_connection_types_v1 {
  uint32_t struct_size;
  uint32_t count;
  const jh_connection_type *const *types; /* count pointers */
} jh_connection_types_v1;

/* Facts about one attempt; borrowed for the duration of run(). */
typedef struct jh_run_info {
  uint32_t struct_size;
  uint32_t attempt;       /* 1-based */
  uint32_t max_attempts;  /* 1 + retries */
  uint32_t reserved0;
  jh_str run_id;
  jh_str pipeline;
  jh_str job_name;
  jh_str job_type;        /* "plugin.type" */
  jh_str logical_date;    /* YYYY-MM-DD */
  jh_str scratch_dir;     /* a path reserved for this job in this run; the job creates it
                           * (mkdir -p) when it needs one: most jobs do not */
  int64_t deadline_unix_ms; /* end of this attempt's timeout; 0 = none */
  /* ---- 1.1 (check JH_HAS(jh_run_info, info, member) before use) ---- */
  /* Stable key of this attempt, at most 64 characters of [A-Za-z0-9-]: the same in every
   * poll, when the attempt is re-attached after its host was lost, and when an attempt lost
   * before it recorded a handle is run again. Send it to engines that deduplicate requests
   * (an idempotency token) so that a crash never starts remote work twice. */
  jh_str idempotency_key;
  uint32_t poll_count;      /* 0 in run(); n in the attempt's n-th poll() */
  uint32_t reattached;      /* non-zero when this host took the attempt over from a lost one */
  int64_t started_unix_ms;  /* when the attempt started (its run(), not this poll) */
  /* ---- APPEND ONLY below this line ---- */
} jh_run_info;

/* ---------------------------------------------------------------------------------------
 * Plugin objects (plugin -> host). Owned by the plugin; static or valid until shutdown.
 * ------------------------------------------------------------------------------------- */

/* One job type. Referenced in pipelines as "<plugin name>.<name>". */
typedef struct jh_job_type {
  uint32_t struct_size; /* sizeof(jh_job_type) as compiled by the PLUGIN */
  uint32_t reserved0;
  const char *name;           /* [A-Za-z0-9_]+, unique within the plugin */
  const char *summary;        /* one line */
  const char *version;        /* the job type's own version, e.g. "1.2.0" */
  const char *config_example; /* a TOML example of its [jobs.config] table; may be NULL */
  void *type_data;            /* the plugin's; handed back through `self` */

  /* Run one attempt. Blocking; may use its own threads but must have joined them (or
   * stopped them using ctx) before returning. On failure call host->set_error(). The host
   * may run the same job type concurrently for different jobs. With a poll entry it may
   * also defer (jh_host.defer, then JH_STATUS_DEFERRED). [job-thread] */
  jh_status(JH_CALL *run)(const struct jh_job_type *self, const jh_host *host, jh_job_ctx *ctx,
                          const jh_run_info *info);

  /* ---- 1.1: everything below is optional (NULL / 0); a 1.0 host never reads it ---- */

  /* Checks on a deferred attempt with the handle it deferred with. Brief (no blocking wait):
   * answers like run() (ok / retry / fatal / skipped / cancelled, with set_error), or defers
   * again (jh_host.defer, then JH_STATUS_DEFERRED). NULL: the job type never defers.
   * [job-thread] */
  jh_status(JH_CALL *poll)(const struct jh_job_type *self, const jh_host *host, jh_job_ctx *ctx,
                           const jh_run_info *info, jh_str handle);
  /* Stops the remote work a deferred attempt's handle names (timeout, fail_fast, signal,
   * Pipeline::cancel()). Return JH_STATUS_OK when it is stopped or already over; any other
   * status, with set_error, is logged as a warning. The host waits at most the cancel grace.
   * NULL: nothing to stop. [job-thread] */
  jh_status(JH_CALL *cancel)(const struct jh_job_type *self, const jh_host *host, jh_job_ctx *ctx,
                             const jh_run_info *info, jh_str handle);
  uint32_t flags; /* JH_JOB_* */
  uint32_t reserved1;
  /* Longer documentation (Markdown), shown by `jobhost describe`; may be NULL. */
  const char *doc;
  /* The accepted [jobs.config] table, as a JSON Schema object (the subset documented in
   * docs/sdk.md: type, properties, required, additionalProperties, items, enum, minimum,
   * maximum, minItems, maxItems, minLength, format "duration", oneOf/anyOf of required lists,
   * and description, default, examples, title for documentation). An object with properties
   * and without additionalProperties is closed: other keys are errors. Other keywords are
   * ignored. `jobhost validate` checks every job's config against it before anything runs.
   * NULL: not checked. */
  const char *config_schema;
  /* The outputs it publishes, as a JSON Schema object whose properties are the output keys
   * (additionalProperties: true when it publishes others too). NULL: not declared. */
  const char *outputs_schema;
  /* ---- APPEND ONLY below this line ---- */
} jh_job_type;

/* jh_job_type.flags */
enum {
  /* A deferred attempt of this type cannot be re-attached by another host process after its
   * host was lost: the attempt is recorded failed ("host lost") and runs again. */
  JH_JOB_NO_REATTACH = 1u << 0
};

/* What jobhost_plugin_entry() returns. */
typedef struct jh_plugin {
  /* Frozen header: identical in every ABI major version. */
  uint32_t magic;       /* JH_ABI_MAGIC */
  uint32_t struct_size; /* sizeof(jh_plugin) as compiled by the PLUGIN */
  uint32_t abi_major;   /* JH_ABI_MAJOR the plugin was compiled against */
  uint32_t abi_minor;
  /* v1.0 */
  const char *name;        /* [a-z0-9_]+, the prefix of its job types */
  const char *version;     /* the plugin's version */
  const char *description; /* one line; may be NULL */
  uint32_t job_type_count;
  uint32_t reserved0;
  const jh_job_type *const *job_types; /* job_type_count pointers */

  /* Optional (may be NULL). Called once after loading, before any run. Return 0 on success;
   * otherwise write a message into err (host-owned, err_cap bytes) and the host refuses the
   * plugin. [main-thread] */
  int32_t(JH_CALL *init)(const jh_host *host, char *err, uint32_t err_cap);
  /* Optional. Called once before unloading, when no job of the plugin runs. [main-thread] */
  void(JH_CALL *shutdown)(void);
  /* Optional. Plugin-side extensions by id (e.g. exporters); NULL when absent. [thread-safe] */
  const void *(JH_CALL *get_extension)(const char *id);
  /* ---- APPEND ONLY below this line ---- */
} jh_plugin;

/* The entry point: returns a descriptor valid until the library is unloaded. Must be cheap
 * and have no side effects; real work belongs in init(). */
typedef const jh_plugin *(JH_CALL *jh_plugin_entry_fn)(void);

/* The one function a plugin defines and exports (JH_PLUGIN_ENTRY_SYMBOL). Declared here so
 * that the compiler checks a plugin's definition against it. */
JH_EXPORT const jh_plugin *JH_CALL jobhost_plugin_entry(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* JOBHOST_ABI_H */
