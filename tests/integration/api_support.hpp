// What the fluent-API tests share.
#pragma once

#include <jobhost/pipeline.hpp>

#include "support.hpp"

namespace jobhost::test {

// Each test's scratch files stay in its own temp dir; no state file unless asked; no log lines.
inline RunOptions quiet(const TempDir& dir) {
  RunOptions o;
  o.logical_date = "2026-11-28";
  o.scratch_root = dir.str("scratch");
  o.log_state_changes = false;
  return o;
}

}  // namespace jobhost::test
