#!/usr/bin/env bash
# The main job: builds tkms and tkmsd (Release) and runs a local devnet — anvil, the
# contracts, N tkmsd nodes (default 5), startGenesis, the genesis DKG, a demo app with an
# encrypted env and a live secrets round trip, printed step by step. The nodes keep running
# (a reshare every epoch) until `scripts/devnet.sh down`.
# Usage: scripts/devnet.sh [up] [--nodes N]   |   scripts/devnet.sh down|status
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-14 >/dev/null
cmake --build build -j "$(nproc)" --target tkms tkmsd contracts >/dev/null
verb=${1:-up}
[ $# -gt 0 ] && shift
export TKMS_CONTRACTS_DIR=${TKMS_CONTRACTS_DIR:-$PWD/build/contracts}
if [ "$verb" = up ]; then
    exec build/src/cli/tkms devnet up --nodes "${NODES:-5}" "$@"
fi
exec build/src/cli/tkms devnet "$verb" "$@"
