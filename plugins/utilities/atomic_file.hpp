// Replace a file so readers see the old content or the new, never a partial write.
#pragma once

#include <string>
#include <string_view>

namespace jobhost::utilities {

// Writes to a temporary file beside `path`, fsyncs it and renames it over `path`; creates
// parent folders. Throws FatalError (cannot create/rename) or RetryableError (write failed).
void write_file_atomically(const std::string& path, std::string_view content);

}  // namespace jobhost::utilities
