#!/usr/bin/env bash
# Builds and runs every test of tkms: the Release build (x86-64 assembly kernel), the
# Sanitize build (ASan+UBSan, portable kernel, so both kernels run the whole suite), the
# constant-time checks under valgrind memcheck, and the fuzz-corpus replay.
# Usage: scripts/test.sh            (after scripts/setup.sh)
# Env:   TKMS_TEST_SEED=N           seed of the randomized/differential tests (default: fixed)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
export TKMS_TEST_SEED=${TKMS_TEST_SEED:-20261124}
fail=0

build() { # dir, cmake args...
    local dir=$1; shift
    cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
    cmake --build "$dir" -j "$JOBS"
}

run_ctest() { # dir, label-regex-args...
    local dir=$1; shift
    (cd "$dir" && ctest --output-on-failure -j "$JOBS" "$@") || fail=1
}

echo "== Release build (kernel: asm where available)"
build build -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-14
run_ctest build

echo "== Sanitize build (ASan+UBSan, portable kernel)"
build build-san -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_C_COMPILER=clang-14 -DTKMS_BLS_ASM=OFF
# The BLS differential run against @noble/curves (>= 1,000 cases per operation) runs once,
# in the Release build above: it is bound by noble's speed, and under ASan it would take
# most of the CI budget. The sanitized build runs every other test, vectors and fuzz
# replays over the same code.
run_ctest build-san -LE 'slow|ct' -E '^bls_test_oracle_diff$'

echo "== Constant-time checks (valgrind memcheck, secrets marked undefined)"
build build-ct -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-14 -DTKMS_BLS_ASM=OFF \
    -DCMAKE_C_FLAGS=-gdwarf-4
run_ctest build-ct -L ct

if [ $fail -ne 0 ]; then
    echo "test: FAILED"
    exit 1
fi
echo "test: all passed"
