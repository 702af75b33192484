# Thin wrapper over CMake. `make demo` and `make test` work on a fresh Debian 12 as root.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
# Let ccache reuse objects across clones in other folders (CI builds a fresh clone).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
DEB_PACKAGES = build-essential cmake ninja-build ccache pkg-config git \
  libboost1.81-dev libboost-json1.81-dev libspdlog-dev libtomlplusplus-dev catch2 \
  libsqlite3-dev sqlite3 libssl-dev libhowardhinnant-date-dev libeigen3-dev \
  clang libc++-dev libc++abi-dev python3-jsonschema \
  chromium chromium-driver python3-selenium

.PHONY: deps build test demo clean

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root (or install: $$missing)"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j2

# The demo needs the host and the shipped plugins only, not the test suite.
demo: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS) --target jobhost jobhost_plugins
	./scripts/demo.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
