#include "serve/file_trigger.hpp"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>

namespace jobhost::serve {

std::string FileTrigger::snapshot(const std::vector<std::string>& globs) {
  std::vector<std::string> lines;
  for (auto& pattern : globs) {
    glob_t g{};
    if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        struct stat st {};
        if (::stat(g.gl_pathv[i], &st) != 0 || !S_ISREG(st.st_mode)) continue;
        lines.push_back(std::string(g.gl_pathv[i]) + " " + std::to_string(st.st_size) + " " +
                        std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec));
      }
    }
    globfree(&g);
  }
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  std::string out;
  for (auto& l : lines) out += l + "\n";
  return out;
}

bool FileTrigger::ready(const std::string& snapshot, std::chrono::milliseconds settle,
                        std::chrono::steady_clock::time_point now, const std::string& fired) {
  if (snapshot != last_) {  // something appeared, changed or went away: settle again
    last_ = snapshot;
    since_ = now;
    return false;
  }
  return !snapshot.empty() && snapshot != fired && now - since_ >= settle;
}

}  // namespace jobhost::serve
