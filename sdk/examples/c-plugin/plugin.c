/* cbatch: a jobhost plugin in plain C99, the C counterpart of hello-plugin. Two job types:
 *   cbatch.fingerprint  synchronous: hashes texts and upstream outputs (fingerprint.c)
 *   cbatch.remote       deferrable: waits for simulated remote work without a thread,
 *                       and inside run() on hosts older than ABI 1.1 (remote.c)
 * This file holds the descriptor and the one exported function. */
#include "cbatch.h"

static const jh_job_type *const kJobTypes[] = {&cbatch_fingerprint, &cbatch_remote};

/* struct_size and the ABI version are what this file was compiled with: a host reads no
 * member beyond struct_size, and loads the plugin when the ABI major matches its own. */
static const jh_plugin kPlugin = {
    .magic = JH_ABI_MAGIC,
    .struct_size = sizeof(jh_plugin),
    .abi_major = JH_ABI_MAJOR,
    .abi_minor = JH_ABI_MINOR,
    .name = "cbatch",
    .version = "1.0.0",
    .description = "A plain-C example: fingerprints, and a simulated remote batch job",
    .job_type_count = (uint32_t)(sizeof kJobTypes / sizeof kJobTypes[0]),
    .job_types = kJobTypes,
    /* init, shutdown, get_extension: none (NULL) */
};

/* abi.h declares this prototype (with JH_EXPORT), so the compiler checks the definition. */
const jh_plugin *JH_CALL jobhost_plugin_entry(void) { return &kPlugin; }
