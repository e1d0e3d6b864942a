#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the lit/FileCheck
# tests under test/ and the GoogleTest units. Ends with "N passed, N failed".
#
#   bash scripts/test.sh [--sanitize]
#
# --sanitize builds nnc with AddressSanitizer and UndefinedBehaviorSanitizer
# in build-sanitize/ (scripts/build.sh --sanitize) and runs every test
# against that build; a sanitizer's report fails the test that caused it.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_ARGS=()
for arg in "$@"; do
  case "$arg" in
  --sanitize) BUILD_ARGS+=(--sanitize) ;;
  *)
    echo "test.sh: unknown option '$arg' (expected --sanitize)" >&2
    exit 2
    ;;
  esac
done
bash scripts/setup.sh
bash scripts/build.sh "${BUILD_ARGS[@]}"
if [ ${#BUILD_ARGS[@]} -gt 0 ]; then
  BUILD_DIR=${NNC_BUILD_DIR:-build-sanitize}
else
  BUILD_DIR=${NNC_BUILD_DIR:-build}
fi
LIT=/usr/lib/llvm-19/build/utils/lit/lit.py
set +e
/usr/bin/python3 "$LIT" -v -j "${NNC_JOBS:-2}" \
  --xunit-xml-output="$BUILD_DIR/test-results.xml" \
  "$BUILD_DIR/test" "$BUILD_DIR/test/unit"
rc=$?
set -e
/usr/bin/python3 scripts/test_summary.py "$BUILD_DIR/test-results.xml"
exit $rc
