#!/usr/bin/env bash
# An out-of-tree SDK example built against the SDK install component ALONE, as a plugin author
# who has no jobhost host installed would build it:
#   1. cmake --install <build> --component sdk into a temporary prefix (headers and the CMake
#      package only: no host, no plugins),
#   2. configure and build a copy of the example against that prefix, in its own build folder,
#      with the C/C++ compiler named by $CC / $CXX when set,
#   3. check that the plugin exports exactly one symbol, and load it with the jobhost of the
#      build tree: it must load with this SDK's ABI version, nothing refused,
#   4. with RUN_PIPELINE=<file in the example>: validate it, and run it (--no-state); with
#      VALIDATE_PIPELINE=<file>: only validate it.
# usage: sdk_only_example.sh <jobhost build dir> <example source dir> <cmake> <generator>
#                            <plugin name> <job type>...
install_component=sdk
source "$(dirname "${BASH_SOURCE[0]}")/../install_prefix.bash" jobhost-sdk-only "${@:1:4}"
plugin_name=$5
job_types=("${@:6}")
jobhost=$build_dir/bin/jobhost
[[ -x $jobhost ]] || fail "no $jobhost: build the jobhost target first"
unset JOBHOST_PLUGIN_PATH # plugins come from --plugin-path (and the build tree's plugin folder)

for f in include/jobhost/abi.h include/jobhost/sdk.hpp \
         lib/cmake/JobhostSDK/JobhostSDKConfig.cmake \
         lib/cmake/JobhostSDK/JobhostSDKConfigVersion.cmake \
         lib/cmake/JobhostSDK/JobhostPlugin.cmake lib/cmake/JobhostSDK/jobhost_plugin.map; do
  [[ -f $prefix/$f ]] || fail "the sdk component has no $f"
done
# Only the SDK: anything else in the component would tie plugin builds to the host's.
sdk_files='^\./(include/jobhost/(abi\.h|sdk\.hpp)|lib/cmake/JobhostSDK/[^/]+)$'
extra=$(cd "$prefix" && find . -type f | { grep -vE "$sdk_files" || true; })
[[ -z $extra ]] || fail "the sdk component installs more than the SDK: $extra"

# The ABI version of the installed header, e.g. 1.1: what the loaded plugin must report.
abi_major=$(sed -nE 's/^#define JH_ABI_MAJOR ([0-9]+)u?.*/\1/p' "$prefix/include/jobhost/abi.h")
abi_minor=$(sed -nE 's/^#define JH_ABI_MINOR ([0-9]+)u?.*/\1/p' "$prefix/include/jobhost/abi.h")
[[ -n $abi_major && -n $abi_minor ]] || fail "no JH_ABI_MAJOR/JH_ABI_MINOR in the installed abi.h"

echo "== configure and build $example_dir against the SDK only (CC=${CC:-default} CXX=${CXX:-default})"
# A copy of the example, as a third party would have it: outside the jobhost source tree.
cp -r "$example_dir" "$work/example"
env -u CMAKE_PREFIX_PATH "$cmake" -S "$work/example" -B "$work/build" -G "$generator" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
grep -q "JobhostSDK_DIR:PATH=$prefix/lib/cmake/JobhostSDK" "$work/build/CMakeCache.txt" ||
  fail "the example did not find the SDK in $prefix"
# The compiler asked for: $CC for C, $CXX for C++ (a project without that language skips it).
check_compiler() { # <env var> <CMake language>
  local var=$1 lang=$2 line
  [[ -n ${!var:-} ]] || return 0
  line=$(grep "^CMAKE_${lang}_COMPILER:" "$work/build/CMakeCache.txt" || true)
  [[ -z $line || $line == *"=${!var}" || $line == *"/${!var}" ]] ||
    fail "the example was not configured with $var=${!var}: $line"
}
check_compiler CC C
check_compiler CXX CXX
"$cmake" --build "$work/build" --verbose

plugin=$(find "$work/build" -name "$plugin_name.so" -print -quit)
[[ -n $plugin ]] || fail "the example built no $plugin_name.so"

echo "== exported symbols of $plugin"
exported=$(nm -D --defined-only "$plugin" | awk '{print $NF}')
echo "$exported"
[[ $exported == "jobhost_plugin_entry" ]] || fail "$plugin_name.so must export only jobhost_plugin_entry"

echo "== load it with $jobhost"
plugins=$work/plugins
mkdir -m 755 "$plugins"
cp "$plugin" "$plugins/"
chmod 755 "$plugins/$plugin_name.so"
set +e
"$jobhost" plugins --plugin-path "$plugins" --json >"$work/plugins.json"
rc=$?
set -e
cat "$work/plugins.json"
[[ $rc == 0 ]] || fail "jobhost plugins exited with $rc (a refused plugin?)"
# The keys of a loaded plugin, in the order `jobhost plugins --json` writes them.
grep -qE "\"file\":\"$plugins/$plugin_name.so\",\"name\":\"$plugin_name\",\"version\":\"[^\"]*\",\"description\":\"[^\"]*\",\"abi\":\"$abi_major\\.$abi_minor\"" \
  "$work/plugins.json" || fail "$plugin_name.so did not load as a plugin of ABI $abi_major.$abi_minor"
for t in "${job_types[@]}"; do
  grep -q "\"name\":\"$plugin_name.$t\"" "$work/plugins.json" || fail "no job type $plugin_name.$t"
done
grep -q '"refused":\[\]' "$work/plugins.json" || fail "something was refused"

pipeline=${RUN_PIPELINE:-${VALIDATE_PIPELINE:-}}
if [[ -n $pipeline ]]; then
  echo "== validate $pipeline"
  cd "$work"
  "$jobhost" validate "$work/example/$pipeline" --plugin-path "$plugins" ||
    fail "jobhost validate $pipeline failed"
fi
if [[ -n ${RUN_PIPELINE:-} ]]; then
  echo "== run $RUN_PIPELINE"
  set +e
  "$jobhost" run "$work/example/$RUN_PIPELINE" --plugin-path "$plugins" \
    --no-state --json >"$work/run.json"
  rc=$?
  set -e
  cat "$work/run.json"
  [[ $rc == 0 ]] || fail "jobhost run $RUN_PIPELINE exited with $rc"
  grep -q '"status":"success"' "$work/run.json" || fail "the run did not succeed"
  if [[ -n ${RUN_EXPECT:-} ]]; then
    grep -qE "$RUN_EXPECT" "$work/run.json" || fail "the run's report does not match $RUN_EXPECT"
  fi
fi
echo "OK: $plugin_name builds against the SDK component alone and loads"
