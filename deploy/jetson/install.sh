#!/usr/bin/env bash
# Installs uniad-edge as a systemd service from this checkout: copies it to /opt/uniad-edge, builds it,
# creates the `uniad` user (in group video for V4L2 cameras) and a config in /etc/uniad-edge if none exists.
# On a Jetson, first build onnxruntime-node with TensorRT (build-onnxruntime.sh): there is no prebuilt arm64 GPU build.
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo)"; exit 1; }

bash "$src/scripts/setup.sh" --runtime-only
id uniad >/dev/null 2>&1 || useradd --system --home /var/lib/uniad-edge --groups video uniad
mkdir -p /opt/uniad-edge /etc/uniad-edge /var/lib/uniad-edge
cp -a "$src/." /opt/uniad-edge/
(cd /opt/uniad-edge && npm run build)
[ -f /etc/uniad-edge/config.yaml ] || install -m 0640 -g uniad "$src/config.example.yaml" /etc/uniad-edge/config.yaml
chown -R uniad /var/lib/uniad-edge
install -m 0644 "$src/deploy/jetson/uniad-edge.service" /etc/systemd/system/uniad-edge.service
systemctl daemon-reload
echo "installed. Edit /etc/uniad-edge/config.yaml, check it with"
echo "  sudo -u uniad node /opt/uniad-edge/bin/uniad-edge.js check --config /etc/uniad-edge/config.yaml"
echo "then: systemctl enable --now uniad-edge"
