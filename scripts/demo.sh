#!/usr/bin/env bash
# The main job: installs what is missing, builds nnc, and checks the example
# scripts - shapes, dtypes and devices of the whole training workflow are
# verified before any data is read. (Training itself arrives with the
# compiler core.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
NNC=${NNC_BUILD_DIR:-build}/bin/nnc
for script in examples/fashion_mnist/mlp.nn examples/regression/houses.nn; do
  echo "nnc check $script"
  "$NNC" check "$script"
  echo "  ok: no errors"
done
