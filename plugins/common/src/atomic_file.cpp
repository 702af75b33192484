#include "jobhost_common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jobhost/sdk.hpp>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace jobhost::common {
namespace {

// Opens a new file "<path>.tmp-<pid>-<n>". O_EXCL with mode 0666 lets the kernel apply the
// umask; mkstemp would force 0600 and reading the umask means setting it, which races with
// other threads of the host creating files.
int create_temp(const std::string& path, std::string& tmp) {
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;  // EEXIST: a leftover of a crashed process
  }
  errno = EEXIST;
  return -1;
}

// Makes the rename itself durable. Best effort: some file systems refuse fsync on a folder.
void sync_parent(const std::filesystem::path& target) {
  auto parent = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view content) {
  std::filesystem::path target(path);
  std::error_code ec;
  // An error here shows up, with its cause, when the temporary file cannot be created.
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  std::string tmp;
  int fd = create_temp(path, tmp);
  if (fd < 0) throw FatalError("cannot create a temporary file beside '" + path + "': " + std::strerror(errno));
  auto fail = [&](const std::string& what) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw RetryableError(what + " '" + path + "': " + std::strerror(e));
  };
  for (size_t done = 0; done < content.size();) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail("cannot flush");
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw RetryableError("cannot write '" + path + "': " + std::strerror(e));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw FatalError("cannot replace '" + path + "': " + std::strerror(e));
  }
  sync_parent(target);
}

}  // namespace jobhost::common
