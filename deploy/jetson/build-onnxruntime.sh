#!/usr/bin/env bash
# Builds onnxruntime-node with the TensorRT and CUDA execution providers on a Jetson (JetPack 6.1/6.2, aarch64) and
# installs it into the uniad-edge release (/opt/uniad-edge). npm publishes no GPU build of the Node binding for
# Linux arm64 (onnxruntime issues #20503, #21232, #24159), so it is built from source, once per JetPack release.
#
#   bash deploy/jetson/build-onnxruntime.sh [--check] [--jobs N]
#
# Run it as your own user: onnxruntime's build.sh refuses root, and the build tree stays in your cache folder.
# sudo is asked for only to install the result into the release. Idempotent: a finished build is not built again,
# an installed binding of the same build is not installed again. Takes 1-3 hours on an Orin; needs ~25 GB of disk.
#   --check   only check this box (JetPack, CUDA, cuDNN, TensorRT, tools, disk) and say what would be built
# Environment: UNIAD_PREFIX (release, default /opt/uniad-edge), UNIAD_BUILD_DIR (default ~/.cache/uniad-edge),
#   UNIAD_ROOT (system root to read versions from, default /; for testing on a copied tree), CUDA_ARCH (default 87 = Orin),
#   UNIAD_MIN_FREE_GB (disk the check asks for, default 25).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
prefix="${UNIAD_PREFIX:-/opt/uniad-edge}"
work="${UNIAD_BUILD_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/uniad-edge}"
root="${UNIAD_ROOT:-/}"
root="${root%/}"
check_only=0
jobs="$(nproc 2>/dev/null || echo 4)"
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check_only=1 ;;
    --jobs) jobs="$2"; shift ;;
    *) echo "build-onnxruntime: unknown option $1 (use --check, --jobs N)" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "build-onnxruntime: $*" >&2; exit 1; }
say() { echo "build-onnxruntime: $*"; }

# --- 1. Which JetPack, and which onnxruntime is pinned for it -----------------------------------------------------
release_file="$root/etc/nv_tegra_release"
[ -r "$release_file" ] || die "no $release_file: not a Jetson. On x86 with an NVIDIA GPU use npm's onnxruntime-node (its CUDA build)."
l4t="$(sed -n 's/^# R\([0-9]*\) (release), REVISION: \([0-9]*\)\.\{0,1\}\([0-9]*\).*/\1.\2.\3/p' "$release_file" | head -n 1)"
l4t="${l4t%.}"
[ -n "$l4t" ] || die "cannot read the L4T release from $release_file"
case "$l4t" in *.*.*) ;; *) l4t="$l4t.0" ;; esac

# Columns: jetpack l4t cuda cudnn tensorrt onnxruntime note (deploy/jetson/onnxruntime-pins.txt)
pin="$(awk -v l4t="$l4t" '!/^#/ && NF >= 6 && ($2 == l4t || index(l4t, $2 ".") == 1) { print; exit }' "$here/onnxruntime-pins.txt")"
[ -n "$pin" ] || die "L4T $l4t is not a JetPack 6 release this script knows (see $here/onnxruntime-pins.txt); flash JetPack 6.2"
read -r jetpack _ want_cuda want_cudnn want_trt ort_version note <<<"$pin"
[ "$ort_version" != "-" ] || die "JetPack $jetpack (L4T $l4t): no supported onnxruntime build: $note"
say "L4T $l4t = JetPack $jetpack: building onnxruntime $ort_version (CUDA $want_cuda, cuDNN $want_cudnn, TensorRT $want_trt)"

# --- 2. CUDA, cuDNN and TensorRT as installed, before a build that takes hours --------------------------------------
lib_version() { # newest version in the file names lib*.so.X.Y.Z under the library folders
  local name="$1" dir found=""
  for dir in usr/lib/aarch64-linux-gnu usr/local/cuda/lib64 usr/local/cuda/targets/aarch64-linux/lib; do
    [ -d "$root/$dir" ] || continue
    found="$found $(find "$root/$dir" -maxdepth 1 -name "$name.so.*.*" -printf '%f\n' 2>/dev/null | sed "s/^$name\.so\.//")"
  done
  echo "$found" | tr ' ' '\n' | { grep -E '^[0-9]+\.[0-9]+' || true; } | sort -V | tail -n 1
}
major_minor() { echo "$1" | cut -d. -f1-2; }
problems=0
for spec in "CUDA libcudart $want_cuda" "cuDNN libcudnn $want_cudnn" "TensorRT libnvinfer $want_trt"; do
  read -r what lib want <<<"$spec"
  have="$(lib_version "$lib")"
  if [ -z "$have" ]; then
    echo "build-onnxruntime: $what: no $lib.so.* found; fix: sudo apt install nvidia-jetpack" >&2; problems=1
  elif [ "$(major_minor "$have")" != "$want" ]; then
    echo "build-onnxruntime: $what $have, but JetPack $jetpack ships $want (a mixed install); fix: sudo apt install --reinstall nvidia-jetpack" >&2; problems=1
  else
    say "$what $have"
  fi
done
cuda_home="${CUDA_HOME:-$root/usr/local/cuda}"
[ -x "$cuda_home/bin/nvcc" ] || { echo "build-onnxruntime: no $cuda_home/bin/nvcc; fix: sudo apt install nvidia-jetpack (cuda-toolkit)" >&2; problems=1; }
for tool in git python3 cmake npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "build-onnxruntime: $tool not found; fix: sudo apt install $tool (cmake >= 3.28: pip install --user cmake)" >&2; problems=1; }
done
if command -v cmake >/dev/null 2>&1; then
  cmake_version="$(cmake --version | sed -n 's/^cmake version \([0-9.]*\).*/\1/p')"
  if [ "$(printf '%s\n3.28\n' "$cmake_version" | sort -V | head -n 1)" != "3.28" ]; then
    echo "build-onnxruntime: cmake $cmake_version is older than 3.28, which onnxruntime $ort_version needs; fix: pip install --user cmake" >&2; problems=1
  fi
