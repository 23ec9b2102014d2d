#!/usr/bin/env bash
# Installs everything uniad-edge needs on a Debian 12 / Ubuntu box: GStreamer (build + runtime + RTSP server for tests),
# mosquitto, Python with PyTorch/ONNX for models/, then the npm packages. Idempotent; run as root or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

# What the service needs to build and run.
apt_packages=(
  pkg-config g++ make
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav mosquitto-clients
)
# Tests (RTSP server, mosquitto, shellcheck for the deploy scripts, systemd-analyze for the unit) and models/ (training, export, benchmark data from Debian's photos).
if [ "${1:-}" != "--runtime-only" ]; then
  apt_packages+=(
    gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi python3-gst-1.0 mosquitto
    python3-torch python3-torchvision python3-onnx python3-numpy python3-pytest python3-tqdm python3-pil
    python3-skimage python3-matplotlib libreoffice-common chromium fonts-dejavu-core
    shellcheck systemd
  )
fi
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# onnxruntime-node's postinstall downloads CUDA libraries; the CPU build inside the package is all we need here.
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-audit --no-fund
npm run build
