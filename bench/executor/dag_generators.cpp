#include "dag_generators.hpp"

#include <random>

namespace jobhost::bench {

Preds chain(uint32_t n) {
  Preds p(n);
  for (uint32_t i = 1; i < n; ++i) p[i] = {i - 1};
  return p;
}

Preds fan_out_fan_in(uint32_t width) {
  Preds p(width + 2);
  for (uint32_t i = 1; i <= width; ++i) p[i] = {0};
  for (uint32_t i = 1; i <= width; ++i) p[width + 1].push_back(i);
  return p;
}

Preds layered_random(uint32_t n, uint32_t layer_width, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Preds p(n);
  for (uint32_t i = layer_width; i < n; ++i) {
    uint32_t layer_start = (i / layer_width - 1) * layer_width;
    uint32_t a = layer_start + static_cast<uint32_t>(rng() % layer_width);
    uint32_t b = layer_start + static_cast<uint32_t>(rng() % layer_width);
    p[i] = a == b ? std::vector<uint32_t>{a} : std::vector<uint32_t>{a, b};
  }
  return p;
}

Preds lattice(uint32_t side) {
  Preds p(side * side);
  for (uint32_t r = 0; r < side; ++r)
    for (uint32_t c = 0; c < side; ++c) {
      uint32_t i = r * side + c;
      if (c) p[i].push_back(i - 1);
      if (r) p[i].push_back(i - side);
    }
  return p;
}

std::string to_toml(const std::string& name, const Preds& preds) {
  std::string t = "[pipeline]\nname = \"" + name + "\"\n";
  for (uint32_t i = 0; i < preds.size(); ++i) {
    t += "[[jobs]]\nname = \"j" + std::to_string(i) + "\"\nuses = \"utilities.noop\"\n";
    if (!preds[i].empty()) {
      t += "depends_on = [";
      for (size_t k = 0; k < preds[i].size(); ++k) t += (k ? ", \"j" : "\"j") + std::to_string(preds[i][k]) + "\"";
      t += "]\n";
    }
  }
  return t;
}

}  // namespace jobhost::bench
