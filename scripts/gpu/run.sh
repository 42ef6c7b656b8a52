#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs `eval:poly --engine webgpu` from a pack made by scripts/gpu/pack.sh, on a machine with no Node:
#
#   bash scripts/gpu/run.sh [eval:poly flags...]     e.g. --dataset nottingham --kind bi-lstm --minutes 8 --batch 64
#   bash scripts/gpu/run.sh --check                  a 6-second tiny run, to check a pack (any adapter, even software)
#
# --dataset jsb|nottingham reads the packed files (--peer does not work here: the PyTorch peer is not packed). PACK
# (default .gpu-pack) names the pack. The packed Vulkan loader is used where the system has none, and NVIDIA's driver
# manifest is named where the caller names no driver. Needs xz and tar there (dpkg too without a Vulkan loader).
set -euo pipefail
cd "$(dirname "$0")/../.."
pack=${PACK:-.gpu-pack}
[ -f "$pack/app.tar.xz" ] && [ -f "$pack/node.xz" ] || { echo "no pack at $pack: run scripts/gpu/pack.sh first" >&2; exit 2; }
for tool in xz tar; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed here, and the pack needs it to unpack" >&2; exit 2; }
done
# Unpacked outside the repository, afresh each time (a few seconds), so that a newer pack is never run stale.
home=${ETUDE_GPU_HOME:-/tmp/etude-gpu}
node=$home/node
rm -rf "$home" && mkdir -p "$home"
xz -dc "$pack/node.xz" >"$node" && chmod +x "$node"
xz -dc "$pack/app.tar.xz" | tar -C "$home" -xf -
# Dawn needs the Vulkan loader. grep reads all of ldconfig's list (no -q): with pipefail, an early exit would kill
# ldconfig and read as "no loader".
if ! ldconfig -p 2>/dev/null | grep -F libvulkan.so.1 >/dev/null; then
  shopt -s nullglob
  debs=("$pack"/vulkan/*.deb)
  if [ ${#debs[@]} -eq 0 ] || ! command -v dpkg >/dev/null; then
    echo "no Vulkan loader here (libvulkan.so.1), and the pack holds none that dpkg could unpack: install libvulkan1" >&2
    exit 2
  fi
  for deb in "${debs[@]}"; do dpkg -x "$deb" "$home/vulkan"; done
  export LD_LIBRARY_PATH="$home/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# NVIDIA's Vulkan driver where the loader is not told of one (the lent machine keeps it under /usr/local/nvidia), with
# the driver's libraries on the library path; a driver the caller names is left alone.
nvidia=/usr/local/nvidia
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$nvidia/share/vulkan/icd.d/nvidia_icd.json" ]; then
  export VK_DRIVER_FILES=$nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -d "$nvidia/lib64" ] && export LD_LIBRARY_PATH="$nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --check) tmp=$(mktemp -d); "$node" -e '
      const fs = require("fs"); let s = 7; const r = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
      const piece = (n) => Array.from({ length: n }, () => [60, 61, 62, 63, 64, 65].filter(() => r() < 0.3));
      fs.writeFileSync(process.argv[1], JSON.stringify({ train: [48, 48, 48, 48, 48, 48].map(piece), valid: [piece(40)], test: [piece(40)] }));' "$tmp/tiny.json"
      args+=(--data "$tmp/tiny.json" --kind bi-lstm --tiny --minutes 0.1 --epoch-frames 64); shift ;;
    *) args+=("$1"); shift ;;
  esac
done
exec "$node" "$home/app/src/core/engine/wasm/eval-poly.mjs" --engine webgpu "${args[@]}"
