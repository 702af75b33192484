// Expands a `path` config value (a file or a glob(3) pattern) into the files to load.
#pragma once

#include <string>
#include <vector>

namespace jobhost::ingestion {

// Matching regular files in sorted order. FatalError "path '<p>': no such file" when a plain
// path is missing, "path '<p>': no file matches" when a pattern matches nothing.
std::vector<std::string> expand_path(const std::string& pattern);

}  // namespace jobhost::ingestion
