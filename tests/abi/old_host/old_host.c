/* A minimal host that speaks plugin ABI 1.0 only: compiled against the frozen 1.0 header
 * (tests/fixtures/abi_1_0), it hands plugins a 1.0-sized jh_host and jh_run_info, exactly as a
 * jobhost 0.1 host would. The ABI skew tests run 1.1 plugins in it: they must keep working
 * (a deferrable job then waits inside run()).
 *
 * usage: old_host PLUGIN.so TYPE [key=value]...    (a value of digits is an integer)
 * Prints "abi <major>.<minor>", every log line, "output <key>=<value>" for each output,
 * "error <message>" and finally "status <n>". Exit 0 when run() returned, 2 on usage errors. */
#include <jobhost/abi.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if JH_ABI_MINOR != 0
#error "old_host must be compiled against the ABI 1.0 header"
#endif

#define MAX_KEYS 32
static const char *g_keys[MAX_KEYS];
static const char *g_values[MAX_KEYS];
static int g_count;
static char g_error[1024];

static const char *lookup(jh_str path) {
  int i;
  for (i = 0; i < g_count; ++i)
    if (strlen(g_keys[i]) == path.size && memcmp(g_keys[i], path.data, (size_t)path.size) == 0)
      return g_values[i];
  return NULL;
}

static int is_integer(const char *v) {
  if (!*v) return 0;
  for (; *v; ++v)
    if (*v < '0' || *v > '9') return 0;
  return 1;
}

static jh_result copy_out(const char *value, char *buf, uint64_t cap, uint64_t *len) {
  uint64_t n = strlen(value);
  *len = n;
  if (cap == 0) return JH_OK;
  memcpy(buf, value, (size_t)(n < cap ? n : cap));
  if (n < cap) buf[n] = '\0';
  return JH_OK;
}

static void JH_CALL svc_log(jh_job_ctx *ctx, jh_log_level level, jh_str message) {
  (void)ctx;
  printf("log %d %.*s\n", (int)level, (int)message.size, message.data);
}
static int32_t JH_CALL svc_is_cancelled(jh_job_ctx *ctx) {
  (void)ctx;
  return 0;
}
static void JH_CALL svc_set_error(jh_job_ctx *ctx, jh_str message) {
  size_t n = message.size < sizeof g_error - 1 ? (size_t)message.size : sizeof g_error - 1;
  (void)ctx;
  memcpy(g_error, message.data, n);
  g_error[n] = '\0';
}
static void JH_CALL svc_progress(jh_job_ctx *ctx, uint32_t permyriad, jh_str note) {
  (void)ctx, (void)permyriad, (void)note;
}
static void JH_CALL svc_metric(jh_job_ctx *ctx, jh_str name, double value) {
  (void)ctx, (void)name, (void)value;
}
static jh_value_type JH_CALL svc_config_type(jh_job_ctx *ctx, jh_str path) {
  const char *v = lookup(path);
  (void)ctx;
  if (!v) return JH_TYPE_NONE;
  return is_integer(v) ? JH_TYPE_INT : JH_TYPE_STRING;
}
static jh_result JH_CALL svc_config_bool(jh_job_ctx *ctx, jh_str path, int32_t *out) {
  const char *v = lookup(path);
  (void)ctx;
  if (!v) return JH_E_MISSING;
  if (strcmp(v, "true") && strcmp(v, "false")) return JH_E_TYPE;
  *out = strcmp(v, "true") == 0;
  return JH_OK;
}
static jh_result JH_CALL svc_config_int(jh_job_ctx *ctx, jh_str path, int64_t *out) {
  const char *v = lookup(path);
  (void)ctx;
  if (!v) return JH_E_MISSING;
  if (!is_integer(v)) return JH_E_TYPE;
  *out = strtoll(v, NULL, 10);
  return JH_OK;
}
static jh_result JH_CALL svc_config_double(jh_job_ctx *ctx, jh_str path, double *out) {
  int64_t i = 0;
  jh_result r = svc_config_int(ctx, path, &i);
  *out = (double)i;
  return r;
}
static jh_result JH_CALL svc_config_string(jh_job_ctx *ctx, jh_str path, char *buf, uint64_t cap,
                                           uint64_t *len) {
  const char *v = lookup(path);
  (void)ctx;
  if (!v) return JH_E_MISSING;
  if (is_integer(v)) return JH_E_TYPE;
  return copy_out(v, buf, cap, len);
}
static jh_result JH_CALL svc_config_size(jh_job_ctx *ctx, jh_str path, uint64_t *out) {
  (void)ctx;
  if (path.size == 0) {
    *out = (uint64_t)g_count;
    return JH_OK;
  }
  return lookup(path) ? JH_E_TYPE : JH_E_MISSING;
}
static jh_result JH_CALL svc_config_key(jh_job_ctx *ctx, jh_str path, uint64_t index, char *buf,
                                        uint64_t cap, uint64_t *len) {
  (void)ctx;
  if (path.size != 0) return lookup(path) ? JH_E_TYPE : JH_E_MISSING;
  if (index >= (uint64_t)g_count) return JH_E_RANGE;
  return copy_out(g_keys[index], buf, cap, len);
}
static jh_result JH_CALL svc_output_set(jh_job_ctx *ctx, jh_str key, jh_str value) {
  (void)ctx;
  printf("output %.*s=%.*s\n", (int)key.size, key.data, (int)value.size, value.data);
  return JH_OK;
}
static jh_result JH_CALL svc_input_get(jh_job_ctx *ctx, jh_str job, jh_str key, char *buf,
                                       uint64_t cap, uint64_t *len) {
  (void)ctx, (void)job, (void)key, (void)buf, (void)cap, (void)len;
  return JH_E_MISSING;
}
static const void *JH_CALL svc_get_extension(const char *id) {
  (void)id;
  return NULL;
}

