#!/usr/bin/env bash
# Installs, upgrades and rolls back uniad-edge on an edge box (Jetson or x86), offline, from a bundle built for the
# box's architecture. Layout:
#   /opt/uniad-edge/releases/<version>+<build>/  one folder a release (root-owned, read-only to the service); <build>
#                                         is a hash of the bundle's files, so a rebuilt bundle of the same version is
#                                         a release of its own and the one it replaces stays there to roll back to
#   /opt/uniad-edge/current, previous     links to the running and the last release
#   /etc/uniad-edge/config.yaml           root:uniad 0640 (kept across upgrades); credentials/ root 0700
#   /var/lib/uniad-edge/                  state (offline queue, evidence, engine cache) uniad 0750; models/ read-only
#   /etc/systemd/system/uniad-edge.service
#   /etc/systemd/system/uniad-edge-actuator.service  the reject actuator (docs/actuator.md): installed, not enabled
#
# Usage:
#   install.sh bundle  [--out DIR] [--onnxruntime DIST]  on a build machine of the target architecture, after npm ci;
#                                                        DIST: build-onnxruntime.sh's dist-<version> folder or its
#                                                        built js/node (arm64: found in ~/.cache/uniad-edge by default)
#   install.sh install [--bundle FILE] [--start [--settle SECONDS]] [--onnxruntime DIST]
#                                                        first install (builds a bundle from this checkout if none given);
#                                                        does not start the service: edit the config, check it, enable
#                                                        it (the steps are printed). --start checks the config as the
#                                                        service user and enables and starts the service only if it
#                                                        passes, then watches it stay active for --settle seconds
#                                                        (30) (a config written beforehand: image builds)
#   install.sh upgrade --bundle FILE [--settle SECONDS] [--onnxruntime DIST]
#                                                        switch to a new release; rolls back if it does not become ready
#   install.sh rollback                                  back to the previous release
#   install.sh status
# Common options: --root DIR installs under DIR instead of / (tests, image builds); systemd is then left alone unless
# $SYSTEMCTL names a stand-in. --keep N keeps N releases (default 5: current, previous and the three newest others).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
checkout="$(cd "$here/../.." && pwd)"
service=uniad-edge
actuator=uniad-edge-actuator
user=uniad

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

command="${1:-}"
if [ -n "$command" ]; then shift; fi
root=/ bundle="" out="$PWD" ort="" settle=30 start=0 keep=5
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --bundle) bundle="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --onnxruntime) ort="$2"; shift 2 ;;
    --settle) settle="$2"; shift 2 ;;
    --start) start=1; shift ;;
    --no-start) start=0; shift ;; # the default; accepted for scripts written against older releases
    --keep) keep="$2"; shift 2 ;;
    *) die "unknown option $1 (see the usage at the top of $0)" ;;
  esac
done
root="${root%/}"
if ! [[ "$keep" =~ ^[0-9]+$ ]] || [ "$keep" -lt 2 ]; then die "--keep $keep: keep at least 2 releases (current and previous)"; fi
opt="$root/opt/uniad-edge"
etc="$root/etc/uniad-edge"
state="$root/var/lib/uniad-edge"
unit="$root/etc/systemd/system/$service.service"
actuator_unit="$root/etc/systemd/system/$actuator.service"

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

# A release's build id: the first 12 hex digits of a SHA-256 over every path, file content and link target under $1
# but BUNDLE (which holds the build time). The same files give the same id; any change, a new one.
tree_hash() {
  (
    cd "$1"
    find . -type f ! -path ./BUNDLE -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
    find . -type l -printf '%p -> %l\n' | LC_ALL=C sort
  ) | sha256sum | cut -c1-12
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
  mkdir -p "$dst/src/http" "$dst/src/sources" "$dst/models" "$dst/deploy"
  cp -a "$checkout/src/http/dashboard" "$dst/src/http/"
  # GenICam cameras' capture child: Python, run from the sources (src/sources/genicam.ts finds it there).
  cp -a "$checkout/src/sources/genicam_child.py" "$dst/src/sources/"
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
  local file; file="uniad-edge-$version+$(tree_hash "$dst")-linux-$a.tar.gz"
  mkdir -p "$out"
  tar -C "$stage" -cf - "$name" | gzip -1 > "$out/$file"
  say "wrote $out/$file ($(du -h "$out/$file" | cut -f1))"
  bundle_file="$out/$file"
}

