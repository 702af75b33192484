/* Compiled as C99 and C11 (gcc, clang) with -Wall -Wextra -pedantic -Werror by tests/abi:
 * abi.h must be plain, warning-free C and every type must be usable from C. */
#include <jobhost/abi.h>

#include <stddef.h>

static jh_status JH_CALL check_run(const jh_job_type *self, const jh_host *host, jh_job_ctx *ctx,
                                   const jh_run_info *info) {
  jh_str msg;
  (void)self;
  (void)info;
  msg.data = "x";
  msg.size = 1;
  host->log(ctx, JH_LOG_INFO, msg);
  return JH_STATUS_OK;
}

static jh_status JH_CALL check_poll(const jh_job_type *self, const jh_host *host,
                                    jh_job_ctx *ctx, const jh_run_info *info, jh_str handle) {
  (void)self;
  (void)info;
  if (!JH_HAS(jh_host, host, defer) || !host->defer) return JH_STATUS_FATAL;
  if (host->defer(ctx, handle, 1000) != JH_OK) return JH_STATUS_FATAL;
  return JH_STATUS_DEFERRED;
}

/* Designated initializers: members appended by later minors start as zero, without the
 * missing-field-initializers warning a positional list gets. */
static const jh_job_type kType = {.struct_size = sizeof(jh_job_type),
                                  .name = "t",
                                  .summary = "s",
                                  .version = "1",
                                  .run = check_run,
                                  .poll = check_poll,
                                  .flags = JH_JOB_NO_REATTACH,
                                  .config_schema = "{\"type\": \"object\"}"};
static const jh_job_type *const kTypes[] = {&kType};
static const jh_plugin kPlugin = {JH_ABI_MAGIC, sizeof(jh_plugin), JH_ABI_MAJOR, JH_ABI_MINOR,
                                  "p", "1", NULL, 1, 0, kTypes, NULL, NULL, NULL};

JH_EXPORT const jh_plugin *JH_CALL jobhost_plugin_entry(void) { return &kPlugin; }

/* Every name the header defines is reachable from C. */
int abi_c_names(void);
int abi_c_names(void) {
  jh_plugin_entry_fn entry = jobhost_plugin_entry;
  jh_secrets_v1 secrets = {sizeof(jh_secrets_v1), 0, NULL};
  jh_value_type t = JH_TYPE_TABLE;
  jh_result r = JH_E_INVALID;
  jh_log_level l = JH_LOG_ERROR;
  jh_status s = JH_STATUS_SKIPPED;
  const char *ext = JH_EXT_SECRETS;
  const char *sym = JH_PLUGIN_ENTRY_SYMBOL;
  jh_str lit = JH_STR("literal");
  jh_status deferred = JH_STATUS_DEFERRED;
  jh_connections_v1 connections = {sizeof(jh_connections_v1), 0, NULL};
  jh_connection_type ctype = {sizeof(jh_connection_type), 0, "x", "y", NULL, NULL};
  const jh_connection_type *ctypes[1] = {&ctype};
  jh_connection_types_v1 ctypes_ext = {sizeof(jh_connection_types_v1), 1, ctypes};
  const char *ext2 = JH_EXT_CONNECTIONS, *ext3 = JH_EXT_CONNECTION_TYPES;
  return (int)(entry != NULL) + (int)secrets.struct_size + t + r + l + s + (ext != sym) +
         (int)connections.struct_size + (int)ctypes_ext.count + (ext2 != ext3) +
         (int)lit.size + deferred + (int)JH_MAX_HANDLE_BYTES + JH_HAS(jh_job_type, &kType, poll);
}
