#!/usr/bin/env bash
# Installs, upgrades and rolls back uniad-edge on an edge box (Jetson or x86), offline, from a bundle built for the
# box's architecture. Layout:
#   /opt/uniad-edge/releases/<version>/   one folder a release (root-owned, read-only to the service)
#   /opt/uniad-edge/current, previous     links to the running and the last release
#   /etc/uniad-edge/config.yaml           root:uniad 0640 (kept across upgrades); credentials/ root 0700
#   /var/lib/uniad-edge/                  state (offline queue, evidence, engine cache) uniad 0750; models/ read-only
#   /etc/systemd/system/uniad-edge.service
#
# Usage:
#   install.sh bundle  [--out DIR] [--onnxruntime DIST]  on a build machine of the target architecture, after npm ci;
#                                                        DIST: build-onnxruntime.sh's dist-<version> folder or its
#                                                        built js/node (arm64: found in ~/.cache/uniad-edge by default)
#   install.sh install [--bundle FILE] [--no-start] [--onnxruntime DIST]
#                                                        first install (builds a bundle from this checkout if none given)
#   install.sh upgrade --bundle FILE [--settle SECONDS] [--onnxruntime DIST]
#                                                        switch to a new release; rolls back if it does not become ready
#   install.sh rollback                                  back to the previous release
#   install.sh status
# Common options: --root DIR installs under DIR instead of / (tests, image builds); systemd is then left alone unless
# $SYSTEMCTL names a stand-in.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
checkout="$(cd "$here/../.." && pwd)"
service=uniad-edge
user=uniad

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

command="${1:-}"
if [ -n "$command" ]; then shift; fi
root=/ bundle="" out="$PWD" ort="" settle=30 start=1
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --bundle) bundle="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --onnxruntime) ort="$2"; shift 2 ;;
    --settle) settle="$2"; shift 2 ;;
    --no-start) start=0; shift ;;
    *) die "unknown option $1 (see the usage at the top of $0)" ;;
  esac
done
root="${root%/}"
opt="$root/opt/uniad-edge"
etc="$root/etc/uniad-edge"
state="$root/var/lib/uniad-edge"
unit="$root/etc/systemd/system/$service.service"

# systemd is driven only on the real root, or through a stand-in named by $SYSTEMCTL.
systemctl_cmd="${SYSTEMCTL:-}"
[ -z "$systemctl_cmd" ] && [ -z "$root" ] && systemctl_cmd=systemctl
sysd() { [ -n "$systemctl_cmd" ] && "$systemctl_cmd" "$@"; }

arch() { case "$(uname -m)" in x86_64) echo x64 ;; aarch64|arm64) echo arm64 ;; *) uname -m ;; esac; }

# The Jetson-built onnxruntime-node: build-onnxruntime.sh leaves `npm pack` tarballs of onnxruntime-common and
# onnxruntime-node in <build dir>/dist-<version>/. npm has no arm64 GPU build, so on arm64 they replace the CPU-only
# packages. Prints the dist folder, or nothing.
jetson_onnxruntime() {
  if [ -n "$ort" ]; then echo "$ort"; return; fi
  [ "$(arch)" = arm64 ] || return 0
  local home="$HOME"
  [ -n "${SUDO_USER:-}" ] && home="$(getent passwd "$SUDO_USER" | cut -d: -f6)"
  local builds="${UNIAD_BUILD_DIR:-$home/.cache/uniad-edge}"
  find "$builds" -maxdepth 2 -name 'onnxruntime-node-*.tgz' -printf '%T@ %h\n' 2>/dev/null | sort -rn | head -n 1 | cut -d' ' -f2-
}

# Unpacks the packed onnxruntime-common and onnxruntime-node into node_modules $2. $1 is build-onnxruntime.sh's
# dist-<version> folder, or the built js/node folder (whose dist folder is <build dir>/dist-<version>).
install_onnxruntime_packs() {
  local dist="$1" modules="$2" pkg tgz tmp record="$1/uniad-edge-build.json"
  if [ -f "$dist/package.json" ]; then
    dist="$(cd "$dist/../../.." && pwd)/dist-$(node -p "require('$dist/package.json').version")"
  fi
  for pkg in onnxruntime-common onnxruntime-node; do
    tgz="$(find "$dist" -maxdepth 1 -name "$pkg-*.tgz" | sort | tail -n 1)"
    [ -n "$tgz" ] || die "no $pkg-*.tgz in $dist (build-onnxruntime.sh writes both there)"
    tmp="$(mktemp -d)"
    tar -C "$tmp" -xzf "$tgz"
    rm -rf "${modules:?}/$pkg" && mv -T "$tmp/package" "$modules/$pkg"
    rm -rf "$tmp"
  done
  [ -f "$record" ] || record="$dist/uniad-edge-build.json"
  if [ -f "$record" ]; then cp "$record" "$modules/onnxruntime-node/"; fi
}

