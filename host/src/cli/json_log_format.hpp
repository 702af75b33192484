// JSON-lines log format: one object per line, the message escaped so any text stays valid JSON.
#pragma once

#include <memory>
#include <spdlog/formatter.h>

namespace jobhost::cli {

std::unique_ptr<spdlog::formatter> json_lines_formatter();

}  // namespace jobhost::cli
