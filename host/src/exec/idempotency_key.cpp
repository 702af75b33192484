#include "exec/idempotency_key.hpp"

#include <array>
#include <cstring>

namespace jobhost {
namespace {

constexpr uint64_t kPrime = 1099511628211ull;

void mix(uint64_t& h1, uint64_t& h2, unsigned char c) {
  h1 = (h1 ^ c) * kPrime;
  h2 = (h2 ^ c) * kPrime;
}

}  // namespace

IdempotencyKeys::IdempotencyKeys(std::string_view run_id)
    : h1_(1469598103934665603ull), h2_(0x84222325cbf29ce4ull) {
  for (unsigned char c : run_id) mix(h1_, h2_, c);
  mix(h1_, h2_, 0xff);  // separators: ("ab","c") and ("a","bc") differ
}

void IdempotencyKeys::write(char (&out)[40], std::string_view job, int64_t n) const {
  uint64_t h1 = h1_, h2 = h2_;
  for (unsigned char c : job) mix(h1, h2, c);
  mix(h1, h2, 0xff);
  for (int i = 0; i < 8; ++i) mix(h1, h2, static_cast<unsigned char>(static_cast<uint64_t>(n) >> (8 * i)));
  out[0] = 'j';
  out[1] = 'h';
  out[2] = '-';
  // Two hex digits per table lookup: this runs for every attempt.
  static constexpr auto kPairs = [] {
    std::array<char, 512> t{};
    constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 256; ++i) {
      t[2 * i] = kHex[i >> 4];
      t[2 * i + 1] = kHex[i & 0xf];
    }
    return t;
  }();
  for (int i = 0; i < 8; ++i) {
    std::memcpy(out + 3 + 2 * i, &kPairs[2 * ((h1 >> (56 - 8 * i)) & 0xff)], 2);
    std::memcpy(out + 19 + 2 * i, &kPairs[2 * ((h2 >> (56 - 8 * i)) & 0xff)], 2);
  }
  out[kIdempotencyKeySize] = '\0';
}

std::string IdempotencyKeys::operator()(std::string_view job, int64_t n) const {
  char out[40];
  write(out, job, n);
  return std::string(out, kIdempotencyKeySize);
}

}  // namespace jobhost
