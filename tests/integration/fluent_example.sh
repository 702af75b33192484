#!/usr/bin/env bash
# examples/fluent-api as a third party would build it:
#   1. install the built jobhost (core library, headers, CMake package, plugins) into a
#      temporary prefix,
#   2. configure and build a copy of the example against that prefix only, in its own build
#      folder (nothing of the main build's cache is reused),
#   3. run it: the seed pipeline (two in-process jobs and utilities.shell) must succeed.
# usage: fluent_example.sh <jobhost build dir> <example source dir> <cmake> [<generator>]
source "$(dirname "${BASH_SOURCE[0]}")/../install_prefix.bash" jobhost-fluent-example "$@"
for f in include/jobhost/pipeline.hpp include/jobhost/sdk.hpp include/jobhost/version.hpp \
         lib/libjobhost_core.a lib/cmake/Jobhost/JobhostConfig.cmake \
         lib/cmake/Jobhost/JobhostTargets.cmake lib/jobhost/plugins/utilities.so; do
  [[ -e $prefix/$f ]] || fail "the install has no $f"
done
# The public header must stay light: no toml++, Boost or spdlog.
if grep -nE '#include *<(toml\+\+|boost|spdlog)' "$prefix/include/jobhost/pipeline.hpp"; then
  fail "pipeline.hpp includes a private dependency"
fi

echo "== configure and build $example_dir against the installed jobhost"
cp -r "$example_dir" "$work/fluent-api"
env -u CMAKE_PREFIX_PATH "$cmake" -S "$work/fluent-api" -B "$work/build" -G "$generator" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
grep -q "Jobhost_DIR:PATH=$prefix/lib/cmake/Jobhost" "$work/build/CMakeCache.txt" ||
  fail "the example did not find jobhost in $prefix"
"$cmake" --build "$work/build"

echo "== run it"
mkdir "$work/run"
set +e
(cd "$work/run" && JOBHOST_PLUGIN_PATH="$prefix/lib/jobhost/plugins" "$work/build/fluent-api") \
  >"$work/out.txt" 2>"$work/err.txt"
rc=$?
set -e
cat "$work/out.txt"
cat "$work/err.txt" >&2
[[ $rc == 0 ]] || fail "the example exited with $rc"
for line in "ingest: success (attempts 1)" "process: success (attempts 1)" \
            "aggregate: success (attempts 1)" "process rows: 42"; do
  grep -qxF "$line" "$work/out.txt" || fail "the output has no line '$line'"
done
echo "OK: the fluent API example builds against the installed jobhost and runs"
