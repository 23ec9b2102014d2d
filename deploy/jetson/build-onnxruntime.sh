#!/usr/bin/env bash
# Builds onnxruntime-node with the TensorRT and CUDA execution providers on a Jetson (JetPack 5/6, aarch64).
# Needed because onnxruntime publishes no GPU build of the Node binding for Linux arm64
# (onnxruntime issues #20503, #21232, #24159). Takes 1–3 hours on an Orin; needs ~20 GB of disk.
# Not run in this project's CI (no Jetson there): it follows onnxruntime's documented build flags.
set -euo pipefail
version="${ORT_VERSION:-v1.20.1}"   # pick the release whose CUDA/TensorRT support matches your JetPack
work="${WORK:-$HOME/onnxruntime-build}"
cuda="${CUDA_HOME:-/usr/local/cuda}"
trt="${TENSORRT_HOME:-/usr/lib/aarch64-linux-gnu}"

mkdir -p "$work"
[ -d "$work/onnxruntime" ] || git clone --recursive --branch "$version" https://github.com/microsoft/onnxruntime "$work/onnxruntime"
cd "$work/onnxruntime"
./build.sh --config Release --update --build --parallel --skip_tests \
  --use_tensorrt --cuda_home "$cuda" --cudnn_home /usr/lib/aarch64-linux-gnu --tensorrt_home "$trt" \
  --build_nodejs --cmake_extra_defines CMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-87}"
echo "built. Point the service at it:"
echo "  (cd /opt/uniad-edge && npm install $work/onnxruntime/js/node)"
echo "then set model.providers: [tensorrt, cuda, cpu] and check the log line 'execution provider' on start."
