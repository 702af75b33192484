# Sourced by the out-of-tree example tests: parses their arguments, installs the jobhost build
# into a temporary prefix (removed on exit) and defines fail().
# usage: source install_prefix.bash <temp folder name> <jobhost build dir> <example source dir> <cmake> [<generator>]
# With install_component set (e.g. install_component=sdk before sourcing) only that install
# component is installed (cmake --install --component), as a plugin author's SDK-only prefix.
set -euo pipefail
# Group- or world-writable plugin folders are refused by the host: install like root does.
umask 022

temp_name=$1
build_dir=$2
example_dir=$3
cmake=$4
generator=${5:-Ninja}

work=$(mktemp -d "${TMPDIR:-/tmp}/$temp_name-XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

install_args=(--install "$build_dir" --prefix "$prefix")
if [[ -n ${install_component:-} ]]; then install_args+=(--component "$install_component"); fi
echo "== install $build_dir into $prefix${install_component:+ (component $install_component only)}"
"$cmake" "${install_args[@]}" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "cmake ${install_args[*]} failed"; }
