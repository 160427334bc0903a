#!/usr/bin/env bash
# bench_http.sh — POST /v1/secrets over real HTTP with wrk: throughput and p50/p99 latency
# at 1, 16 and 64 keep-alive connections (docs/http.md "Performance").
#
# The server is `bench_node --serve` (bench/bench_node.c): the real MHD server and handler
# over a faked chain source, two held versions (two partials per answer), dev-ecdsa with
# its nonce replay cache disabled (node_config.dev_ecdsa_replay_disabled, benchmarks only)
# so that wrk can send one signed request over and over, and no rate limits.
#
# usage: bench/bench_http.sh [BUILD_DIR] [SECONDS] [SERVER_THREADS]
#        (defaults: build, 5, 2); needs wrk. Prints one line per connection count:
#   RESULT connections=C requests=N non2xx=E rps=R p50_ms=X p99_ms=Y
set -euo pipefail
BUILD=${1:-build}
DURATION=${2:-5}
THREADS=${3:-2}
BIN="$BUILD/bench/bench_node"
[ -x "$BIN" ] || { echo "build $BIN first (cmake --build $BUILD --target bench_node)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
coproc SERVER { "$BIN" --serve --threads "$THREADS" --body "$WORK/body.json"; }
read -r _ PORT <&"${SERVER[0]}"
cat > "$WORK/secrets.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$WORK/body.json"); wrk.body = f:read("*a"); f:close()
done = function(summary, latency, requests)
  io.write(string.format("requests=%d non2xx=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f\n",
    summary.requests, summary.errors.status, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA
for c in 1 16 64; do
  t=$(( c < 2 ? 1 : 2 ))
  line=$(wrk -t"$t" -c"$c" -d"${DURATION}s" -s "$WORK/secrets.lua" \
             "http://127.0.0.1:$PORT/v1/secrets" | grep '^requests=')
  echo "RESULT connections=$c $line"
done
exec {SERVER[1]}>&-   # closing stdin stops the server
wait "$SERVER_PID" 2>/dev/null || true
