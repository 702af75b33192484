#include "serve/owner_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace jobhost::serve {

OwnerLock::OwnerLock(const std::string& store_path) {
  const std::string path = store_path + ".serve.lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    char buf[256] = {0};
    const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    std::string owner = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
    while (!owner.empty() && owner.back() == '\n') owner.pop_back();
    ::close(fd_);
    fd_ = -1;
    throw StoreOwned("the run store " + store_path + " is already served by another jobhost serve (" +
                     owner + "); stop it first, or give this one another --state");
  }
  char host[128] = {0};
  ::gethostname(host, sizeof host - 1);
  char when[32] = {0};
  std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  const std::string text = "pid " + std::to_string(::getpid()) + " on " + host + ", since " + when + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) < 0) {
    // The lock itself holds; the text is only for the message a second daemon prints.
  }
}

OwnerLock::~OwnerLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace jobhost::serve
