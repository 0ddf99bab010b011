#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages), then configures and builds into build/.
#   scripts/setup.sh            what building and the demo need
#   scripts/setup.sh --torch    also the reference libraries of the tests, fixture generators and
#                               benchmarks: PyTorch/torchaudio/numpy, Node.js + ONNX Runtime (npm)
# Safe to run again: installs nothing that is present and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(gcc pkg-config meson ninja-build libsndfile1-dev libsamplerate0-dev libkissfft-dev
      libopenblas-openmp-dev libpng-dev nettle-dev check espeak-ng sox valgrind
      libfftw3-dev libopenmpi-dev openmpi-bin)
# ONNX export: protobuf-c code generated from ONNX's onnx.proto, which python3-onnx ships.
pkgs+=(libprotobuf-c-dev protobuf-c-compiler python3-onnx)
torch=0
[[ "${1:-}" == "--torch" ]] && torch=1
if ((torch)); then
  # The binding's and the stream checks' numpy/torch, the fixture generators' torchaudio, and
  # ONNX Runtime (tests/onnx: onnxruntime-node through npm). NodeSource's nodejs bundles npm
  # and conflicts with Debian's npm package.
  pkgs+=(python3-torch python3-torchaudio python3-numpy nodejs)
  command -v npm >/dev/null || pkgs+=(npm)
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

if ((torch)) && [[ ! -d tests/onnx/node_modules/onnxruntime-node ]]; then
  echo "setup: npm ci in tests/onnx (ONNX Runtime for the ONNX export test)"
  # The CPU build ships inside the package; skip its optional download of GPU libraries.
  (cd tests/onnx && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error </dev/null) ||
    echo "setup: npm ci failed (no registry?); the onnx test suite will try again and fail without it"
fi

if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=release
fi
meson compile -C build
