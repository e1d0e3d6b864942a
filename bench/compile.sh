#!/usr/bin/env bash
# Compile time against script length: scripts of N top-level `let` lines
# (each an int computed from the one before, then one print), through
# `nnc check` and through `nnc run --time`, whose compile stages are
# printed: checking, MLIR generation, lowering to the LLVM dialect, and
# LLVM's optimisation and machine code (the JIT). The last column is the
# time of `nnc run` to the end divided by that of the row above: 2.0 per
# doubling of N is linear.
#
#   bench/compile.sh [BUILD_DIR] [N...]   (defaults: build, 1000 2000 4000 8000)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 2000 4000 8000)
NNC="$BUILD_DIR/bin/nnc"
[ -x "$NNC" ] || { echo "compile.sh: no $NNC (run scripts/build.sh)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

seconds() { # runs "$@", prints its wall-clock seconds
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk "BEGIN { print $end - $start }"
}

echo "| let lines | nnc check s | checking s | MLIR generation s | lowering s | LLVM and machine code s | nnc run s | x previous |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
prev=""
for n in "${SIZES[@]}"; do
  script="$WORK/lets$n.nn"
  {
    echo "let v0 = 1"
    for ((i = 1; i < n; i++)); do echo "let v$i = (v$((i - 1)) * 3 + $i) % 1000"; done
    echo "print(v$((n - 1)))"
  } >"$script"
  check=$(seconds "$NNC" check "$script")
  start=$(date +%s.%N)
  stages=$("$NNC" run --time "$script" 2>&1 >/dev/null | grep 'compile stages')
  end=$(date +%s.%N)
  total=$(awk "BEGIN { print $end - $start }")
  read -r c g l j < <(echo "$stages" | sed -E 's/[^0-9.]+/ /g')
  ratio="-"
  [ -n "$prev" ] && ratio=$(printf '%.2f' "$(awk "BEGIN { print $total / $prev }")")
  printf '| %d | %.2f | %s | %s | %s | %s | %.2f | %s |\n' "$n" "$check" "$c" "$g" "$l" "$j" "$total" "$ratio"
  prev=$total
done
