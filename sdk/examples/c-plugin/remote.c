/* cbatch.remote: a deferrable job type (ABI 1.1). It starts work elsewhere (here a simulated
 * remote batch service), and instead of holding a thread while that runs it hands the host a
 * handle naming the remote run: jh_host.defer(), then JH_STATUS_DEFERRED. The host records
 * the handle and calls poll() with it later, on any worker thread, possibly in another host
 * process after a crash. On an ABI 1.0 host (no defer) the same job waits inside run().
 *
 *   [[jobs]]
 *   name = "nightly_batch"
 *   uses = "cbatch.remote"
 *   timeout = "10m"
 *   config = { work_ms = 1500, poll_ms = 250 }
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep under -std=c99 */

#include "cbatch.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* How often the wait inside run() (ABI 1.0 hosts) looks at is_cancelled(). */
#define CANCEL_CHECK_MS 50

/* ---- The simulated remote service -----------------------------------------------------
 * Stands in for a batch engine's client API (submit, status, stop): a real plugin makes
 * HTTP calls here. A remote run is just its schedule, all of it in the handle, so any host
 * process can poll it. Times are wall-clock (CLOCK_REALTIME), not monotonic: the handle
 * outlives this process. */

typedef struct sim_run {
  char id[96];        /* the remote run id: [A-Za-z0-9_-], no ';' */
  long long started_ms;
  long long due_ms;   /* when the remote work is over */
  long long every_ms; /* how often to ask */
  int fails;          /* it ends in failure */
} sim_run;

typedef enum sim_state { SIM_RUNNING, SIM_SUCCEEDED, SIM_FAILED } sim_state;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000);
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

static sim_state sim_status(const sim_run *run, long long now) {
  if (now < run->due_ms) return SIM_RUNNING;
  return run->fails ? SIM_FAILED : SIM_SUCCEEDED;
}

static void sim_stop(const jh_host *host, jh_job_ctx *ctx, const sim_run *run) {
  cb_logf(host, ctx, JH_LOG_WARN, "stopping remote run %s", run->id);
}

/* The handle: the remote run as text, e.g.
 * "sim/1;id=sim-3fa9c1;started=1700000000000;due=1700000001500;every=250;fail=0". */
static void encode_handle(const sim_run *run, char *buf, size_t cap) {
  snprintf(buf, cap, "sim/1;id=%s;started=%lld;due=%lld;every=%lld;fail=%d", run->id,
           run->started_ms, run->due_ms, run->every_ms, run->fails);
}

/* Non-zero when `handle` is one of ours. It is borrowed and not NUL-terminated: copy it. */
static int decode_handle(jh_str handle, sim_run *run) {
  char text[256];
  int consumed = -1;
  if (handle.size == 0 || handle.size >= sizeof text) return 0;
  cb_copy(handle, text, sizeof text);
  if (sscanf(text, "sim/1;id=%95[A-Za-z0-9_-];started=%lld;due=%lld;every=%lld;fail=%d%n",
             run->id, &run->started_ms, &run->due_ms, &run->every_ms, &run->fails,
             &consumed) != 5) {
    return 0;
  }
  return consumed == (int)handle.size && run->every_ms > 0;
}

/* ---- The job type ---------------------------------------------------------------------- */

/* The end of a remote run, in poll() or in the wait inside run(): metrics, outputs, status. */
static jh_status settle(const jh_host *host, jh_job_ctx *ctx, const jh_run_info *info,
                        const sim_run *run, sim_state state, unsigned polls) {
  char elapsed[32];
  const long long took = now_ms() - run->started_ms;
  host->metric(ctx, JH_STR("elapsed_ms"), (double)took);
  host->metric(ctx, JH_STR("polls"), (double)polls);
  if (state == SIM_FAILED) {
    /* A remote failure may be transient: retryable, the job's `retries` decide. */
    return cb_fail(host, ctx, JH_STATUS_RETRY, "remote run %s failed", run->id);
  }
  snprintf(elapsed, sizeof elapsed, "%lld", took);
  host->output_set(ctx, JH_STR("remote_id"), cb_str(run->id));
  host->output_set(ctx, JH_STR("elapsed_ms"), cb_str(elapsed));
  if (JH_HAS(jh_run_info, info, idempotency_key) && info->idempotency_key.size > 0)
    host->output_set(ctx, JH_STR("idempotency_key"), info->idempotency_key);
  cb_logf(host, ctx, JH_LOG_INFO, "remote run %s succeeded after %lld ms, %u polls", run->id,
          took, polls);
  return JH_STATUS_OK;
}

