#include "util/heap_tuning.hpp"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#ifdef __GLIBC__
#include <malloc.h>
#include <sys/auxv.h>
#include <unistd.h>
#endif

namespace jobhost {
namespace {

constexpr const char* kMarker = "JOBHOST_HEAP_REEXEC";

// "[madvise]" is the only mode where asking helps: "[always]" already gives huge pages and
// "[never]" refuses them.
bool huge_pages_on_request() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(in, modes);
  return modes.find("[madvise]") != std::string::npos;
}

}  // namespace

void tune_heap_for_large_runs(char** argv) {
#ifdef __GLIBC__
  if (std::getenv(kMarker)) {
    // The re-executed process: the setting has been read; children must not inherit it.
    ::unsetenv(kMarker);
    ::unsetenv("GLIBC_TUNABLES");
  } else {
    const char* opt_out = std::getenv("JOBHOST_HUGE_PAGES");
    bool wanted = !(opt_out && std::strcmp(opt_out, "0") == 0);
    if (wanted && !std::getenv("GLIBC_TUNABLES") && huge_pages_on_request()) {
      ::setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1", 1);
      ::setenv(kMarker, "1", 1);
      // The resolved path, not /proc/self/exe: the process name (ps, top, pkill) comes from it.
      char self[4096];
      ssize_t len = ::readlink("/proc/self/exe", self, sizeof self);
      // AT_BASE is 0 when the dynamic loader itself was started (ld.so ./jobhost ...):
      // /proc/self/exe is then ld.so, which would not know what to run.
      if (len > 0 && static_cast<size_t>(len) < sizeof self && ::getauxval(AT_BASE) != 0) {
        self[len] = '\0';
        ::execv(self, argv);
      }
      // No /proc (or exec refused): carry on with 4 KiB pages.
      ::unsetenv(kMarker);
      ::unsetenv("GLIBC_TUNABLES");
    }
  }
  // A run allocates and frees per job; keeping freed memory (rather than returning it to the
  // kernel and faulting it back in) removes most of the remaining page faults.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
#else
  (void)argv;
#endif
}

}  // namespace jobhost
