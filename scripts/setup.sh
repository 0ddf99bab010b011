#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages), then configures and builds into build/.
#   scripts/setup.sh            build dependencies only
#   scripts/setup.sh --torch    also PyTorch/torchaudio/numpy (fixture generators, benchmarks)
# Safe to run again: installs nothing that is present and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(gcc pkg-config meson ninja-build libsndfile1-dev libsamplerate0-dev libkissfft-dev
      libopenblas-openmp-dev libpng-dev nettle-dev check espeak-ng sox valgrind
      libfftw3-dev libopenmpi-dev openmpi-bin)
pkgs+=(python3-numpy python3-torch)   # the Python binding's tests (tests/python)
# ONNX export (protobuf-c from ONNX's onnx.proto, shipped by python3-onnx) and its check in
# ONNX Runtime (tests/onnx: onnxruntime-node through npm). NodeSource's nodejs bundles npm
# and conflicts with Debian's npm package.
pkgs+=(libprotobuf-c-dev protobuf-c-compiler python3-onnx nodejs)
command -v npm >/dev/null || pkgs+=(npm)
if [[ "${1:-}" == "--torch" ]]; then
  pkgs+=(python3-torch python3-torchaudio python3-numpy)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

if [[ ! -d tests/onnx/node_modules/onnxruntime-node ]]; then
  echo "setup: npm ci in tests/onnx (ONNX Runtime for the ONNX export test)"
  # The CPU build ships inside the package; skip its optional download of GPU libraries.
  (cd tests/onnx && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error </dev/null) ||
    echo "setup: npm ci failed (no registry?); the onnx test suite will try again and fail without it"
fi

if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=release
fi
meson compile -C build
