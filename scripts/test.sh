#!/usr/bin/env bash
# Runs every test and ends with one summary line "N passed, N failed":
#   1. unit and integration tests (libvirt's test driver, real SQLite files, real sockets),
#      two files at a time;
#   2. end-to-end tests against a real libvirtd + QEMU that the tests start themselves
#      (scripts/e2e/test.sh), one file at a time since they share that libvirtd.
# Arguments are passed to tap for phase 1 (e.g. a single test file); then phase 2 is skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp /tmp/virtzone-tap.XXXXXX)
rc=0
if [ $# -gt 0 ]; then
  npx tap --reporter=tap "$@" | tee -a "$log"; rc=${PIPESTATUS[0]}
else
  mapfile -t unit < <(find test -name '*.test.ts' -not -path 'test/e2e/*' | sort)
  npx tap --reporter=tap "${unit[@]}" | tee -a "$log"; rc=${PIPESTATUS[0]}
  if [ -n "$(ls test/e2e/*.test.ts 2>/dev/null)" ]; then
    bash scripts/e2e/test.sh | tee -a "$log"; rc2=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] && rc=$rc2
  fi
fi
# tap's own summary lines: "# { total: N, pass: N, fail: N, ... }", one per phase
sum() { grep -E '^# \{ total: ' "$log" | grep -oE "$1: [0-9]+" | awk '{ s += $2 } END { print s + 0 }'; }
passed=$(sum pass); failed=$(sum fail)
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo
echo "assertions: ${passed} passed, ${failed} failed"
rm -f "$log"
exit "$rc"
