#!/usr/bin/env bash
# The main job of ppsppd in one command: seed a generated file over PPSPP on loopback,
# download it with a second process, and check the copy byte for byte.
set -euo pipefail
BIN=${BIN:-bin/ppsppd}
SIZE_MB=${SIZE_MB:-64}
work=$(mktemp -d)
trap 'kill "$seeder" 2>/dev/null || true; rm -rf "$work"' EXIT

head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom > "$work/demo.bin"
"$BIN" seed "$work/demo.bin" --listen 127.0.0.1:0 > "$work/seed.out" 2> "$work/seed.log" &
seeder=$!
for _ in $(seq 100); do [ -s "$work/seed.out" ] && [ "$(wc -l < "$work/seed.out")" -ge 2 ] && break; sleep 0.1; done
url=$(sed -n 2p "$work/seed.out")
echo "seeding $SIZE_MB MiB as $url"
start=$(date +%s%N)
"$BIN" get "$url" -o "$work/copy.bin"
end=$(date +%s%N)
cmp "$work/demo.bin" "$work/copy.bin"
echo "downloaded and verified $SIZE_MB MiB in $(( (end - start) / 1000000 )) ms; copy is byte-identical"
