#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the lit/FileCheck
# tests under test/ and the GoogleTest units. Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
BUILD_DIR=${NNC_BUILD_DIR:-build}
LIT=/usr/lib/llvm-19/build/utils/lit/lit.py
set +e
/usr/bin/python3 "$LIT" -v -j "${NNC_JOBS:-2}" \
  --xunit-xml-output="$BUILD_DIR/test-results.xml" \
  "$BUILD_DIR/test" "$BUILD_DIR/test/unit"
rc=$?
set -e
/usr/bin/python3 scripts/test_summary.py "$BUILD_DIR/test-results.xml"
exit $rc
