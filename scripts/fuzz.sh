#!/usr/bin/env bash
# Fuzzes the runtime's file readers (IDX, CSV, .npy, safetensors) and the
# front end (.nn text through `nnc check`) with libFuzzer, AddressSanitizer
# and UndefinedBehaviorSanitizer:
#
#   bash scripts/fuzz.sh [SECONDS] [FORMAT...]
#
# builds the fuzz targets of test/fuzz/ in build-fuzz/ (configured with
# -DNNC_FUZZ=ON; NNC_FUZZ_BUILD_DIR overrides) and runs each (or each FORMAT
# named: idx, csv, npy, safetensors, nn) for SECONDS (default 60), starting
# from its seed corpus test/fuzz/corpus/<format>/ with its dictionary
# test/fuzz/<format>.dict. New inputs go to build-fuzz/fuzz/corpus/<format>/,
# reproducers of crashes, leaks and timeouts to build-fuzz/fuzz/crashes/.
# Extra libFuzzer options can be passed in NNC_FUZZ_ARGS (e.g.
# NNC_FUZZ_ARGS="-jobs=4 -workers=4"). A reproducer runs with
# `build-fuzz/test/fuzz/fuzz-<format> FILE`. Exits 1 if any target found a
# crash.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
shift || true
FORMATS=("$@")
if [ ${#FORMATS[@]} -eq 0 ]; then
  FORMATS=(idx csv npy safetensors nn)
fi
BUILD_DIR=${NNC_FUZZ_BUILD_DIR:-build-fuzz}

bash scripts/setup.sh
# libFuzzer and the sanitizer runtimes of clang-19.
bash scripts/clang_rt.sh

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -G Ninja -S . -B "$BUILD_DIR" -DNNC_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 >/dev/null
fi
cmake --build "$BUILD_DIR" -j "${NNC_JOBS:-2}" --target nnc-fuzz

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
WORK="$BUILD_DIR/fuzz"
found=0
for f in "${FORMATS[@]}"; do
  bin="$BUILD_DIR/test/fuzz/fuzz-$f"
  if [ ! -x "$bin" ]; then
    echo "fuzz: unknown format '$f' (expected idx, csv, npy, safetensors or nn)" >&2
    exit 2
  fi
  mkdir -p "$WORK/corpus/$f" "$WORK/crashes"
  dict=()
  if [ -f "test/fuzz/$f.dict" ]; then dict=("-dict=test/fuzz/$f.dict"); fi
  echo "fuzz: fuzz-$f for ${SECONDS_PER_TARGET}s"
  set +e
  # shellcheck disable=SC2086
  "$bin" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$WORK/crashes/$f-" "${dict[@]}" \
    ${NNC_FUZZ_ARGS:-} "$WORK/corpus/$f" "test/fuzz/corpus/$f" \
    >"$WORK/$f.log" 2>&1
  rc=$?
  set -e
  grep -E "^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)" \
    "$WORK/$f.log" | sed "s/^/  /" || true
  if [ $rc -ne 0 ]; then
    found=1
    echo "fuzz: fuzz-$f FAILED (exit $rc); log: $WORK/$f.log"
    grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error:|.*FUZZ_CHECK|terminate called|  what\(\)|artifact_prefix|Test unit written)" \
      "$WORK/$f.log" | head -20 | sed "s/^/  /" || true
  fi
done
if [ $found -ne 0 ]; then
  echo "fuzz: crashes found; reproducers are in $WORK/crashes/"
  exit 1
fi
echo "fuzz: no crashes"
