/* Layout lock for ABI v1: the size and offset of every member of every ABI struct, and the
 * value of every constant, as compiled for 64-bit LP64 targets (x86_64, aarch64).
 *
 * A plugin compiled against an older abi.h reads and writes these offsets forever, so an
 * accidental change (a reordered member, a type changed from uint32_t to size_t, a member
 * inserted instead of appended) must fail the build right here. A deliberate, compatible
 * change only ever APPENDS members: extend the lists below, never edit an existing line.
 * Compiled as C11 into abi_tests (gcc) and checked by clang in a ctest. */
#include <jobhost/abi.h>

#include <stddef.h>

#define JH_LOCK(cond) _Static_assert(cond, #cond)
#define JH_AT(type, member, offset) JH_LOCK(offsetof(type, member) == (offset))

/* Constants: the frozen header's meaning never changes. */
JH_LOCK(JH_ABI_MAGIC == 0x3148424Au);
JH_LOCK(JH_ABI_MAJOR == 1u);
JH_LOCK(JH_STATUS_OK == 0 && JH_STATUS_RETRY == 1 && JH_STATUS_FATAL == 2);
JH_LOCK(JH_STATUS_CANCELLED == 3 && JH_STATUS_SKIPPED == 4);
JH_LOCK(JH_STATUS_DEFERRED == 5);                                    /* 1.1 */
JH_LOCK(JH_MAX_HANDLE_BYTES == 65536u && JH_JOB_NO_REATTACH == 1u); /* 1.1 */
JH_LOCK(JH_OK == 0 && JH_E_MISSING == 1 && JH_E_TYPE == 2 && JH_E_RANGE == 3 && JH_E_INVALID == 4);
JH_LOCK(JH_LOG_TRACE == 0 && JH_LOG_DEBUG == 1 && JH_LOG_INFO == 2 && JH_LOG_WARN == 3);
JH_LOCK(JH_LOG_ERROR == 4);
JH_LOCK(JH_TYPE_NONE == 0 && JH_TYPE_BOOL == 1 && JH_TYPE_INT == 2 && JH_TYPE_DOUBLE == 3);
JH_LOCK(JH_TYPE_STRING == 4 && JH_TYPE_ARRAY == 5 && JH_TYPE_TABLE == 6);
JH_LOCK(sizeof(jh_status) == 4 && sizeof(jh_result) == 4);
JH_LOCK(sizeof(jh_log_level) == 4 && sizeof(jh_value_type) == 4);

/* The frozen header of jh_plugin is pointer-size independent: locked on every target. */
JH_AT(jh_plugin, magic, 0);
JH_AT(jh_plugin, struct_size, 4);
JH_AT(jh_plugin, abi_major, 8);
JH_AT(jh_plugin, abi_minor, 12);

#if defined(__LP64__) || defined(_WIN64)
JH_LOCK(sizeof(void *) == 8);

JH_LOCK(sizeof(jh_str) == 16);
JH_AT(jh_str, data, 0);
JH_AT(jh_str, size, 8);

JH_LOCK(sizeof(jh_host) == 168);
JH_AT(jh_host, struct_size, 0);
JH_AT(jh_host, abi_major, 4);
JH_AT(jh_host, abi_minor, 8);
JH_AT(jh_host, reserved0, 12);
JH_AT(jh_host, host_version, 16);
JH_AT(jh_host, log, 24);
JH_AT(jh_host, is_cancelled, 32);
JH_AT(jh_host, set_error, 40);
JH_AT(jh_host, progress, 48);
JH_AT(jh_host, metric, 56);
JH_AT(jh_host, config_type, 64);
JH_AT(jh_host, config_bool, 72);
JH_AT(jh_host, config_int, 80);
JH_AT(jh_host, config_double, 88);
JH_AT(jh_host, config_string, 96);
JH_AT(jh_host, config_size, 104);
JH_AT(jh_host, config_key, 112);
JH_AT(jh_host, output_set, 120);
JH_AT(jh_host, input_get, 128);
JH_AT(jh_host, get_extension, 136);
/* 1.1 */
JH_AT(jh_host, defer, 144);
JH_AT(jh_host, upstream_job, 152);
JH_AT(jh_host, input_key, 160);

