#!/usr/bin/env bash
# Benchmarks the matrix products of the Fashion-MNIST MLP's training step
# (bench/matmul.mlir) compiled by nnc-cpu-pipeline against OpenBLAS on the
# same shapes, and prints a markdown table per pipeline variant: the default
# (f32 products as nnc_sgemm calls) and blas=false (linalg lowered to loops,
# the state before). GFLOP/s are medians of SAMPLES samples.
#
# usage: bench/matmul.sh [BUILD_DIR] [SAMPLES]   (default build/, 11)
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$SRC/build}"
SAMPLES="${2:-11}"
LLVM=/usr/lib/llvm-19/bin
WORK="$BUILD/bench"

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 >/dev/null
fi
ninja -C "$BUILD" nn-opt nncBlas >/dev/null
mkdir -p "$WORK"

for variant in blas loops; do
  pipeline="builtin.module(nnc-cpu-pipeline)"
  [ "$variant" = loops ] && pipeline="builtin.module(nnc-cpu-pipeline{blas=false})"
  "$BUILD/bin/nn-opt" "$SRC/bench/matmul.mlir" --pass-pipeline="$pipeline" \
    -o "$WORK/matmul-$variant.mlir"
  "$LLVM/mlir-translate" --mlir-to-llvmir "$WORK/matmul-$variant.mlir" \
    -o "$WORK/matmul-$variant.ll"
  "$LLVM/llc" -O3 -mcpu=native -filetype=obj "$WORK/matmul-$variant.ll" \
    -o "$WORK/matmul-$variant.o"
  clang++-19 -O2 -std=c++17 -I/usr/include/x86_64-linux-gnu \
    "$SRC/bench/matmul_main.cpp" "$WORK/matmul-$variant.o" \
    -L"$BUILD/lib" -Wl,-rpath,"$BUILD/lib" -lnnc_blas -lopenblas -lm \
    -o "$WORK/matmul-$variant"
done

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo
echo "nnc-cpu-pipeline (f32 products -> nnc_sgemm -> OpenBLAS):"
"$WORK/matmul-blas" "$SAMPLES"
echo
echo "nnc-cpu-pipeline{blas=false} (linalg -> loops):"
"$WORK/matmul-loops" 3
