#!/usr/bin/env bash
# The JobhostSDK package version is the plugin ABI version of abi.h (e.g. 1.1), compatible
# within its major: after `cmake --install <build> --component sdk`, find_package(JobhostSDK V)
# must succeed for V = 1, 1.0, 1.1 and fail for 2, 0, 1.2 (numbers for ABI 1.1; derived from
# the source tree's abi.h, so the test follows a version bump).
# usage: sdk_package_version.sh <jobhost build dir> <sdk source dir> <cmake> [<generator>]
install_component=sdk
source "$(dirname "${BASH_SOURCE[0]}")/../install_prefix.bash" jobhost-sdk-version "$@"
abi_h=$example_dir/include/jobhost/abi.h
major=$(sed -nE 's/^#define JH_ABI_MAJOR ([0-9]+)u?.*/\1/p' "$abi_h")
minor=$(sed -nE 's/^#define JH_ABI_MINOR ([0-9]+)u?.*/\1/p' "$abi_h")
[[ -n $major && -n $minor ]] || fail "no JH_ABI_MAJOR/JH_ABI_MINOR in $abi_h"

# A throwaway project per requested version; LANGUAGES NONE: no compiler needed to find it.
probe() {
  local want=$1 dir=$work/probe-$1
  mkdir -p "$dir"
  cat >"$dir/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project(probe LANGUAGES NONE)
find_package(JobhostSDK $want REQUIRED)
message(STATUS "probe: JobhostSDK_VERSION=\${JobhostSDK_VERSION}")
if(NOT TARGET JobhostSDK::sdk OR NOT COMMAND jobhost_add_plugin)
  message(FATAL_ERROR "probe: no JobhostSDK::sdk or jobhost_add_plugin")
endif()
CMAKE
  env -u CMAKE_PREFIX_PATH "$cmake" -S "$dir" -B "$dir/build" -G "$generator" \
    -DCMAKE_PREFIX_PATH="$prefix" >"$dir/log" 2>&1
}

for want in "$major" "$major.0" "$major.$minor"; do
  echo "== find_package(JobhostSDK $want): must succeed"
  probe "$want" || { cat "$work/probe-$want/log"; fail "find_package(JobhostSDK $want) failed"; }
  grep -q "probe: JobhostSDK_VERSION=$major.$minor\$" "$work/probe-$want/log" ||
    { cat "$work/probe-$want/log"; fail "JobhostSDK_VERSION is not the ABI version $major.$minor"; }
done
for want in "$((major + 1))" "$((major - 1))" "$major.$((minor + 1))"; do
  echo "== find_package(JobhostSDK $want): must fail"
  if probe "$want"; then
    cat "$work/probe-$want/log"
    fail "find_package(JobhostSDK $want) succeeded with an SDK of ABI $major.$minor"
  fi
  # Found, and turned down for its version (not failing for some other reason).
  grep -q "JobhostSDKConfig.cmake, version: $major.$minor" "$work/probe-$want/log" ||
    { cat "$work/probe-$want/log"; fail "find_package(JobhostSDK $want) failed for another reason"; }
done
echo "OK: the JobhostSDK package is version $major.$minor, compatible within ABI major $major"
