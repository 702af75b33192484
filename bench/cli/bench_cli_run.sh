#!/usr/bin/env bash
# Wall time of `jobhost validate` and `jobhost run` on a generated 100,000-job pipeline of
# utilities.noop jobs (layered, 2 random parents from the layer before), best of N, with and
# without the durable store. The target: validated and run in under 2 s on 2 cores.
# The baseline is `jobhost validate` of the same file in the same run: the parse floor.
#
#   bench/cli/bench_cli_run.sh [BUILD_DIR] [JOBS] [REPS]
set -euo pipefail
build=${1:-build}
jobs=${2:-100000}
reps=${3:-3}
jobhost="$build/bin/jobhost"
[[ -x $jobhost ]] || { echo "no $jobhost: build the jobhost and jobhost_plugins targets first" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pipeline="$work/layered.toml"

awk -v n="$jobs" -v width=1000 'BEGIN {
  srand(42);
  print "[pipeline]\nname = \"layered_cli\"";
  for (i = 0; i < n; i++) {
    printf "[[jobs]]\nname = \"j%d\"\nuses = \"utilities.noop\"\n", i;
    if (i >= width) {
      start = (int(i / width) - 1) * width;
      a = start + int(rand() * width); b = start + int(rand() * width);
      if (a == b) printf "depends_on = [\"j%d\"]\n", a;
      else printf "depends_on = [\"j%d\", \"j%d\"]\n", a, b;
    }
  }
}' > "$pipeline"

# best_of CMD...: the smallest wall time in seconds over $reps runs.
best_of() {
  local best="" t0 t1 s
  for ((r = 0; r < reps; r++)); do
    rm -f "$work"/state.db*
    t0=$(date +%s%N)
    "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    t1=$(date +%s%N)
    s=$(( t1 - t0 ))
    if [[ -z $best || $s -lt $best ]]; then best=$s; fi
  done
  awk -v ns="$best" 'BEGIN { printf "%.4f", ns / 1e9 }'
}

validate=$(best_of "$jobhost" validate "$pipeline")
memory=$(best_of "$jobhost" run "$pipeline" --no-state --date 2026-01-01)
durable=$(best_of "$jobhost" run "$pipeline" --state "$work/state.db" --date 2026-01-01)
echo "BENCH name=cli_${jobs}.validate value=$validate unit=s"
echo "BENCH name=cli_${jobs}.run_no_state value=$memory unit=s"
echo "BENCH name=cli_${jobs}.run_durable value=$durable unit=s"
awk -v m="$memory" -v d="$durable" -v v="$validate" -v n="$jobs" 'BEGIN {
  printf "BENCH name=cli_%d.run_durable_vs_validate value=%.4f unit=ratio\n", n, d / v;
  printf "BENCH name=cli_%d.run_durable_vs_no_state value=%.4f unit=ratio\n", n, d / m;
}'
