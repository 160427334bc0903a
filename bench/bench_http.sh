#!/usr/bin/env bash
# bench_http.sh — POST /v1/secrets over real HTTP with wrk: throughput and p50/p99 latency
# at 1, 16 and 64 keep-alive connections (docs/performance.md "Node").
#
# The server is `bench_node --serve` (bench/bench_node.c): the real MHD server and handler
# over a faked chain source, two held versions (two partials per answer), dev-ecdsa with
# its nonce replay cache disabled (node_config.dev_ecdsa_replay_disabled, benchmarks only)
# so that wrk can send one signed request over and over, and no rate limits. A real
# devnet node under the same load: bench/bench_rss.py.
#
# usage: bench/bench_http.sh [BUILD_DIR] [SECONDS] [SERVER_THREADS] [REPEATS]
#        (defaults: build, 5, 2, 1); needs wrk. The machine is shared: every line carries
# the 1-minute load average and the CPU idle share of the 2 s before the run, and with
# TKMS_BENCH_QUIET=P each repeat first waits (at most 10 minutes) for a 2 s window in
# which the CPUs were at least P % idle (idle_pct of the later runs of a repeat: the 2 s
# right after the previous run). With autogroup scheduling (Linux's default for desktop
# and many VM kernels: /proc/sys/kernel/sched_autogroup_enabled = 1) each session gets an
# equal share of the CPUs whatever its processes' nice value, so on a machine where other
# sessions are busy the server gets 1/(sessions) of it. TKMS_BENCH_BOOST=N (e.g. -15,
# root) sets this session's autogroup nice to N for the duration of the script (and back
# at the end), which approximates a quiet machine; without it the numbers are this
# session's fair share. Exits 1 if any answer was not a 2xx. One line per run:
#   RESULT repeat=K connections=C requests=N non2xx=E rps=R p50_ms=X p99_ms=Y load1=L idle_pct=I
set -euo pipefail
BUILD=${1:-build}
DURATION=${2:-5}
THREADS=${3:-2}
REPEATS=${4:-1}
QUIET=${TKMS_BENCH_QUIET:-0}
BIN="$BUILD/bench/bench_node"
[ -x "$BIN" ] || { echo "build $BIN first (cmake --build $BUILD --target bench_node)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
WORK=$(mktemp -d)
AUTOGROUP_NICE=
restore() {
    [ -z "$AUTOGROUP_NICE" ] || echo "$AUTOGROUP_NICE" > /proc/self/autogroup
    rm -rf "$WORK"
}
trap restore EXIT
if [ -n "${TKMS_BENCH_BOOST:-}" ]; then
    AUTOGROUP_NICE=$(sed 's/.*nice //' /proc/self/autogroup)
    echo "$TKMS_BENCH_BOOST" > /proc/self/autogroup ||
        { echo "cannot set the autogroup nice (root?)" >&2; AUTOGROUP_NICE=; exit 1; }
    echo "autogroup: $(cat /proc/self/autogroup) (was nice $AUTOGROUP_NICE)" >&2
fi

# Percent of CPU time idle over the next 2 seconds (all CPUs, from /proc/stat).
idle_pct() {
    local a b
    a=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
    sleep 2
    b=$(awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
        printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }'
}

wait_quiet() {
    local idle tries=0
    idle=$(idle_pct)
    while [ "$QUIET" -gt 0 ] && [ "$idle" -lt "$QUIET" ] && [ $tries -lt 300 ]; do
        tries=$((tries + 1))
        idle=$(idle_pct)
    done
    echo "$idle"
}

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
failed=0
for k in $(seq 1 "$REPEATS"); do
    idle=$(wait_quiet)
    # A fresh server per repeat: its signed body is valid for 5 minutes (dev-ecdsa window).
    coproc SERVER { "$BIN" --serve --threads "$THREADS" --body "$WORK/body.json"; }
    read -r _ PORT <&"${SERVER[0]}"
    URL="http://127.0.0.1:$PORT/v1/secrets"
    wrk -t1 -c1 -d1s -s "$WORK/secrets.lua" "$URL" > /dev/null   # warm-up: H1 and chain caches
    for c in 1 16 64; do
        load1=$(cut -d' ' -f1 /proc/loadavg)
        t=$(( c < 2 ? 1 : 2 ))
        line=$(wrk -t"$t" -c"$c" -d"${DURATION}s" -s "$WORK/secrets.lua" "$URL" | grep '^requests=')
        echo "RESULT repeat=$k connections=$c $line load1=$load1 idle_pct=$idle"
        case "$line" in *" non2xx=0 "*) ;; *) failed=1 ;; esac
        idle=$(idle_pct)
    done
    exec {SERVER[1]}>&-   # closing stdin stops the server
    wait "$SERVER_PID" 2>/dev/null || true
done
[ "$failed" = 0 ] || { echo "bench_http.sh: some answers were not 2xx" >&2; exit 1; }
