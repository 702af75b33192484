#include "isolation/frame_channel.hpp"

#include <poll.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace jobhost::isolation {

FrameChannel::~FrameChannel() { close(); }

void FrameChannel::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool FrameChannel::send(uint8_t kind, std::string_view payload) {
  const uint32_t size = static_cast<uint32_t>(payload.size() + 1);
  char head[5];
  std::memcpy(head, &size, 4);
  head[4] = static_cast<char>(kind);
  std::lock_guard lock(send_mu_);
  if (fd_ < 0) return false;
  struct iovec parts[2] = {{head, sizeof head}, {const_cast<char*>(payload.data()), payload.size()}};
  msghdr msg{};
  msg.msg_iov = parts;
  msg.msg_iovlen = 2;
  size_t left = sizeof head + payload.size();
  while (left > 0) {
    // MSG_NOSIGNAL: a dead peer is an error here, not a SIGPIPE for the whole process.
    ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    left -= static_cast<size_t>(n);
    while (n > 0 && msg.msg_iovlen > 0) {
      size_t take = std::min<size_t>(static_cast<size_t>(n), msg.msg_iov[0].iov_len);
      msg.msg_iov[0].iov_base = static_cast<char*>(msg.msg_iov[0].iov_base) + take;
      msg.msg_iov[0].iov_len -= take;
      n -= static_cast<ssize_t>(take);
      if (msg.msg_iov[0].iov_len == 0) {
        ++msg.msg_iov;
        --msg.msg_iovlen;
      }
    }
  }
  return true;
}

// Reads until in_ holds `want` bytes.
bool FrameChannel::fill(size_t want, std::chrono::milliseconds wait, Read& why) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  char buf[64 * 1024];
  while (in_.size() < want) {
    if (fd_ < 0) {
      why = Read::closed;
      return false;
    }
    int timeout = -1;
    if (wait.count() >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      timeout = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, timeout);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      why = Read::timeout;
      return false;
    }
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      why = Read::closed;
      return false;
    }
    in_.append(buf, static_cast<size_t>(n));
  }
  return true;
}

FrameChannel::Read FrameChannel::receive(Frame& out, std::chrono::milliseconds wait) {
  Read why = Read::frame;
  if (!fill(4, wait, why)) return why;
  uint32_t size = 0;
  std::memcpy(&size, in_.data(), 4);
  if (size == 0 || size > kMaxFrame) return Read::closed;  // not our peer speaking
  // Once a frame has begun, the rest follows at once: wait for it without the deadline.
  if (!fill(4 + size, std::chrono::milliseconds(-1), why)) return why;
  out.kind = static_cast<uint8_t>(in_[4]);
  out.payload.assign(in_, 5, size - 1);
  in_.erase(0, 4 + size);
  return Read::frame;
}

}  // namespace jobhost::isolation
