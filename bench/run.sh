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
# nnc end to end. `nnc run mlp.nn --set epochs=3 --max-steps S` compiles the
#   script, reads the gzip files, trains S optimizer steps (batch assembly
#   from the shuffled order included), validates at the end of every epoch it
#   began, saves checkpoints, evaluates the test set and writes predictions.
#   Its wall time is T(S) = one-time work + S * step + (epochs begun) * (one
#   shuffle + one validation + one checkpoint). Two step counts that end in
#   the same epoch do the same one-time and per-epoch work, so
#   (T(S2) - T(S1)) / (S2 - S1) is the cost of one step of the training loop:
#   the step itself, fetching and assembling its batch (a gather through the
#   shuffled order), and the loop around it. The per-epoch permutation itself falls outside the
#   difference (one draw per 422 steps). An epoch is 422 steps (54000
#   training images, the last batch short); both windows use full batches
#   only:
#     epoch 3 (the row the speed-ups and floors use): S = 865 and 1265, the
#       21st and 421st step of epoch 3, as later in a long run;
#     epoch 1 (shown for comparison): S = 21 and 421.
#   T(S) is the median wall time of REPS runs of each S. The script's
#   checkpoint and predictions go to a temp dir.
# nnc compiled step. test/tools/jit-steps --time: the median time of one call
#   of the compiled step on batches already in memory (no data loading, no
#   loop), as bench/step.sh, median over REPS runs. jit-steps calls the step
#   without nnc's runtime start-up (nnc_rt_init), which is where `nnc run`
#   tunes malloc so that the step's large buffers stay in the heap; it gets
#   the same settings here through GLIBC_TUNABLES (without them glibc trims
#   the heap and page-faults those buffers in again on every step).
# PyTorch (bench/torch_step.py): the model is first trained 865 steps, then
#   each row times a window of 400 steps from that state - steps 866..1265,
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
#     pure step, 1 BLAS thread: the same with OPENBLAS_NUM_THREADS=1, nnc's
#       default thread count (informational).
#
# Every repetition runs each measurement once, one after another (nnc run
# for the four S, jit-steps, torch_step.py), so that a burst of other work on
# the machine hits all rows alike; the `range` column is the lowest and
# highest of the REPS single values (for nnc run: per repetition, the
# difference of its two runs) - wide ranges mean a busy machine.
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
# jit-steps gets the malloc settings that nnc_rt_init gives `nnc run`.
tunables=glibc.malloc.mmap_threshold=$((32 << 20))
tunables+=:glibc.malloc.trim_threshold=$((256 << 20))

