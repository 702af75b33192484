// Waiting for a condition on files in a test folder without sleeping: the wait wakes on
// inotify events in the folder, so it reacts as soon as a job writes there.
#pragma once

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <stdexcept>

#include "child_process.hpp"
#include "support.hpp"

namespace jobhost::test {

// Returns true as soon as done() holds; false when `child` ends first or `limit` passes.
// done() is checked after every change in `dir` (files created, written or renamed there).
inline bool wait_until(const TempDir& dir, ChildProcess& child, const std::function<bool()>& done,
                       std::chrono::seconds limit = std::chrono::seconds(60)) {
  int fd = ::inotify_init1(IN_CLOEXEC);
  if (fd < 0 || ::inotify_add_watch(fd, dir.str().c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0)
    throw std::runtime_error("inotify on " + dir.str() + " failed");
  auto deadline = std::chrono::steady_clock::now() + limit;
  bool reached = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) {
      reached = true;
      break;
    }
    if (child.poll()) break;
    // The timeout only bounds how late we notice the child ending without writing anything.
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[4096];
      [[maybe_unused]] auto n = ::read(fd, buf, sizeof buf);
    }
  }
  ::close(fd);
  return reached;
}

}  // namespace jobhost::test