# ---- bundle: production files only, for this machine's architecture and Node ABI -------------------------------
make_bundle() {
  [ -d "$checkout/node_modules" ] || die "no node_modules in $checkout: run npm ci first (ONNXRUNTIME_NODE_INSTALL=skip on a box without a GPU)"
  local version a stage name
  version="$(node -p "require('$checkout/package.json').version")"
  a="$(arch)"
  name="uniad-edge-$version-linux-$a"
  stage="$(mktemp -d)"
  trap 'rm -rf "$stage"' RETURN
  mkdir -p "$stage/$name"
  local dst="$stage/$name"
  say "building $name"
  (cd "$checkout" && node node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir "$dst/dist")
  cp -a "$checkout/bin" "$checkout/package.json" "$checkout/package-lock.json" "$checkout/config.example.yaml" "$checkout/README.md" "$dst/"
  mkdir -p "$dst/src/sinks" "$dst/models" "$dst/deploy"
  cp -a "$checkout/src/sinks/dashboard" "$dst/src/sinks/"
  cp -a "$checkout/deploy/." "$dst/deploy/"
  mkdir -p "$dst/models/demo"
  cp -a "$checkout/models/demo/uniad-demo.onnx" "$checkout/models/demo/uniad-demo.json" "$checkout/models/demo/line.json" "$checkout/models/demo/line" "$checkout/models/demo/README.md" "$dst/models/demo/"
  # Production dependencies only: npm's own list, hard-linked (read-only use of the checkout's node_modules).
  local dep rel
  while IFS= read -r dep; do
    rel="${dep#"$checkout"/}"
    [ "$rel" = "$dep" ] || [ -e "$dst/$rel" ] && continue
    mkdir -p "$dst/$(dirname "$rel")"
    cp -al "$dep" "$dst/$rel"
  done < <(cd "$checkout" && npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2)
  find "$dst/node_modules" -name .package-lock.json -delete
  local ortdir="$dst/node_modules/onnxruntime-node"
  local jetson; jetson="$(jetson_onnxruntime)"
  if [ -n "$jetson" ]; then
    say "using the onnxruntime-node built for this Jetson in $jetson"
    install_onnxruntime_packs "$jetson" "$dst/node_modules"
  fi
  # onnxruntime-node ships binaries for every OS and CPU (~290 MB); keep this one's.
  if [ -d "$ortdir/bin" ]; then
    find "$ortdir/bin" -mindepth 2 -maxdepth 2 -type d ! -name linux -exec rm -rf {} +
    find "$ortdir/bin" -mindepth 3 -maxdepth 3 -type d ! -name "$a" -exec rm -rf {} +
  fi
  printf 'version=%s\narch=%s\nnodeAbi=%s\nbuilt=%s\n' "$version" "$a" "$(node -p process.versions.modules)" "$(date -u +%FT%TZ)" > "$dst/BUNDLE"
  mkdir -p "$out"
  tar -C "$stage" -cf - "$name" | gzip -1 > "$out/$name.tar.gz"
  say "wrote $out/$name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1))"
  bundle_file="$out/$name.tar.gz"
}

