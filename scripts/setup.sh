#!/usr/bin/env bash
# Installs every system package nnc needs to build, test and run its examples
# on Debian 12 (bookworm). Idempotent: when everything is already installed it
# returns in well under a second without touching apt.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build ccache lld g++ clang-19 pkg-config
  # objdump: a test checks that built programs are portable
  binutils
  # LLVM/MLIR 19 (lit, FileCheck and mlir-tblgen come with the tools packages)
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  # front end: the ANTLR4 tool (Java) and its C++ runtime
  antlr4 libantlr4-runtime-dev default-jre-headless
  # libraries
  zlib1g-dev libzstd-dev libgtest-dev libgmock-dev
  # XXH3 checksums of checkpoints and training states (header-only use)
  libxxhash-dev
  # line editing and history of `nnc repl` (linked into the nnc tool only)
  libedit-dev
  # matrix products of compiled code: nnc_sgemm (runtime/lib/device/Blas.cpp)
  libopenblas-dev libopenblas0-pthread
  # --plot (runtime/lib/progress/Plot.cpp): cairo's header to build, the library
  # (loaded with dlopen) and a font to run
  libcairo2-dev libcairo2 fonts-dejavu-core
  # lit runs on the system python; PyTorch is the numerical reference
  python3 python3-torch
  # a decimal-comma locale, for the test that number parsing ignores it
  locales
  # real data: Fashion-MNIST (IDX, gzip) under /usr/share/datasets/fashion-mnist
  dataset-fashion-mnist
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

ensure_locale() {
  if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
    $SUDO localedef -i de_DE -f UTF-8 de_DE.UTF-8 >/dev/null 2>&1 || true
  fi
}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

if [ ${#missing[@]} -eq 0 ]; then
  ensure_locale
  exit 0
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
ensure_locale
echo "setup: done"