static void report_progress(const jh_host *host, jh_job_ctx *ctx, const sim_run *run,
                            long long now) {
  const long long total = run->due_ms - run->started_ms;
  long long done = total > 0 ? (now - run->started_ms) * 10000 / total : 10000;
  if (done < 0) done = 0;
  if (done > 10000) done = 10000;
  host->progress(ctx, (uint32_t)done, JH_STR("remote run in progress"));
}

/* An ABI 1.0 host has no defer(): wait here, holding this thread, as jobs did before 1.1.
 * Sleep in short steps so that a cancellation (timeout, fail_fast, signal) is seen within
 * CANCEL_CHECK_MS, then ask the remote service, as poll() would. */
static jh_status wait_in_run(const jh_host *host, jh_job_ctx *ctx, const jh_run_info *info,
                             const sim_run *run) {
  unsigned polls = 0;
  for (;;) {
    long long waited = 0, now;
    sim_state state;
    while (waited < run->every_ms) {
      long long step = run->every_ms - waited;
      if (step > CANCEL_CHECK_MS) step = CANCEL_CHECK_MS;
      if (host->is_cancelled(ctx)) {
        sim_stop(host, ctx, run);
        return JH_STATUS_CANCELLED;
      }
      sleep_ms(step);
      waited += step;
    }
    ++polls;
    now = now_ms();
    state = sim_status(run, now);
    if (state != SIM_RUNNING) return settle(host, ctx, info, run, state, polls);
    report_progress(host, ctx, run, now);
  }
}

static jh_status JH_CALL remote_run(const jh_job_type *self, const jh_host *host,
                                    jh_job_ctx *ctx, const jh_run_info *info) {
  int64_t work_ms = 0, poll_ms = 0;
  int fail = 0;
  sim_run run;
  char handle[256];
  jh_status st;
  (void)self;

  if ((st = cb_config_int(host, ctx, "work_ms", 2000, 0, 86400000, &work_ms)) != JH_STATUS_OK ||
      (st = cb_config_int(host, ctx, "poll_ms", 500, 10, 600000, &poll_ms)) != JH_STATUS_OK ||
      (st = cb_config_bool(host, ctx, "fail", 0, &fail)) != JH_STATUS_OK) {
    return st;
  }

  /* Submit. A 1.1 host gives a key that stays the same for this attempt across polls and
   * host restarts: sent to an engine that deduplicates requests, a crash between submitting
   * and defer() never starts the work twice. Here it simply names the remote run. */
  if (JH_HAS(jh_run_info, info, idempotency_key) && info->idempotency_key.size > 0) {
    snprintf(run.id, sizeof run.id, "sim-%.*s", (int)info->idempotency_key.size,
             info->idempotency_key.data);
  } else { /* ABI 1.0 host: the attempt's own facts, unique but not stable across a crash */
    char run_id[41], job[41];
    cb_copy(info->run_id, run_id, sizeof run_id);
    cb_copy(info->job_name, job, sizeof job);
    snprintf(run.id, sizeof run.id, "sim-%s-%s-%u", run_id, job, (unsigned)info->attempt);
  }
  run.started_ms = now_ms();
  run.due_ms = run.started_ms + work_ms;
  run.every_ms = poll_ms;
  run.fails = fail;
  cb_logf(host, ctx, JH_LOG_INFO, "submitted remote run %s (%lld ms of work)", run.id,
          (long long)work_ms);

  if (JH_HAS(jh_host, host, defer) && host->defer) {
    jh_result r;
    encode_handle(&run, handle, sizeof handle);
    r = host->defer(ctx, cb_str(handle), (uint64_t)run.every_ms);
    if (r != JH_OK) {
      sim_stop(host, ctx, &run);
      return cb_fail(host, ctx, JH_STATUS_FATAL, "cannot defer: the host answered %d", (int)r);
    }
    return JH_STATUS_DEFERRED; /* the host calls remote_poll() in about poll_ms */
  }
  return wait_in_run(host, ctx, info, &run);
}

