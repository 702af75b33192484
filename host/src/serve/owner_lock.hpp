// Only one daemon serves a run store: an exclusive flock on "<store>.serve.lock", holding the
// owner's pid, host and start time. The lock dies with the process (kill -9 included).
// `jobhost run` beside a daemon is unaffected: runs have their own per-run locks.
#pragma once

#include <stdexcept>
#include <string>

namespace jobhost::serve {

class OwnerLock {
 public:
  // Throws InputError-style std::runtime_error naming the owner when another daemon has it.
  explicit OwnerLock(const std::string& store_path);
  ~OwnerLock();
  OwnerLock(const OwnerLock&) = delete;
  OwnerLock& operator=(const OwnerLock&) = delete;

 private:
  int fd_ = -1;
};

// Thrown when the store is owned by another daemon (exit code 2).
struct StoreOwned : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace jobhost::serve
