#!/usr/bin/env bash
# Training steps per second of the Fashion-MNIST MLP (784-256-10, Adam,
# batch 128) on this machine: nnc's compiled step (JIT, run by
# test/tools/jit-steps on batches in memory) next to PyTorch's step on
# pre-batched tensors and fed by a DataLoader, in one run. Medians.
#
#   bench/step.sh [BUILD_DIR] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
STEPS=${2:-300}
NNC_BUILD_DIR=$BUILD bash scripts/build.sh >/dev/null
nnc=$("$BUILD/test/tools/jit-steps" examples/fashion_mnist/mlp.nn --steps "$STEPS" --time)
torch=$(/usr/bin/python3 bench/torch_step.py "$STEPS")
nnc_ms=$(echo "$nnc" | sed -n 's/.*median step ms \([0-9.e+-]*\).*/\1/p')
pure_ms=$(echo "$torch" | sed -n 's/^pure-step-ms //p')
loader_ms=$(echo "$torch" | sed -n 's/^dataloader-step-ms //p')
echo "$torch" | head -1
printf '%-34s %10s %10s %14s\n' "" "ms/step" "steps/s" "nnc speed-up"
row() { awk -v n="$1" -v ms="$2" -v nnc="$nnc_ms" 'BEGIN {
  printf "%-34s %10.3f %10.1f %13.2fx\n", n, ms, 1000 / ms, ms / nnc }'; }
row "nnc (compiled step, JIT)" "$nnc_ms"
row "PyTorch, pre-batched tensors" "$pure_ms"
row "PyTorch, DataLoader" "$loader_ms"