static const jh_host kHost = {sizeof(jh_host), JH_ABI_MAJOR, JH_ABI_MINOR, 0, "0.1.0",
                              svc_log, svc_is_cancelled, svc_set_error, svc_progress, svc_metric,
                              svc_config_type, svc_config_bool, svc_config_int, svc_config_double,
                              svc_config_string, svc_config_size, svc_config_key, svc_output_set,
                              svc_input_get, svc_get_extension};

static jh_str str(const char *s) {
  jh_str r;
  r.data = s;
  r.size = strlen(s);
  return r;
}

int main(int argc, char **argv) {
  void *lib;
  jh_plugin_entry_fn entry;
  const jh_plugin *p;
  const jh_job_type *type = NULL;
  jh_run_info info;
  uint32_t i;
  int a;
  jh_status status;
  char name[256];
  if (argc < 3) {
    fprintf(stderr, "usage: old_host PLUGIN.so TYPE [key=value]...\n");
    return 2;
  }
  for (a = 3; a < argc && g_count < MAX_KEYS; ++a) {
    char *eq = strchr(argv[a], '=');
    if (!eq) return 2;
    *eq = '\0';
    g_keys[g_count] = argv[a];
    g_values[g_count++] = eq + 1;
  }
  lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "%s\n", dlerror());
    return 2;
  }
  *(void **)(&entry) = dlsym(lib, JH_PLUGIN_ENTRY_SYMBOL);
  p = entry ? entry() : NULL;
  if (!p || p->magic != JH_ABI_MAGIC || p->abi_major != JH_ABI_MAJOR) return 2;
  printf("abi %u.%u\n", (unsigned)p->abi_major, (unsigned)p->abi_minor);
  for (i = 0; i < p->job_type_count; ++i) {
    snprintf(name, sizeof name, "%s.%s", p->name, p->job_types[i]->name);
    if (strcmp(name, argv[2]) == 0) type = p->job_types[i];
  }
  if (!type) return 2;
  /* A 1.0 host reads the job type only up to run. */
  memset(&info, 0, sizeof info);
  info.struct_size = sizeof info;
  info.attempt = 1;
  info.max_attempts = 1;
  info.run_id = str("old-run");
  info.pipeline = str("old");
  info.job_name = str("job");
  info.job_type = str(argv[2]);
  info.logical_date = str("2026-11-28");
  info.scratch_dir = str("/tmp");
  if (p->init) {
    char err[256];
    if (p->init(&kHost, err, sizeof err) != 0) return 2;
  }
  status = type->run(type, &kHost, (jh_job_ctx *)&kHost /* opaque to the plugin */, &info);
  if (g_error[0]) printf("error %s\n", g_error);
  printf("status %d\n", (int)status);
  fflush(stdout);
  if (p->shutdown) p->shutdown();
  return 0;
}
