// A stable 64-bit content hash (FNV-1a) as 16 hex digits: the same bytes give the same
// hash on every platform and standard library, which std::hash does not promise.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace jobhost {

inline std::string content_hash(std::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace jobhost
