// Framed messages over a socket (a socketpair between the host and a worker process):
// [u32 size of what follows][u8 kind][payload]. Blocking sends (whole frames, one writer at a
// time) and reads with a deadline, so that the host can watch for cancellation between them.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace jobhost::isolation {

struct Frame {
  uint8_t kind = 0;
  std::string payload;
};

class FrameChannel {
 public:
  explicit FrameChannel(int fd) : fd_(fd) {}
  ~FrameChannel();
  FrameChannel(const FrameChannel&) = delete;
  FrameChannel& operator=(const FrameChannel&) = delete;

  int fd() const { return fd_; }
  // False when the other side is gone. Thread-safe (frames never interleave).
  bool send(uint8_t kind, std::string_view payload);
  enum class Read { frame, timeout, closed };
  // Waits at most `wait` (negative: without a limit) for one whole frame.
  Read receive(Frame& out, std::chrono::milliseconds wait);
  void close();

  static constexpr uint32_t kMaxFrame = 64u << 20;  // a frame larger than this is a fault

 private:
  bool fill(size_t want, std::chrono::milliseconds wait, Read& why);
  int fd_ = -1;
  std::mutex send_mu_;
  std::string in_;  // bytes read and not yet returned as frames
};

}  // namespace jobhost::isolation