JH_LOCK(sizeof(jh_secrets_v1) == 16);
JH_AT(jh_secrets_v1, struct_size, 0);
JH_AT(jh_secrets_v1, reserved0, 4);
JH_AT(jh_secrets_v1, get, 8);

JH_LOCK(sizeof(jh_connections_v1) == 16);
JH_AT(jh_connections_v1, struct_size, 0);
JH_AT(jh_connections_v1, reserved0, 4);
JH_AT(jh_connections_v1, get_json, 8);

JH_LOCK(sizeof(jh_connection_type) == 40);
JH_AT(jh_connection_type, struct_size, 0);
JH_AT(jh_connection_type, reserved0, 4);
JH_AT(jh_connection_type, name, 8);
JH_AT(jh_connection_type, summary, 16);
JH_AT(jh_connection_type, schema, 24);
JH_AT(jh_connection_type, test, 32);

JH_LOCK(sizeof(jh_connection_types_v1) == 16);
JH_AT(jh_connection_types_v1, struct_size, 0);
JH_AT(jh_connection_types_v1, count, 4);
JH_AT(jh_connection_types_v1, types, 8);

JH_LOCK(sizeof(jh_run_info) == 152);
JH_AT(jh_run_info, struct_size, 0);
JH_AT(jh_run_info, attempt, 4);
JH_AT(jh_run_info, max_attempts, 8);
JH_AT(jh_run_info, reserved0, 12);
JH_AT(jh_run_info, run_id, 16);
JH_AT(jh_run_info, pipeline, 32);
JH_AT(jh_run_info, job_name, 48);
JH_AT(jh_run_info, job_type, 64);
JH_AT(jh_run_info, logical_date, 80);
JH_AT(jh_run_info, scratch_dir, 96);
JH_AT(jh_run_info, deadline_unix_ms, 112);
/* 1.1 */
JH_AT(jh_run_info, idempotency_key, 120);
JH_AT(jh_run_info, poll_count, 136);
JH_AT(jh_run_info, reattached, 140);
JH_AT(jh_run_info, started_unix_ms, 144);

JH_LOCK(sizeof(jh_job_type) == 104);
JH_AT(jh_job_type, struct_size, 0);
JH_AT(jh_job_type, reserved0, 4);
JH_AT(jh_job_type, name, 8);
JH_AT(jh_job_type, summary, 16);
JH_AT(jh_job_type, version, 24);
JH_AT(jh_job_type, config_example, 32);
JH_AT(jh_job_type, type_data, 40);
JH_AT(jh_job_type, run, 48);
/* 1.1 */
JH_AT(jh_job_type, poll, 56);
JH_AT(jh_job_type, cancel, 64);
JH_AT(jh_job_type, flags, 72);
JH_AT(jh_job_type, reserved1, 76);
JH_AT(jh_job_type, doc, 80);
JH_AT(jh_job_type, config_schema, 88);
JH_AT(jh_job_type, outputs_schema, 96);

JH_LOCK(sizeof(jh_plugin) == 80);
JH_AT(jh_plugin, name, 16);
JH_AT(jh_plugin, version, 24);
JH_AT(jh_plugin, description, 32);
JH_AT(jh_plugin, job_type_count, 40);
JH_AT(jh_plugin, reserved0, 44);
JH_AT(jh_plugin, job_types, 48);
JH_AT(jh_plugin, init, 56);
JH_AT(jh_plugin, shutdown, 64);
JH_AT(jh_plugin, get_extension, 72);
#endif

/* Lets the Catch2 side check that this file was compiled into the test binary (and so ran
 * its static assertions) with the same sizes the C++ host sees. */
size_t jh_layout_lock_sizeof_plugin(void);
size_t jh_layout_lock_sizeof_plugin(void) { return sizeof(jh_plugin); }
size_t jh_layout_lock_sizeof_host(void);
size_t jh_layout_lock_sizeof_host(void) { return sizeof(jh_host); }
