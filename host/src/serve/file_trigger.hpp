// [pipeline.trigger] files = ["glob", ...]: a pipeline runs when files match and have been
// stable (same size and modification time) for `settle`; then not again until the set of
// matching files or one of them changes.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace jobhost::serve {

class FileTrigger {
 public:
  // What matches `globs` now, as one text ("path size mtime" lines, sorted); "" when nothing.
  static std::string snapshot(const std::vector<std::string>& globs);

  // Feeds the latest snapshot; true when it has been unchanged for `settle` and differs from
  // the one that last fired (`fired`), i.e. the pipeline should run now.
  bool ready(const std::string& snapshot, std::chrono::milliseconds settle,
             std::chrono::steady_clock::time_point now, const std::string& fired);

 private:
  std::string last_;
  std::chrono::steady_clock::time_point since_{};
};

}  // namespace jobhost::serve
