// The ssh rule for code we are about to execute: nobody but its owner (or root) may write it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace jobhost {

// A reason when `path` (or, for a file, its folder) can be modified by other users;
// nullopt when it is safe to load from.
std::optional<std::string> insecure_permissions(const std::filesystem::path& path);

}  // namespace jobhost
