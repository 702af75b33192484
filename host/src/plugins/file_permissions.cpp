#include "plugins/file_permissions.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace jobhost {
namespace {

std::optional<std::string> check_one(const std::filesystem::path& p, const char* what) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;  // missing: reported elsewhere
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return std::string(what) + " '" + p.string() + "' is writable by " +
           ((st.st_mode & S_IWOTH) ? "all users" : "its group") +
           " (chmod go-w it, or pass --allow-insecure-plugins for development)";
  }
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return std::string(what) + " '" + p.string() + "' is owned by uid " + std::to_string(st.st_uid) +
           ", neither root nor the current user";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> insecure_permissions(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return check_one(path, "plugin folder");
  if (auto r = check_one(path.parent_path().empty() ? "." : path.parent_path(), "plugin folder"))
    return r;
  return check_one(path, "plugin file");
}

}  // namespace jobhost
