/* cbatch.fingerprint: a synchronous job type. Fingerprints a list of texts (and optionally
 * outputs of upstream jobs) with 64-bit FNV-1a, publishes the fingerprint, and fails when it
 * differs from an expected one: e.g. "the reference data did not change".
 *
 *   [[jobs]]
 *   name = "check_reference"
 *   uses = "cbatch.fingerprint"
 *   config = { values = ["a", "b"], expect = "ab40d7820d408076" }
 *
 * With inputs = ["extract.rows"] the output `rows` of the upstream job `extract` is folded in
 * too (after the values).
 */
#include "cbatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES 10000

static uint64_t fnv1a(uint64_t hash, const char *data, uint64_t size) {
  uint64_t i;
  for (i = 0; i < size; ++i) {
    hash ^= (unsigned char)data[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

/* Each text is followed by a NUL, so ["ab", "c"] and ["a", "bc"] differ. */
static uint64_t fold(uint64_t hash, const char *text, uint64_t size) {
  return fnv1a(fnv1a(hash, text, size), "", 1);
}

/* The number of elements of the array at `path` (0 when absent and not required). */
static jh_status array_size(const jh_host *host, jh_job_ctx *ctx, const char *path,
                            int required, uint64_t *n) {
  const jh_value_type type = host->config_type(ctx, cb_str(path));
  *n = 0;
  if (type == JH_TYPE_NONE && !required) return JH_STATUS_OK;
  if (type == JH_TYPE_NONE)
    return cb_fail(host, ctx, JH_STATUS_FATAL, "config: missing required key '%s'", path);
  if (type != JH_TYPE_ARRAY || host->config_size(ctx, cb_str(path), n) != JH_OK)
    return cb_fail(host, ctx, JH_STATUS_FATAL, "config: '%s' has the wrong type", path);
  if (*n > MAX_VALUES) {
    return cb_fail(host, ctx, JH_STATUS_FATAL, "config: '%s' has more than %d elements", path,
                   MAX_VALUES);
  }
  return JH_STATUS_OK;
}

/* Folds in values[index]. */
static jh_status fold_value(const jh_host *host, jh_job_ctx *ctx, uint64_t index,
                            uint64_t *hash, uint64_t *bytes) {
  char path[48], *text = NULL;
  uint64_t len = 0;
  jh_status st;
  snprintf(path, sizeof path, "values[%llu]", (unsigned long long)index);
  if ((st = cb_config_text(host, ctx, path, 1, &text, &len)) != JH_STATUS_OK) return st;
  *hash = fold(*hash, text, len);
  *bytes += len;
  free(text);
  return JH_STATUS_OK;
}

/* Folds in the upstream output that inputs[index] names as "<job>.<key>" (job names have no
 * dots). */
static jh_status fold_input(const jh_host *host, jh_job_ctx *ctx, uint64_t index,
                            uint64_t *hash, uint64_t *bytes) {
  char path[48], *ref = NULL, *value = NULL;
  const char *dot;
  uint64_t len = 0;
  jh_str job, key;
  jh_status st;
  snprintf(path, sizeof path, "inputs[%llu]", (unsigned long long)index);
  if ((st = cb_config_text(host, ctx, path, 1, &ref, &len)) != JH_STATUS_OK) return st;
  dot = strchr(ref, '.');
  if (!dot || dot == ref || dot[1] == '\0') {
    st = cb_fail(host, ctx, JH_STATUS_FATAL,
                 "config: '%s' = \"%s\" is not of the form \"<job>.<key>\"", path, ref);
    free(ref);
    return st;
  }
  job.data = ref;
  job.size = (uint64_t)(dot - ref);
  key = cb_str(dot + 1);
  st = cb_input_text(host, ctx, job, key, &value, &len);
  if (st == JH_STATUS_OK) {
    *hash = fold(*hash, value, len);
    *bytes += len;
  }
  free(value);
  free(ref);
  return st;
}

static jh_status JH_CALL fingerprint_run(const jh_job_type *self, const jh_host *host,
                                         jh_job_ctx *ctx, const jh_run_info *info) {
  uint64_t hash = 0xcbf29ce484222325ull, bytes = 0, values = 0, inputs = 0, i, len = 0;
  char hex[17], count[24], *expect = NULL;
  jh_status st;
  (void)self;
  (void)info;

  if ((st = array_size(host, ctx, "values", 1, &values)) != JH_STATUS_OK) return st;
  if ((st = array_size(host, ctx, "inputs", 0, &inputs)) != JH_STATUS_OK) return st;
  if (values == 0)
    return cb_fail(host, ctx, JH_STATUS_FATAL, "config: 'values' must not be empty");

  for (i = 0; i < values + inputs; ++i) {
    if (host->is_cancelled(ctx)) return JH_STATUS_CANCELLED;
    st = i < values ? fold_value(host, ctx, i, &hash, &bytes)
                    : fold_input(host, ctx, i - values, &hash, &bytes);
    if (st != JH_STATUS_OK) return st;
    host->progress(ctx, (uint32_t)((i + 1) * 10000 / (values + inputs)), JH_STR("hashing"));
  }
  snprintf(hex, sizeof hex, "%016llx", (unsigned long long)hash);
  host->metric(ctx, JH_STR("values"), (double)(values + inputs));
  host->metric(ctx, JH_STR("bytes"), (double)bytes);

  if ((st = cb_config_text(host, ctx, "expect", 0, &expect, &len)) != JH_STATUS_OK) return st;
  if (expect && strcmp(expect, hex) != 0) {
    st = cb_fail(host, ctx, JH_STATUS_FATAL, "fingerprint %s differs from the expected %s", hex,
                 expect);
  }
  free(expect);
  if (st != JH_STATUS_OK) return st;

  cb_logf(host, ctx, JH_LOG_INFO, "fingerprint of %llu texts (%llu bytes): %s",
          (unsigned long long)(values + inputs), (unsigned long long)bytes, hex);
  snprintf(count, sizeof count, "%llu", (unsigned long long)(values + inputs));
  host->output_set(ctx, JH_STR("fingerprint"), cb_str(hex));
  host->output_set(ctx, JH_STR("count"), cb_str(count));
  return JH_STATUS_OK;
}

/* Designated initializers: every member not named here (and every member a later ABI minor
 * appends) starts as zero, without warnings. */
const jh_job_type cbatch_fingerprint = {
    .struct_size = sizeof(jh_job_type),
    .name = "fingerprint",
    .summary = "Fingerprints texts and upstream outputs (FNV-1a 64), optionally checking it",
    .version = "1.0.0",
    .config_example = "values = [\"a\", \"b\"]          # texts, in order\n"
                      "expect = \"ab40d7820d408076\"  # optional: fail when different\n"
                      "# inputs = [\"extract.rows\"]  # optional: upstream outputs, <job>.<key>\n",
    .run = fingerprint_run,
    .doc = "Hashes `values` (in order), then the upstream outputs named in `inputs`, with "
           "64-bit FNV-1a, each text followed by a NUL byte.\n\n"
           "Publishes `fingerprint` (16 lowercase hex digits) and `count`. With `expect`, "
           "a different fingerprint fails the job without retries: use it to notice that "
           "data which should be constant has changed.",
    /* JSON Schema (the subset of docs/sdk.md): `jobhost validate` checks every job's config
     * against it before anything runs. Without additionalProperties the object is closed. */
    .config_schema =
        "{\"type\": \"object\", \"required\": [\"values\"], \"properties\": {"
        "  \"values\": {\"type\": \"array\", \"items\": {\"type\": \"string\"},"
        "    \"minItems\": 1, \"maxItems\": 10000,"
        "    \"description\": \"The texts to fingerprint, in order\"},"
        "  \"inputs\": {\"type\": \"array\", \"items\": {\"type\": \"string\"},"
        "    \"maxItems\": 10000,"
        "    \"description\": \"Upstream outputs folded in after the values, as <job>.<key>\"},"
        "  \"expect\": {\"type\": \"string\", \"minLength\": 16,"
        "    \"description\": \"The expected fingerprint; another one fails the job\"}"
        "}, \"additionalProperties\": false}",
    .outputs_schema =
        "{\"type\": \"object\", \"properties\": {"
        "  \"fingerprint\": {\"type\": \"string\", \"description\": \"16 lowercase hex digits\"},"
        "  \"count\": {\"type\": \"integer\", \"description\": \"Texts hashed\"}"
        "}, \"additionalProperties\": false}",
};