# ---- install one release from a bundle; prints its id, <version>+<build> ------------------------------------------
unpack_release() {
  local file="$1" tmp info version id
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
  id="$version+$(tree_hash "$top")"
  chown -R 0:0 "$top"
  chmod -R u+rwX,go+rX,go-w "$top"
  if [ -d "$opt/releases/$id" ] && [ "$(readlink "$opt/current" 2>/dev/null)" = "releases/$id" ]; then
    # Re-installing the running release: swap folders so the running process never sees a half-written tree.
    mv -T "$opt/releases/$id" "$tmp/old"
  else
    rm -rf "${opt:?}/releases/$id"
  fi
  mv -T "$top" "$opt/releases/$id"
  touch "$opt/releases/$id" # newest first in prune_releases: installed now, whenever the bundle was built
  rm -rf "$tmp"
  echo "$id"
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
  install -m 0644 -o 0 -g 0 "$opt/current/deploy/jetson/$actuator.service" "$actuator_unit"
  sysd daemon-reload || true
}

# The actuator, where it runs, follows the release (try-restart leaves a stopped or unconfigured one alone).
restart_actuator() { sysd try-restart "$actuator" || true; }

check_runtime() { # on the real root only: what the service needs from the OS
  [ -n "$root" ] && return 0
  local v; v="$(/usr/bin/node --version 2>/dev/null || true)"; v="${v#v}"
  [ "${v%%.*}" -ge 20 ] 2>/dev/null || die "/usr/bin/node is ${v:-missing}; the unit runs /usr/bin/node, which must be Node.js 20 or newer: install NodeSource's nodejs 20 (bash scripts/setup.sh prints the commands)"
  local missing=() p
  for p in gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing Debian packages: ${missing[*]} (apt-get install --no-install-recommends ${missing[*]})"
}

# `uniad-edge check` of the installed config by the current release, as the service user with the unit's groups and
# state folder: the config read, the model loaded and run (and a TensorRT engine built into the state folder).
check_config() {
  local node=/usr/bin/node groups
  [ -z "$root" ] || node="$(command -v node)"
  groups="$(awk -F: '$1 == "video" || $1 == "render" { print $3 }' "$root/etc/group" | paste -sd,)"
  setpriv --reuid="$uid" --regid="$gid" --groups="$groups" env HOME="$state" STATE_DIRECTORY="$state" \
    "$node" "$opt/current/bin/uniad-edge.js" check --config "$etc/config.yaml"
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

prune_releases() { # keep $keep releases: current, previous and the newest others
  local current previous r n=2
  current="$(readlink "$opt/current" 2>/dev/null || true)"
  previous="$(readlink "$opt/previous" 2>/dev/null || true)"
  while IFS= read -r r; do
    if [ "releases/$r" = "$current" ] || [ "releases/$r" = "$previous" ]; then continue; fi
    n=$((n + 1))
    if [ $n -gt "$keep" ]; then rm -rf "${opt:?}/releases/$r"; fi
  done < <(ls -t "$opt/releases")
}

rollback_to_previous() {
  local prev; prev="$(readlink "$opt/previous" 2>/dev/null || true)"
  if [ -z "$prev" ] || [ ! -d "$opt/$prev" ]; then die "no previous release to roll back to"; fi
  switch_to "${prev#releases/}"
  install_unit
  say "rolled back to ${prev#releases/}"
  restart_and_wait || die "the previous release ${prev#releases/} does not become ready either: see journalctl -u $service"
  restart_actuator
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
    id="$(unpack_release "$bundle")"
    jetson_onnxruntime_into "$id"
    switch_to "$id"
    install_files
    prune_releases
    say "release $id is current ($opt/current)"
    if [ "$command" = install ] && [ $start = 1 ]; then
      # Never a service on a config nobody checked: check first, enable and start only what passed.
      check_config || die "not started: the config check refused $etc/config.yaml (above); fix it, then: install.sh install --start, or systemctl enable --now $service"
      if [ -n "$systemctl_cmd" ]; then
        sysd enable "$service"
        restart_and_wait || die "$service did not become ready: see journalctl -u $service"
        say "$service checked, enabled and started"
      else
        say "config checked; not enabled or started: no systemd under --root"
      fi
    elif [ "$command" = install ]; then
      say "installed, not started. Next:"
      say "  1. edit /etc/uniad-edge/config.yaml: cameras, model, broker (config.example.yaml documents every key)"
      say "  2. check it as the service user: sudo -u $user node /opt/uniad-edge/current/bin/uniad-edge.js check --config /etc/uniad-edge/config.yaml"
      say "  3. start it: sudo systemctl enable --now $service (or install.sh install --start: checks, then enables and starts)"
      if [ -n "$systemctl_cmd" ] && sysd is-active --quiet "$service"; then
        say "$service is running the release it started with until it restarts: systemctl restart $service (install.sh upgrade restarts and rolls back by itself)"
      fi
      say "a reject actuator on this box: write /etc/uniad-edge/actuator.yaml from $opt/current/deploy/actuator.example.yaml, then systemctl enable --now $actuator"
    elif ! restart_and_wait; then
      say "release $id did not become ready within ${settle} s: rolling back"
      rollback_to_previous
      exit 1
    else
      restart_actuator
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
