#!/usr/bin/env bash
# Installs libclang-rt-19-dev when it is missing: clang-19's sanitizer
# runtimes (AddressSanitizer, UndefinedBehaviorSanitizer) and libFuzzer,
# which only the sanitized build (scripts/build.sh --sanitize) and the fuzz
# build (scripts/fuzz.sh) link, so scripts/setup.sh does not install it.
set -euo pipefail
if ! dpkg-query -W -f='${Status}' libclang-rt-19-dev 2>/dev/null |
  grep -q "install ok installed"; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing libclang-rt-19-dev"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends libclang-rt-19-dev >/dev/null
fi
