// Replacing a file so readers see the old content or the new, never a partial write (model
// files of ml.linear_regression, response bodies of utilities.http).
#pragma once

#include <string>
#include <string_view>

namespace jobhost::common {

// Writes `content` to a new temporary file beside `path`, fsyncs it and renames it over
// `path`; creates parent folders. The file gets the mode a plain create would (0666 minus the
// umask). Throws FatalError naming the path when the temporary file cannot be created or the
// rename fails, RetryableError when writing or flushing fails (a full disk may clear). On
// failure `path` is unchanged and no temporary file is left behind.
void write_file_atomically(const std::string& path, std::string_view content);

}  // namespace jobhost::common
