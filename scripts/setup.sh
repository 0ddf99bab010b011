#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages), then configures and builds into build/.
#   scripts/setup.sh            build dependencies only
#   scripts/setup.sh --torch    also PyTorch/torchaudio/numpy (fixture generators, benchmarks)
# Safe to run again: installs nothing that is present and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(gcc pkg-config meson ninja-build libsndfile1-dev libsamplerate0-dev libkissfft-dev
      libopenblas-openmp-dev libpng-dev nettle-dev check espeak-ng sox valgrind)
pkgs+=(clang libclang-rt-14-dev libomp-14-dev)   # fuzz/run.sh (libFuzzer, OpenMP for clang)
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

if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=release
fi
meson compile -C build
