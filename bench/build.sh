#!/usr/bin/env bash
# `nnc build` of the Fashion-MNIST example: build time, program size,
# shared libraries, start-up time and step time, for --target-cpu=generic
# (the default, a portable program) and native. Medians of REPS runs.
#
#   bench/build.sh [BUILD_DIR] [REPS]      # e.g. bench/build.sh build 5
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
REPS=${2:-5}
NNC=$BUILD/bin/nnc
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

printf '| --target-cpu | build s | size MB | start-up ms (--help) | ms/step (--time, 600 steps) |\n'
printf '| --- | ---: | ---: | ---: | ---: |\n'
for cpu in generic native; do
  prog=$WORK/mlp-$cpu
  builds=() starts=() steps=()
  for ((r = 0; r < REPS; r++)); do
    t0=$(now)
    "$NNC" build examples/fashion_mnist/mlp.nn -o "$prog" --target-cpu=$cpu \
      --set checkpoint="$WORK/best.safetensors" \
      --set predictions_csv="$WORK/pred.csv"
    builds+=("$(awk -v a="$(now)" -v b="$t0" 'BEGIN {print a - b}')")
    t0=$(now)
    for k in 1 2 3 4 5 6 7 8 9 10; do "$prog" --help >/dev/null; done
    starts+=("$(awk -v a="$(now)" -v b="$t0" 'BEGIN {print (a - b) * 100}')")
    steps+=("$("$prog" --max-steps 600 --time --quiet 2>&1 >/dev/null |
      sed -n 's/.*median \([0-9.]*\) ms per step.*/\1/p')")
  done
  size=$(stat -c %s "$prog")
  printf '| %s | %.2f | %.1f | %.1f | %.3f |\n' "$cpu" \
    "$(printf '%s\n' "${builds[@]}" | median)" \
    "$(awk -v s="$size" 'BEGIN {print s / 1048576}')" \
    "$(printf '%s\n' "${starts[@]}" | median)" \
    "$(printf '%s\n' "${steps[@]}" | median)"
done
echo
echo "shared libraries of the program (ldd):"
ldd "$WORK/mlp-generic" | awk '{print "  " $1}'
