#!/usr/bin/env bash
# profile_secrets.sh — instructions per POST /v1/secrets request (callgrind), in total and
# by part, (1) for the handler alone and (2) over real HTTP (docs/performance.md "Node").
#
#  (1) `bench_node --handler N` under callgrind with --toggle-collect=api_secrets: the
#      handler N times with the H1 cache warm; every count below is divided by N.
#  (2) `bench_node --serve` under callgrind; wrk warms it up, the counters are zeroed
#      (callgrind_control -z), wrk -c4 runs for SECONDS, the counters are dumped: the
#      process's instructions (MHD, http.c, the handler, all threads; not the kernel)
#      divided by the requests wrk completed.
# Instruction counts do not depend on the machine's load: they are the comparable figure.
#
# usage: bench/profile_secrets.sh [BUILD_DIR] [N] [SECONDS]   (defaults: build, 200, 10)
# needs valgrind (callgrind_annotate, callgrind_control) and wrk. Prints:
#   handler: instructions/request and a table of parts
#   http:    RESULT requests=R instructions_per_request=I  (R: handler calls in the window)
set -euo pipefail
BUILD=${1:-build}
N=${2:-200}
SECONDS_RUN=${3:-10}
BIN="$BUILD/bench/bench_node"
[ -x "$BIN" ] || { echo "build $BIN first (cmake --build $BUILD --target bench_node)" >&2; exit 1; }
WORK=$(mktemp -d)
VG_PID=
cleanup() {
    if [ -n "$VG_PID" ] && kill -0 "$VG_PID" 2>/dev/null; then
        kill "$VG_PID" 2>/dev/null || true   # the valgrind'ed server, by pid
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Parts: inclusive counts of these functions (a function's count includes its callees).
PARTS="api_secrets secrets_request_parse json_loadb tkms_attest_binding_from_request
secrets_authorize dev_attest_recover secp256k1_ecdsa_recover secrets_partials_compute
h1_cache_get tkms_tss_partial_sign tkms_client_partial_wrap tkms_bls_g1_encode
tkms_prim_rsa_oaep_encrypt EVP_PKEY_encrypt EVP_PKEY_fromdata tkms_prim_base64_encode
http_reply_json json_dumps json_pack malloc free"

echo "handler: bench_node --handler $N under callgrind"
valgrind --tool=callgrind --callgrind-out-file="$WORK/handler.out" \
    --toggle-collect=api_secrets "$BIN" --handler "$N" > /dev/null 2> "$WORK/handler.err"
callgrind_annotate --inclusive=yes --threshold=100 "$WORK/handler.out" > "$WORK/handler.txt" \
    2> /dev/null
printf '| part | instructions/request |\n|---|---:|\n'
for part in $PARTS; do
    awk -v fn="$part" -v n="$N" '
        { gsub(",", "", $1) }
        $0 ~ ":" fn " \\[" || $0 ~ ":" fn "$" {
            if (!seen) { printf "| %s | %.0f |\n", fn, $1 / n; seen = 1 }
        }
        END { if (!seen) printf "| %s | 0 |\n", fn }' "$WORK/handler.txt"
done

echo
echo "http: bench_node --serve under callgrind, wrk -c4 for ${SECONDS_RUN}s"
coproc SERVER { valgrind --tool=callgrind --callgrind-out-file="$WORK/serve.%p" \
                    "$BIN" --serve --threads 2 --body "$WORK/body.json" 2> "$WORK/serve.err"; }
read -r _ PORT <&"${SERVER[0]}"
VG_PID=$(pgrep -f -n -- "--callgrind-out-file=$WORK/serve")
cat > "$WORK/s.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$WORK/body.json"); wrk.body = f:read("*a"); f:close()
done = function(summary, latency, requests)
  io.write(string.format("requests=%d non2xx=%d\n", summary.requests, summary.errors.status))
end
LUA
URL="http://127.0.0.1:$PORT/v1/secrets"
wrk -t1 -c4 -d3s -s "$WORK/s.lua" "$URL" > /dev/null   # warm-up: H1 cache, chain reader
callgrind_control -z "$VG_PID" > /dev/null 2>&1
wrk -t1 -c4 -d"${SECONDS_RUN}s" -s "$WORK/s.lua" "$URL" > /dev/null
sleep 1   # the last in-flight answers
callgrind_control -d "$VG_PID" > /dev/null 2>&1
dump=$(ls "$WORK"/serve.*.1 | head -1)
# requests = calls of api_secrets in the dump (exact; wrk's count misses the in-flight ones)
requests=$(awk '
    /^c?fn=\([0-9]+\) api_secrets$/ { s = $0; sub(/^c?fn=\(/, "", s); sub(/\).*/, "", s); id = s }
    id != "" && ($0 == "cfn=(" id ")" || $0 == "cfn=(" id ") api_secrets") { want = 1; next }
    want && /^calls=/ { split($0, a, /[= ]/); total += a[2]; want = 0 }
    END { print total + 0 }' "$dump")
total=$(callgrind_annotate "$dump" 2> /dev/null |
        awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
echo "RESULT requests=$requests instructions_per_request=$(( total / requests ))"
exec {SERVER[1]}>&-   # closing stdin stops the server
wait "$SERVER_PID" 2>/dev/null || true
