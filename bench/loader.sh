#!/usr/bin/env bash
# Samples per second of nnc's batch loader alone, and how long a training
# step waits for its batch, on the Fashion-MNIST training set (60000
# samples of 28x28, batch 128): from the IDX files held in memory, shuffled,
# with and without the background prefetch thread, and from a CSV copy of
# the same data (785 columns, about 130 MB) streamed from the file
# (NNC_DATA_MEMORY_LIMIT=0), in file order and shuffled. See
# bench/loader_main.cpp for how each column is measured. The step time to
# compare with is the "nnc compiled step alone" row of bench/run.sh.
#
#   bench/loader.sh [BUILD_DIR] [REPS] [STEP_MS]   (defaults: build, 5, 0.644)
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$SRC/build}"
REPS="${2:-5}"
STEP_MS="${3:-0.644}"
DATA=/usr/share/datasets/fashion-mnist
WORK="$BUILD/bench"

if [ ! -f "$DATA/train-images-idx3-ubyte.gz" ]; then
  echo "bench/loader.sh: Fashion-MNIST is not installed in $DATA" \
       "(apt-get install dataset-fashion-mnist)" >&2
  exit 1
fi
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 >/dev/null
fi
ninja -C "$BUILD" nncHostABI >/dev/null
mkdir -p "$WORK"
clang++-19 -O2 -std=c++17 -I"$SRC/runtime/include" -I/usr/lib/llvm-19/include \
  "$SRC/bench/loader_main.cpp" -L"$BUILD/lib" -lnncHostABI -lnncRuntimeData \
  -lz -pthread -o "$WORK/loader_main"

CSV="$WORK/fashion-mnist-train.csv"
if [ ! -f "$CSV" ]; then
  /usr/bin/python3 - "$DATA" "$CSV" <<'PY'
import gzip, sys
import numpy as np
data, out = sys.argv[1], sys.argv[2]
with gzip.open(data + "/train-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
with gzip.open(data + "/train-labels-idx1-ubyte.gz") as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8)
table = np.concatenate([images, labels[:, None]], axis=1)
header = ",".join(["p%d" % i for i in range(784)] + ["label"])
np.savetxt(out, table, fmt="%d", delimiter=",", header=header, comments="")
PY
fi

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo
"$WORK/loader_main" "$DATA/train-images-idx3-ubyte.gz" \
  "$DATA/train-labels-idx1-ubyte.gz" "$CSV" "$REPS" "$STEP_MS"
