// What one attempt used: peak resident memory and CPU time. Measured by exec (thread mode) and
// by the worker (process mode), recorded by state, printed by the CLI; here so that each of
// them can name it without depending on the others. -1 means not known (e.g. the worker died
// before it could answer). docs/isolation.md#resource-accounting says what each mode measures.
#pragma once

#include <algorithm>
#include <cstdint>

namespace jobhost {

struct AttemptUsage {
  int64_t peak_rss_bytes = -1;
  double cpu_user_seconds = -1;
  double cpu_system_seconds = -1;

  bool known() const {
    return peak_rss_bytes >= 0 || cpu_user_seconds >= 0 || cpu_system_seconds >= 0;
  }

  // Adds a later call of the same attempt (a deferred attempt's polls): CPU times add up, the
  // peak is the larger one; what neither knows stays unknown.
  void add(const AttemptUsage& o) {
    peak_rss_bytes = std::max(peak_rss_bytes, o.peak_rss_bytes);
    cpu_user_seconds = sum(cpu_user_seconds, o.cpu_user_seconds);
    cpu_system_seconds = sum(cpu_system_seconds, o.cpu_system_seconds);
  }

 private:
  static double sum(double a, double b) {
    if (a < 0) return b;
    return b < 0 ? a : a + b;
  }
};

}  // namespace jobhost
