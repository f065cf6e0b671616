#!/usr/bin/env bash
# Packs what a bare GPU machine (no Node.js, no network) needs to run bench/gpu.ts, into
# out/gpu-pack/ (kept under 60 MiB):
#   node.xz          this machine's node binary, stripped and xz-compressed
#   bench.mjs        bench/gpu.ts with fusegrad's compiler and runtime and gpu.js, bundled by esbuild
#   node_modules/webgpu/   npm webgpu (Dawn): index.js, package.json, dist/linux-x64/dawn.node.xz
#   lib/             libvulkan.so.1 (Debian libvulkan1) and libGLdispatch.so.0 (libglvnd0): the
#                    Vulkan loader and GLVND pieces the NVIDIA ICD needs, absent on that machine
#   run.sh           unpacks into a temporary folder and runs the bench on the hardware adapter
#
# Usage: bash bench/gpu-pack.sh            (then carry out/gpu-pack and run out/gpu-pack/run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
PACK=out/gpu-pack
LIMIT_MIB=60
rm -rf "$PACK"
mkdir -p "$PACK/lib" "$PACK/node_modules/webgpu/dist/linux-x64"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "node: $(command -v node) $(node --version)"
cp "$(command -v node)" "$WORK/node"
strip "$WORK/node"
xz -9 -T0 -c "$WORK/node" >"$PACK/node.xz"

echo "bundle: bench/gpu.ts"
# gpu.js is CommonJS and requires Node built-ins; an ESM bundle needs a real `require` for them.
npx esbuild bench/gpu.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --external:gl --log-level=warning \
  --banner:js="import { createRequire as fusegradCreateRequire } from 'node:module'; const require = fusegradCreateRequire(import.meta.url);" \
  --outfile="$PACK/bench.mjs"

echo "webgpu: $(node -p "require('./node_modules/webgpu/package.json').version")"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$PACK/node_modules/webgpu/"
xz -9 -T0 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$PACK/node_modules/webgpu/dist/linux-x64/dawn.node.xz"

echo "lib: libvulkan1, libGLdispatch"
(cd "$WORK" && apt-get download libvulkan1 >/dev/null)
dpkg-deb -x "$WORK"/libvulkan1_*.deb "$WORK/vulkan"
cp -L "$WORK"/vulkan/usr/lib/x86_64-linux-gnu/libvulkan.so.1 "$PACK/lib/"
cp -L /usr/lib/x86_64-linux-gnu/libGLdispatch.so.0 "$PACK/lib/"

cat >"$PACK/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs bench/gpu.ts from this pack on a machine without Node.js. Results go to $OUT (or ./out).
# Arguments are passed to the bench (e.g. --modes webgpu --steps 234 --size 4096).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RESULTS=${OUT:-$PWD/out}
mkdir -p "$RESULTS"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
unxz() { # $1 = .xz file, $2 = output; xz if installed, else Python's lzma
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
cp "$HERE/bench.mjs" "$W/"
mkdir -p "$W/node_modules/webgpu/dist/linux-x64"
cp "$HERE/node_modules/webgpu/index.js" "$HERE/node_modules/webgpu/package.json" "$W/node_modules/webgpu/"
unxz "$HERE/node_modules/webgpu/dist/linux-x64/dawn.node.xz" "$W/node_modules/webgpu/dist/linux-x64/dawn.node"
unxz "$HERE/node.xz" "$W/node"
chmod +x "$W/node"
export LD_LIBRARY_PATH="$HERE/lib:/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export FUSEGRAD_WEBGPU_ADAPTER=${FUSEGRAD_WEBGPU_ADAPTER:-hardware}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | sed 's/^/# gpu: /' || true
cd "$W"
./node bench.mjs --out "$RESULTS/bench-gpu.json" "$@" 2>&1 | tee "$RESULTS/bench-gpu.log"
RUN
chmod +x "$PACK/run.sh"

SIZE_KIB=$(du -sk "$PACK" | cut -f1)
echo "packed $PACK: $((SIZE_KIB / 1024)) MiB"
du -ah "$PACK" | sort -h | tail -8
if [ "$SIZE_KIB" -gt $((LIMIT_MIB * 1024)) ]; then
  echo "error: the pack is over ${LIMIT_MIB} MiB" >&2
  exit 1
fi
