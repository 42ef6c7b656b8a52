#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Packs what `eval:poly --engine webgpu` needs on a Linux x86-64 machine that has a GPU but no Node and no network
# (this project's lent GPU machine), into one folder that travels beside the repository:
#
#   bash scripts/gpu/pack.sh [FOLDER]          (default .gpu-pack; git ignores it)
#
# FOLDER/node.xz       this machine's Node binary, xz-compressed (the GPU machine has no Node)
# FOLDER/app.tar.xz    app/src/core/engine/wasm/eval-poly.mjs: scripts/eval-poly.ts and everything it imports as one ES
#                      module, where the wasm engine's loader looks for its build/ and the thread pool for its worker;
#                      app/node_modules/webgpu: Dawn for Node, Linux x86-64 only (loaded by the bundle, not bundled);
#                      app/src/shared/{data/boulanger2012,bench/PUBLISHED.md}: the benchmark files and the published
#                      figures, where the bundle looks for ../shared (relative to the repository it was built from;
#                      ../shared does not travel), so --dataset jsb|nottingham works there as here
# FOLDER/vulkan/*.deb  the Vulkan loader, unpacked by scripts/gpu/run.sh where the system has none (Dawn needs it)
#
# About 30 MB, so that it and the repository's tracked files stay under the 64 MiB a call to that machine may carry.
# scripts/gpu/run.sh runs it there. Check a pack here first: `bash scripts/gpu/run.sh --check` runs a tiny eval:poly
# with the packed Node on this machine's software adapter.
set -euo pipefail
cd "$(dirname "$0")/../.."
pack=${1:-.gpu-pack}
# Built aside and swapped in at the end: a failed build leaves the last pack as it was.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
out="$stage/pack"
app="$stage/app/src/core/engine/wasm"
shared="$stage/app/src/shared"
mkdir -p "$app/build" "$stage/app/node_modules/webgpu/dist" "$shared/data/boulanger2012" "$shared/bench" "$out/vulkan"

# The kernels as the source stands (the packed loader cannot rebuild them there).
npm run -s build:engine >/dev/null
cp src/core/engine/wasm/build/*.wasm "$app/build/"
cp src/core/engine/pool/kernelWorker.mjs "$app/"
npx esbuild scripts/eval-poly.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --log-level=warning --outfile="$app/eval-poly.mjs" \
  --banner:js="import { createRequire as __etudeRequire } from 'node:module'; const require = __etudeRequire(import.meta.url);"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$stage/app/node_modules/webgpu/"
cp -r node_modules/webgpu/dist/linux-x64 "$stage/app/node_modules/webgpu/dist/"
cp ../shared/data/boulanger2012/*.json "$shared/data/boulanger2012/"
cp ../shared/bench/PUBLISHED.md "$shared/bench/"
tar -C "$stage" -cf - app | xz -T0 -6 >"$out/app.tar.xz"
xz -T0 -6 -c "$(command -v node)" >"$out/node.xz"
(cd "$out/vulkan" && apt-get download libvulkan1 >/dev/null 2>&1) ||
  echo "note: apt-get download libvulkan1 failed; the GPU machine then needs its own Vulkan loader" >&2
rm -rf "$pack"
mv "$out" "$pack"
du -sh "$pack"