median() { sort -g | awk '{ v[NR] = $1 } END {
  print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END {
  printf "%.3f..%.3f", lo, hi }'; }

# One `nnc run` with S steps; appends its wall microseconds to $tmp/t.S and
# checks that it validated after the expected number of epochs.
run_nnc() {
  local s=$1 epochs=$2 t0 t1
  t0=$(date +%s%N)
  "$nnc" run "$script" --set epochs=3 --max-steps "$s" \
    --set checkpoint="$tmp/c.safetensors" \
    --set predictions_csv="$tmp/p.csv" >"$tmp/out" 2>&1 || {
    echo "run.sh: nnc run --max-steps $s failed:" >&2; cat "$tmp/out" >&2
    exit 1; }
  t1=$(date +%s%N)
  if [ "$(grep -c '^epoch ' "$tmp/out")" != "$epochs" ]; then
    echo "run.sh: nnc run --max-steps $s did not end in epoch $epochs:" >&2
    cat "$tmp/out" >&2
    exit 1
  fi
  echo "$(( (t1 - t0) / 1000 ))" >>"$tmp/t.$s"
}
# ms per step from S1 to S2, from the last line of each (this repetition).
last_diff() {
  awk -v a="$(tail -1 "$tmp/t.$1")" -v b="$(tail -1 "$tmp/t.$2")" \
    -v n=$(($2 - $1)) 'BEGIN { print (b - a) / n / 1000 }'
}
# ms per step from S1 to S2, from the median wall times.
per_step() {
  awk -v a="$(median <"$tmp/t.$1")" -v b="$(median <"$tmp/t.$2")" \
    -v n=$(($2 - $1)) 'BEGIN { print (b - a) / n / 1000 }'
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
for rep in $(seq "$REPS"); do
  echo "repetition $rep of $REPS ..." >&2
  run_nnc 21 1; run_nnc 421 1; run_nnc 865 3; run_nnc 1265 3
  last_diff 865 1265 >>"$tmp/v.e2e"
  last_diff 21 421 >>"$tmp/v.e2e1"
  GLIBC_TUNABLES=$tunables \
    "$BUILD/test/tools/jit-steps" "$script" --steps 300 --time |
    sed -n 's/.*median step ms \([0-9.e+-]*\).*/\1/p' >>"$tmp/v.jit"
  /usr/bin/python3 bench/torch_step.py 400 --reps 1 --trained 865 \
    --tutorial >"$tmp/torch"
  for k in pure dataloader tutorial; do
    sed -n "s/^$k-step-ms //p" "$tmp/torch" >>"$tmp/v.$k"
  done
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_step.py 400 --reps 1 \
    --trained 865 --pure-only | sed -n 's/^pure-step-ms //p' >>"$tmp/v.pure1"
done
e2e_ms=$(per_step 865 1265)
e2e1_ms=$(per_step 21 421)
oneoff_s=$(awk -v t="$(median <"$tmp/t.21")" -v s="$e2e1_ms" \
  'BEGIN { printf "%.2f", (t / 1000 - 21 * s) / 1000 }')
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
echo "                           from the shuffled order, the compiled step - over"
echo "                           steps 866..1265 (epoch 3), from the wall time of nnc"
echo "                           run at two --max-steps in the same epoch: compiling,"
echo "                           reading the data, validation and the test pass cancel"
echo "                           out (they take ${oneoff_s} s per run)"
echo "  nnc run, epoch 1         the same over steps 22..421 (epoch 1)"
echo "  nnc compiled step        the compiled step alone, batches in memory, first"
echo "                           300 steps (jit-steps --time, median step; malloc"
echo "                           tuned as nnc run tunes it)"
echo "  PyTorch, tutorial        DataLoader over a Dataset converting each uint8"
echo "                           sample as ToTensor() does (the tutorial's setup)"
echo "  PyTorch, TensorDataset   DataLoader over images converted to float beforehand"
echo "  PyTorch, pure step       the step alone on batches sliced beforehand"
echo "  ..., 1 BLAS thread       the same on one OpenBLAS thread, as nnc uses"
echo "  (PyTorch rows: steps 866..1265 of a training run, as nnc's first row)"
echo
printf '%-31s %9s %9s %13s  %s\n' "" "ms/step" "steps/s" "nnc speed-up" \
  "range (ms/step)"
row() { # name, ms, per-repetition values file
  awk -v n="$1" -v ms="$2" -v nnc="$e2e_ms" -v r="$(range <"$3")" 'BEGIN {
  printf "%-31s %9.3f %9.1f %12.2fx  %s\n", n, ms, 1000 / ms, ms / nnc, r }'; }
row "nnc run, end to end" "$e2e_ms" "$tmp/v.e2e"
row "nnc run, epoch 1" "$e2e1_ms" "$tmp/v.e2e1"
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
  awk -v n="$1" -v ms="$2" -v need="$3" -v nnc="$e2e_ms" -v nnc1="$e2e1_ms" \
    'BEGIN { x = ms / nnc; x1 = ms / nnc1
      printf "floor: nnc end to end >= %gx %-30s %6.2fx (epoch 1: %.2fx)  %s\n",
        need, n, x, x1, (x >= need) ? "PASS" : "MISS" }'
}
floor "PyTorch's tutorial DataLoader" "$(median <"$tmp/v.tutorial")" 2
floor "PyTorch's pure step" "$(median <"$tmp/v.pure")" 1
echo
echo "run time $(( $(date +%s) - start )) s"
