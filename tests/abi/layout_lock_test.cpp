// The layout lock (layout_lock.c) is compiled into this binary by the C compiler; here the
// C++ host side must agree with it, byte for byte.
#include <catch2/catch.hpp>

#include <jobhost/abi.h>

#include <cstddef>

extern "C" size_t jh_layout_lock_sizeof_plugin(void);
extern "C" size_t jh_layout_lock_sizeof_host(void);

TEST_CASE("abi layout: C and C++ see the same struct sizes", "[abi][layout]") {
  CHECK(jh_layout_lock_sizeof_plugin() == sizeof(jh_plugin));
  CHECK(jh_layout_lock_sizeof_host() == sizeof(jh_host));
  // The frozen header: a host of any major reads these four fields first.
  CHECK(offsetof(jh_plugin, magic) == 0);
  CHECK(offsetof(jh_plugin, struct_size) == 4);
  CHECK(offsetof(jh_plugin, abi_major) == 8);
  CHECK(offsetof(jh_plugin, abi_minor) == 12);
}
