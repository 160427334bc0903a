#!/bin/sh
# check_no_div.sh — the static half of the constant-time checks: memcheck follows data
# flow into branches and addresses but not into instruction timing, and integer division
# is the x86-64 instruction whose latency depends on its operands. This fails if any
# function of the given static library, other than a *_vartime one (public inputs only,
# crypto.md §12), contains a div/idiv instruction or a call to a libgcc division helper.
# Usage: check_no_div.sh OBJDUMP LIBRARY.a
set -eu
objdump=$1
lib=$2
"$objdump" -d --no-show-raw-insn "$lib" | awk '
    /^[0-9a-f]+ <[^>]+>:$/ { fn = $2; gsub(/[<>:]/, "", fn); next }
    /[[:space:]]i?div[bwlq]?[[:space:]]/ || /call.*__(u?div|u?mod)[sdt]i3/ {
        if (fn !~ /_vartime$/) { print "division in " fn ": " $0; bad = 1 }
        else { allowed++ }
    }
    END {
        printf "checked: %d division(s) in _vartime functions allowed\n", allowed + 0
        exit bad
    }'
