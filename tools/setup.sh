#!/usr/bin/env bash
# Installs every system package soho-cpp needs on Debian 12 (bookworm), then checks them.
# Idempotent: safe to run again; apt only installs what is missing.
#
#   bash tools/setup.sh            # as root (or with sudo available)
#
# Everything comes from Debian's archive: the build is fully offline afterwards.
set -euo pipefail

PACKAGES=(
  build-essential            # g++, make: a fresh Debian image has no compiler
  bazel-bootstrap            # Bazel 4.2.3 (the only Bazel reachable offline)
  libtorch-dev               # LibTorch 1.13.1, CPU
  libopenblas0-pthread       # fast BLAS for torch (else the netlib reference BLAS)
  libgloo-dev                # c10d ProcessGroupGloo (distributed on CPU)
  libopencv-dev              # image decode/resize, synthetic world rendering
  libgoogle-glog-dev libgflags-dev libabsl-dev
  libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  libutf8proc-dev            # Unicode NFD / categories for the BERT tokenizer
  nlohmann-json3-dev         # JSON annotations
  libzip-dev                 # images stored in zip archives (as the reference reads them)
  python3-torch              # checkpoint interop tests against PyTorch (Debian's python3)
  python3-crc32c python3-protobuf  # independent TensorBoard event-file reader in tests
  ca-certificates
)

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup.sh: run as root (or install sudo): apt-get needs it" >&2; exit 1
  fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if (( ${#missing[@]} )); then
  echo "setup.sh: installing ${#missing[@]} package(s): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Without a fresh package list 'apt-get install' can exit 0 having installed nothing.
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup.sh: all ${#PACKAGES[@]} packages already installed"
fi

# Check what the build actually reads, with a message that says what to do.
check() {  # path package
  [[ -e "$1" ]] || { echo "setup.sh: missing $1 (package $2 did not install)" >&2; exit 1; }
}
check /usr/bin/g++ build-essential
check /usr/bin/bazel bazel-bootstrap
check /usr/include/torch/csrc/api/include/torch/torch.h libtorch-dev
check /usr/include/opencv4/opencv2/core.hpp libopencv-dev
check /usr/include/glog/logging.h libgoogle-glog-dev
check /usr/include/gflags/gflags.h libgflags-dev
check /usr/include/absl/status/status.h libabsl-dev
check /usr/bin/protoc protobuf-compiler
check /usr/include/gtest/gtest.h libgtest-dev
check /usr/include/gmock/gmock.h libgmock-dev
check /usr/include/benchmark/benchmark.h libbenchmark-dev
check /usr/include/gloo/allreduce.h libgloo-dev
check /usr/include/utf8proc.h libutf8proc-dev
check /usr/include/nlohmann/json.hpp nlohmann-json3-dev
check /usr/include/zip.h libzip-dev
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "setup.sh: /usr/bin/python3 cannot import torch (python3-torch)" >&2; exit 1; }
echo "setup.sh: OK ($(/usr/bin/g++ --version | head -1); $(bazel --version 2>/dev/null))"
