#!/usr/bin/env bash
# The out-of-tree SDK example, as a third party would build it:
#   1. install the built jobhost (host, plugins, SDK) into a temporary prefix,
#   2. configure and build sdk/examples/hello-plugin against that prefix only, in its own
#      build folder (nothing of the main build's cache is reused),
#   3. load the result with the installed `jobhost plugins`, and check that the plugin
#      exports exactly one symbol.
# usage: out_of_tree_example.sh <jobhost build dir> <example source dir> <cmake> [<generator>]
source "$(dirname "${BASH_SOURCE[0]}")/../install_prefix.bash" jobhost-sdk-example "$@"
for f in bin/jobhost include/jobhost/abi.h include/jobhost/sdk.hpp \
         lib/cmake/JobhostSDK/JobhostSDKConfig.cmake lib/cmake/JobhostSDK/JobhostPlugin.cmake; do
  [[ -e $prefix/$f ]] || fail "the install has no $f"
done

echo "== configure and build $example_dir against the installed SDK"
# A copy of the example, as a third party would have it: outside the jobhost source tree.
cp -r "$example_dir" "$work/hello-plugin"
env -u CMAKE_PREFIX_PATH "$cmake" -S "$work/hello-plugin" -B "$work/build" -G "$generator" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
grep -q "JobhostSDK_DIR:PATH=$prefix/lib/cmake/JobhostSDK" "$work/build/CMakeCache.txt" ||
  fail "the example did not find the SDK in $prefix"
"$cmake" --build "$work/build"

plugin=$(find "$work/build" -name hello.so -print -quit)
[[ -n $plugin ]] || fail "the example built no hello.so"

echo "== exported symbols of $plugin"
exported=$(nm -D --defined-only "$plugin" | awk '{print $NF}')
echo "$exported"
[[ $exported == "jobhost_plugin_entry" ]] || fail "hello.so must export only jobhost_plugin_entry"

echo "== load it with the installed jobhost"
plugins=$work/plugins
mkdir -m 755 "$plugins"
cp "$plugin" "$plugins/"
chmod 755 "$plugins/hello.so"
set +e
JOBHOST_PLUGIN_PATH= "$prefix/bin/jobhost" plugins --plugin-path "$plugins" --json >"$work/plugins.json"
rc=$?
set -e
cat "$work/plugins.json"
[[ $rc == 0 ]] || fail "jobhost plugins exited with $rc (a refused plugin?)"
grep -q "\"file\":\"$plugins/hello.so\",\"name\":\"hello\"" "$work/plugins.json" ||
  fail "the installed jobhost did not load hello.so"
grep -q '"name":"hello.greet"' "$work/plugins.json" || fail "no job type hello.greet"
grep -q '"refused":\[\]' "$work/plugins.json" || fail "something was refused"
echo "OK: the out-of-tree example builds against the installed SDK and loads"
