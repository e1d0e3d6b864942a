#!/usr/bin/env bash
# The main job: installs what is missing, builds nnc, checks both example
# scripts, then trains the Fashion-MNIST example for its full 10 epochs on
# the CPU: validation every epoch, the best checkpoint kept
# (examples/fashion_mnist/runs/mlp.safetensors), early stopping, the test
# accuracy of the best model, and one prediction per test image
# (examples/fashion_mnist/runs/pred.csv). Extra arguments go to `nnc run`,
# e.g. `bash scripts/demo.sh --set epochs=3`.
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
echo "nnc run examples/fashion_mnist/mlp.nn $*"
time "$NNC" run examples/fashion_mnist/mlp.nn "$@"
