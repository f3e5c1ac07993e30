# Cross toolchain for the arm64 device (Raspberry-Pi class boards): Debian's
# gcc-aarch64-linux-gnu, OpenSSL from multiarch (libssl-dev:arm64), and
# qemu-aarch64 user mode to run what it builds on this x86_64 machine.
# Install with `scripts/deps.sh arm64`, then:
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DBVC_RUNTIME_ONLY=ON
#   cmake --build build-arm64
#   qemu-aarch64 -L /usr/aarch64-linux-gnu build-arm64/runtime/bpfvc-run ...
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(BVC_CROSS_TRIPLE aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${BVC_CROSS_TRIPLE}-gcc)
set(CMAKE_AR ${BVC_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${BVC_CROSS_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP ${BVC_CROSS_TRIPLE}-strip CACHE FILEPATH "")

# Libraries and headers: the cross sysroot, then Debian's multiarch paths.
set(CMAKE_FIND_ROOT_PATH /usr/${BVC_CROSS_TRIPLE} /usr/lib/${BVC_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# pkg-config must see only the arm64 .pc files (libcrypto from libssl-dev:arm64).
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${BVC_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# Linux UAPI headers: the cross sysroot's (linux-libc-dev-arm64-cross, 6.1.4)
# lack flags the runtime's helpers use (BPF_F_IPV6, ...). Debian's generic
# <linux/*.h> in /usr/include (linux-libc-dev, 6.1.x, architecture-neutral)
# are put first; <asm/*.h> still come from the arm64 sysroot.
set(BVC_CROSS_UAPI ${CMAKE_BINARY_DIR}/cross-uapi)
if(NOT EXISTS ${BVC_CROSS_UAPI}/linux)
  file(MAKE_DIRECTORY ${BVC_CROSS_UAPI})
  file(CREATE_LINK /usr/include/linux ${BVC_CROSS_UAPI}/linux SYMBOLIC)
endif()
set(CMAKE_C_FLAGS_INIT "-isystem ${BVC_CROSS_UAPI}")

# How CMake (and ctest) run target binaries on this machine.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-${CMAKE_SYSTEM_PROCESSOR} -L /usr/${BVC_CROSS_TRIPLE})
