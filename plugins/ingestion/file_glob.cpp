#include "file_glob.hpp"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <jobhost/sdk.hpp>

namespace jobhost::ingestion {

std::vector<std::string> expand_path(const std::string& pattern) {
  bool is_pattern = pattern.find_first_of("*?[{") != std::string::npos;
  std::vector<std::string> files;
  glob_t g{};
  int rc = ::glob(pattern.c_str(), GLOB_BRACE | GLOB_TILDE, nullptr, &g);
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      std::error_code ec;
      if (std::filesystem::is_regular_file(g.gl_pathv[i], ec)) files.emplace_back(g.gl_pathv[i]);
    }
  }
  ::globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) throw FatalError("path '" + pattern + "': cannot expand the pattern");
  if (files.empty()) {
    std::error_code ec;
    if (!is_pattern && std::filesystem::exists(pattern, ec))
      throw FatalError("path '" + pattern + "': not a regular file");
    throw FatalError("path '" + pattern + "': " + (is_pattern ? "no file matches" : "no such file"));
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace jobhost::ingestion