# ---- install one release from a bundle; prints its version --------------------------------------------------------
unpack_release() {
  local file="$1" tmp info version
  tmp="$(mktemp -d "$opt/releases/.unpack.XXXXXX")"
  tar -C "$tmp" -xf "$file" || { rm -rf "$tmp"; die "cannot unpack $file"; }
  local top; top="$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -1)"
  info="$top/BUNDLE"
  [ -f "$info" ] || { rm -rf "$tmp"; die "$file is not a uniad-edge bundle (no BUNDLE file): build one with install.sh bundle"; }
  version="$(sed -n 's/^version=//p' "$info")"
  local barch babi; barch="$(sed -n 's/^arch=//p' "$info")"; babi="$(sed -n 's/^nodeAbi=//p' "$info")"
  [ "$barch" = "$(arch)" ] || { rm -rf "$tmp"; die "bundle is for $barch, this machine is $(arch): build the bundle on a $(arch) machine"; }
  if command -v node >/dev/null && [ "$babi" != "$(node -p process.versions.modules)" ]; then
    rm -rf "$tmp"; die "bundle was built for Node ABI $babi, this machine's node has $(node -p process.versions.modules): build it with the same Node major version"
  fi
  chown -R 0:0 "$top"
  chmod -R u+rwX,go+rX,go-w "$top"
  if [ -d "$opt/releases/$version" ] && [ "$(readlink "$opt/current" 2>/dev/null)" = "releases/$version" ]; then
    # Re-installing the running release: swap folders so the running process never sees a half-written tree.
    mv -T "$opt/releases/$version" "$tmp/old"
  else
    rm -rf "${opt:?}/releases/$version"
  fi
  mv -T "$top" "$opt/releases/$version"
  rm -rf "$tmp"
  echo "$version"
}

# On a Jetson the release needs the onnxruntime-node built there (TensorRT): from --onnxruntime or the build folder,
# else the one the running release has, so an upgrade never drops back to the CPU-only npm build.
jetson_onnxruntime_into() {
  local modules="$opt/releases/$1/node_modules" dist running="$opt/current/node_modules"
  dist="$(jetson_onnxruntime)"
  if [ -n "$dist" ]; then
    install_onnxruntime_packs "$dist" "$modules"
    say "installed the onnxruntime-node built in $dist"
  elif [ ! -f "$modules/onnxruntime-node/uniad-edge-build.json" ] && [ -f "$running/onnxruntime-node/uniad-edge-build.json" ] \
    && [ "$(readlink "$opt/current")" != "releases/$1" ]; then
    rm -rf "$modules/onnxruntime-node" "$modules/onnxruntime-common"
    cp -a "$running/onnxruntime-node" "$running/onnxruntime-common" "$modules/"
    say "kept the Jetson-built onnxruntime-node of the running release"
  else
    return 0
  fi
  chown -R 0:0 "$modules/onnxruntime-node" "$modules/onnxruntime-common"
  chmod -R u+rwX,go+rX,go-w "$modules/onnxruntime-node" "$modules/onnxruntime-common"
}

switch_to() { # atomically point current at releases/$1, previous at what current was
  local version="$1" was
  was="$(readlink "$opt/current" 2>/dev/null || true)"
  if [ -n "$was" ] && [ "$was" != "releases/$version" ]; then
    ln -sfn "$was" "$opt/.previous.new" && mv -T "$opt/.previous.new" "$opt/previous"
  fi
  ln -sfn "releases/$version" "$opt/.current.new" && mv -T "$opt/.current.new" "$opt/current"
}

ensure_user() {
  local prefix=(); [ -n "$root" ] && prefix=(--prefix "$root")
  if [ -n "$root" ]; then mkdir -p "$root/etc"; touch "$root/etc/passwd" "$root/etc/group" "$root/etc/shadow" "$root/etc/gshadow"; fi
  local g
  for g in video render; do
    grep -q "^$g:" "$root/etc/group" 2>/dev/null || groupadd "${prefix[@]}" --system "$g"
  done
  grep -q "^$user:" "$root/etc/passwd" 2>/dev/null || useradd "${prefix[@]}" --system --user-group --home-dir /var/lib/uniad-edge --no-create-home --shell /usr/sbin/nologin "$user"
  usermod "${prefix[@]}" -a -G video,render "$user"
  uid="$(awk -F: -v u="$user" '$1 == u { print $3 }' "$root/etc/passwd")"
  gid="$(awk -F: -v u="$user" '$1 == u { print $4 }' "$root/etc/passwd")"
}

