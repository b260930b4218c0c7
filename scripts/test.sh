#!/usr/bin/env bash
# Runs every test (unit, integration against libvirt's test driver, end-to-end against
# a real libvirtd + QEMU started by the tests themselves) and ends with one summary
# line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp /tmp/virtzone-tap.XXXXXX)
npx tap --reporter=tap "$@" | tee "$log"
rc=${PIPESTATUS[0]}
# tap's own summary line: "# { total: N, pass: N, fail: N, ... }"
summary=$(grep -E '^# \{ total: ' "$log" | tail -n 1)
num() { echo "$summary" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
passed=$(num pass); failed=$(num fail)
files_failed=$(grep -cE '^not ok [0-9]+' "$log")
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=$((files_failed > 0 ? files_failed : 1))
echo
echo "assertions: ${passed} passed, ${failed} failed"
rm -f "$log"
exit "$rc"