/* Brief: asks once and answers, or defers again. Only a host with defer() calls it. */
static jh_status JH_CALL remote_poll(const jh_job_type *self, const jh_host *host,
                                     jh_job_ctx *ctx, const jh_run_info *info, jh_str handle) {
  const jh_str keep_handle = {NULL, 0}; /* defer() from poll(): NULL keeps the current one */
  sim_run run;
  long long now;
  sim_state state;
  (void)self;

  if (!decode_handle(handle, &run)) {
    return cb_fail(host, ctx, JH_STATUS_FATAL, "not a handle of cbatch.remote: '%.*s'",
                   (int)(handle.size > 200 ? 200 : handle.size), handle.data);
  }
  if (JH_HAS(jh_run_info, info, reattached) && info->reattached)
    cb_logf(host, ctx, JH_LOG_INFO, "re-attached to remote run %s", run.id);

  now = now_ms();
  state = sim_status(&run, now);
  if (state == SIM_RUNNING) {
    jh_result r;
    report_progress(host, ctx, &run, now);
    /* Nothing changed remotely, so the handle stays. A plugin whose remote run got a new
     * id (a resubmission, the next stage) passes its new handle here instead. */
    r = host->defer(ctx, keep_handle, (uint64_t)run.every_ms);
    if (r != JH_OK)
      return cb_fail(host, ctx, JH_STATUS_FATAL, "cannot defer: the host answered %d", (int)r);
    return JH_STATUS_DEFERRED;
  }
  return settle(host, ctx, info, &run, state,
                JH_HAS(jh_run_info, info, poll_count) ? info->poll_count : 0);
}

/* The attempt was stopped (timeout, fail_fast, signal) while deferred: stop the remote work. */
static jh_status JH_CALL remote_cancel(const jh_job_type *self, const jh_host *host,
                                       jh_job_ctx *ctx, const jh_run_info *info, jh_str handle) {
  sim_run run;
  (void)self;
  (void)info;
  if (!decode_handle(handle, &run)) {
    cb_logf(host, ctx, JH_LOG_WARN, "cancel: not a handle of cbatch.remote, nothing to stop");
    return JH_STATUS_OK;
  }
  sim_stop(host, ctx, &run);
  return JH_STATUS_OK; /* stopped (or already over): both are fine for the host */
}

const jh_job_type cbatch_remote = {
    .struct_size = sizeof(jh_job_type),
    .name = "remote",
    .summary = "Runs a (simulated) remote batch job and waits for it without holding a thread",
    .version = "1.0.0",
    .config_example = "work_ms = 2000  # how long the remote work takes\n"
                      "poll_ms = 500   # how often to ask whether it is over\n"
                      "fail = false    # true: the remote run fails (retryable)\n",
    .run = remote_run,
    .poll = remote_poll,
    .cancel = remote_cancel,
    .flags = 0, /* re-attachable: the handle alone says where the remote run is */
    .doc = "Submits a simulated remote batch run that takes `work_ms`, then waits for it.\n\n"
           "On a host with ABI 1.1 or later the attempt is deferred between checks (every "
           "`poll_ms`): it holds no thread and no `max_parallel` slot, and survives a host "
           "restart. On an ABI 1.0 host it waits inside the attempt, checking for "
           "cancellation every 50 ms.\n\n"
           "Publishes `remote_id`, `elapsed_ms` and, on hosts that offer one, the attempt's "
           "`idempotency_key`. With `fail = true` the remote run fails, retryably.",
    .config_schema =
        "{\"type\": \"object\", \"properties\": {"
        "  \"work_ms\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 86400000,"
        "    \"default\": 2000, \"description\": \"How long the remote work takes, in ms\"},"
        "  \"poll_ms\": {\"type\": \"integer\", \"minimum\": 10, \"maximum\": 600000,"
        "    \"default\": 500, \"description\": \"Time between two checks, in ms\"},"
        "  \"fail\": {\"type\": \"boolean\", \"default\": false,"
        "    \"description\": \"The remote run ends in failure (retryable)\"}"
        "}, \"additionalProperties\": false}",
    .outputs_schema =
        "{\"type\": \"object\", \"properties\": {"
        "  \"remote_id\": {\"type\": \"string\", \"description\": \"The remote run's id\"},"
        "  \"elapsed_ms\": {\"type\": \"integer\", \"description\": \"From submit to done\"},"
        "  \"idempotency_key\": {\"type\": \"string\","
        "    \"description\": \"The attempt's idempotency key (hosts of ABI 1.1 and later)\"}"
        "}, \"additionalProperties\": false}",
};
