#!/usr/bin/env bash
# Installs everything uniad-edge needs on a Debian 12 / Ubuntu box: Node.js 20 where apt has it, GStreamer (build +
# runtime + RTSP server for tests), mosquitto, Python with PyTorch/ONNX for models/, then the npm packages.
# Idempotent; run as root or with sudo.
#
#   bash scripts/setup.sh                  the service, its tests and models/ (training, export, benchmark data)
#   bash scripts/setup.sh --runtime-only   only what the service needs to build and run: no test tools (RTSP server,
#                                          mosquitto broker, Chromium, shellcheck, Aravis's fake camera), no PyTorch
#
# Node.js comes first: package.json needs >= 20. A node that old or newer is kept; else nodejs is installed from apt
# when apt offers >= 20 (Debian 13, or a box with NodeSource's repository); else (Debian 12 and Ubuntu 24.04 ship 18)
# it stops before installing anything, saying where Node 20 comes from.
set -euo pipefail

# The major version in a version string (v20.20.2, 20.19.2+dfsg-1, 1:20.1.0-1); 0 when there is none.
major() {
  local v="${1#v}"
  v="${v#*:}"
  v="${v%%.*}"
  if [[ "$v" =~ ^[0-9]+$ ]]; then echo "$v"; else echo 0; fi
}

# What to do about Node.js: "ok VERSION" (node on PATH is >= 20), "apt VERSION" (apt installs nodejs >= 20), or
# "stop HAVE CANDIDATE" (neither; each "none" when absent).
node_plan() {
  local have candidate
  have="$(node --version 2>/dev/null || true)"
  if [ "$(major "$have")" -ge 20 ]; then echo "ok $have"; return; fi
  candidate="$(apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: *//p')"
  if [ "$(major "$candidate")" -ge 20 ]; then echo "apt $candidate"; return; fi
  echo "stop ${have:-none} ${candidate:-none}"
}

# Where Node.js 20 comes from when this box's apt has none. $1: the node found, $2: what apt offers.
node_howto() {
  cat >&2 <<EOF
setup: uniad-edge needs Node.js 20 or newer (package.json "engines"); this box has node $1, and apt offers nodejs $2
(Debian 12 and Ubuntu 24.04 ship 18). Install Node.js 20, then run this script again. Either from NodeSource's apt
repository (puts node at /usr/bin/node, where the systemd unit runs it):
  sudo apt-get install -y ca-certificates curl gnupg
  sudo mkdir -p /etc/apt/keyrings
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | sudo gpg --dearmor -o /etc/apt/keyrings/nodesource.gpg
  echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main" | sudo tee /etc/apt/sources.list.d/nodesource.list
  sudo apt-get update && sudo apt-get install -y nodejs
or from a Node.js 20 tarball (https://nodejs.org/dist/latest-v20.x/, node-v20.*-linux-x64.tar.xz or -linux-arm64),
on a box without access to NodeSource (remove Debian's nodejs package first: sudo apt-get remove nodejs):
  sudo tar -C /usr/local --strip-components=1 -xJf node-v20.*-linux-x64.tar.xz && sudo ln -sf /usr/local/bin/node /usr/bin/node
EOF
}

main() {
  local runtime_only=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --runtime-only) runtime_only=1; shift ;;
      *) echo "setup: unknown option $1 (usage: bash scripts/setup.sh [--runtime-only])" >&2; exit 2 ;;
    esac
  done
  cd "$(dirname "$0")/.."
  local SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

  # What the service needs to build and run.
  local apt_packages=(
    pkg-config g++ make
    libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
    gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
    gstreamer1.0-plugins-ugly gstreamer1.0-libav mosquitto-clients
    # GenICam cameras (src/sources/genicam_child.py): Aravis, reached from Debian's python3 by GObject introspection.
    libaravis-0.8-0 gir1.2-aravis-0.8 python3-gi python3-gst-1.0
    gpiod # gpioset, for the reject actuator's GPIO output (and its tests)
  )
  # Tests (RTSP server, mosquitto, shellcheck for the deploy scripts, systemd-analyze for the unit, Aravis's simulated
  # GigE camera in a network namespace, a NATS cluster and promtool/amtool for the fleet's backbone and alert rules)
  # and models/ (training, export, benchmark data from Debian's photos).
  if [ $runtime_only = 0 ]; then
    apt_packages+=(
      gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 mosquitto
      python3-torch python3-torchvision python3-onnx python3-numpy python3-pytest python3-tqdm python3-pil
      python3-skimage python3-matplotlib libreoffice-common chromium fonts-dejavu-core
      shellcheck systemd
      aravis-tools iproute2
      nats-server prometheus prometheus-alertmanager
    )
  fi

  local plan updated=0 have candidate
  plan="$(node_plan)"
  if [ "${plan%% *}" != ok ]; then
    # apt's lists may be older than the box's sources (or empty on a fresh image): ask again after an update.
    $SUDO apt-get update -q
    updated=1
    plan="$(node_plan)"
  fi
  case "$plan" in
    ok\ *) echo "setup: Node.js ${plan#ok }" ;;
    apt\ *) echo "setup: installing Node.js from apt (nodejs ${plan#apt })" ;;
    *) read -r _ have candidate <<< "$plan"; node_howto "$have" "$candidate"; exit 1 ;;
  esac

  local missing=() p
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # Installed or not: an installed nodejs older than 20 is upgraded to apt's candidate.
  [ "${plan%% *}" != apt ] || missing+=(nodejs)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
    [ $updated = 1 ] || $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  if [ "$(major "$(node --version 2>/dev/null || true)")" -lt 20 ]; then
    echo "setup: apt installed nodejs, but node on PATH ($(command -v node || echo none)) is $(node --version 2>/dev/null || echo missing): put /usr/bin first on PATH" >&2
    exit 1
  fi
  # Debian's nodejs comes without npm (NodeSource's and the tarball's carry it).
  command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends npm

  # onnxruntime-node's postinstall downloads CUDA libraries; the CPU build inside the package is all we need here.
  export ONNXRUNTIME_NODE_INSTALL=skip
  npm ci --no-audit --no-fund
  npm run build
}

# Sourced (the tests call node_plan with stand-ins on PATH), it only defines the functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
