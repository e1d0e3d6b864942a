#!/usr/bin/env bash
# Training steps per second of the Fashion-MNIST MLP (examples/fashion_mnist/
# mlp.nn: 784-256-10, ReLU, cross-entropy, Adam 1e-3, batch 128, shuffled):
# `nnc run` end to end, nnc's compiled step alone, and PyTorch in the
# tutorial's setup, with a TensorDataset and as a bare step, all measured in
# one run on this machine, one after another. Medians of REPS repetitions.
#
#   bench/run.sh [BUILD_DIR] [REPS]      (defaults: build, 5)
#
# How each row is measured:
#
# nnc end to end. `nnc run mlp.nn --set epochs=3 --time`: the whole script
#   (compiling, reading the gzip files, 3 epochs of training with
#   validation, checkpoints, the test pass, predictions); --time makes the
#   runtime note the time of every optimizer step and report the median time
#   from one step to the next over the run's 1290 steps. That is the cost of
#   one step of the training loop: fetching and assembling the batch through
#   the shuffled order, the compiled step, the loop around it. Once-per-epoch
#   work (validation, the checkpoint, the next shuffle) falls in 3 of the
#   1289 gaps and outside the median. Median over REPS runs.
# nnc compiled step. test/tools/jit-steps --time: the median time of one call
#   of the compiled step on batches already in memory (no data loading, no
#   loop), as bench/step.sh, median over REPS runs.
# PyTorch (bench/torch_step.py): the model is first trained 889 steps, then
#   each row times a window of 400 steps from that state - steps 890..1289,
#   the training stage of the nnc row - starting a new epoch (iter(loader),
#   which draws the shuffle, is timed); ms/step = window time / 400, after a
#   warm-up window; median over REPS runs of the script. (PyTorch's step
#   mallocs its buffers anew every step; how many pages that faults in
#   depends on the state of glibc's heap, so a fresh process can be slower
#   than one that has trained a while.)
#   DataLoaders: batch_size=128, shuffle=True, num_workers=0 (the default).
#   PyTorch's threads are its defaults: ATen's intra-op threads and
#   OpenBLAS's (which does its matrix products); nnc's OpenBLAS runs on
#   NNC_BLAS_THREADS threads (default: OpenBLAS's own choice, one per
#   core). Both are printed.
#     tutorial DataLoader: a Dataset keeping the uint8 images and converting
#       each sample in __getitem__ as torchvision's ToTensor() does (what
#       datasets.FashionMNIST(..., transform=ToTensor()) hands the loader,
#       less its PIL image);
#     TensorDataset DataLoader: images converted to float beforehand;
#     pure step: batches sliced beforehand, the step alone;
#     pure step, 1 BLAS thread: the same with OPENBLAS_NUM_THREADS=1
#       (informational).
#
# Every repetition runs each measurement once, one after another (nnc run,
# jit-steps, torch_step.py), so that a burst of other work on the machine
# hits all rows alike; the `range` column is the lowest and highest of the
# REPS single values - wide ranges mean a busy machine.
#
# Speed-up = that row's ms/step / nnc end to end ms/step. The floors nnc
# commits to: end to end >= 2x the tutorial DataLoader and >= PyTorch's pure
# step (informational: the script exits 0 either way).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
REPS=${2:-5}
start=$(date +%s)
NNC_BUILD_DIR=$BUILD bash scripts/build.sh >/dev/null
nnc="$BUILD/bin/nnc"
script=examples/fashion_mnist/mlp.nn
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END {
  print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END {
  printf "%.3f..%.3f", lo, hi }'; }

# One `nnc run --time` of 3 epochs: appends its median ms per step to
# $tmp/v.e2e and its compile time to $tmp/v.compile.
run_nnc() {
  "$nnc" run "$script" --set epochs=3 --time \
    --set checkpoint="$tmp/c.safetensors" \
    --set predictions_csv="$tmp/p.csv" >"$tmp/out" 2>"$tmp/err" || {
    echo "run.sh: nnc run failed:" >&2; cat "$tmp/out" "$tmp/err" >&2
    exit 1; }
  if [ "$(grep -c '^epoch ' "$tmp/out")" != 3 ]; then
    echo "run.sh: nnc run did not train 3 epochs:" >&2; cat "$tmp/out" >&2
    exit 1
  fi
  sed -n 's/^nnc: [0-9]* steps, median \([0-9.]*\) ms per step.*/\1/p' \
    "$tmp/err" >>"$tmp/v.e2e"
  sed -n 's/^nnc: compiled in \([0-9.]*\) s/\1/p' "$tmp/err" >>"$tmp/v.compile"
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq "$REPS"); do
  echo "repetition $rep of $REPS ..." >&2
  run_nnc
  "$BUILD/test/tools/jit-steps" "$script" --steps 300 --time |
    sed -n 's/.*median step ms \([0-9.e+-]*\).*/\1/p' >>"$tmp/v.jit"
  /usr/bin/python3 bench/torch_step.py 400 --reps 1 --trained 889 \
    --tutorial >"$tmp/torch"
  for k in pure dataloader tutorial; do
    sed -n "s/^$k-step-ms //p" "$tmp/torch" >>"$tmp/v.$k"
  done
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_step.py 400 --reps 1 \
    --trained 889 --pure-only | sed -n 's/^pure-step-ms //p' >>"$tmp/v.pure1"
done
e2e_ms=$(median <"$tmp/v.e2e")
compile_s=$(median <"$tmp/v.compile")
torch_version=$(head -1 "$tmp/torch")

echo
echo "Fashion-MNIST MLP 784-256-10, Adam 1e-3, batch 128, shuffled;" \
  "medians of $REPS repetitions"
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' \
  /proc/cpuinfo | head -1); load average $load0 before, $(cut -d' ' -f1-3 \
  /proc/loadavg) after"
echo "nnc: $script, BLAS threads ${NNC_BLAS_THREADS:-${OPENBLAS_NUM_THREADS:-$(nproc)}}"
echo "PyTorch: $torch_version, DataLoader num_workers=0"
echo
echo "rows (ms/step: the cost of one training step; speed-up: row / nnc end to end):"
echo "  nnc run, end to end      a step of the training loop - assembling the batch"
echo "                           from the shuffled order, the compiled step - as the"
echo "                           median time from one step to the next over 3 epochs"
echo "                           (nnc run --time; compiling took ${compile_s} s per run)"
echo "  nnc compiled step        the compiled step alone, batches in memory, first"
echo "                           300 steps (jit-steps --time, median step)"
echo "  PyTorch, tutorial        DataLoader over a Dataset converting each uint8"
echo "                           sample as ToTensor() does (the tutorial's setup)"
echo "  PyTorch, TensorDataset   DataLoader over images converted to float beforehand"
echo "  PyTorch, pure step       the step alone on batches sliced beforehand"
echo "  ..., 1 BLAS thread       the same on one OpenBLAS thread"
echo "  (PyTorch rows: steps 890..1289 of a training run)"
echo
printf '%-31s %9s %9s %13s  %s\n' "" "ms/step" "steps/s" "nnc speed-up" \
  "range (ms/step)"
row() { # name, ms, per-repetition values file
  awk -v n="$1" -v ms="$2" -v nnc="$e2e_ms" -v r="$(range <"$3")" 'BEGIN {
  printf "%-31s %9.3f %9.1f %12.2fx  %s\n", n, ms, 1000 / ms, ms / nnc, r }'; }
row "nnc run, end to end" "$e2e_ms" "$tmp/v.e2e"
row "nnc compiled step (jit-steps)" "$(median <"$tmp/v.jit")" "$tmp/v.jit"
row "PyTorch, tutorial DataLoader" "$(median <"$tmp/v.tutorial")" \
  "$tmp/v.tutorial"
row "PyTorch, TensorDataset loader" "$(median <"$tmp/v.dataloader")" \
  "$tmp/v.dataloader"
row "PyTorch, pure step" "$(median <"$tmp/v.pure")" "$tmp/v.pure"
row "PyTorch, pure step, 1 BLAS thr." "$(median <"$tmp/v.pure1")" \
  "$tmp/v.pure1"
echo
floor() { # name, their ms, required speed-up
  awk -v n="$1" -v ms="$2" -v need="$3" -v nnc="$e2e_ms" \
    'BEGIN { x = ms / nnc
      printf "floor: nnc end to end >= %gx %-30s %6.2fx  %s\n",
        need, n, x, (x >= need) ? "PASS" : "MISS" }'
}
floor "PyTorch's tutorial DataLoader" "$(median <"$tmp/v.tutorial")" 2
floor "PyTorch's pure step" "$(median <"$tmp/v.pure")" 1
echo
echo "run time $(( $(date +%s) - start )) s"
