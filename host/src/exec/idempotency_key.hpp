// Idempotency keys of attempts (jh_run_info.idempotency_key): "jh-" and 32 hex digits, a
// function of (run id, job, n) only, so every host computes the same key for the same attempt.
// n numbers the job's attempts over the run's tries (ExecJob::key_base).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jobhost {

inline constexpr size_t kIdempotencyKeySize = 35;

class IdempotencyKeys {
 public:
  IdempotencyKeys() : IdempotencyKeys(std::string_view()) {}
  // Hashes the run id once: a key costs only the job name and n after that.
  explicit IdempotencyKeys(std::string_view run_id);

  // The key into `out` (NUL-terminated), without allocating: computed for every attempt.
  void write(char (&out)[40], std::string_view job, int64_t n) const;
  std::string operator()(std::string_view job, int64_t n) const;

 private:
  uint64_t h1_, h2_;  // two FNV-1a 64-bit states (different offsets): 128 bits
};

}  // namespace jobhost