fi
mkdir -p "$work"
free_gb="$(df -Pk "$work" | awk 'NR == 2 { print int($4 / 1048576) }')"
need_gb="${UNIAD_MIN_FREE_GB:-25}"
[ "$free_gb" -ge "$need_gb" ] || { echo "build-onnxruntime: $free_gb GB free in $work, the build needs ~$need_gb GB; fix: free space or set UNIAD_BUILD_DIR" >&2; problems=1; }
[ "$problems" = 0 ] || die "fix the above, then run this again"
if [ "$check_only" = 1 ]; then
  say "checks passed: would build onnxruntime $ort_version in $work and install it into $prefix"
  exit 0
fi
[ "$(id -u)" != 0 ] || die "run as your own user, not with sudo: onnxruntime's build.sh refuses root; this script asks sudo only to install"

# --- 3. Source at the pinned tag, with the project's TensorRT options change ---------------------------------------
src="$work/onnxruntime-$ort_version"
if [ ! -d "$src/.git" ]; then
  git clone --recursive --depth 1 --shallow-submodules --branch "v$ort_version" https://github.com/microsoft/onnxruntime "$src"
fi
[ "$(git -C "$src" describe --tags --exact-match 2>/dev/null)" = "v$ort_version" ] || die "$src is not onnxruntime v$ort_version; remove it and run again"
python3 "$here/patch-node-tensorrt-options.py" "$src/js/node/src/session_options_helper.cc"

# --- 4. Build (skipped when this exact build is done) ---------------------------------------------------------------
stamp="$src/build/uniad-edge-built"
want_stamp="onnxruntime $ort_version jetpack $jetpack tensorrt $want_trt patch $(sha256sum "$here/patch-node-tensorrt-options.py" | cut -c1-16)"
native="$src/js/node/bin/napi-v6/linux/arm64"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want_stamp" ] || [ ! -f "$native/onnxruntime_binding.node" ]; then
  say "building (1-3 hours; $jobs parallel jobs; a Jetson with 8 GB may need swap, or --jobs 4)"
  (cd "$src" && ./build.sh --config Release --update --build --parallel "$jobs" --skip_tests \
    --use_tensorrt --cuda_home "$cuda_home" --cudnn_home "$root/usr/lib/aarch64-linux-gnu" \
    --tensorrt_home "$root/usr/lib/aarch64-linux-gnu" --build_nodejs \
    --cmake_extra_defines "CMAKE_CUDA_ARCHITECTURES=${CUDA_ARCH:-87}" onnxruntime_BUILD_UNIT_TESTS=OFF)
  # The provider libraries load from next to the binding.
  for lib in libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so libonnxruntime_providers_tensorrt.so; do
    [ -f "$native/$lib" ] || cp "$src/build/Linux/Release/$lib" "$native/"
  done
  echo "$want_stamp" >"$stamp"
else
  say "build of onnxruntime $ort_version for JetPack $jetpack already done ($stamp)"
fi

# --- 5. Package the binding and its JavaScript API, install both into the release ----------------------------------
dist="$work/dist-$ort_version"
mkdir -p "$dist"
[ -f "$dist/onnxruntime-common-$ort_version.tgz" ] || (cd "$src/js/common" && npm pack --pack-destination "$dist")
[ -f "$dist/onnxruntime-node-$ort_version.tgz" ] || (cd "$src/js/node" && npm pack --pack-destination "$dist")
record="$(printf '{"onnxruntime":"%s","jetpack":"%s","l4t":"%s","cuda":"%s","cudnn":"%s","tensorrt":"%s","tensorrtOptions":true}' \
  "$ort_version" "$jetpack" "$l4t" "$want_cuda" "$want_cudnn" "$want_trt")"
# The record travels with the built binding too, for a bundle made from $src/js/node (install.sh bundle --onnxruntime).
echo "$record" >"$src/js/node/uniad-edge-build.json"
# A release layout with releases/<version> and a `current` link installs into the current release.
release="$prefix"
[ -d "$prefix/current" ] && release="$(readlink -f "$prefix/current")"
installed="$release/node_modules/onnxruntime-node/uniad-edge-build.json"
[ -d "$release/node_modules" ] || die "$release is not an installed release (no node_modules); install uniad-edge first (deploy/jetson/README.md)"
if [ "$(cat "$installed" 2>/dev/null)" = "$record" ]; then
  say "onnxruntime-node $ort_version (JetPack $jetpack build) is already installed in $release"
else
  say "installing onnxruntime-node $ort_version and onnxruntime-common $ort_version into $release (sudo)"
  # --ignore-scripts: the npm package's postinstall would download x86 CUDA libraries.
  sudo npm install --prefix "$release" --no-save --ignore-scripts --omit=dev --no-audit --no-fund \
    "$dist/onnxruntime-common-$ort_version.tgz" "$dist/onnxruntime-node-$ort_version.tgz"
  echo "$record" | sudo tee "$installed" >/dev/null
fi
say "done. Check with: sudo -u uniad node $release/bin/uniad-edge.js doctor --config /etc/uniad-edge/config.yaml"
say "then build the TensorRT engine ahead of a shift (deploy/jetson/README.md, 'Engine built once')"