install_files() { # config, state, models and unit around the current release
  local rel="$opt/current"
  install -d -m 0750 -o 0 -g "$gid" "$etc"
  install -d -m 0700 -o 0 -g 0 "$etc/credentials"
  if [ ! -f "$etc/config.yaml" ]; then
    # The example's model path is relative to the checkout; installed, the model lives in the state folder.
    sed 's#^\(  path: \)models/demo/uniad-demo.onnx#\1/var/lib/uniad-edge/models/demo/uniad-demo.onnx#' "$rel/config.example.yaml" > "$etc/config.yaml"
    say "wrote $etc/config.yaml from the example: edit cameras and broker"
  fi
  chown 0:"$gid" "$etc/config.yaml" && chmod 0640 "$etc/config.yaml"
  install -d -m 0750 -o "$uid" -g "$gid" "$state"
  install -d -m 0750 -o 0 -g "$gid" "$state/models" "$state/models/demo" "$state/models/demo/line"
  local f
  for f in "$rel"/models/demo/uniad-demo.onnx "$rel"/models/demo/uniad-demo.json "$rel"/models/demo/line.json "$rel"/models/demo/line/*.mp4; do
    install -m 0640 -o 0 -g "$gid" "$f" "$state/models/demo/${f#"$rel"/models/demo/}"
  done
  install_unit
}

install_unit() {
  install -d -m 0755 "$(dirname "$unit")"
  install -m 0644 -o 0 -g 0 "$opt/current/deploy/jetson/$service.service" "$unit"
  sysd daemon-reload || true
}

check_runtime() { # on the real root only: what the service needs from the OS
  [ -n "$root" ] && return 0
  command -v node >/dev/null || die "node not found: install Node.js 20 (e.g. NodeSource's nodejs package) at /usr/bin/node"
  local missing=() p
  for p in gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing Debian packages: ${missing[*]} (apt-get install --no-install-recommends ${missing[*]})"
}

# Restart onto current and wait until it is active (Type=notify: READY=1 sent) and stays so for $settle seconds.
restart_and_wait() {
  [ -n "$systemctl_cmd" ] || { say "not restarting: no systemd under --root"; return 0; }
  sysd restart "$service" || return 1
  local i
  for ((i = 0; i < settle; i++)); do
    sysd is-active --quiet "$service" || return 1
    sleep 1
  done
  sysd is-active --quiet "$service"
}

prune_releases() { # keep current, previous and the two newest others
  local keep=("$(readlink "$opt/current" 2>/dev/null)" "$(readlink "$opt/previous" 2>/dev/null)") r n=0
  while IFS= read -r r; do
    [[ " ${keep[*]} " == *" releases/$r "* ]] && continue
    n=$((n + 1))
    if [ $n -gt 2 ]; then rm -rf "${opt:?}/releases/$r"; fi
  done < <(ls -t "$opt/releases")
}

rollback_to_previous() {
  local prev; prev="$(readlink "$opt/previous" 2>/dev/null || true)"
  if [ -z "$prev" ] || [ ! -d "$opt/$prev" ]; then die "no previous release to roll back to"; fi
  switch_to "${prev#releases/}"
  install_unit
  say "rolled back to ${prev#releases/}"
  restart_and_wait || die "the previous release ${prev#releases/} does not become ready either: see journalctl -u $service"
}

[ "$(id -u)" = 0 ] || die "run as root (sudo)"
case "$command" in
  bundle)
    make_bundle
    ;;
  install | upgrade)
    check_runtime
    if [ -z "$bundle" ]; then
      [ "$command" = install ] || die "upgrade needs --bundle FILE"
      out="$(mktemp -d)"; make_bundle; bundle="$bundle_file"
    fi
    [ -f "$bundle" ] || die "bundle $bundle not found"
    install -d -m 0755 -o 0 -g 0 "$opt" "$opt/releases"
    ensure_user
    version="$(unpack_release "$bundle")"
    jetson_onnxruntime_into "$version"
    switch_to "$version"
    install_files
    prune_releases
    say "release $version is current ($opt/current)"
    if [ "$command" = install ]; then
      [ $start = 1 ] && [ -n "$systemctl_cmd" ] && { sysd enable "$service"; restart_and_wait || die "$service did not become ready: see journalctl -u $service"; }
      say "check the config as the service user: sudo -u $user node $opt/current/bin/uniad-edge.js check --config /etc/uniad-edge/config.yaml"
    elif ! restart_and_wait; then
      say "release $version did not become ready within ${settle} s: rolling back"
      rollback_to_previous
      exit 1
    fi
    ;;
  rollback)
    rollback_to_previous
    ;;
  status)
    echo "current:  $(readlink "$opt/current" 2>/dev/null || echo none)"
    echo "previous: $(readlink "$opt/previous" 2>/dev/null || echo none)"
    find "$opt/releases" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf 'release:  %f\n' 2>/dev/null | sort
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
