#!/usr/bin/env bash
# What the progress display costs: the Fashion-MNIST MLP (2 epochs, 844
# steps) run by `nnc run --time` with --progress=off, lines, bar (on a
# pseudo-terminal, as an interactive run draws it) and with --metrics and
# --plot as well. Each row: the median over REPS runs of the run's own
# median step-to-step time, and the bar's redraws per run.
#
#   bench/progress.sh [BUILD_DIR] [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
REPS=${2:-5}
NNC_BUILD_DIR=$BUILD bash scripts/build.sh >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nnc="$PWD/$BUILD/bin/nnc"
[ -x "$nnc" ] || nnc="$BUILD/bin/nnc"
run() { # options...: prints the run's median ms per step and its redraws
  /usr/bin/python3 test/Run/Inputs/pty_run.py 100 "$tmp/out" "$nnc" run \
    examples/fashion_mnist/mlp.nn --set epochs=2 \
    --set checkpoint="$tmp/best.safetensors" \
    --set predictions_csv="$tmp/pred.csv" --time "$@" >/dev/null
  ms=$(sed -n 's/.*median \([0-9.]*\) ms per step.*/\1/p' "$tmp/out")
  echo "$ms $(grep -o '<CR>epoch [0-9]*/[0-9]*: *[0-9]*%' "$tmp/out" | wc -l)"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf '%-40s %10s %10s %10s\n' "" "ms/step" "steps/s" "redraws"
row() {
  local name=$1; shift
  : >"$tmp/rows"
  for _ in $(seq "$REPS"); do run "$@" >>"$tmp/rows"; done
  ms=$(cut -d' ' -f1 "$tmp/rows" | median)
  draws=$(cut -d' ' -f2 "$tmp/rows" | median)
  awk -v n="$name" -v ms="$ms" -v d="$draws" \
    'BEGIN { printf "%-40s %10.3f %10.1f %10d\n", n, ms, 1000 / ms, d }'
}
row "--progress=off" --progress=off
row "--progress=lines" --progress=lines
row "--progress=bar (terminal)" --progress=auto
row "bar, --metrics and --plot" --metrics "$tmp/m.csv" --plot "$tmp/p.png"
