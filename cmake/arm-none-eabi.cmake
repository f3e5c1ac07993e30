# Cross toolchain for the bare-metal thumbv7m device (Cortex-M4, issue #20):
# Debian's gcc-arm-none-eabi, no libc (the runtime brings the little it
# needs), libgcc for 64-bit division. Used by the standalone project in
# runtime/baremetal/, never by the host build:
#   cmake -S runtime/baremetal -B build-fw -DCMAKE_TOOLCHAIN_FILE=$PWD/cmake/arm-none-eabi.cmake \
#         -DBVC_FW_BLOB=OUT.bvc -DBVC_FW_PUBKEY=KEY.raw
#   cmake --build build-fw   # build-fw/bvc-fw.elf, for qemu-system-arm -M mps2-an386
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(BVC_CROSS_TRIPLE arm-none-eabi)

set(CMAKE_C_COMPILER ${BVC_CROSS_TRIPLE}-gcc)
set(CMAKE_AR ${BVC_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${BVC_CROSS_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_OBJCOPY ${BVC_CROSS_TRIPLE}-objcopy CACHE FILEPATH "")
set(CMAKE_SIZE ${BVC_CROSS_TRIPLE}-size CACHE FILEPATH "")
# No libc to link a test program against: check the compiler with a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -mfloat-abi=soft -ffreestanding -fno-builtin")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostdlib -nostartfiles")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
