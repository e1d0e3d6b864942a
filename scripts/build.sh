#!/usr/bin/env bash
# Configures (once) and builds nnc into build/ with Ninja, clang-19, lld and
# ccache. NNC_JOBS sets the parallelism (default 2, sized for 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${NNC_BUILD_DIR:-build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -G Ninja -S . -B "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE=${NNC_BUILD_TYPE:-RelWithDebInfo} \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 >/dev/null
fi
cmake --build "$BUILD_DIR" -j "${NNC_JOBS:-2}"
