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

static const jh_job_type kType = {sizeof(jh_job_type), 0, "t", "s", "1", NULL, NULL, check_run};
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
  return (int)(entry != NULL) + (int)secrets.struct_size + t + r + l + s + (ext != sym);
}
