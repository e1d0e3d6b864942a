#!/usr/bin/env bash
# Configures (once) and builds nnc into build/ with Ninja, clang-19, lld and
# ccache. NNC_JOBS sets the parallelism (default 2, sized for 2 cores).
#
#   bash scripts/build.sh [--sanitize]
#
# --sanitize builds nnc with AddressSanitizer and UndefinedBehaviorSanitizer
# (-DNNC_SANITIZE=ON) into build-sanitize/ instead. NNC_BUILD_DIR overrides
# the build directory of either.
set -euo pipefail
cd "$(dirname "$0")/.."
SANITIZE=0
for arg in "$@"; do
  case "$arg" in
  --sanitize) SANITIZE=1 ;;
  *)
    echo "build.sh: unknown option '$arg' (expected --sanitize)" >&2
    exit 2
    ;;
  esac
done
CMAKE_ARGS=()
if [ $SANITIZE -eq 1 ]; then
  bash scripts/clang_rt.sh
  BUILD_DIR=${NNC_BUILD_DIR:-build-sanitize}
  CMAKE_ARGS+=(-DNNC_SANITIZE=ON)
else
  BUILD_DIR=${NNC_BUILD_DIR:-build}
fi
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -G Ninja -S . -B "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE=${NNC_BUILD_TYPE:-RelWithDebInfo} \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    "${CMAKE_ARGS[@]}" >/dev/null
fi
cmake --build "$BUILD_DIR" -j "${NNC_JOBS:-2}"
